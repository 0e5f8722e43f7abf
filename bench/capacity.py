"""DynamoDB item sizes and capacity units, from the published sizing rules.

moto does not meter capacity, so the bench computes what DynamoDB would charge
from the items themselves: the cost and the hot-partition figures rest on these
few rules, kept pure so a unit test can pin them.

Rules (DynamoDB developer guide, "Item sizes and formats" and "Read/write
capacity mode"):
- size = sum over attributes of UTF-8 name length + value size; strings and
  binaries by length, numbers ~ (significant digits / 2) + 1, booleans and null 1,
  lists and maps 3 bytes + 1 per element + the elements, sets the elements;
- a read unit covers 4 KB (strongly consistent; eventually consistent is half),
  a write unit 1 KB; transactional reads and writes cost twice; every request
  costs at least one unit; an update is charged on the larger of the item before
  and after;
- a write that changes an item projected into a global secondary index also
  writes the index (one standard write per KB of the index entry).
"""

from __future__ import annotations

import math
from typing import Any

READ_UNIT_BYTES = 4096
WRITE_UNIT_BYTES = 1024


def number_size(text: str) -> int:
    """Bytes DynamoDB stores for a number given in its decimal text form."""
    mantissa = text.strip().lstrip("+-").lower().split("e")[0]
    digits = mantissa.replace(".", "").strip("0")
    return math.ceil(max(len(digits), 1) / 2) + 1


def value_size(value: dict[str, Any]) -> int:
    """Size of one typed value in DynamoDB JSON (``{"S": "x"}``, ``{"M": {...}}`` ...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        return number_size(str(data))
    if kind == "B":
        return len(data) if isinstance(data, bytes | bytearray) else len(str(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode("utf-8")) for v in data)
    if kind == "NS":
        return sum(number_size(str(v)) for v in data)
    if kind == "BS":
        return sum(len(v) for v in data)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def item_size(item: dict[str, dict[str, Any]] | None) -> int:
    """Size of an item in DynamoDB JSON; 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(value) for name, value in item.items())


def read_units(size: int, consistent: bool = True, transactional: bool = False) -> float:
    """Read request units for one item of ``size`` bytes (at least one unit's worth)."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(size: int, transactional: bool = False) -> int:
    """Write request units for writing an item of ``size`` bytes (at least one)."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units
