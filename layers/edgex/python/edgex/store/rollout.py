"""Rollout control: a deployment's runs in flight and failures, in one small slot item.

Only deployments with a ``max_concurrency`` or an ``error_threshold`` have a slot (made
with the deployment); every other deployment pays nothing. The slot is written in the
same transaction as the moves it counts, each time on a condition, so both numbers stay
exact under any concurrency:

- :func:`take_slot` joins :func:`edgex.store.targets.start_run`: one more in flight, on
  the condition ``in_flight < max_in_flight``, ``failures < failure_limit`` and not
  paused. A machine that loses is told to wait (or, past the threshold, that the
  deployment is paused).
- :func:`release_slot` joins every write that ends a run (the final report, an admin's
  cancel, the lost sweep): one fewer in flight, one more failure when it failed.
- :func:`pause` / :func:`resume` move the deployment and the slot together.

Resume resets nothing: the failures stay counted. A deployment paused by its threshold
runs again, and its next failure pauses it again (its limit becomes failures + 1).
"""

from __future__ import annotations

from typing import Any

from edgex.store import keys
from edgex.store.base import ConditionFailed, storage_errors, transact
from edgex.store.tables import DeploymentModel, RolloutSlotModel
from edgex.vocabulary import DeploymentStatus, TargetStatus

THRESHOLD_PAUSER = "error threshold"  # paused_by of a deployment that paused itself
FAILURE_STATUSES = frozenset({TargetStatus.FAILED, TargetStatus.TIMED_OUT, TargetStatus.LOST})


def limited(dep: DeploymentModel) -> bool:
    return dep.max_concurrency is not None or dep.error_threshold is not None


def new_slot(dep: DeploymentModel) -> RolloutSlotModel | None:
    """The slot a new deployment starts with (None without limits)."""
    if not limited(dep):
        return None
    return RolloutSlotModel(
        keys.rollout_slot(int(dep.deployment_id)),
        in_flight=0,
        failures=0,
        max_in_flight=dep.max_concurrency,
        failure_limit=dep.error_threshold,
        paused=False,
    )


def _slot(deployment_id: int) -> RolloutSlotModel:
    return RolloutSlotModel(keys.rollout_slot(deployment_id))


def take_slot(tx: Any, dep: DeploymentModel) -> bool:
    """Add "one more run in flight" to ``tx`` when ``dep`` has limits (returns whether
    it did): it holds only while a slot is free, the failures are under the limit and
    the deployment is not paused."""
    if not limited(dep):
        return False
    condition = RolloutSlotModel.paused == False  # noqa: E712 - a DynamoDB condition, not a test
    if dep.max_concurrency is not None:
        condition &= RolloutSlotModel.in_flight < RolloutSlotModel.max_in_flight
    if dep.error_threshold is not None:
        condition &= RolloutSlotModel.failures < RolloutSlotModel.failure_limit
    tx.update(_slot(int(dep.deployment_id)), actions=[RolloutSlotModel.in_flight.add(1)], condition=condition)
    return True


def release_slot(tx: Any, dep: DeploymentModel, status: str) -> None:
    """Add "a run ended as ``status``" to ``tx`` (the transaction that ends it): one
    fewer in flight, and one more failure for failed, timed_out and lost. Nothing for a
    deployment without limits. The lost sweep calls this too."""
    if not limited(dep):
        return
    actions = [RolloutSlotModel.in_flight.add(-1)]
    if status in FAILURE_STATUSES:
        actions.append(RolloutSlotModel.failures.add(1))
    tx.update(_slot(int(dep.deployment_id)), actions=actions)


def read(deployment_id: int) -> RolloutSlotModel | None:
    with storage_errors():
        try:
            return RolloutSlotModel.get(keys.rollout_slot(deployment_id), consistent_read=True)
        except RolloutSlotModel.DoesNotExist:
            return None


def threshold_reached(slot: RolloutSlotModel | None) -> bool:
    return slot is not None and slot.failure_limit is not None and int(slot.failures) >= int(slot.failure_limit)


def pause(dep: DeploymentModel, who: str, now: str) -> bool:
    """Pause an active deployment (and its slot, if any) and record who and when; False
    when it was not active (paused, stopped meanwhile)."""

    def writes(tx: Any) -> None:
        tx.update(
            dep,
            actions=[
                DeploymentModel.status.set(DeploymentStatus.PAUSED.value),
                DeploymentModel.paused_by.set(who),
                DeploymentModel.paused_at.set(now),
                DeploymentModel.updated_at.set(now),
            ],
            condition=DeploymentModel.status == DeploymentStatus.ACTIVE.value,
        )
        if limited(dep):
            tx.update(_slot(int(dep.deployment_id)), actions=[RolloutSlotModel.paused.set(True)])

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True


def resume(dep: DeploymentModel, now: str) -> bool:
    """Let a paused deployment's machines run again; False when it was not paused.
    The failures stay counted: past the threshold, the next failure pauses it again."""
    slot = read(int(dep.deployment_id)) if limited(dep) else None

    def writes(tx: Any) -> None:
        tx.update(
            dep,
            actions=[
                DeploymentModel.status.set(DeploymentStatus.ACTIVE.value),
                DeploymentModel.paused_by.remove(),
                DeploymentModel.paused_at.remove(),
                DeploymentModel.updated_at.set(now),
            ],
            condition=DeploymentModel.status == DeploymentStatus.PAUSED.value,
        )
        if slot is not None:
            actions = [RolloutSlotModel.paused.set(False)]
            if threshold_reached(slot):
                actions.append(RolloutSlotModel.failure_limit.set(int(slot.failures) + 1))
            tx.update(slot, actions=actions, condition=RolloutSlotModel.failures == slot.failures)

    try:
        transact(writes)
    except ConditionFailed:
        return False
    return True
