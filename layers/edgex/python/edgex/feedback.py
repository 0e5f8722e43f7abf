"""Feedback: log entries and the status they imply, written in one transaction.

Status rules (the seed's state diagram): from ``running`` only, an ``error`` entry
makes the target ``failed``; a ``success`` entry with step ``complete`` makes it
``completed``. A batch of entries costs one write, whatever its size.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import Any

from edgex import agents, clock, counters, schemas
from edgex.errors import Conflict
from edgex.models import DeploymentModel, LogModel, TargetModel
from edgex.storage import ConditionFailed, transact

LAST_SEEN_RESOLUTION = timedelta(seconds=30)
_EXIT_CODE = re.compile(r"exit code (-?\d{1,5})", re.IGNORECASE)


def entries_of(body: Any) -> list[dict[str, Any]]:
    data = schemas.validate("FeedbackRequest", body)
    return list(data["entries"]) if "entries" in data else [data]


def next_status(current: str, entries: list[dict[str, Any]]) -> tuple[str, int | None]:
    """Status after the entries, and the exit code a final error entry reports."""
    status, exit_code = current, None
    for entry in entries:
        if status != "running":
            break
        if entry["status"] == "error":
            status = "failed"
            found = _EXIT_CODE.search(entry["message"])
            exit_code = int(found.group(1)) if found else None
        elif entry["status"] == "success" and entry.get("step") == "complete":
            status, exit_code = "completed", 0
    return status, exit_code


def record(session: agents.AgentSession, body: Any) -> dict[str, Any]:
    entries = entries_of(body)
    target, dep = session.target, session.deployment
    for _ in range(5):
        status, exit_code = next_status(target.status, entries)
        try:
            transact(lambda tx, t=target, d=dep, s=status, c=exit_code: _writes(tx, t, d, entries, s, c))
        except ConditionFailed:
            target, dep = agents.refresh(target, dep)  # the status moved meanwhile: decide again
            continue
        return {"accepted": len(entries), "target_status": status}
    raise Conflict("Machine state keeps changing; retry", code="TARGET_CHANGED")


def _writes(
    tx: Any,
    target: TargetModel,
    dep: DeploymentModel,
    entries: list[dict[str, Any]],
    status: str,
    exit_code: int | None,
) -> None:
    now = clock.now()
    stamp = clock.iso(now)
    expires = now + timedelta(days=int(dep.log_retention_days))
    batch = os.urandom(3).hex()
    for n, entry in enumerate(entries):
        tx.save(
            LogModel(
                f"{dep.deployment_id}#{target.target_id}",
                f"{stamp}#{int(target.run_count):04d}#{batch}#{n:03d}",
                deployment_id=dep.deployment_id,
                target_id=target.target_id,
                hostname=target.hostname,
                status=entry["status"],
                message=entry["message"],
                step=entry.get("step") or None,
                timestamp=stamp,
                ttl=expires,
            )
        )
    if status == target.status and not _stale(target.last_seen_at, now):
        return  # logs only: the target's partition is spared a write per report
    actions = [TargetModel.last_seen_at.set(stamp)]
    if status != target.status:
        actions += [TargetModel.status.set(status), TargetModel.completed_at.set(stamp)]
        if exit_code is not None:
            actions.append(TargetModel.exit_code.set(exit_code))
    tx.update(target, actions=actions, condition=TargetModel.status == target.status)
    if status != target.status:
        shard = counters.shard_of(int(dep.deployment_id), target.target_id)
        tx.update(shard, actions=counters.moves(shard, {"running": -1, status: 1}))


def _stale(last_seen: str | None, now: datetime) -> bool:
    """Whether ``last_seen_at`` is worth refreshing: every report of every machine of a
    deployment lands in one partition (the deployment's), so a report that changes no
    status refreshes it at most every LAST_SEEN_RESOLUTION."""
    return last_seen is None or last_seen < clock.iso(now - LAST_SEEN_RESOLUTION)


def log_view(item: LogModel) -> dict[str, Any]:
    return {
        "id": item.seq,
        "target_id": item.target_id,
        "hostname": item.hostname,
        "status": item.status,
        "message": item.message,
        "step": item.step,
        "timestamp": item.timestamp,
    }


def deployment_feed(deployment_id: int, limit: int, cursor: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    """A deployment's recent log entries, newest first (GSI by_deployment)."""
    from edgex.storage import storage_errors

    with storage_errors():
        page = LogModel.by_deployment.query(
            deployment_id, scan_index_forward=False, limit=limit, last_evaluated_key=cursor
        )
        items = [log_view(i) for i in page]
    return items, page.last_evaluated_key


def target_logs(
    deployment_id: int, target_id: str, limit: int, cursor: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], Any]:
    """One target's log entries, oldest first (the order a run happened in)."""
    from edgex.storage import storage_errors

    with storage_errors():
        page = LogModel.query(f"{deployment_id}#{target_id}", limit=limit, last_evaluated_key=cursor)
        items = [log_view(i) for i in page]
    return items, page.last_evaluated_key
