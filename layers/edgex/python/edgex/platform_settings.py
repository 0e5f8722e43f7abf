"""Platform settings (re-run limits, log retention, AI model, map tiles) and the
stored wrapper templates with their change log, all in the ``config`` table.

Settings have documented defaults: an untouched platform works out of the box.
Stored values are merged over the defaults, so a new setting needs no migration.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from edgex import clock, config, limits, resources
from edgex.store import config as store
from edgex.store.admin_tables import ConfigModel
from edgex.store.cursors import Page
from edgex.vocabulary import DEFAULT_AI_MODEL_ID, ScriptType

# Region hubs for the map: CloudFront gives no edge id to the origin, so the hub is
# the API's own AWS Region.
REGION_COORDS: dict[str, tuple[float, float]] = {
    "us-east-1": (38.9, -77.4),
    "us-east-2": (40.0, -83.0),
    "us-west-1": (37.4, -121.9),
    "us-west-2": (45.8, -119.7),
    "ca-central-1": (45.5, -73.6),
    "sa-east-1": (-23.5, -46.6),
    "eu-west-1": (53.3, -6.3),
    "eu-west-2": (51.5, -0.1),
    "eu-west-3": (48.9, 2.4),
    "eu-central-1": (50.1, 8.7),
    "eu-central-2": (47.4, 8.5),
    "eu-north-1": (59.3, 18.1),
    "eu-south-1": (45.5, 9.2),
    "ap-northeast-1": (35.7, 139.7),
    "ap-northeast-2": (37.6, 127.0),
    "ap-southeast-1": (1.3, 103.8),
    "ap-southeast-2": (-33.9, 151.2),
    "ap-south-1": (19.1, 72.9),
    "me-central-1": (25.2, 55.3),
    "af-south-1": (-33.9, 18.4),
}


def defaults() -> dict[str, Any]:
    region = config.region()
    lat, lon = REGION_COORDS.get(region, (0.0, 0.0))
    return {
        "max_runs": dict.fromkeys(ScriptType, 3),
        "log_retention_days": 30,
        "run_log_entries": limits.RUN_LOG_ENTRIES_DEFAULT,
        "run_log_bytes": limits.RUN_LOG_BYTES_DEFAULT,
        "report_grace_minutes": limits.REPORT_GRACE_MINUTES_DEFAULT,
        "run_output_bytes": limits.RUN_OUTPUT_BYTES_DEFAULT,
        "timeout_max_seconds": limits.TIMEOUT_MAX_SECONDS_DEFAULT,
        "lost_after_seconds": limits.LOST_AFTER_SECONDS_DEFAULT,
        "ai_model_id": os.environ.get(resources.ENV_AI_MODEL_ID) or DEFAULT_AI_MODEL_ID,
        "map_tiles": {
            "url": "https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}{r}.png",
            "attribution": "© OpenStreetMap contributors © CARTO",
        },
        "hub": {"region": region, "latitude": lat, "longitude": lon},
    }


def merged(stored: dict[str, Any] | None) -> dict[str, Any]:
    result = defaults()
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = {**result[key], **value}
        else:
            result[key] = value
    return result


def get() -> dict[str, Any]:
    return merged(store.settings())


def update(changes: dict[str, Any], actor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply validated ``changes``; returns (before, after)."""
    before = get()
    stored = {k: v for k, v in before.items() if k != "hub"}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(stored.get(key), dict):
            stored[key] = {**stored[key], **value}
        else:
            stored[key] = value
    store.save_settings(stored, actor, clock.now_iso())
    return before, merged(stored)


def max_runs(settings: dict[str, Any], script_type: str) -> int:
    return int(settings["max_runs"][script_type])


# --- wrapper templates -------------------------------------------------------------


def wrapper_view(script_type: str, item: ConfigModel | None) -> dict[str, Any]:
    from edgex import wrappers
    from edgex.vocabulary import BOOTSTRAPPER_FOR

    path_type = BOOTSTRAPPER_FOR[ScriptType(script_type)].value
    if item is None or item.value is None:
        return {
            "type": path_type,
            "content": wrappers.default_wrapper(script_type),
            "is_default": True,
            "updated_at": None,
            "updated_by": None,
        }
    return {
        "type": path_type,
        "content": item.value["content"],
        "is_default": False,
        "updated_at": item.updated_at,
        "updated_by": item.updated_by,
    }


def wrapper(script_type: str) -> dict[str, Any]:
    return wrapper_view(script_type, store.wrapper(script_type))


def settings_and_wrapper(script_type: str) -> tuple[dict[str, Any], str]:
    """Both in one BatchGetItem: what a new deployment pins."""
    stored, item = store.settings_and_wrapper(script_type)
    return merged(stored), wrapper_view(script_type, item)["content"]


def set_wrapper(script_type: str, content: str | None, actor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Replace (content) or reset (None) a wrapper and log the change; returns (before, after)."""
    from edgex import wrappers

    if content is not None:
        wrappers.validate_template(script_type, content)
    before = wrapper(script_type)
    now = clock.now_iso()
    store.set_wrapper(script_type, content, actor, now)
    after = wrapper(script_type)
    store.log_wrapper_change(
        script_type,
        {
            "action": "reset" if content is None else "update",
            "size_before": len(before["content"]),
            "size_after": len(after["content"]),
        },
        actor,
        now,
    )
    return before, after


def wrapper_log(script_type: str, limit: int, cursor: str | None) -> Page:
    items, next_cursor = store.wrapper_log_page(script_type, limit, cursor)
    return [
        {"timestamp": i.updated_at, "actor": i.updated_by, **copy.deepcopy(i.value or {})} for i in items
    ], next_cursor
