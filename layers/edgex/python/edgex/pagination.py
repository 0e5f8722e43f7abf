"""Opaque cursors over DynamoDB's LastEvaluatedKey (cursor, not offset).

A cursor is the base64url of the key in DynamoDB's JSON form. Decoding checks its
shape against the key attributes of the list it belongs to, so a forged cursor is a
400 INVALID_CURSOR, never a DynamoDB error.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from edgex import limits
from edgex.errors import ValidationFailed

_TYPES = {"S", "N"}


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, key_names: frozenset[str]) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise ValidationFailed("cursor is not valid", code="INVALID_CURSOR") from None
    if not isinstance(data, dict) or set(data) != key_names:
        raise ValidationFailed("cursor is not valid", code="INVALID_CURSOR")
    for value in data.values():
        if not (isinstance(value, dict) and len(value) == 1):
            raise ValidationFailed("cursor is not valid", code="INVALID_CURSOR")
        ((kind, inner),) = value.items()
        if kind not in _TYPES or not isinstance(inner, str) or len(inner) > 1024:
            raise ValidationFailed("cursor is not valid", code="INVALID_CURSOR")
    return data


def page_size(raw: str | None) -> int:
    if raw is None:
        return limits.PAGE_DEFAULT
    if not raw.isdigit() or not 1 <= int(raw) <= limits.PAGE_MAX:
        raise ValidationFailed(f"limit must be an integer from 1 to {limits.PAGE_MAX}")
    return int(raw)
