"""API Gateway HTTP API payload-2.0 events as a small typed request."""

from __future__ import annotations

import base64
import binascii
import codecs
import hmac
import json
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from edgex import limits, resources
from edgex.errors import InvalidJson, PayloadTooLarge, UnsupportedMediaType, ValidationFailed

_CUT_SEQUENCE = "edgex-cut-utf8-sequence"


def _replace_cut_sequence(error: UnicodeError) -> tuple[str, int]:
    """A UTF-8 sequence cut short (a client truncating a message by bytes) becomes
    U+FFFD, so the entry is kept; bytes that start no sequence at all stay an error."""
    if isinstance(error, UnicodeDecodeError) and error.reason != "invalid start byte":
        return "\ufffd", error.end
    raise error


codecs.register_error(_CUT_SEQUENCE, _replace_cut_sequence)


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("utf-8", _CUT_SEQUENCE)


GEO_HEADERS = {
    "cloudfront-viewer-country": "country",
    "cloudfront-viewer-city": "city",
    "cloudfront-viewer-country-region": "region",
    "cloudfront-viewer-latitude": "latitude",
    "cloudfront-viewer-longitude": "longitude",
    "cloudfront-viewer-time-zone": "time_zone",
}


class Request(NamedTuple):
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    path_params: dict[str, str]
    body: bytes
    request_id: str = ""
    params: Mapping[str, Any] = {}  # typed path and query parameters (a shared default: read-only)
    data: Any = None  # the body, validated against the route's request schema

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Request:
        http = event.get("requestContext", {}).get("http", {})
        raw = event.get("body") or ""
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationFailed("body is not valid base64") from None
        else:
            body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
        return cls(
            method=str(http.get("method", "GET")).upper(),
            path=str(event.get("rawPath") or http.get("path") or "/"),
            headers={str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()},
            query={str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items()},
            path_params={str(k): str(v) for k, v in (event.get("pathParameters") or {}).items()},
            body=body,
            request_id=str(event.get("requestContext", {}).get("requestId", "")),
        )

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def json(self) -> Any:
        """The body as JSON: 413 past the limit, 400 unless it is JSON, with a JSON content type."""
        if len(self.body) > limits.BODY_MAX_BYTES:
            raise PayloadTooLarge()
        ctype = self.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise UnsupportedMediaType()
        try:
            data = json.loads(_decode_utf8(self.body), object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        except (UnicodeDecodeError, ValueError, RecursionError):
            # ValueError: JSONDecodeError, and integers past Python's digit limit (a JSON bomb)
            raise InvalidJson() from None
        if _holds_lone_surrogate(data):
            raise InvalidJson("body is not valid JSON: a string holds a lone UTF-16 surrogate")
        return data

    def cursor(self) -> str | None:
        """The opaque ``cursor`` of a route answered in pages or parts (the store checks it)."""
        return self.query.get("cursor")

    def page(self) -> tuple[int, str | None]:
        """``limit`` and the ``cursor`` of a list route."""
        from edgex.store.cursors import page_size

        return page_size(self.query.get("limit")), self.cursor()

    def geo(self) -> dict[str, str]:
        """CloudFront's viewer location headers, when the request came through this
        installation's CloudFront (its origin secret header matches); anything else may
        have set them itself, so they are dropped. With no secret configured (local
        mode, no CloudFront) they are taken as sent, and edgex.geo checks each value."""
        secret = os.environ.get(resources.ENV_ORIGIN_SECRET)
        sent = self.headers.get(resources.ORIGIN_HEADER.lower(), "")
        if secret and not hmac.compare_digest(sent.encode(), secret.encode()):
            return {}
        return {field_: self.headers[h] for h, field_ in GEO_HEADERS.items() if h in self.headers}


def _holds_lone_surrogate(data: Any) -> bool:
    """True when a string (key or value) holds a lone surrogate: ``"\\ud800"`` is a valid
    JSON escape but no Unicode text, so it could be neither hashed nor stored. Iterative:
    the nesting depth is whatever the parser accepted."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")  # fails on a lone surrogate, and only on one
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidJson(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise InvalidJson(f"{name} is not valid JSON")
