"""A machine's location, from CloudFront's viewer headers: validated field by field.

The headers come from CloudFront in production, but in local mode (and behind any
other front) the client sets them, and they end up on the dashboard's map and
tables. So each value is checked for what it can be, and a bad one is dropped on
its own (the rest of the location stays): coordinates in range and finite, the
country two letters, the names printable text of bounded length with no control,
format or markup characters.
"""

from __future__ import annotations

import math
from typing import Any

FIELDS = ("country", "city", "region", "latitude", "longitude", "time_zone")
RANGES = {"latitude": 90.0, "longitude": 180.0}
TEXT_MAX = {"city": 100, "region": 100, "time_zone": 64}
MARKUP = frozenset("<>\"'`")


def clean(raw: dict[str, Any]) -> dict[str, Any]:
    """The valid fields of ``raw``: coordinates as floats, the rest as text."""
    result: dict[str, Any] = {}
    for key in FIELDS:
        value = raw.get(key)
        if value is None or value == "":
            continue
        cleaned = (
            _coordinate(key, value) if key in RANGES else _country(value) if key == "country" else _text(key, value)
        )
        if cleaned is not None:
            result[key] = cleaned
    return result


def _coordinate(key: str, value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and -RANGES[key] <= number <= RANGES[key] else None


def _country(value: Any) -> str | None:
    text = str(value).strip()
    return text.upper() if len(text) == 2 and text.isascii() and text.isalpha() else None


def _text(key: str, value: Any) -> str | None:
    """Printable text (``str.isprintable`` refuses control, format and separator
    characters other than the space), at most TEXT_MAX characters, no markup."""
    text = str(value).strip()
    if not text or len(text) > TEXT_MAX[key] or not text.isprintable() or MARKUP & set(text):
        return None
    return text
