"""Geo headers are validated field by field: a bad value is dropped, the rest kept."""

from __future__ import annotations

from typing import Any

import pytest

from edgex import geo

GOOD = {
    "country": "DE",
    "city": "Frankfurt am Main",
    "region": "HE",
    "latitude": "50.11660",
    "longitude": "8.68330",
    "time_zone": "Europe/Berlin",
}


def test_a_good_location_is_kept_with_coordinates_as_numbers() -> None:
    assert geo.clean(GOOD) == {**GOOD, "latitude": 50.1166, "longitude": 8.6833}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("latitude", "170"),
        ("latitude", "-90.5"),
        ("latitude", "nan"),
        ("latitude", "inf"),
        ("latitude", "1e400"),
        ("latitude", "north"),
        ("longitude", "180.01"),
        ("longitude", "-181"),
        ("country", "DEU"),
        ("country", "D1"),
        ("country", "Ü"),
        ("country", "<b"),
        ("city", "Frank\x00furt"),
        ("city", "Frank\nfurt"),
        ("city", "Frank\x1bfurt"),
        ("city", "Frank\u202efurt"),
        ("city", "Frank\u200bfurt"),
        ("city", "<img src=x onerror=alert(1)>"),
        ("city", 'Paris"'),
        ("city", "O'Hare"),
        ("city", "back`tick"),
        ("city", "x" * 101),
        ("region", "R\x7f"),
        ("time_zone", "Europe/" + "x" * 60),
        ("time_zone", "Europe/\r\nBerlin"),
    ],
)
def test_a_bad_value_is_dropped_alone(field: str, value: Any) -> None:
    # Given a location with one bad field
    raw = {**GOOD, field: value}
    # When it is cleaned
    cleaned = geo.clean(raw)
    # Then that field is gone and every other field is kept
    assert field not in cleaned
    assert {k for k in cleaned if k != field} == set(GOOD) - {field}


def test_limits_are_inclusive_and_text_is_trimmed() -> None:
    cleaned = geo.clean({"latitude": "-90", "longitude": "180", "country": "de", "city": " " + "é" * 100 + " "})
    assert cleaned == {"latitude": -90.0, "longitude": 180.0, "country": "DE", "city": "é" * 100}
