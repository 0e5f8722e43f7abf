"""The boundary where AWS errors become domain errors.

Throttling, timeouts and service errors become STORAGE_UNAVAILABLE (retryable 503);
anything else is re-raised untouched so it surfaces as an internal error with its
traceback in the logs (never in the response).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from edgex.errors import EdgexError, NotFound, StorageUnavailable

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "SlowDown",
    "InternalError",
    "TransactionInProgressException",
}


def client_error_code(exc: BaseException) -> str | None:
    """The AWS error code behind a botocore or pynamodb exception, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict) and "Error" in response:
            return str(response["Error"].get("Code"))
        code = getattr(seen, "cause_response_code", None)
        if code:
            return str(code)
        seen = seen.__cause__
    return None


class ConditionFailed(Exception):
    """A conditional write did not hold. ``reasons`` has one entry per transaction
    item (the cancellation code or None); single writes give ``["ConditionalCheckFailed"]``."""

    def __init__(self, reasons: list[str | None]) -> None:
        super().__init__("condition failed")
        self.reasons = reasons


def _cancellation_reasons(exc: BaseException) -> list[str | None]:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [getattr(r, "code", None) for r in reasons]


@contextmanager
def storage_errors() -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    try:
        yield
    except EdgexError:
        raise
    except (ClientError, PynamoDBException) as exc:
        code = client_error_code(exc)
        if code == "ConditionalCheckFailedException":
            raise ConditionFailed(["ConditionalCheckFailed"]) from exc
        if code == "TransactionCanceledException":
            reasons = _cancellation_reasons(exc)
            if "ConditionalCheckFailed" in reasons:
                raise ConditionFailed(reasons) from exc
            raise StorageUnavailable() from exc  # conflicts with another transaction, throttling
        if code in _RETRYABLE:
            raise StorageUnavailable() from exc
        if code in ("NoSuchKey", "NoSuchVersion"):
            raise NotFound("Stored object not found", code="OBJECT_NOT_FOUND") from exc
        if code is None and isinstance(getattr(exc, "cause", None), BotoCoreError):
            # pynamodb wraps connection errors and timeouts (``cause``): retryable as well
            raise StorageUnavailable() from exc
        raise
    except BotoCoreError as exc:  # connection errors, timeouts
        raise StorageUnavailable() from exc


_connection: Any = None


def connection() -> Any:
    """The pynamodb connection transactions run on (created once, reused)."""
    global _connection
    if _connection is None:
        from pynamodb.connection import Connection

        from edgex import config

        _connection = Connection(region=config.region())
    return _connection


def transact(build: Callable[[Any], None]) -> None:
    """Run one TransactWriteItems built by ``build(tx)``: all or nothing.
    Raises ConditionFailed (with per-item reasons) or StorageUnavailable."""
    from pynamodb.transactions import TransactWrite

    with storage_errors(), TransactWrite(connection=connection()) as tx:
        build(tx)


def get_items(*keys: tuple[type[Any], tuple[Any, ...]]) -> list[Any]:
    """Items of any tables in one consistent BatchGetItem (one round trip). Each key is
    (model class, key values); a missing item comes back as None, in key order."""
    request: dict[str, Any] = {}
    wanted: list[tuple[type[Any], dict[str, Any]]] = []
    for model, key in keys:
        names = [model._hash_keyname] + ([model._range_keyname] if model._range_keyname else [])
        attrs = model.get_attributes()
        serialized = {n: {attrs[n].attr_type: attrs[n].serialize(v)} for n, v in zip(names, key, strict=True)}
        request.setdefault(model.Meta.table_name, {"Keys": [], "ConsistentRead": True})["Keys"].append(serialized)
        wanted.append((model, serialized))
    with storage_errors():
        answer = connection().client.batch_get_item(RequestItems=request)
    if answer.get("UnprocessedKeys"):
        raise StorageUnavailable()
    found = answer.get("Responses", {})

    def match(model: type[Any], key: dict[str, Any]) -> Any:
        for row in found.get(model.Meta.table_name) or []:
            if all(row.get(name) == value for name, value in key.items()):
                return model.from_raw_data(row)
        return None

    return [match(model, key) for model, key in wanted]
