"""What an agent token opens: its own target and deployment, read together."""

from __future__ import annotations

from dataclasses import dataclass

from edgex import deployments, tokens
from edgex.errors import Gone, Unauthenticated
from edgex.models import DeploymentModel, TargetModel, WrapperSnapshotModel
from edgex.storage import get_items
from edgex.vocabulary import TargetStatus


@dataclass
class AgentSession:
    """An authenticated machine: its target, its deployment, and (for downloads) the
    wrapper its deployment pinned, all from one BatchGetItem."""

    target: TargetModel
    deployment: DeploymentModel
    wrapper: str | None = None


def _load(deployment_id: int, target_id: str, with_wrapper: bool) -> list[object | None]:
    keys: list[tuple[type[object], tuple[object, ...]]] = [
        (TargetModel, (deployment_id, f"t#{target_id}")),
        (DeploymentModel, (deployment_id,)),
    ]
    if with_wrapper:
        keys.append((WrapperSnapshotModel, (deployment_id, deployments.SNAPSHOT_KEY)))
    return get_items(*keys)


def _require_running_allowed(target: TargetModel, dep: DeploymentModel) -> None:
    deployments.require_live(dep)
    if target.status in (deployments.EXPIRED, TargetStatus.CANCELLED):  # expired: cancelled before cancelled existed
        raise Gone("This machine was cancelled for this deployment", code="TARGET_CANCELLED")


def authenticate(token: str, with_wrapper: bool = False) -> AgentSession:
    """The machine an agent token belongs to: 401 unless the token's hash matches,
    410 when the deployment or target no longer runs."""
    claimed = tokens.parse_agent(token)
    target, dep, *snapshot = _load(claimed.deployment_id, claimed.target_id, with_wrapper)
    if (
        not isinstance(target, TargetModel)
        or not isinstance(dep, DeploymentModel)
        or not tokens.matches(token, target.token_hash)
    ):
        raise Unauthenticated()
    _require_running_allowed(target, dep)
    wrapper = snapshot[0].content if snapshot and isinstance(snapshot[0], WrapperSnapshotModel) else None
    return AgentSession(target, dep, wrapper)


def refresh(target: TargetModel, dep: DeploymentModel) -> tuple[TargetModel, DeploymentModel]:
    """Read both again after a lost race, with the same liveness checks."""
    fresh_target, fresh_dep = _load(int(dep.deployment_id), target.target_id, with_wrapper=False)
    if not isinstance(fresh_target, TargetModel) or not isinstance(fresh_dep, DeploymentModel):
        raise Unauthenticated()
    _require_running_allowed(fresh_target, fresh_dep)
    return fresh_target, fresh_dep
