"""The audit trail: one record per admin mutation (who, what, when, ids, outcome)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from edgex import clock
from edgex.store import cursors, tables
from edgex.store.base import storage_errors
from edgex.store.tables import AuditModel


@dataclass(frozen=True)
class Actor:
    """Who is calling: from the verified admin JWT."""

    username: str
    role: str
    email: str | None = None
    groups: tuple[str, ...] = ()


def stream_of(stamp: str) -> str:
    return f"audit#{stamp[:7]}"


def record(actor: Actor, action: str, outcome: str, ids: dict[str, Any], details: dict[str, Any] | None = None) -> None:
    now = clock.now_iso()
    with storage_errors():
        AuditModel(
            stream_of(now),
            f"{now}#{os.urandom(6).hex()}",
            actor=actor.username,
            actor_role=actor.role,
            action=action,
            outcome=outcome,
            ids={k: str(v) for k, v in ids.items() if v is not None},
            details=details,
            timestamp=now,
        ).save()


def view(item: AuditModel) -> dict[str, Any]:
    return {
        "id": item.seq,
        "timestamp": item.timestamp,
        "actor": item.actor,
        "role": item.actor_role,
        "action": item.action,
        "outcome": item.outcome,
        "ids": tables.plain(item.ids),
        "details": item.details or {},
    }


_CURSOR = cursors.Shape(
    {"stream": cursors.text(r"audit#[0-9]{4}-(0[1-9]|1[0-2])"), "seq": cursors.text(r"[0-9T:.Z-]{24}#[0-9a-f]{12}")}
)


def list_page(limit: int, cursor_text: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first across monthly streams: the cursor names the stream it stopped in;
    an exhausted month continues with the month before, back to the first record."""
    items, last = _list_page(limit, cursors.decode(cursor_text, _CURSOR))
    return items, cursors.encode(last)


def _list_page(limit: int, cursor: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    stream = cursor["stream"]["S"] if cursor else stream_of(clock.now_iso())
    items: list[dict[str, Any]] = []
    last: Any = cursor
    with storage_errors():
        for _ in range(24):  # at most two years of empty months per page
            page = AuditModel.query(
                stream,
                scan_index_forward=False,
                limit=limit - len(items),
                last_evaluated_key=last if last and last["stream"]["S"] == stream else None,
            )
            items += [view(i) for i in page]
            if page.last_evaluated_key:
                return items, page.last_evaluated_key
            if len(items) >= limit:
                return items, {"stream": {"S": stream}, "seq": {"S": items[-1]["id"]}}
            stream = _previous(stream)
            last = None
    return items, None


def _previous(stream: str) -> str:
    year, month = int(stream[6:10]), int(stream[11:13])
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"audit#{year:04d}-{month:02d}"
