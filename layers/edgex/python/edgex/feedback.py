"""Feedback: log entries and the status they imply, written in one transaction.

Status rules: the wrapper's final report (an entry with step ``complete``) decides a
run's outcome, from ``running`` only: its ``outcome`` field when present, else
``success`` -> completed and ``error`` -> failed; it carries the exit code (its
``exit_code`` field, else "exit code N" in its message). Any other ``error`` entry is
only a log line: a script may report a non-fatal error and still succeed. The seed's
"the first error fails the machine" stays available per deployment (``fail_on_error``).
A batch of entries costs one write, whatever its size.
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
from edgex.vocabulary import LogLevel, TargetStatus

LAST_SEEN_RESOLUTION = timedelta(seconds=30)
_EXIT_CODE = re.compile(r"exit code (-?\d{1,10})", re.IGNORECASE)
FINAL_STEP = "complete"


def entries_of(body: Any) -> list[dict[str, Any]]:
    data = schemas.validate("FeedbackRequest", body)
    return list(data["entries"]) if "entries" in data else [data]


def next_status(current: str, entries: list[dict[str, Any]], fail_on_error: bool = False) -> tuple[str, int | None]:
    """Status after the entries, and the exit code the deciding entry reports."""
    status, exit_code = current, None
    for entry in entries:
        if status != TargetStatus.RUNNING:
            break
        decided = _final_outcome(entry) or (_FAILED if fail_on_error and entry["status"] == LogLevel.ERROR else None)
        if decided:
            status, exit_code = decided, _exit_code_of(entry, decided)
    return status, exit_code


_FAILED = TargetStatus.FAILED
_FINAL_BY_LEVEL = {LogLevel.SUCCESS: TargetStatus.COMPLETED, LogLevel.ERROR: TargetStatus.FAILED}


def _final_outcome(entry: dict[str, Any]) -> str | None:
    """The outcome a final report (step "complete") decides; None for any other entry."""
    if entry.get("step") != FINAL_STEP:
        return None
    return entry.get("outcome") or _FINAL_BY_LEVEL.get(entry["status"])


def _exit_code_of(entry: dict[str, Any], outcome: str) -> int | None:
    if entry.get("exit_code") is not None:
        return int(entry["exit_code"])
    found = _EXIT_CODE.search(entry["message"])
    if found:
        return int(found.group(1))
    return 0 if outcome == TargetStatus.COMPLETED else None


def record(session: agents.AgentSession, body: Any) -> dict[str, Any]:
    entries = entries_of(body)
    target, dep = session.target, session.deployment
    for _ in range(5):
        status, exit_code = next_status(target.status, entries, bool(dep.fail_on_error))
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


def admin_entry(dep: DeploymentModel, target: TargetModel, message: str, *, step: str) -> LogModel:
    """A log entry written by an administrator's action (a cancel), in the target's current run."""
    now = clock.now()
    return LogModel(
        f"{dep.deployment_id}#{target.target_id}",
        f"{clock.iso(now)}#{int(target.run_count):04d}#{os.urandom(3).hex()}#000",
        deployment_id=dep.deployment_id,
        target_id=target.target_id,
        hostname=target.hostname,
        status=LogLevel.WARNING,
        message=message,
        step=step,
        timestamp=clock.iso(now),
        ttl=now + timedelta(days=int(dep.log_retention_days)),
    )


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
        "run": run_of(item.seq),
    }


def run_of(seq: str) -> int:
    """The run number in a log sort key ``<iso time>#<run:04d>#<batch>#<n>``."""
    parts = seq.split("#")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def _log_filter(level: str | None, step: str | None) -> Any:
    """DynamoDB filter for the ``level``/``step`` query parameters (applied after the
    key condition and the limit: a page may hold fewer items, the cursor goes on)."""
    condition = None
    if level:
        condition = LogModel.status == level
    if step:
        by_step = LogModel.step == step
        condition = by_step if condition is None else condition & by_step
    return condition


def deployment_feed(
    deployment_id: int,
    limit: int,
    cursor: dict[str, Any] | None,
    level: str | None = None,
    step: str | None = None,
) -> tuple[list[dict[str, Any]], Any]:
    """A deployment's log entries, newest first (GSI by_deployment), like a machine's log."""
    from edgex.storage import storage_errors

    with storage_errors():
        page = LogModel.by_deployment.query(
            deployment_id,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=cursor,
            filter_condition=_log_filter(level, step),
        )
        items = [log_view(i) for i in page]
    return items, page.last_evaluated_key


def target_logs(
    deployment_id: int,
    target_id: str,
    limit: int,
    cursor: dict[str, Any] | None,
    level: str | None = None,
    step: str | None = None,
) -> tuple[list[dict[str, Any]], Any]:
    """One target's log entries, newest first: the same order as the deployment's feed,
    so a live view reads both the same way and the first page is what just happened."""
    from edgex.storage import storage_errors

    with storage_errors():
        page = LogModel.query(
            f"{deployment_id}#{target_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=cursor,
            filter_condition=_log_filter(level, step),
        )
        items = [log_view(i) for i in page]
    return items, page.last_evaluated_key
