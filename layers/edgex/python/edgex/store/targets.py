"""Targets (one machine in one deployment), their hostname claims and their logs:
the writes of the agent path, each one conditional, each in the fewest round trips.

- :func:`claim` is trust on first use: the target, the hostname claim and the
  deployment's enrollment counter in one TransactWriteItems.
- :func:`start_run` counts a run against the re-run limit and moves the counters.
- :func:`report` appends log entries and moves the target's status, in one
  transaction, on the condition that the status is still the one decided from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from edgex.store import counters, cursors, keys
from edgex.store.base import CONDITION_FAILED, ConditionFailed, get_items, storage_errors, transact
from edgex.store.tables import (
    DeploymentModel,
    HostnameClaimModel,
    LogModel,
    TargetModel,
    WrapperSnapshotModel,
)
from edgex.vocabulary import DeploymentStatus, TargetStatus

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

_TARGETS_SHAPE = cursors.Shape({"deployment_id": cursors.number(), "sk": cursors.text(r"t#[0-9a-f]{16}")})
_LOG_SEQ = r"[0-9T:.Z-]{24}#[0-9]{4}#[0-9a-f]{6}#[0-9]{3}"
_TARGET_LOG_SHAPE = cursors.Shape(
    {"target_key": cursors.text(r"[0-9]{1,16}#[0-9a-f]{16}"), "seq": cursors.text(_LOG_SEQ)}
)


def _feed_shape(deployment_id: int) -> cursors.Shape:
    """The feed index's key plus the table's: both must name this deployment."""
    return cursors.Shape(
        {
            "deployment_id": cursors.number(),
            "seq": cursors.text(_LOG_SEQ),
            "target_key": cursors.text(rf"{deployment_id}#[0-9a-f]{{16}}"),
        }
    )


@dataclass(frozen=True)
class ClaimOutcome:
    """Why a claim was refused: the machine already holds this target, the hostname
    belongs to another machine, or the deployment is full or no longer active."""

    already_enrolled: bool
    hostname_taken: bool


@dataclass
class Loaded:
    """What an agent token opens, from one BatchGetItem."""

    target: TargetModel | None
    deployment: DeploymentModel | None
    wrapper: str | None


def load(deployment_id: int, target_id: str, with_wrapper: bool) -> Loaded:
    wanted: list[tuple[type[Any], tuple[Any, ...]]] = [
        (TargetModel, (deployment_id, keys.target_sk(target_id))),
        (DeploymentModel, (deployment_id,)),
    ]
    if with_wrapper:
        wanted.append((WrapperSnapshotModel, (deployment_id, keys.WRAPPER_SNAPSHOT)))
    target, dep, *snapshot = get_items(*wanted)
    wrapper = snapshot[0].content if snapshot and snapshot[0] is not None else None
    return Loaded(target, dep, wrapper)


def get(deployment_id: int, target_id: str) -> TargetModel | None:
    with storage_errors():
        try:
            return TargetModel.get(deployment_id, keys.target_sk(target_id), consistent_read=True)
        except TargetModel.DoesNotExist:
            return None


def claim(
    dep: DeploymentModel,
    target_id: str,
    *,
    hostname: str,
    machine_id: str,
    token_hash: str,
    geo: dict[str, Any],
    now: str,
) -> ClaimOutcome | None:
    """Trust on first use: None when this machine now holds a new target; otherwise
    which condition refused it. The three conditions hold under any concurrency:
    target absent, hostname unclaimed, enrolled < expected and deployment active."""
    target = TargetModel(
        dep.deployment_id,
        keys.target_sk(target_id),
        target_id=target_id,
        hostname=hostname,
        machine_id=machine_id,
        token_hash=token_hash,
        status=TargetStatus.ENROLLED.value,
        run_count=0,
        geo=geo,
        enrolled_at=now,
        last_seen_at=now,
    )
    hostname_claim = HostnameClaimModel(dep.deployment_id, keys.claim_sk(hostname), target_id=target_id)

    def writes(tx: Any) -> None:
        tx.save(target, condition=TargetModel.sk.does_not_exist())
        tx.save(hostname_claim, condition=HostnameClaimModel.sk.does_not_exist())
        tx.update(
            dep,
            actions=[DeploymentModel.enrolled_count.add(1)],
            condition=(DeploymentModel.enrolled_count < DeploymentModel.expected_machines)
            & (DeploymentModel.status == DeploymentStatus.ACTIVE.value),
        )

    try:
        transact(writes)
    except ConditionFailed as failed:
        return ClaimOutcome(
            already_enrolled=failed.failed(0) or not any(failed.reasons), hostname_taken=failed.failed(1)
        )
    return None


def rotate_token(target: TargetModel, token_hash: str, geo: dict[str, Any], now: str) -> bool:
    """A fresh token for a machine enrolling again (only hashes are stored, so the old
    one cannot be handed out again); False when the target was cancelled meanwhile."""
    actions: list[Action] = [TargetModel.token_hash.set(token_hash), TargetModel.last_seen_at.set(now)]
    if geo:
        actions.append(TargetModel.geo.set(geo))
    try:
        with storage_errors():
            target.update(actions=actions, condition=TargetModel.status != TargetStatus.EXPIRED.value)
    except ConditionFailed:
        return False
    return True


def start_run(target: TargetModel, dep: DeploymentModel, now: str) -> ConditionFailed | None:
    """One transaction: the target's run count (conditional on the limit and on the
    status read, so counters move exactly once) and the deployment's counters.
    Returns the failed condition (the caller reads again and decides) or None."""
    seen = target.status
    shard = counters.shard_of(int(dep.deployment_id), target.target_id)
    changes = {"running": 0 if seen == TargetStatus.RUNNING else 1}
    if seen in (TargetStatus.COMPLETED, TargetStatus.FAILED):
        changes[seen] = -1
    moves = counters.moves(shard, changes)

    def writes(tx: Any) -> None:
        tx.update(
            target,
            actions=[
                TargetModel.run_count.add(1),
                TargetModel.status.set(TargetStatus.RUNNING.value),
                TargetModel.started_at.set(now),
                TargetModel.last_seen_at.set(now),
                TargetModel.completed_at.remove(),
                TargetModel.exit_code.remove(),
            ],
            condition=(TargetModel.run_count < dep.max_runs) & (TargetModel.status == seen),
        )
        # Liveness was checked on the deployment read with the token; no condition on
        # the deployment item here, which would cost a write on the hottest item.
        if moves:  # a re-download while running moves nothing
            tx.update(shard, actions=moves)

    try:
        transact(writes)
    except ConditionFailed as failed:
        return failed
    return None


def run_limit_hit(failed: ConditionFailed) -> bool:
    return bool(failed.reasons) and failed.reasons[0] == CONDITION_FAILED


@dataclass(frozen=True)
class Entry:
    status: str
    message: str
    step: str | None


def report(
    target: TargetModel,
    dep: DeploymentModel,
    entries: list[Entry],
    *,
    status: str,
    exit_code: int | None,
    now: datetime,
    refresh_seen_after: timedelta,
) -> bool:
    """Append ``entries`` to the target's log and, when ``status`` differs from the
    target's, move it (and the counters) on the condition that the status is still
    the one read. Returns False when that condition lost a race.

    A report that changes no status writes only its logs, and refreshes
    ``last_seen_at`` at most every ``refresh_seen_after``: every report of every
    machine of a deployment lands in the deployment's partition."""
    from edgex import clock

    stamp = clock.iso(now)
    expires = now + timedelta(days=int(dep.log_retention_days))
    batch = os.urandom(3).hex()
    deployment_id = int(dep.deployment_id)
    rows = [
        LogModel(
            keys.log_partition(deployment_id, target.target_id),
            keys.log_seq(stamp, int(target.run_count), batch, n),
            deployment_id=deployment_id,
            target_id=target.target_id,
            hostname=target.hostname,
            status=entry.status,
            message=entry.message,
            step=entry.step or None,
            timestamp=stamp,
            ttl=expires,
        )
        for n, entry in enumerate(entries)
    ]
    moved = status != target.status
    stale = target.last_seen_at is None or target.last_seen_at < clock.iso(now - refresh_seen_after)

    def writes(tx: Any) -> None:
        for row in rows:
            tx.save(row)
        if not moved and not stale:
            return
        actions = [TargetModel.last_seen_at.set(stamp)]
        if moved:
            actions += [TargetModel.status.set(status), TargetModel.completed_at.set(stamp)]
            if exit_code is not None:
                actions.append(TargetModel.exit_code.set(exit_code))
        tx.update(target, actions=actions, condition=TargetModel.status == target.status)
        if moved:
            shard = counters.shard_of(deployment_id, target.target_id)
            tx.update(shard, actions=counters.moves(shard, {TargetStatus.RUNNING.value: -1, status: 1}))

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True


def finish(target: TargetModel, status: TargetStatus, now: str) -> bool:
    """An admin's final word on a live target (cancel): the target and the counters,
    on the condition that its status is still the one read."""
    seen = target.status
    shard = counters.shard_of(int(target.deployment_id), target.target_id)

    def writes(tx: Any) -> None:
        tx.update(
            target,
            actions=[
                TargetModel.status.set(status.value),
                TargetModel.completed_at.set(now),
                TargetModel.last_seen_at.set(now),
            ],
            condition=TargetModel.status == seen,
        )
        changes = {status.value: 1, TargetStatus.RUNNING.value: -1 if seen == TargetStatus.RUNNING else 0}
        tx.update(shard, actions=counters.moves(shard, changes))

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True


def page(deployment_id: int, limit: int, cursor: str | None) -> tuple[list[TargetModel], str | None]:
    start = cursors.decode(cursor, _TARGETS_SHAPE, {"deployment_id": str(deployment_id)})
    with storage_errors():
        found = TargetModel.query(
            deployment_id, TargetModel.sk.startswith(keys.TARGET_PREFIX), limit=limit, last_evaluated_key=start
        )
        items = list(found)
    return items, cursors.encode(found.last_evaluated_key)


def log_page(deployment_id: int, target_id: str, limit: int, cursor: str | None) -> tuple[list[LogModel], str | None]:
    """One target's log entries, oldest first (the order a run happened in)."""
    partition = keys.log_partition(deployment_id, target_id)
    start = cursors.decode(cursor, _TARGET_LOG_SHAPE, {"target_key": partition})
    with storage_errors():
        found = LogModel.query(partition, limit=limit, last_evaluated_key=start)
        items = list(found)
    return items, cursors.encode(found.last_evaluated_key)


def feed_page(deployment_id: int, limit: int, cursor: str | None) -> tuple[list[LogModel], str | None]:
    """A deployment's recent log entries, newest first (GSI by_deployment)."""
    start = cursors.decode(cursor, _feed_shape(deployment_id), {"deployment_id": str(deployment_id)})
    with storage_errors():
        found = LogModel.by_deployment.query(
            deployment_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
        )
        items = list(found)
    return items, cursors.encode(found.last_evaluated_key)
