"""Rollout control for pull: waves (``max_concurrency``), an error threshold that
pauses the deployment by itself, and an operator's pause and resume.

A machine that asks for its payload while every slot is taken is told to wait
(503 WAIT_FOR_SLOT with Retry-After; its agent asks again with the same run id and
reads ``waiting`` meanwhile). When failures (failed + timed_out + lost) reach the
threshold no run starts (the slot's condition, in the final report's transaction), and
the next machine that asks for its payload stores the pause (``paused_by`` "error
threshold"; the internet-facing feedback route never writes the deployment): from then on
waiting and new machines are refused with 409 DEPLOYMENT_PAUSED (final for an agent),
runs in flight finish and report. Resume resets nothing: the failures stay counted,
the machines may run again, and the next failure pauses the deployment again.
The exact counting lives in :mod:`edgex.store.rollout`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from edgex import clock
from edgex.errors import DeploymentNotPaused, DeploymentPaused, TargetChanged, WaitForSlot
from edgex.store import rollout as store
from edgex.store import targets as target_store
from edgex.store.base import optimistic
from edgex.store.tables import DeploymentModel, TargetModel
from edgex.vocabulary import DeploymentStatus, TargetStatus

if TYPE_CHECKING:
    from edgex.audit import Actor

CHANGE_ATTEMPTS = 5


def resolve(spec: int | str | None, expected_machines: int) -> int | None:
    """A limit as given at creation (a number, or "N%" of the expected machines,
    rounded up, at least 1) as the number pinned on the deployment."""
    if spec is None:
        return None
    if isinstance(spec, str):
        percent = int(spec.rstrip("%"))
        return max(1, math.ceil(expected_machines * percent / 100))
    return int(spec)


def refused(target: TargetModel, dep: DeploymentModel) -> None:
    """The slot refused a run: past the error threshold (or paused) the deployment is
    paused and the machine stops; otherwise it waits for a slot."""
    slot = store.read(int(dep.deployment_id))
    if store.threshold_reached(slot):
        store.pause(dep, store.THRESHOLD_PAUSER, clock.now_iso())  # idempotent: only an active one pauses
        raise DeploymentPaused()
    if slot is not None and slot.paused:
        raise DeploymentPaused()
    if target.status == TargetStatus.ENROLLED:
        target_store.mark_waiting(target, dep, clock.now_iso())  # lost to a move: it reads its newer status
    raise WaitForSlot()


def pause(deployment_id: int, actor: Actor) -> DeploymentModel:
    """An operator's pause of an active deployment (pausing a paused one changes nothing)."""
    from edgex.store import deployments as deployment_store

    def attempt() -> DeploymentModel | None:
        dep = deployment_store.get(deployment_id)
        if dep.status == DeploymentStatus.PAUSED:
            return dep
        if dep.status != DeploymentStatus.ACTIVE:
            raise DeploymentNotPaused()
        return deployment_store.get(deployment_id) if store.pause(dep, actor.username, clock.now_iso()) else None

    return optimistic(attempt, CHANGE_ATTEMPTS, TargetChanged)


def resume(deployment_id: int) -> DeploymentModel:
    """Let a paused deployment's machines run again (resuming an active one changes nothing)."""
    from edgex.store import deployments as deployment_store

    def attempt() -> DeploymentModel | None:
        dep = deployment_store.get(deployment_id)
        if dep.status == DeploymentStatus.ACTIVE:
            return dep
        if dep.status != DeploymentStatus.PAUSED:
            raise DeploymentNotPaused()
        return deployment_store.get(deployment_id) if store.resume(dep, clock.now_iso()) else None

    return optimistic(attempt, CHANGE_ATTEMPTS, TargetChanged)


def view_fields(dep: DeploymentModel) -> dict[str, Any]:
    """The rollout part of a deployment's view."""
    return {
        "max_concurrency": None if dep.max_concurrency is None else int(dep.max_concurrency),
        "error_threshold": None if dep.error_threshold is None else int(dep.error_threshold),
        "paused_by": dep.paused_by,
        "paused_at": dep.paused_at,
    }
