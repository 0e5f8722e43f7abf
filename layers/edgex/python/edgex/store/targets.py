"""Targets (one machine in one deployment), their hostname claims and their logs:
the writes of the agent path, each one conditional, each in the fewest round trips.

- :func:`claim` is trust on first use: the target, the hostname claim and the
  deployment's enrollment counter in one TransactWriteItems.
- :func:`start_run` counts a run against the re-run limit and moves the counters.
- :func:`report` stores one report (its entries in one item, at a key the agent's
  request key fixes, so a retry is recognised) and moves the target's status and
  log quota, on the condition that the target is still as read.

Every row has a partition of its own; a deployment's members are listed through a
keys-only index spread over ``keys.LIST_SHARDS`` partitions, its feed through an
index spread the same way.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from edgex.errors import StaleRun
from edgex.store import counters, keys, rollout
from edgex.store.base import CONDITION_FAILED, ConditionFailed, get_items, storage_errors, transact
from edgex.store.tables import (
    BootstrapperSnapshotModel,
    DeploymentModel,
    HostnameClaimModel,
    LogModel,
    TargetModel,
    WrapperSnapshotModel,
)
from edgex.vocabulary import DeploymentStatus, TargetStatus

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action


class ClaimOutcome(NamedTuple):
    """Why a claim was refused: the machine already holds this target, the hostname
    belongs to another machine, or the deployment is full or no longer active."""

    already_enrolled: bool
    hostname_taken: bool


class Loaded(NamedTuple):
    """What an agent token opens, from one BatchGetItem (the wrapper, immutable, from
    memory once this function has read it: store.deployments keeps it)."""

    target: TargetModel | None
    deployment: DeploymentModel | None
    wrapper: str | None


def load(deployment_id: int, target_id: str, with_wrapper: bool) -> Loaded:
    wanted: list[tuple[type[Any], tuple[Any, ...]]] = [
        (TargetModel, (keys.target_pk(deployment_id, target_id),)),
        (DeploymentModel, (deployment_id,)),
    ]
    if not with_wrapper:
        target, dep = get_items(*wanted)
        return Loaded(target, dep, None)
    from edgex.store import deployments  # downloads only: a report never imports it

    if not deployments.wrapper_kept(deployment_id):
        wanted.append((WrapperSnapshotModel, (keys.snapshot_pk(deployment_id),)))
    target, dep, *snapshot = get_items(*wanted)
    if dep is None:
        return Loaded(target, None, None)
    wrapper = deployments.keep_wrapper(dep, snapshot[0]) if snapshot else deployments.wrapper_snapshot(dep)
    return Loaded(target, dep, wrapper)


def get(deployment_id: int, target_id: str) -> TargetModel | None:
    with storage_errors():
        try:
            return TargetModel.get(keys.target_pk(deployment_id, target_id), consistent_read=True)
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
    deployment_id = int(dep.deployment_id)
    shard = keys.list_shard(deployment_id, keys.shard_of(target_id))
    target = TargetModel(
        keys.target_pk(deployment_id, target_id),
        list_shard=shard,
        member=keys.target_member(target_id),
        deployment_id=deployment_id,
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
    hostname_claim = HostnameClaimModel(
        keys.claim_pk(deployment_id, hostname),
        list_shard=shard,
        member=keys.claim_member(hostname),
        target_id=target_id,
    )

    def writes(tx: Any) -> None:
        tx.save(target, condition=TargetModel.pk.does_not_exist())
        tx.save(hostname_claim, condition=HostnameClaimModel.pk.does_not_exist())
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
    one cannot be handed out again); False when the target changed meanwhile: its
    status moved, or (for a running target, taken over only when silent) it reported."""
    actions: list[Action] = [TargetModel.token_hash.set(token_hash), TargetModel.last_seen_at.set(now)]
    if geo:
        actions.append(TargetModel.geo.set(geo))
    condition = TargetModel.status == target.status
    if target.status == TargetStatus.RUNNING:
        condition &= TargetModel.last_seen_at == target.last_seen_at
    try:
        with storage_errors():
            target.update(actions=actions, condition=condition)
    except ConditionFailed:
        return False
    return True


def block(target: TargetModel) -> None:
    """Ban a machine from its deployment: its target and its hostname claim say so, so
    the same machine id (target exists) and the same hostname under a new machine id
    (claim exists) are both refused, at no cost to any other enrollment."""
    deployment_id = int(target.deployment_id)
    with storage_errors():
        target.update(actions=[TargetModel.blocked.set(True)])
        HostnameClaimModel(keys.claim_pk(deployment_id, target.hostname)).update(
            actions=[HostnameClaimModel.blocked.set(True)]
        )


def hostname_blocked(deployment_id: int, hostname: str) -> bool:
    with storage_errors():
        try:
            return bool(HostnameClaimModel.get(keys.claim_pk(deployment_id, hostname), consistent_read=True).blocked)
        except HostnameClaimModel.DoesNotExist:
            return False


def start_run(target: TargetModel, dep: DeploymentModel, run_id: str | None, now: str) -> ConditionFailed | None:
    """One transaction: the target's run count (conditional on the limit and on the
    status read, so counters move exactly once), its run id and fresh log quota, and
    the deployment's counters. Returns the failed condition (the caller reads again
    and decides) or None."""
    seen = target.status
    shard = counters.shard_of(int(dep.deployment_id), target.target_id)
    changes = {TargetStatus.RUNNING.value: 0 if seen == TargetStatus.RUNNING else 1}
    if seen not in (TargetStatus.ENROLLED, TargetStatus.RUNNING):
        changes[seen] = -1
    moves = counters.moves(shard, changes)
    actions: list[Action] = [
        TargetModel.run_count.add(1),
        TargetModel.status.set(TargetStatus.RUNNING.value),
        TargetModel.started_at.set(now),
        TargetModel.last_seen_at.set(now),
        TargetModel.completed_at.remove(),
        TargetModel.exit_code.remove(),
        TargetModel.log_entries.set(0),
        TargetModel.log_bytes.set(0),
        TargetModel.log_truncated.set(False),
        TargetModel.run_id.set(run_id) if run_id else TargetModel.run_id.remove(),
        *run_started_actions(target.target_id),
    ]

    def writes(tx: Any) -> None:
        tx.update(
            target, actions=actions, condition=(TargetModel.run_count < dep.max_runs) & (TargetModel.status == seen)
        )
        # Liveness was checked on the deployment read with the token; no condition on
        # the deployment item here, which would cost a write on the hottest item. A
        # rollout's limits are conditions on its slot item (index 1 of the transaction).
        if seen != TargetStatus.RUNNING:
            rollout.take_slot(tx, dep)
        if moves:  # a re-download while running moves nothing
            tx.update(shard, actions=moves)

    try:
        transact(writes)
    except ConditionFailed as failed:
        return failed
    return None


def run_limit_hit(failed: ConditionFailed) -> bool:
    return bool(failed.reasons) and failed.reasons[0] == CONDITION_FAILED


def slot_refused(failed: ConditionFailed, dep: DeploymentModel) -> bool:
    """The rollout's slot refused the run (full, past the threshold, or paused): only a
    deployment with limits has a slot at index 1 of the transaction (without, the
    counter shard is there, and it has no condition)."""
    return rollout.limited(dep) and failed.failed(1) and not failed.failed(0)


def mark_waiting(target: TargetModel, dep: DeploymentModel, now: str) -> bool:
    """An enrolled machine told to wait for a rollout slot reads ``waiting`` (and is
    counted so), on the condition that it is still enrolled; False when it moved."""
    shard = counters.shard_of(int(dep.deployment_id), target.target_id)

    def writes(tx: Any) -> None:
        tx.update(
            target,
            actions=[TargetModel.status.set(TargetStatus.WAITING.value), TargetModel.last_seen_at.set(now)],
            condition=TargetModel.status == TargetStatus.ENROLLED.value,
        )
        tx.update(shard, actions=counters.moves(shard, {TargetStatus.WAITING.value: 1}))

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True


class Report(NamedTuple):
    """One report of a run as it will be stored: its entries, where it goes in the
    target's log (``request``: the agent's request key), and what it does to the target."""

    entries: list[dict[str, Any]]
    request: str
    size: int  # bytes of the entries' messages, counted against the run's quota
    status: str  # the target's status after it
    exit_code: int | None
    truncated: bool = False  # the run's log was cut here (quota): the marker entry is in ``entries``
    output_bytes: int = 0  # the output riding with it, counted against the run in the same write


class ReportOutcome:
    STORED, DUPLICATE, RACED = "stored", "duplicate", "raced"


def _log_row(
    target: TargetModel, dep: DeploymentModel, entries: list[dict[str, Any]], seq: str, now: datetime
) -> LogModel:
    """One stored report of a target: its entries, its place in the log and the feed."""
    from edgex import clock

    stamp = clock.iso(now)
    deployment_id, target_id = int(dep.deployment_id), target.target_id
    return LogModel(
        keys.log_partition(deployment_id, target_id),
        seq,
        feed_shard=keys.list_shard(deployment_id, keys.shard_of(target_id)),
        at=keys.feed_at(stamp, target_id, seq),
        deployment_id=deployment_id,
        target_id=target_id,
        hostname=target.hostname,
        run=int(target.run_count),
        entries=entries,
        timestamp=stamp,
        ttl=now + timedelta(days=int(dep.log_retention_days)),
    )


def report(
    target: TargetModel,
    dep: DeploymentModel,
    item: Report,
    *,
    now: datetime,
    quota: tuple[int, int] | None,
) -> str:
    """Store ``item`` and move the target on the conditions that no report is stored at
    this request key yet (a retried request is recognised: DUPLICATE), and that the
    target is as read (else RACED: read again and decide) and, with ``quota`` (max
    entries, max bytes), stays within it.

    A report that moves the status (the final one) is one transaction: the log row, the
    target, its counters and its rollout slot, all or nothing. A progress report moves
    nothing but the run's quota, so it is two plain conditional writes at half a
    transaction's price: the quota first (a report past it writes nothing), then the
    row. A retry of a progress report whose reply was lost counts against the quota
    twice but is stored once: the quota errs on the strict side."""
    from edgex import clock

    stamp = clock.iso(now)
    deployment_id, target_id = int(dep.deployment_id), target.target_id
    row = _log_row(target, dep, item.entries, keys.log_seq(int(target.run_count), item.request), now)
    moved = item.status != target.status
    actions: list[Action] = [
        TargetModel.last_seen_at.set(stamp),
        TargetModel.log_entries.add(len(item.entries)),
        TargetModel.log_bytes.add(item.size),
    ]
    if item.truncated:
        actions.append(TargetModel.log_truncated.set(True))
    if item.output_bytes:
        actions.append(TargetModel.output_bytes.add(item.output_bytes))
    if moved:
        actions += [TargetModel.status.set(item.status), TargetModel.completed_at.set(stamp)]
        actions.append(TargetModel.running_shard.remove())
        if item.exit_code is not None:
            actions.append(TargetModel.exit_code.set(item.exit_code))
    condition = (TargetModel.status == target.status) & (TargetModel.run_count == target.run_count)
    if quota is not None:
        max_entries, max_bytes = quota
        condition &= (TargetModel.log_entries <= max_entries - len(item.entries)) & (
            TargetModel.log_bytes <= max_bytes - item.size
        )

    if not moved:
        try:
            with storage_errors():
                target.update(actions=actions, condition=condition)
        except ConditionFailed:
            return ReportOutcome.RACED
        try:
            with storage_errors():
                row.save(condition=LogModel.seq.does_not_exist())
        except ConditionFailed:
            return ReportOutcome.DUPLICATE
        return ReportOutcome.STORED

    def writes(tx: Any) -> None:
        tx.save(row, condition=LogModel.seq.does_not_exist())
        tx.update(target, actions=actions, condition=condition)
        if moved:
            shard = counters.shard_of(deployment_id, target_id)
            tx.update(shard, actions=counters.moves(shard, {TargetStatus.RUNNING.value: -1, item.status: 1}))
            rollout.release_slot(tx, dep, item.status)

    try:
        transact(writes)
    except ConditionFailed as failed:
        return ReportOutcome.DUPLICATE if failed.failed(0) else ReportOutcome.RACED
    return ReportOutcome.STORED


def finish(
    target: TargetModel, dep: DeploymentModel, status: TargetStatus, now: str, note: dict[str, Any] | None = None
) -> bool:
    """An admin's final word on a live target (cancel): the target, the counters and
    (``note``) an entry in its log saying who and when, on the condition that its
    status is still the one read."""
    from edgex import clock

    seen = target.status
    shard = counters.shard_of(int(target.deployment_id), target.target_id)
    row = None
    if note is not None:
        stamp = clock.parse(now)
        row = _log_row(target, dep, [note], keys.log_seq(int(target.run_count), f"~{now}-admin"), stamp)

    def writes(tx: Any) -> None:
        tx.update(
            target,
            actions=[
                TargetModel.status.set(status.value),
                TargetModel.completed_at.set(now),
                TargetModel.last_seen_at.set(now),
                TargetModel.running_shard.remove(),
            ],
            condition=TargetModel.status == seen,
        )
        changes = {status.value: 1, TargetStatus.RUNNING.value: -1 if seen == TargetStatus.RUNNING else 0}
        if seen == TargetStatus.WAITING:
            changes[TargetStatus.WAITING.value] = -1
        tx.update(shard, actions=counters.moves(shard, changes))
        if seen == TargetStatus.RUNNING:
            rollout.release_slot(tx, dep, status.value)
        if row is not None:
            tx.save(row)

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True


def _merge(
    query: Callable[[int], Iterable[Any]], order: Callable[[Any], str], limit: int, newest_first: bool
) -> list[Any]:
    """The first ``limit`` rows over every shard, in one order: each shard's query
    already returns its rows in that order, so a k-way merge is enough."""
    per_shard = [list(query(shard)) for shard in range(keys.LIST_SHARDS)]
    merged = heapq.merge(*per_shard, key=order, reverse=newest_first)
    return [row for _, row in zip(range(limit), merged, strict=False)]


def page(deployment_id: int, limit: int, cursor: str | None) -> tuple[list[TargetModel], str | None]:
    """A deployment's targets in target-id order: the keys from every shard of the
    members index, then the rows in one BatchGetItem."""
    from edgex.store import cursors  # admin listings only: agent handlers never load cursors

    start = cursors.decode(cursor, cursors.Shape({"after": cursors.text(r"[0-9a-f]{16}")}))
    after = keys.target_member(start["after"]["S"]) if start else keys.TARGET_MEMBER

    def query(shard: int) -> Iterable[Any]:
        return TargetModel.by_deployment.query(
            keys.list_shard(deployment_id, shard),
            TargetModel.member > after if start else TargetModel.member.startswith(keys.TARGET_MEMBER),
            limit=limit + 1,
        )

    with storage_errors():
        found = _merge(query, lambda row: str(row.member), limit + 1, newest_first=False)
        ids = [str(row.member)[len(keys.TARGET_MEMBER) :] for row in found if str(row.member).startswith("t#")]
        rows = get_items(*[(TargetModel, (keys.target_pk(deployment_id, t),)) for t in ids[:limit]]) if ids else []
    items = [row for row in rows if row is not None]
    more = len(ids) > limit
    return items, cursors.encode({"after": {"S": ids[limit - 1]}}) if more else None


def members(deployment_id: int) -> list[tuple[str, str]]:
    """Every (member, pk) of a deployment: its targets and hostname claims."""
    found: list[tuple[str, str]] = []
    with storage_errors():
        for shard in range(keys.LIST_SHARDS):
            for row in TargetModel.by_deployment.query(keys.list_shard(deployment_id, shard)):
                found.append((str(row.member), str(row.pk)))
    return found


def log_page(deployment_id: int, target_id: str, limit: int, cursor: str | None) -> tuple[list[LogModel], str | None]:
    """One target's reports, newest first (the latest run first, its reports from the
    last sent)."""
    from edgex.store import cursors  # admin listings only: agent handlers never load cursors

    partition = keys.log_partition(deployment_id, target_id)
    start = cursors.decode(cursor, cursors.Shape({"before": cursors.text(r"[0-9]{4}#[0-9A-Za-z~._:-]{1,80}")}))
    with storage_errors():
        found = LogModel.query(
            partition, LogModel.seq < start["before"]["S"] if start else None, scan_index_forward=False, limit=limit
        )
        items = list(found)
    more = found.last_evaluated_key is not None and len(items) == limit
    return items, cursors.encode({"before": {"S": items[-1].seq}}) if more else None


def feed_page(deployment_id: int, limit: int, cursor: str | None) -> tuple[list[LogModel], str | None]:
    """A deployment's recent reports, newest first, merged over the feed's shards."""
    from edgex.store import cursors  # admin listings only: agent handlers never load cursors

    at = cursors.text(r"[0-9T:.Z-]{24}#[0-9a-f]{16}#[0-9]{4}#[0-9A-Za-z~._:-]{1,80}")
    start = cursors.decode(cursor, cursors.Shape({"before": at}))

    def query(shard: int) -> Iterable[Any]:
        return LogModel.by_deployment.query(
            keys.list_shard(deployment_id, shard),
            LogModel.at < start["before"]["S"] if start else None,
            scan_index_forward=False,
            limit=limit + 1,
        )

    with storage_errors():
        found = _merge(query, lambda row: str(row.at), limit + 1, newest_first=True)
    items = found[:limit]
    return items, cursors.encode({"before": {"S": items[-1].at}}) if len(found) > limit else None


def delete_all(deployment_id: int) -> None:
    """Every target, claim and report of a deployment (its hard delete)."""
    with storage_errors():
        rows = members(deployment_id)
        with TargetModel.batch_write() as targets, LogModel.batch_write() as logs:
            for member, pk in rows:
                if member.startswith(keys.TARGET_MEMBER):
                    target_id = member[len(keys.TARGET_MEMBER) :]
                    for log in LogModel.query(keys.log_partition(deployment_id, target_id)):
                        logs.delete(log)
                targets.delete(TargetModel(pk))
        WrapperSnapshotModel(keys.snapshot_pk(deployment_id)).delete()
        BootstrapperSnapshotModel(keys.bootstrapper_pk(deployment_id)).delete()


def run_started_actions(target_id: str) -> list[Action]:
    """What a new run sets beside the seed's fields: fresh output counters, and the
    running index's key (removed again by the run's end)."""
    return [
        TargetModel.output_bytes.set(0),
        TargetModel.output_dropped.set(0),
        TargetModel.output_tail.set(0),
        TargetModel.running_shard.set(keys.running_shard(target_id)),
    ]


def heartbeat(target: TargetModel, now: str, output_bytes: int = 0) -> bool:
    """A report with no entries: only ``last_seen_at`` moves (no log row), and the run's
    output count by the output riding with it, on the condition that the run is still
    the one read. False when it is not."""
    actions: list[Action] = [TargetModel.last_seen_at.set(now)]
    if output_bytes:
        actions.append(TargetModel.output_bytes.add(output_bytes))
    try:
        with storage_errors():
            target.update(
                actions=actions,
                condition=(TargetModel.run_count == target.run_count) & (TargetModel.status == target.status),
            )
    except ConditionFailed:
        return False
    return True


def add_output(target: TargetModel, size: int, *, tail: bool) -> tuple[int, int]:
    """Count ``size`` bytes of output against the run (a negative size gives back a
    count made twice) and, for a tail report, take the next tail sequence number.
    Returns (bytes received so far, tail sequence); StaleRun when the target's run
    moved on meanwhile."""
    actions: list[Action] = [TargetModel.output_bytes.add(size)]
    if tail:
        actions.append(TargetModel.output_tail.add(1))
    try:
        with storage_errors():
            target.update(actions=actions, condition=TargetModel.run_count == target.run_count)
    except ConditionFailed:
        raise StaleRun() from None
    return int(target.output_bytes or 0), int(target.output_tail or 0)


def add_dropped(target: TargetModel, size: int) -> int:
    """Bytes of output dropped from the run (a tail slot overwritten); the new total."""
    with storage_errors():
        target.update(actions=[TargetModel.output_dropped.add(size)])
    return int(target.output_dropped or 0)


def running_keys() -> list[tuple[int, str]]:
    """(deployment id, target id) of every running target, from the sparse index."""
    found: list[tuple[int, str]] = []
    with storage_errors():
        for shard in keys.running_shards():
            for row in TargetModel.by_running.query(shard):
                _, deployment_id, target_id = row.pk.split("#", 2)
                found.append((int(deployment_id), target_id))
    return found


def get_many(pairs: list[tuple[int, str]]) -> list[TargetModel]:
    """The targets of ``pairs``, in as few BatchGetItem calls as fit."""
    result: list[TargetModel] = []
    for start in range(0, len(pairs), 100):
        chunk = pairs[start : start + 100]
        wanted = [(TargetModel, (keys.target_pk(d, t),)) for d, t in chunk]
        result += [row for row in get_items(*wanted) if row is not None]
    return result


def mark_lost(target: TargetModel, now: str, dep: DeploymentModel | None = None) -> bool:
    """A running target whose reports stopped: lost, with the counters moved (and its
    rollout slot given back, counted a failure, when ``dep`` has limits), on the
    condition that it is still the run read and has not reported since (a late
    heartbeat wins). False when the condition failed."""
    shard = counters.shard_of(int(target.deployment_id), target.target_id)

    def writes(tx: Any) -> None:
        tx.update(
            target,
            actions=[
                TargetModel.status.set(TargetStatus.LOST.value),
                TargetModel.completed_at.set(now),
                TargetModel.running_shard.remove(),
            ],
            condition=(TargetModel.status == TargetStatus.RUNNING.value)
            & (TargetModel.run_count == target.run_count)
            & (TargetModel.last_seen_at == target.last_seen_at),
        )
        tx.update(shard, actions=counters.moves(shard, {TargetStatus.RUNNING.value: -1, TargetStatus.LOST.value: 1}))
        if dep is not None:
            rollout.release_slot(tx, dep, TargetStatus.LOST.value)

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True


def drop_running_key(target: TargetModel) -> None:
    """A target in the running index that no longer runs (a final state reached by a
    path that predates the index): take it out, so the sweep stops reading it."""
    with storage_errors():
        target.update(actions=[TargetModel.running_shard.remove()])
