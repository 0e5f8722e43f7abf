"""The ``config`` table: platform settings, wrapper templates with their change log,
and the id counters."""

from __future__ import annotations

import os
from typing import Any

from edgex.errors import StorageUnavailable
from edgex.store import cursors, keys
from edgex.store.admin_tables import ConfigModel
from edgex.store.base import storage_errors

_WRAPPER_LOG_SHAPE = cursors.Shape(
    {"pk": cursors.text(r"wrapperlog#(bash|powershell)"), "sk": cursors.text(r"[0-9T:.Z-]{24}#[0-9a-f]{8}")}
)


def settings() -> dict[str, Any] | None:
    """The stored settings (merged over the defaults by the caller), or None."""
    with storage_errors():
        try:
            return dict(ConfigModel.get(*keys.SETTINGS, consistent_read=True).value or {})
        except ConfigModel.DoesNotExist:
            return None


def save_settings(stored: dict[str, Any], actor: str, now: str) -> None:
    with storage_errors():
        ConfigModel(*keys.SETTINGS, value=stored, updated_at=now, updated_by=actor).save()


def wrapper(script_type: str) -> ConfigModel | None:
    with storage_errors():
        try:
            return ConfigModel.get(*keys.wrapper_key(script_type), consistent_read=True)
        except ConfigModel.DoesNotExist:
            return None


def settings_and_wrapper(script_type: str) -> tuple[dict[str, Any] | None, ConfigModel | None]:
    """Both in one BatchGetItem: what a new deployment pins."""
    wrapper_key = keys.wrapper_key(script_type)
    with storage_errors():
        found = {(i.pk, i.sk): i for i in ConfigModel.batch_get([keys.SETTINGS, wrapper_key])}
    stored = found.get(keys.SETTINGS)
    return (dict(stored.value or {}) if stored is not None else None), found.get(wrapper_key)


def set_wrapper(script_type: str, content: str | None, actor: str, now: str) -> None:
    """Store a wrapper template, or delete it (back to the default) with None."""
    pk, sk = keys.wrapper_key(script_type)
    with storage_errors():
        if content is None:
            ConfigModel(pk, sk).delete()
        else:
            ConfigModel(pk, sk, value={"content": content}, updated_at=now, updated_by=actor).save()


def log_wrapper_change(script_type: str, change: dict[str, Any], actor: str, now: str) -> None:
    with storage_errors():
        ConfigModel(
            keys.wrapper_log_pk(script_type),
            f"{now}#{os.urandom(4).hex()}",
            value=change,
            updated_at=now,
            updated_by=actor,
        ).save()


def wrapper_log_page(script_type: str, limit: int, cursor: str | None) -> tuple[list[ConfigModel], str | None]:
    pk = keys.wrapper_log_pk(script_type)
    start = cursors.decode(cursor, _WRAPPER_LOG_SHAPE, {"pk": pk})
    with storage_errors():
        found = ConfigModel.query(pk, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = list(found)
    return items, cursors.encode(found.last_evaluated_key)


def next_id(kind: str) -> int:
    """A new integer id for ``kind`` (script, deployment): one atomic counter update."""
    with storage_errors():
        item = ConfigModel(keys.COUNTER_PK, kind)
        item.update(actions=[ConfigModel.counter.add(1)])
    if item.counter is None:
        raise StorageUnavailable()
    return int(item.counter)
