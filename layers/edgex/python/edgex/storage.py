"""The boundary where AWS errors become domain errors.

Throttling, timeouts and service errors become STORAGE_UNAVAILABLE (retryable 503);
anything else is re-raised untouched so it surfaces as an internal error with its
traceback in the logs (never in the response).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
        if code in _RETRYABLE:
            raise StorageUnavailable() from exc
        if code in ("NoSuchKey", "NoSuchVersion"):
            raise NotFound("Stored object not found", code="OBJECT_NOT_FOUND") from exc
        raise
    except BotoCoreError as exc:  # connection errors, timeouts
        raise StorageUnavailable() from exc
