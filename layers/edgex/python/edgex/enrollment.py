"""Trust-on-first-use enrollment.

One target per (deployment, machine_id): the target key is derived from the
machine id, so the target, the hostname claim and the deployment's counter are
written in one TransactWriteItems whose conditions hold under any concurrency
(:func:`edgex.store.targets.claim`):
- target absent        (else: the same machine again -> same target, fresh token)
- hostname unclaimed   (else: 409 HOSTNAME_CONFLICT)
- enrolled < expected and deployment active (else: 409 ENROLLMENT_CAP_REACHED / 410)
"""

from __future__ import annotations

from typing import Any

from edgex import clock, limits, liveness, tokens
from edgex import geo as geo_rules
from edgex.errors import (
    EnrollmentCapReached,
    HostnameConflict,
    HostnameMismatch,
    MachineBlocked,
    TargetBusy,
    TargetCancelled,
    TargetChanged,
    Unauthenticated,
)
from edgex.store import deployments as deployment_store
from edgex.store import keys
from edgex.store import targets as store
from edgex.store.base import optimistic
from edgex.store.tables import DeploymentModel
from edgex.vocabulary import TargetStatus

ROTATE_ATTEMPTS = 3
GEO_FIELDS = geo_rules.FIELDS


def authenticate_master(token: str) -> DeploymentModel:
    """The deployment a master token belongs to: one GetItem, constant-time compare."""
    claimed = tokens.parse_master(token)
    dep = deployment_store.find(claimed.deployment_id)
    if dep is None or not tokens.matches(token, dep.master_token_hash):
        raise Unauthenticated()
    return dep


def clean_geo(raw: dict[str, Any]) -> dict[str, Any]:
    """The valid geo fields (edgex.geo), each dropped on its own when bad."""
    return geo_rules.clean(raw)


def enroll(dep: DeploymentModel, data: dict[str, Any], geo: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``data`` is a validated EnrollRequest. Returns (answer, created)."""
    liveness.require_live(dep)
    target_id = keys.target_id_for(data["machine_id"])
    agent_token = tokens.new_agent(int(dep.deployment_id), target_id)
    refused = store.claim(
        dep,
        target_id,
        hostname=data["hostname"],
        machine_id=data["machine_id"],
        token_hash=tokens.digest(agent_token),
        geo=clean_geo(geo),
        now=clock.now_iso(),
    )
    if refused is None:
        return _answer(dep, target_id, agent_token, TargetStatus.ENROLLED), True
    if refused.already_enrolled:
        return _re_enroll(dep, target_id, data["hostname"], geo), False
    if refused.hostname_taken:
        if store.hostname_blocked(int(dep.deployment_id), data["hostname"]):
            raise MachineBlocked()
        raise HostnameConflict()
    liveness.require_live(deployment_store.get(int(dep.deployment_id)))
    raise EnrollmentCapReached()


def _re_enroll(dep: DeploymentModel, target_id: str, hostname: str, geo: dict[str, Any]) -> dict[str, Any]:
    """The same machine again: same target, a fresh token (only hashes are stored,
    so the old token cannot be handed out again; the new one replaces it).

    Whoever knows the master token and a machine id could otherwise take that
    machine's run over (its token rotated mid-run, its reports refused, a forged
    result posted), so a rotation must name the enrolled hostname, and a running
    target is not rotated until its run has been silent for TAKEOVER_AFTER_SECONDS
    (a machine whose agent died can enroll again then)."""
    agent_token = tokens.new_agent(int(dep.deployment_id), target_id)

    def attempt() -> dict[str, Any] | None:
        target = store.get(int(dep.deployment_id), target_id)
        if target is not None and target.blocked:
            raise MachineBlocked()
        if target is None or target.status in (TargetStatus.EXPIRED, TargetStatus.CANCELLED):
            raise TargetCancelled()
        if target.hostname.lower() != hostname.lower():
            raise HostnameMismatch()
        if (
            target.status == TargetStatus.RUNNING
            and clock.seconds_since(target.last_seen_at) < limits.TAKEOVER_AFTER_SECONDS
        ):
            raise TargetBusy()
        if not store.rotate_token(target, tokens.digest(agent_token), clean_geo(geo), clock.now_iso()):
            return None  # it changed meanwhile: look again
        return _answer(dep, target_id, agent_token, target.status)

    return optimistic(attempt, ROTATE_ATTEMPTS, TargetChanged)


def _answer(dep: DeploymentModel, target_id: str, agent_token: str, status: str) -> dict[str, Any]:
    return {
        "agent_token": agent_token,
        "target_id": target_id,
        "deployment_id": int(dep.deployment_id),
        "status": str(status),
    }
