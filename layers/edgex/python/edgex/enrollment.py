"""Trust-on-first-use enrollment.

One target per (deployment, machine_id): the target key is derived from the
machine id, so the target, the hostname claim and the deployment's counter are
written in one TransactWriteItems whose conditions hold under any concurrency:
- target absent        (else: the same machine again -> same target, fresh token)
- hostname unclaimed   (else: 409 HOSTNAME_CONFLICT)
- enrolled < expected and deployment active (else: 409 ENROLLMENT_CAP_REACHED / 410)
"""

from __future__ import annotations

import hashlib
from typing import Any

from edgex import blocking, clock, deployments, schemas, tokens
from edgex import geo as geo_rules
from edgex.errors import EnrollmentCapReached, Gone, HostnameConflict, Unauthenticated
from edgex.models import DeploymentModel, HostnameClaimModel, TargetModel
from edgex.storage import ConditionFailed, storage_errors, transact

GEO_FIELDS = geo_rules.FIELDS


def target_id_for(machine_id: str) -> str:
    return hashlib.sha256(machine_id.encode()).hexdigest()[:16]


def authenticate_master(token: str) -> DeploymentModel:
    """The deployment a master token belongs to: one GetItem, constant-time compare."""
    claimed = tokens.parse_master(token)
    with storage_errors():
        try:
            dep = DeploymentModel.get(claimed.deployment_id, consistent_read=True)
        except DeploymentModel.DoesNotExist:
            raise Unauthenticated() from None
    if not tokens.matches(token, dep.master_token_hash):
        raise Unauthenticated()
    return dep


def clean_geo(raw: dict[str, Any]) -> dict[str, Any]:
    """The valid geo fields (edgex.geo), each dropped on its own when bad."""
    return geo_rules.clean(raw)


def enroll(dep: DeploymentModel, body: Any, geo: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Returns (answer, created)."""
    data = schemas.validate("EnrollRequest", body)
    deployments.require_live(dep)
    target_id = target_id_for(data["machine_id"])
    agent_token = tokens.new_agent(int(dep.deployment_id), target_id)
    now = clock.now_iso()
    target = TargetModel(
        dep.deployment_id,
        f"t#{target_id}",
        target_id=target_id,
        hostname=data["hostname"],
        machine_id=data["machine_id"],
        token_hash=tokens.digest(agent_token),
        status="enrolled",
        run_count=0,
        geo=clean_geo(geo),
        enrolled_at=now,
        last_seen_at=now,
    )
    claim = HostnameClaimModel(dep.deployment_id, f"h#{data['hostname'].lower()}", target_id=target_id)

    def writes(tx: Any) -> None:
        tx.save(target, condition=TargetModel.sk.does_not_exist())
        tx.save(claim, condition=HostnameClaimModel.sk.does_not_exist())
        tx.update(
            dep,
            actions=[DeploymentModel.enrolled_count.add(1)],
            condition=(DeploymentModel.enrolled_count < DeploymentModel.expected_machines)
            & (DeploymentModel.status == deployments.ACTIVE),
        )
        blocking.check(tx, int(dep.deployment_id), data["machine_id"], data["hostname"])

    try:
        transact(writes)
    except ConditionFailed as failed:
        if blocking.blocked(failed.reasons):
            raise blocking.MachineBlocked() from None
        failed.reasons = blocking.own_reasons(failed.reasons)
        target_taken, claim_taken = failed.reasons[0] is not None, failed.reasons[1] is not None
        if target_taken or not any(failed.reasons):
            return _re_enroll(dep, target_id, geo), False
        if claim_taken:
            raise HostnameConflict() from None
        deployments.require_live(deployments.get(int(dep.deployment_id)))
        raise EnrollmentCapReached() from None
    return _answer(dep, target_id, agent_token, "enrolled"), True


def _re_enroll(dep: DeploymentModel, target_id: str, geo: dict[str, Any]) -> dict[str, Any]:
    """The same machine again: same target, a fresh token (only hashes are stored,
    so the old token cannot be handed out again; the new one replaces it)."""
    agent_token = tokens.new_agent(int(dep.deployment_id), target_id)
    target = deployments.get_target(int(dep.deployment_id), target_id)
    if target.status == deployments.EXPIRED:
        raise Gone("This machine was cancelled for this deployment", code="TARGET_CANCELLED")
    actions = [TargetModel.token_hash.set(tokens.digest(agent_token)), TargetModel.last_seen_at.set(clock.now_iso())]
    if clean_geo(geo):
        actions.append(TargetModel.geo.set(clean_geo(geo)))
    try:
        with storage_errors():
            target.update(actions=actions, condition=TargetModel.status != deployments.EXPIRED)
    except ConditionFailed:
        raise Gone("This machine was cancelled for this deployment", code="TARGET_CANCELLED") from None
    return _answer(dep, target_id, agent_token, target.status)


def _answer(dep: DeploymentModel, target_id: str, agent_token: str, status: str) -> dict[str, Any]:
    return {
        "agent_token": agent_token,
        "target_id": target_id,
        "deployment_id": int(dep.deployment_id),
        "status": status,
    }
