"""API Gateway HTTP API payload-2.0 events as a small typed request."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from edgex import limits
from edgex.errors import PayloadTooLarge, ValidationFailed

GEO_HEADERS = {
    "cloudfront-viewer-country": "country",
    "cloudfront-viewer-city": "city",
    "cloudfront-viewer-country-region": "region",
    "cloudfront-viewer-latitude": "latitude",
    "cloudfront-viewer-longitude": "longitude",
    "cloudfront-viewer-time-zone": "time_zone",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    path_params: dict[str, str]
    body: bytes
    request_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

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
            raise ValidationFailed("Content-Type must be application/json", code="UNSUPPORTED_MEDIA_TYPE")
        try:
            data = json.loads(self.body.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
        except (UnicodeDecodeError, ValueError, RecursionError):
            # ValueError: JSONDecodeError, and integers past Python's digit limit (a JSON bomb)
            raise ValidationFailed("body is not valid JSON", code="INVALID_JSON") from None
        if _holds_lone_surrogate(data):
            raise ValidationFailed(
                "body is not valid JSON: a string holds a lone UTF-16 surrogate", code="INVALID_JSON"
            )
        return data

    def int_param(self, name: str) -> int:
        """A positive integer path id; anything else (NaN, 0, -1, 1.5, huge) is 400."""
        raw = self.path_params.get(name, "")
        if not raw.isascii() or not raw.isdigit() or len(raw) > 16 or int(raw) < 1 or int(raw) > limits.ID_MAX:
            raise ValidationFailed(f"{name} must be a positive integer", code="INVALID_ID")
        return int(raw)

    def hex_param(self, name: str) -> str:
        raw = self.path_params.get(name, "")
        if len(raw) != 16 or any(c not in "0123456789abcdef" for c in raw):
            raise ValidationFailed(f"{name} must be a target id", code="INVALID_ID")
        return raw

    def enum_query(self, name: str, choices: type[StrEnum]) -> str | None:
        """An optional query parameter that must be one of ``choices``' values."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        if raw not in {c.value for c in choices}:
            allowed = ", ".join(c.value for c in choices)
            raise ValidationFailed(f"{name} must be one of: {allowed}", field=name)
        return raw

    def text_query(self, name: str, max_len: int = limits.STEP_MAX) -> str | None:
        """An optional free-text query parameter (no control characters, bounded)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        if len(raw) > max_len or not re.fullmatch(r"[^\x00-\x1f\x7f]*", raw):
            raise ValidationFailed(f"{name} must be at most {max_len} printable characters", field=name)
        return raw

    def geo(self) -> dict[str, str]:
        return {field_: self.headers[h] for h, field_ in GEO_HEADERS.items() if h in self.headers}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _holds_lone_surrogate(data: Any) -> bool:
    """True when a string (key or value) holds a lone surrogate: ``"\\ud800"`` is a valid
    JSON escape but no Unicode text, so it could be neither hashed nor stored. Iterative:
    the nesting depth is whatever the parser accepted."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
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
            raise ValidationFailed(f"duplicate key {key!r}", code="INVALID_JSON")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValidationFailed(f"{name} is not valid JSON", code="INVALID_JSON")
