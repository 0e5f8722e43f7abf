"""Download: the kill switch, the re-run limit and the start of a run.

Order matters: the S3 object is hashed before anything is counted, so a tampered
script never costs a machine a run and never leaves this module.
"""

from __future__ import annotations

from typing import Any

from edgex import agents, blobs, clock, counters, wrappers
from edgex.deployments import EXPIRED, INTEGRITY_VIOLATION
from edgex.errors import Conflict, IntegrityViolation, NotFound, RerunLimitExceeded
from edgex.models import DeploymentModel, TargetModel
from edgex.storage import ConditionFailed, storage_errors, transact


def kill(dep: DeploymentModel) -> None:
    """Expire the deployment for good and record why."""
    from aws_lambda_powertools import Logger

    now = clock.now_iso()
    with storage_errors():
        dep.update(
            actions=[
                DeploymentModel.status.set(EXPIRED),
                DeploymentModel.kill_reason.set(INTEGRITY_VIOLATION),
                DeploymentModel.updated_at.set(now),
            ]
        )
    # The alarm's metric filter matches this field (infra/observability).
    Logger(service="edgex").error(
        "kill switch", extra={"kill_reason": INTEGRITY_VIOLATION, "deployment_id": int(dep.deployment_id)}
    )


def verified_script(dep: DeploymentModel) -> bytes:
    """The pinned bytes, or the kill switch: a changed or vanished object expires the
    deployment for good and the caller learns nothing but a generic 500."""
    try:
        data = blobs.get(dep.s3_key, dep.s3_version_id)
    except (NotFound, blobs.ObjectCorrupt):
        data = None
    if data is None or blobs.sha256(data) != dep.script_checksum:
        kill(dep)
        raise IntegrityViolation()
    return data


def download(session: agents.AgentSession) -> str:
    """The payload for this machine, after counting the run (429 past the limit)."""
    target, dep = session.target, session.deployment
    if int(target.run_count) >= int(dep.max_runs):
        raise RerunLimitExceeded()
    if session.wrapper is None:
        raise IntegrityViolation()  # a deployment always has its snapshot: missing is tampering
    payload = wrappers.render_payload(session.wrapper, dep.script_type, verified_script(dep))
    start_run(target, dep)
    return payload


def start_run(target: TargetModel, dep: DeploymentModel) -> None:
    """One transaction: the target's run count (conditional on the limit and on the
    status we saw, so counters move exactly once) and the deployment's counters."""
    for _ in range(5):
        seen, now = target.status, clock.now_iso()

        def writes(
            tx: Any, target: TargetModel = target, dep: DeploymentModel = dep, seen: str = seen, now: str = now
        ) -> None:
            tx.update(
                target,
                actions=[
                    TargetModel.run_count.add(1),
                    TargetModel.status.set("running"),
                    TargetModel.started_at.set(now),
                    TargetModel.last_seen_at.set(now),
                    TargetModel.completed_at.remove(),
                    TargetModel.exit_code.remove(),
                ],
                condition=(TargetModel.run_count < dep.max_runs) & (TargetModel.status == seen),
            )
            # Liveness was checked on the deployment read with the token; no condition on
            # the deployment item here, which would cost a write on the hottest item.
            shard = counters.shard_of(int(dep.deployment_id), target.target_id)
            changes = {"running": 0 if seen == "running" else 1}
            if seen in ("completed", "failed"):
                changes[seen] = -1
            actions = counters.moves(shard, changes)
            if actions:  # a re-download while running moves nothing
                tx.update(shard, actions=actions)

        try:
            transact(writes)
            return
        except ConditionFailed as failed:
            target, dep = agents.refresh(target, dep)
            if failed.reasons and failed.reasons[0] is not None and int(target.run_count) >= int(dep.max_runs):
                raise RerunLimitExceeded() from None
    raise Conflict("Machine state keeps changing; retry", code="TARGET_CHANGED")
