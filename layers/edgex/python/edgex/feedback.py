"""Feedback: a report's entries and the status they imply, written in one transaction.

Status rules: the wrapper's final report (an entry with step ``complete``) decides a
run's outcome, from ``running`` only: its ``outcome`` field when present, else
``success`` -> completed and ``error`` -> failed; it carries the exit code (its
``exit_code`` field, else "exit code N" in its message). Any other ``error`` entry is
only a log line: a script may report a non-fatal error and still succeed. The seed's
"the first error fails the machine" stays available per deployment (``fail_on_error``).

A report is stored once (the agent's request key fixes its place), only while its run
is on (and briefly after), and within the run's log quota.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from edgex import agents, clock, limits, liveness, log, output
from edgex.errors import LogQuotaExceeded, StaleRun, TargetChanged, TargetNotRunning
from edgex.store import keys
from edgex.store import targets as store
from edgex.store.base import optimistic
from edgex.store.tables import DeploymentModel, LogModel, TargetModel
from edgex.vocabulary import INTEGRITY_STEP, DeploymentStatus, LogLevel, TargetStatus

if TYPE_CHECKING:
    from edgex.store.cursors import Page  # a type only: agent handlers never load cursors

REPORT_ATTEMPTS = 5
FINAL_STEP = "complete"  # the step of the wrapper's final report
# Runs that ended with their own final report: late lines of theirs are still taken.
ENDED_BY_ITS_REPORT = frozenset({TargetStatus.COMPLETED, TargetStatus.FAILED, TargetStatus.TIMED_OUT})
TRUNCATED_STEP = "log-truncated"
_EXIT_CODE = re.compile(r"exit code (-?\d{1,10})", re.IGNORECASE)


def entries_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a validated FeedbackRequest: one entry (the seed's body) or a batch."""
    return list(data["entries"]) if "entries" in data else [data]


def next_status(current: str, entries: list[dict[str, Any]], fail_on_error: bool = False) -> tuple[str, int | None]:
    """Status after the entries, and the exit code the deciding entry reports."""
    status, exit_code = current, None
    for entry in entries:
        if status != TargetStatus.RUNNING:
            break
        failing = fail_on_error and entry["status"] == LogLevel.ERROR
        decided = _final_outcome(entry) or (TargetStatus.FAILED.value if failing else None)
        if decided:
            status, exit_code = decided, _exit_code_of(entry, decided)
    return status, exit_code


_FINAL_BY_LEVEL = {LogLevel.SUCCESS: TargetStatus.COMPLETED.value, LogLevel.ERROR: TargetStatus.FAILED.value}


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


def _request_key(request: str | None) -> str:
    """Where a report goes in its run's log: the agent's request key (its retries
    carry the same one; the wrapper makes it sort in time order), or for agents that
    send none a fresh key that sorts after every agent key (never seen as a retry)."""
    if request is not None:
        return request
    return f"~{clock.now_iso()}{os.urandom(3).hex()}".replace(":", "").replace("-", "")


def _accepts(target: TargetModel, run_id: str | None) -> None:
    """A target takes reports while its run is on, and for a short grace after its
    final report (the wrapper's last lines, a retried batch); nothing else."""
    if run_id is not None and target.run_id is not None and run_id != target.run_id:
        raise StaleRun()
    if target.status == TargetStatus.RUNNING:
        return
    if target.status in ENDED_BY_ITS_REPORT:
        if clock.seconds_since(target.completed_at) <= limits.FINAL_REPORT_GRACE_SECONDS:
            return
    raise TargetNotRunning()


def _quota(dep: DeploymentModel) -> tuple[int, int]:
    entries = dep.run_log_entries if dep.run_log_entries is not None else limits.RUN_LOG_ENTRIES_DEFAULT
    size = dep.run_log_bytes if dep.run_log_bytes is not None else limits.RUN_LOG_BYTES_DEFAULT
    return int(entries), int(size)


def _size(entries: list[dict[str, Any]]) -> int:
    return sum(len(e["message"].encode()) + len((e.get("step") or "").encode()) for e in entries)


def _report(target: TargetModel, dep: DeploymentModel, entries: list[dict[str, Any]], request: str) -> store.Report:
    """The report as stored; past the run's quota only what decides the run is kept,
    behind an entry that says how much was cut."""
    status, exit_code = next_status(target.status, entries, bool(dep.fail_on_error))
    max_entries, max_bytes = _quota(dep)
    size = _size(entries)
    if int(target.log_entries) + len(entries) <= max_entries and int(target.log_bytes) + size <= max_bytes:
        return store.Report(entries, request, size, status, exit_code)
    final = [e for e in entries if e.get("step") == FINAL_STEP]
    dropped = [e for e in entries if e.get("step") != FINAL_STEP]
    marker = {
        "status": LogLevel.WARNING.value,
        "message": f"log truncated: this run's log is full ({max_entries} entries / {max_bytes} bytes); "
        f"{len(dropped)} entries ({_size(dropped)} bytes) of this report were dropped",
        "step": TRUNCATED_STEP,
    }
    return store.Report([marker, *final], request, _size(final), status, exit_code, truncated=True)


def record(
    session: agents.AgentSession, data: dict[str, Any], run_id: str | None = None, request: str | None = None
) -> dict[str, Any]:
    """``data`` is a validated FeedbackRequest; ``run_id`` and ``request`` are the
    agent's run id and request key (a retried request stores nothing twice)."""
    entries = entries_of(data)
    key = _request_key(request)
    target, dep = session.target, session.deployment
    chunks = list(data.get("output") or [])
    if not entries:
        return _heartbeat(target, dep, chunks, run_id, key)

    def attempt() -> dict[str, Any] | None:
        nonlocal target, dep
        _accepts(target, run_id)
        item = _report(target, dep, entries, key)
        if item.truncated and target.log_truncated and not any(e.get("step") == FINAL_STEP for e in entries):
            # The marker is already in the log: the entries are refused, not the output
            # riding with them (it has a quota of its own).
            output.record(target, dep, chunks, key)
            raise LogQuotaExceeded()
        item = item._replace(output_bytes=output.head_size(target, dep, chunks))
        outcome = store.report(target, dep, item, now=clock.now(), quota=None if item.truncated else _quota(dep))
        if outcome == store.ReportOutcome.RACED:
            target, dep = agents.refresh(target, dep, reporting=True)  # moved meanwhile: decide again
            return None
        if outcome == store.ReportOutcome.STORED:
            _note_integrity(target, entries)
        # A retried report (DUPLICATE) stores its output too, in case its first try
        # stored the entries and not the output: recognised there if it did.
        output.record(
            target, dep, chunks, key, counted=item.output_bytes if outcome == store.ReportOutcome.STORED else 0
        )
        if item.truncated and item.status == target.status:
            raise LogQuotaExceeded()  # marked once; the caller learns its entries were dropped
        status = item.status if outcome == store.ReportOutcome.STORED else target.status
        answer: dict[str, Any] = {"accepted": len(entries), "target_status": status, "control": control(status, dep)}
        return answer | ({"duplicate": True} if outcome == store.ReportOutcome.DUPLICATE else {})

    return optimistic(attempt, REPORT_ATTEMPTS, TargetChanged)


def _note_integrity(target: TargetModel, entries: list[dict[str, Any]]) -> None:
    """A machine that refused its payload (its SHA-256 was not the pinned one) saw
    something between the platform and itself change the bytes: beside the run's log,
    one security line in the function's log, where the kill switch's alarm looks."""
    if any(e.get("step") == INTEGRITY_STEP for e in entries):
        log.logger(agent=True).error(
            "payload integrity",
            extra={
                "integrity": "payload_mismatch",
                "deployment_id": int(target.deployment_id),
                "target_id": target.target_id,
            },
        )


def control(status: str, dep: DeploymentModel) -> str:
    """What the wrapper does next: stop the script once its target no longer runs
    (cancelled, or already final) or its deployment stopped (cancelled, paused, expired)."""
    if status != TargetStatus.RUNNING or liveness.effective_status(dep) != DeploymentStatus.ACTIVE:
        return "stop"
    return "continue"


def _heartbeat(
    target: TargetModel, dep: DeploymentModel, chunks: list[dict[str, Any]], run_id: str | None, key: str
) -> dict[str, Any]:
    """A report with no entries (output only, or nothing: the heartbeat): no log row,
    only the run's output and its ``last_seen_at``."""
    _accepts(target, run_id)
    counted = 0
    if target.status == TargetStatus.RUNNING:
        counted = output.head_size(target, dep, chunks)
        if not store.heartbeat(target, clock.now_iso(), counted):
            counted = 0
    output.record(target, dep, chunks, key, counted=counted)
    status = liveness.target_status(target, dep)
    return {"accepted": 0, "target_status": status, "control": control(status, dep)}


def log_views(item: LogModel, level: str | None = None, step: str | None = None) -> list[dict[str, Any]]:
    """The entries of one stored report as the API shows them, newest first (the
    order of every log view), optionally only one level and/or step."""
    views = [
        {
            "id": keys.entry_id(item.seq, n),
            "target_id": item.target_id,
            "hostname": item.hostname,
            "status": entry["status"],
            "message": entry["message"],
            "step": entry.get("step") or None,
            "timestamp": item.timestamp,
            "run": int(item.run),
        }
        for n, entry in enumerate(item.entries or [])
        if (level is None or entry["status"] == level) and (step is None or entry.get("step") == step)
    ]
    return views[::-1]


def deployment_feed(
    deployment_id: int, limit: int, cursor: str | None, level: str | None = None, step: str | None = None
) -> Page:
    """A deployment's log entries, newest first: a page holds up to ``limit`` reports,
    each with its entries (those of ``level`` / ``step`` only, when given: a page may
    then hold fewer)."""
    items, next_cursor = store.feed_page(deployment_id, limit, cursor)
    return [view for item in items for view in log_views(item, level, step)], next_cursor


def target_logs(
    deployment_id: int,
    target_id: str,
    limit: int,
    cursor: str | None,
    level: str | None = None,
    step: str | None = None,
) -> Page:
    """One target's log entries, newest first: the order of the deployment's feed, so a
    live view reads both the same way and the first page is what just happened."""
    items, next_cursor = store.log_page(deployment_id, target_id, limit, cursor)
    return [view for item in items for view in log_views(item, level, step)], next_cursor
