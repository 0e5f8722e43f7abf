"""Responses in payload-2.0 shape, every one with the seed's security headers."""

from __future__ import annotations

import base64
import json
import zlib
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


# Below this CloudFront does not compress either: the gzip header and a base64 body
# would outweigh what is saved.
COMPRESS_MIN_BYTES = 1000
_GZIP = 31  # zlib's wbits for the gzip container


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether the client said it decodes gzip (``gzip``, else ``*``, with a weight
    above 0): a client that did not ask gets the body as it is."""
    weights: dict[str, float] = {}
    for offer in (accept_encoding or "").lower().split(","):
        coding, _, parameter = offer.partition(";")
        name, _, value = parameter.partition("=")
        try:
            weights[coding.strip()] = float(value) if name.strip() == "q" else 1.0
        except ValueError:
            weights[coding.strip()] = 0.0
    return weights.get("gzip", weights.get("*", 0.0)) > 0


def negotiated(answer: dict[str, Any], accept_encoding: str | None) -> dict[str, Any]:
    """The answer gzip-encoded when the client asked for it and the body is worth it.

    CloudFront passes an answer the origin encoded through as it is, and bills its data
    out by the bytes sent: the payload (wrapper and script) leaves at about a quarter of
    its size. The body's bytes are unchanged once decoded, so a payload's SHA-256 still
    holds on the machine."""
    if not accepts_gzip(accept_encoding):
        return answer  # most agent requests (curl's POSTs) do not ask: their body is not touched
    body = answer.get("body") or ""
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    if len(data) < COMPRESS_MIN_BYTES:
        return answer
    headers = {**answer["headers"], "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    encoded = base64.b64encode(zlib.compress(data, 6, _GZIP)).decode("ascii")
    return {**answer, "headers": headers, "body": encoded, "isBase64Encoded": True}
