"""Whether a deployment and a target may still run: the checks every agent request
makes. Kept apart from :mod:`edgex.deployments` so the agent handlers import only
this and none of the admin rules (scripts, settings, wrappers)."""

from __future__ import annotations

from datetime import timedelta

from edgex import clock
from edgex.errors import DeploymentCancelled, DeploymentExpired, DeploymentPaused
from edgex.limits import REPORT_GRACE_MINUTES_DEFAULT
from edgex.store.tables import DeploymentModel, TargetModel
from edgex.vocabulary import LIVE_TARGET_STATUSES, DeploymentStatus, TargetStatus


def is_live(dep: DeploymentModel) -> bool:
    return dep.status == DeploymentStatus.ACTIVE and not clock.is_past(dep.expires_at)


def effective_status(dep: DeploymentModel) -> str:
    if dep.status in (DeploymentStatus.ACTIVE, DeploymentStatus.PAUSED) and clock.is_past(dep.expires_at):
        return DeploymentStatus.EXPIRED.value
    return str(dep.status)


def require_live(dep: DeploymentModel) -> None:
    """410 with a code when agents may no longer use this deployment."""
    status = effective_status(dep)
    if status == DeploymentStatus.CANCELLED:
        raise DeploymentCancelled()
    if status == DeploymentStatus.PAUSED:
        raise DeploymentPaused()
    if status != DeploymentStatus.ACTIVE:
        raise DeploymentExpired()


def ended_as(dep: DeploymentModel) -> str:
    """What an unfinished machine of a stopped deployment reads as."""
    return (TargetStatus.CANCELLED if dep.status == DeploymentStatus.CANCELLED else TargetStatus.EXPIRED).value


def target_status(target: TargetModel, dep: DeploymentModel) -> str:
    """Unfinished machines of a cancelled deployment read ``cancelled``, of an expired one
    ``expired`` (never written to each target: stopping stays one write)."""
    if target.status in LIVE_TARGET_STATUSES and halted(dep):
        return ended_as(dep)
    return str(target.status)


def halted(dep: DeploymentModel) -> bool:
    """Stopped for good (cancelled, expired): a paused deployment is not, its machines
    keep their own statuses and its runs in flight keep reporting."""
    return effective_status(dep) not in (DeploymentStatus.ACTIVE, DeploymentStatus.PAUSED)


def stopped_at(dep: DeploymentModel) -> str | None:
    """When agents were last allowed in: None while the deployment is live (or paused:
    its runs in flight report as usual)."""
    if dep.status not in (DeploymentStatus.ACTIVE, DeploymentStatus.PAUSED):
        return str(dep.updated_at)
    return dep.expires_at if clock.is_past(dep.expires_at) else None


def may_report(target: TargetModel, dep: DeploymentModel) -> bool:
    """A run that started before its deployment stopped (cancelled, expired) may still
    report, its final result included, for the deployment's report grace."""
    stopped = stopped_at(dep)
    if stopped is None:
        return True
    if target.status != TargetStatus.RUNNING or (target.started_at or "") > stopped:
        return False
    minutes = dep.report_grace_minutes if dep.report_grace_minutes is not None else REPORT_GRACE_MINUTES_DEFAULT
    return not clock.is_past(clock.iso(clock.parse(stopped) + timedelta(minutes=int(minutes))))
