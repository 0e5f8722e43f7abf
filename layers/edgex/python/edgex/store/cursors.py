"""Opaque cursors over DynamoDB's LastEvaluatedKey (cursor, not offset).

A cursor is the base64url of the key in DynamoDB's JSON form. Each list declares
the shape of its key (:class:`Shape`: attribute names, types, a pattern per
attribute, and the values fixed by the query, such as the partition being read),
and decoding checks a cursor against it, so a forged cursor is 400 INVALID_CURSOR,
never a DynamoDB error. Callers outside the store only pass cursors through.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from edgex import limits
from edgex.errors import InvalidCursor, ValidationFailed

Page = tuple[list[dict[str, Any]], str | None]
_NUMBER = re.compile(r"^[0-9]{1,16}$")
_TEXT_MAX = 1024


class Shape(NamedTuple):
    """The key of one list: ``{attribute: (type, pattern)}`` with type "S" or "N"."""

    attributes: Mapping[str, tuple[str, re.Pattern[str]]] = {}  # a shared default: read-only

    def check(self, data: Any, fixed: dict[str, str]) -> bool:
        if not isinstance(data, dict) or set(data) != set(self.attributes):
            return False
        for name, (kind, pattern) in self.attributes.items():
            value = data[name]
            if not (isinstance(value, dict) and set(value) == {kind}):
                return False
            inner = value[kind]
            if not isinstance(inner, str) or len(inner) > _TEXT_MAX or not pattern.fullmatch(inner):
                return False
            if name in fixed and inner != fixed[name]:
                return False
        return True


def number(pattern: re.Pattern[str] = _NUMBER) -> tuple[str, re.Pattern[str]]:
    return ("N", pattern)


def text(pattern: str) -> tuple[str, re.Pattern[str]]:
    return ("S", re.compile(pattern))


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, shape: Shape, fixed: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The key a cursor stands for, checked against ``shape``; ``fixed`` holds the
    values the query itself sets (a cursor of another partition is refused)."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise InvalidCursor() from None
    if not shape.check(data, fixed or {}):
        raise InvalidCursor()
    return dict(data)


def page_size(raw: str | None) -> int:
    if raw is None:
        return limits.PAGE_DEFAULT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= limits.PAGE_MAX:
        raise ValidationFailed(f"limit must be an integer from 1 to {limits.PAGE_MAX}", field="limit")
    return int(raw)
