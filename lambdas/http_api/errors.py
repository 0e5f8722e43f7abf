"""The one mapping from domain error kinds to HTTP statuses."""

from __future__ import annotations

from typing import Any

from edgex.errors import EdgexError, Kind
from http_api.responses import error_response

STATUS: dict[Kind, int] = {
    Kind.INVALID: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.GONE: 410,
    Kind.TOO_LARGE: 413,
    Kind.LIMIT: 429,
    Kind.INTERNAL: 500,
    Kind.UNAVAILABLE: 503,
}


def from_error(err: EdgexError) -> dict[str, Any]:
    status = STATUS[err.kind]
    extra = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 503:
        extra["Retry-After"] = str(err.retry_after or 2)
    if status == 500:  # never explain internals
        return error_response(500, "INTERNAL_ERROR", "Internal error")
    return error_response(status, err.code, err.message, extra, field=err.field)


def internal() -> dict[str, Any]:
    return error_response(500, "INTERNAL_ERROR", "Internal error")
