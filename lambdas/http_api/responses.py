"""Responses in payload-2.0 shape, every one with the seed's security headers."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def respond(status: int, body: str, content_type: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {**SECURITY_HEADERS, "Content-Type": content_type, **(extra or {})},
        "body": body,
        "isBase64Encoded": False,
    }


def bytes_response(
    status: int, data: bytes, content_type: str, extra: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A body sent base64-encoded: its size on the way out of Lambda is exactly 4/3 of
    the data, whatever the bytes (a text body is JSON-escaped, up to 6 times larger)."""
    answer = respond(status, base64.b64encode(data).decode("ascii"), content_type, extra)
    return {**answer, "isBase64Encoded": True}


def json_response(status: int, payload: Any, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    return respond(
        status, json.dumps(payload, separators=(",", ":"), ensure_ascii=False), "application/json; charset=utf-8", extra
    )


def text_response(status: int, text: str, extra: Mapping[str, str] | None = None) -> dict[str, Any]:
    return respond(status, text, "text/plain; charset=utf-8", extra)


def error_response(
    status: int, code: str, message: str, extra: Mapping[str, str] | None = None, *, field: str | None = None
) -> dict[str, Any]:
    """``field`` names the request field a validation error is about, for a client to mark."""
    error = {"code": code, "message": message} | ({"field": field} if field else {})
    return json_response(status, {"error": error}, extra)
