"""Feedback: log entries and the status they imply, written in one transaction.

Status rules (the seed's state diagram): from ``running`` only, an ``error`` entry
makes the target ``failed``; a ``success`` entry with step ``complete`` makes it
``completed``. A batch of entries costs one write, whatever its size.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from edgex import agents, clock
from edgex.errors import TargetChanged
from edgex.store import keys
from edgex.store import targets as store
from edgex.store.base import optimistic
from edgex.store.cursors import Page
from edgex.store.tables import LogModel
from edgex.vocabulary import LogLevel, TargetStatus

LAST_SEEN_RESOLUTION = timedelta(seconds=30)
REPORT_ATTEMPTS = 5
_EXIT_CODE = re.compile(r"exit code (-?\d{1,5})", re.IGNORECASE)


def entries_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a validated FeedbackRequest: one entry (the seed's body) or a batch."""
    return list(data["entries"]) if "entries" in data else [data]


def next_status(current: str, entries: list[dict[str, Any]]) -> tuple[str, int | None]:
    """Status after the entries, and the exit code a final error entry reports."""
    status, exit_code = current, None
    for entry in entries:
        if status != TargetStatus.RUNNING:
            break
        if entry["status"] == LogLevel.ERROR:
            status = TargetStatus.FAILED.value
            found = _EXIT_CODE.search(entry["message"])
            exit_code = int(found.group(1)) if found else None
        elif entry["status"] == LogLevel.SUCCESS and entry.get("step") == "complete":
            status, exit_code = TargetStatus.COMPLETED.value, 0
    return status, exit_code


def record(session: agents.AgentSession, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` is a validated FeedbackRequest."""
    entries = entries_of(data)
    rows = [store.Entry(e["status"], e["message"], e.get("step")) for e in entries]
    target, dep = session.target, session.deployment

    def attempt() -> dict[str, Any] | None:
        nonlocal target, dep
        status, exit_code = next_status(target.status, entries)
        written = store.report(
            target,
            dep,
            rows,
            status=status,
            exit_code=exit_code,
            now=clock.now(),
            refresh_seen_after=LAST_SEEN_RESOLUTION,
        )
        if written:
            return {"accepted": len(entries), "target_status": status}
        target, dep = agents.refresh(target, dep)  # the status moved meanwhile: decide again
        return None

    return optimistic(attempt, REPORT_ATTEMPTS, TargetChanged)


def log_view(item: LogModel) -> dict[str, Any]:
    return {
        "id": item.seq,
        "target_id": item.target_id,
        "hostname": item.hostname,
        "status": item.status,
        "message": item.message,
        "step": item.step,
        "timestamp": item.timestamp,
        "run": keys.run_of_seq(item.seq),
    }


def deployment_feed(deployment_id: int, limit: int, cursor: str | None) -> Page:
    """A deployment's recent log entries, newest first."""
    items, next_cursor = store.feed_page(deployment_id, limit, cursor)
    return [log_view(i) for i in items], next_cursor


def target_logs(deployment_id: int, target_id: str, limit: int, cursor: str | None) -> Page:
    """One target's log entries, oldest first (the order a run happened in)."""
    items, next_cursor = store.log_page(deployment_id, target_id, limit, cursor)
    return [log_view(i) for i in items], next_cursor
