"""What every store module shares: the clients, the error boundary, transactions,
batched reads, the one optimistic-retry loop and the one in-memory cache.

Clients are created on first use and cached at module level (Lambda reuses them
across invocations; tests and the bench start moto first, then call :func:`reset`),
and so is what never changes once stored (:class:`Kept`).
AWS errors become domain errors here and nowhere else: throttling, timeouts and
service errors are STORAGE_UNAVAILABLE (a retryable 503); a failed condition (a
DynamoDB condition, or S3's If-None-Match on a key already taken) is
:class:`ConditionFailed` (a per-item reason list), which only store modules see.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from edgex.errors import EdgexError, ObjectNotFound, StorageUnavailable

T = TypeVar("T")

_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "SlowDown",
    "InternalError",
    "TransactionInProgressException",
    "ConditionalRequestConflict",  # S3: another conditional write of the same key is under way
}
CONDITION_FAILED = "ConditionalCheckFailed"
TRANSACTION_ATTEMPTS = 5  # a transaction that only lost to another one is tried again
TRANSACTION_BACKOFF_S = 0.02  # before attempt n+1: a random wait up to n times this (full jitter)

_connection: Any = None
_s3: Any = None
_kept: list[Kept] = []  # every cache, emptied by reset()


def connection() -> Any:
    """The one pynamodb connection (and so botocore session and DynamoDB client)
    that every model, transaction and batch read uses."""
    global _connection
    if _connection is None:
        from pynamodb.connection import Connection

        from edgex import config

        _connection = Connection(region=config.region())
    return _connection


def s3() -> Any:
    """The S3 client, on the session pynamodb already has: one credential chain and
    one loader cache for the whole function, not a boto3 session of its own."""
    global _s3
    if _s3 is None:
        from edgex import config

        _s3 = connection().session.create_client("s3", region_name=config.region())
    return _s3


def built_clients() -> list[str]:
    """Which clients exist now (the bench checks a request built only what it needs)."""
    built = []
    if _connection is not None and getattr(_connection, "_client", None) is not None:
        built.append("dynamodb")
    if _s3 is not None:
        built.append("s3")
    return built


def reset() -> None:
    """Forget every client and table binding: what a fresh Lambda environment has.
    The one reset for tests (after starting moto) and the bench."""
    global _connection, _s3
    from edgex.store import tables

    _connection = None
    _s3 = None
    tables.unbind_all()
    for cache in _kept:
        cache.clear()


class Kept:
    """What never changes once stored (a deployment's snapshots, a pinned script
    version's verified bytes), kept in memory so a warm function reads it once: the
    least recently used go first past ``entries`` or ``max_bytes`` (``size`` of each
    as its caller counts it). Thread-safe; emptied by :func:`reset`. Never for
    anything a write can change."""

    def __init__(self, entries: int, max_bytes: int) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        _kept.append(self)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes += size - (old[1] if old else 0)
            self._items[key] = (value, size)
            while len(self._items) > self.entries or self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def usage(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        with self._lock:
            return len(self._items), self._bytes


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

    def failed(self, index: int) -> bool:
        """Whether the condition of transaction item ``index`` is what failed."""
        return index < len(self.reasons) and self.reasons[index] == CONDITION_FAILED


class TransactionConflict(StorageUnavailable):
    """Another transaction held an item: nothing was written, and trying again is right."""


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
        if code in ("ConditionalCheckFailedException", "PreconditionFailed"):
            raise ConditionFailed([CONDITION_FAILED]) from exc
        if code == "TransactionCanceledException":
            reasons = _cancellation_reasons(exc)
            if CONDITION_FAILED in reasons:
                raise ConditionFailed(reasons) from exc
            raise TransactionConflict() from exc  # conflicts with another transaction, throttling
        if code in _RETRYABLE:
            raise StorageUnavailable() from exc
        if code in ("NoSuchKey", "NoSuchVersion"):
            raise ObjectNotFound() from exc
        if code is None and isinstance(getattr(exc, "cause", None), BotoCoreError):
            # pynamodb wraps connection errors and timeouts (``cause``): retryable as well
            raise StorageUnavailable() from exc
        raise
    except BotoCoreError as exc:  # connection errors, timeouts
        raise StorageUnavailable() from exc


def transact(build: Callable[[Any], None]) -> None:
    """Run one TransactWriteItems built by ``build(tx)``: all or nothing. A transaction
    that only collided with another one is run again (``build`` is called anew);
    raises ConditionFailed (with per-item reasons) or StorageUnavailable."""
    from pynamodb.transactions import TransactWrite

    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with storage_errors(), TransactWrite(connection=connection()) as tx:
                build(tx)
            return
        except TransactionConflict:
            if attempt == TRANSACTION_ATTEMPTS - 1:
                raise
            # the other transaction is still on the same items: let it finish first
            time.sleep(random.uniform(0, TRANSACTION_BACKOFF_S * (attempt + 1)))  # noqa: S311 - jitter, not secrets


def optimistic(attempt: Callable[[], T | None], attempts: int, gives_up: Callable[[], EdgexError]) -> T:
    """The one optimistic-concurrency loop: ``attempt`` reads what it needs, writes on a
    condition and returns its result, or returns None when the condition lost a race
    (it then reads again on the next try). After ``attempts`` lost races the caller's
    retryable error is raised."""
    for _ in range(attempts):
        result = attempt()
        if result is not None:
            return result
    raise gives_up()


def get_items(*keys: tuple[type[Any], tuple[Any, ...]]) -> list[Any]:
    """Items of any tables in one consistent BatchGetItem (one round trip). Each key is
    (model class, key values); a missing item comes back as None, in key order."""
    from edgex.store import tables

    request: dict[str, Any] = {}
    wanted: list[tuple[type[Any], dict[str, Any]]] = []
    for model, key in keys:
        serialized = tables.serialize_key(model, key)
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
