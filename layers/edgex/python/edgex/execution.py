"""Download: the kill switch, the re-run limit and the start of a run.

Order matters: the S3 object is hashed before anything is counted, so a tampered
script never costs a machine a run and never leaves this module.
"""

from __future__ import annotations

from edgex import agents, clock, limits, log, rollout, wrappers
from edgex.errors import IntegrityViolation, NotFound, RerunLimitExceeded, TargetChanged
from edgex.store import blobs
from edgex.store import deployments as deployment_store
from edgex.store import targets as store
from edgex.store.base import optimistic
from edgex.store.tables import DeploymentModel
from edgex.vocabulary import KILL_REASON_INTEGRITY, TargetStatus

START_ATTEMPTS = 5


def kill(dep: DeploymentModel) -> None:
    """Expire the deployment for good and record why."""
    deployment_store.kill(dep, KILL_REASON_INTEGRITY, clock.now_iso())
    # The alarm's metric filter matches this field (infra/observability).
    log.logger(agent=True).error(
        "kill switch", extra={"kill_reason": KILL_REASON_INTEGRITY, "deployment_id": int(dep.deployment_id)}
    )


def verified_script(dep: DeploymentModel) -> bytes:
    """The pinned bytes, or the kill switch: a changed or vanished object expires the
    deployment for good and the caller learns nothing but a generic 500. The bytes are
    checked when a Lambda environment first reads them and then kept (an S3 version
    never changes), so a warm environment notices a damaged object at its next cold
    start."""
    try:
        return blobs.verified(dep.s3_key, dep.s3_version_id, dep.script_checksum)
    except (NotFound, blobs.ObjectCorrupt):
        kill(dep)
        raise IntegrityViolation() from None


def download(session: agents.AgentSession, run_id: str | None = None) -> str:
    """The payload for this machine, after counting the run (429 past the limit).

    ``run_id`` is the agent's id for this run: a download retried after a lost reply
    carries the same one and is served again without counting another run."""
    target, dep = session.target, session.deployment
    replay = run_id is not None and target.status == TargetStatus.RUNNING and target.run_id == run_id
    if not replay and int(target.run_count) >= int(dep.max_runs):
        raise RerunLimitExceeded()
    if session.wrapper is None:
        raise IntegrityViolation()  # a deployment always has its snapshot: missing is tampering
    payload = wrappers.render_payload(session.wrapper, dep.script_type, verified_script(dep))
    if not replay:
        start_run(session, run_id)
    return payload


def timeout_of(dep: DeploymentModel) -> int:
    """The run's time limit, for the download answer's X-Edgex-Timeout header (the
    payload stays byte-identical for every machine; the header is per deployment)."""
    return int(dep.timeout_seconds or limits.TIMEOUT_SECONDS_DEFAULT)


def start_run(session: agents.AgentSession, run_id: str | None) -> None:
    """Count the run; a lost race reads both items again and decides anew: past the
    limit is 429, a status that keeps moving is a retryable 409."""
    target, dep = session.target, session.deployment

    def attempt() -> bool | None:
        nonlocal target, dep
        if run_id is not None and target.status == TargetStatus.RUNNING and target.run_id == run_id:
            return True  # a concurrent retry of this very download counted it
        failed = store.start_run(target, dep, run_id, clock.now_iso())
        if failed is None:
            return True
        if store.slot_refused(failed, dep):
            rollout.refused(target, dep)  # raises: wait for a slot, or paused
        target, dep = agents.refresh(target, dep)
        if store.run_limit_hit(failed) and int(target.run_count) >= int(dep.max_runs):
            raise RerunLimitExceeded()
        return None

    optimistic(attempt, START_ATTEMPTS, TargetChanged)
