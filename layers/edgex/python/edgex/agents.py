"""What an agent token opens: its own target and deployment, read together."""

from __future__ import annotations

from edgex import deployments, tokens
from edgex.errors import Gone, Unauthenticated
from edgex.models import DeploymentModel, TargetModel
from edgex.storage import get_pair


def _load(deployment_id: int, target_id: str) -> tuple[TargetModel | None, DeploymentModel | None]:
    return get_pair((TargetModel, (deployment_id, f"t#{target_id}")), (DeploymentModel, (deployment_id,)))


def _require_running_allowed(target: TargetModel, dep: DeploymentModel) -> None:
    deployments.require_live(dep)
    if target.status == deployments.EXPIRED:
        raise Gone("This machine was cancelled for this deployment", code="TARGET_CANCELLED")


def authenticate(token: str) -> tuple[TargetModel, DeploymentModel]:
    """Target and deployment of an agent token in one BatchGetItem; 401 unless the
    token's hash matches, 410 when the deployment or target no longer runs."""
    claimed = tokens.parse_agent(token)
    target, dep = _load(claimed.deployment_id, claimed.target_id)
    if target is None or dep is None or not tokens.matches(token, target.token_hash):
        raise Unauthenticated()
    _require_running_allowed(target, dep)
    return target, dep


def refresh(target: TargetModel, dep: DeploymentModel) -> tuple[TargetModel, DeploymentModel]:
    """Read both again after a lost race, with the same liveness checks."""
    fresh_target, fresh_dep = _load(int(dep.deployment_id), target.target_id)
    if fresh_target is None or fresh_dep is None:
        raise Unauthenticated()
    _require_running_allowed(fresh_target, fresh_dep)
    return fresh_target, fresh_dep
