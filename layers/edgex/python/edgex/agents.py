"""What an agent token opens: its own target and deployment, read together."""

from __future__ import annotations

from typing import NamedTuple

from edgex import liveness, tokens
from edgex.errors import TargetCancelled, Unauthenticated
from edgex.store import targets as store
from edgex.store.tables import DeploymentModel, TargetModel
from edgex.vocabulary import TargetStatus


class AgentSession(NamedTuple):
    """An authenticated machine: its target, its deployment, and (for downloads) the
    wrapper its deployment pinned, all from one BatchGetItem."""

    target: TargetModel
    deployment: DeploymentModel
    wrapper: str | None = None


def _require_running_allowed(target: TargetModel, dep: DeploymentModel, reporting: bool) -> None:
    """410 when the deployment no longer runs (a run in progress may still report within
    its grace: ``reporting``) or this machine was cancelled."""
    if not (reporting and liveness.may_report(target, dep)):
        liveness.require_live(dep)
    if target.status in (TargetStatus.EXPIRED, TargetStatus.CANCELLED):  # expired: cancelled before cancelled existed
        raise TargetCancelled()


def authenticate(token: str, with_wrapper: bool = False, reporting: bool = False) -> AgentSession:
    """The machine an agent token belongs to: 401 unless the token's hash matches,
    410 when the deployment or target no longer runs. ``reporting``: a run in
    progress may still report within its deployment's grace after a stop, and what a
    target in any state may report is the feedback rules' to decide."""
    claimed = tokens.parse_agent(token)
    found = store.load(claimed.deployment_id, claimed.target_id, with_wrapper)
    if found.target is None or found.deployment is None or not tokens.matches(token, found.target.token_hash):
        raise Unauthenticated()
    _require_running_allowed(found.target, found.deployment, reporting)
    return AgentSession(found.target, found.deployment, found.wrapper)


def refresh(target: TargetModel, dep: DeploymentModel, reporting: bool = False) -> tuple[TargetModel, DeploymentModel]:
    """Read both again after a lost race, with the same liveness checks."""
    found = store.load(int(dep.deployment_id), target.target_id, with_wrapper=False)
    if found.target is None or found.deployment is None:
        raise Unauthenticated()
    _require_running_allowed(found.target, found.deployment, reporting)
    return found.target, found.deployment
