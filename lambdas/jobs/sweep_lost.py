"""The lost sweep, on an EventBridge schedule (infra/sweep.py): running targets silent
past their deployment's ``lost_after_seconds`` become ``lost`` (edgex.sweep)."""

from __future__ import annotations

from typing import Any

from edgex import sweep
from edgex.store import tables

TABLES = ("targets", "deployments", "counters")


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    tables.bind(*TABLES)
    return sweep.sweep()
