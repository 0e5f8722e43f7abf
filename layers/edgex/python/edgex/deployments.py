"""Deployments: a script version pinned (checksum, S3 version id, wrapper snapshot),
a master token shown once, and live counters kept by atomic updates.

Cancelling or expiring a deployment is one write: targets that were still enrolled
or running read ``cancelled`` / ``expired`` from then on (and agents are refused with
410), so a deployment of any size is stopped in constant time with no counter drift.
A deployment whose expected machines all reached a final outcome reads "settled"
(:func:`read_status`).
"""

from __future__ import annotations

from typing import Any

from edgex import clock, config, limits, platform_settings, rollout, scripts, tokens, wrappers
from edgex.audit import Actor
from edgex.errors import (
    FindingsNotAcknowledged,
    IntegrityViolation,
    NotFound,
    TargetChanged,
    TargetNotFound,
    TimeoutTooLong,
)
from edgex.liveness import effective_status, ended_as, halted, is_live, require_live, target_status
from edgex.store import blobs, counters, tables
from edgex.store import config as config_store
from edgex.store import deployments as store
from edgex.store import targets as target_store
from edgex.store.base import optimistic
from edgex.store.cursors import Page
from edgex.store.tables import DeploymentModel, TargetModel
from edgex.vocabulary import FINAL_TARGET_STATUSES, LIVE_TARGET_STATUSES, DeploymentStatus, LogLevel, TargetStatus

__all__ = ["effective_status", "is_live", "require_live", "target_status"]  # agents use edgex.liveness
COUNTS = ("enrolled", *counters.RUN_COUNTS)
TARGET_CHANGE_ATTEMPTS = 5


def counts(dep: DeploymentModel, runs: dict[str, int]) -> dict[str, int]:
    result = {"enrolled": int(dep.enrolled_count or 0), **dict.fromkeys(counters.RUN_COUNTS, 0), **runs}
    if halted(dep):
        result[ended_as(dep)] += result["running"] + result["waiting"]
        result["running"] = result["waiting"] = 0
    return result


def read_status(dep: DeploymentModel, counted: dict[str, int]) -> str:
    """The status the API shows: an active deployment whose expected machines all reached
    a final outcome (none running) has "settled": completed, or completed_with_failures
    when any of them did not complete. It still accepts re-runs until it expires."""
    status = effective_status(dep)
    if status != DeploymentStatus.ACTIVE or counted.get(TargetStatus.RUNNING, 0) > 0:
        return status
    finals = {s.value for s in FINAL_TARGET_STATUSES}
    if sum(counted.get(s, 0) for s in finals) < int(dep.expected_machines):
        return status
    unsuccessful = sum(counted.get(s, 0) for s in finals if s != TargetStatus.COMPLETED)
    return (DeploymentStatus.COMPLETED_WITH_FAILURES if unsuccessful else DeploymentStatus.COMPLETED).value


def view(dep: DeploymentModel, runs: dict[str, int] | None = None) -> dict[str, Any]:
    """The API's deployment; ``runs`` (from the run counters) is read when not given."""
    if runs is None:
        runs = store.run_counts([int(dep.deployment_id)])[int(dep.deployment_id)]
    counted = counts(dep, runs)
    return {
        "id": int(dep.deployment_id),
        "script_id": int(dep.script_id),
        "script_name": dep.script_name,
        "script_type": dep.script_type,
        "name": dep.name,
        "description": dep.description,
        "status": read_status(dep, counted),
        "kill_reason": dep.kill_reason,
        "fail_on_error": bool(dep.fail_on_error),
        "cancelled_by": dep.cancelled_by,
        "cancelled_at": dep.cancelled_at,
        "expires_at": dep.expires_at,
        "expected_machines": int(dep.expected_machines),
        "max_runs": int(dep.max_runs),
        "timeout_seconds": int(dep.timeout_seconds or limits.TIMEOUT_SECONDS_DEFAULT),
        "script_version": dep.script_version,
        "script_checksum": dep.script_checksum,
        "payload_sha256": dep.payload_sha256,
        "counts": counted,
        **rollout.view_fields(dep),
        "created_by": dep.created_by,
        "created_at": dep.created_at,
        "updated_at": dep.updated_at,
    }


def target_view(target: TargetModel, dep: DeploymentModel) -> dict[str, Any]:
    return {
        "id": target.target_id,
        "hostname": target.hostname,
        "machine_id": target.machine_id,
        "status": target_status(target, dep),
        "run_count": int(target.run_count),
        "geo": tables.plain(target.geo),
        "enrolled_at": target.enrolled_at,
        "started_at": target.started_at,
        "completed_at": target.completed_at,
        "last_seen_at": target.last_seen_at,
        "exit_code": None if target.exit_code is None else int(target.exit_code),
        # The current run's output: bytes received, and bytes dropped past the run's limit.
        "output_bytes": int(target.output_bytes or 0),
        "output_dropped": int(target.output_dropped or 0),
    }


get = store.get


def create(data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """``data`` is a validated DeploymentCreateRequest."""
    from edgex import static_audit

    head = scripts.get(data["script_id"])
    version_no = scripts.version_no_of(data["script_version"]) if "script_version" in data else int(head.version_no)
    version = scripts.get_version(int(head.script_id), version_no)
    if static_audit.has_high(version.findings or []) and not data.get("acknowledge_findings"):
        raise FindingsNotAcknowledged()
    settings, wrapper = platform_settings.settings_and_wrapper(head.type)
    payload_hash = _payload_sha256(wrapper, head.type, head.s3_key, version.s3_version_id, version.checksum)
    boot = store.Bootstrappers(api_url=config.public_url(), templates=wrappers.bootstrapper_templates())
    run_control = run_control_fields(data, settings)
    deployment_id = config_store.next_id("deployment")
    master = tokens.new_master(deployment_id)
    hours = data.get("expires_hours")
    now = clock.now_iso()
    pin = store.Pin(
        script_id=int(head.script_id),
        script_name=head.name,
        script_type=head.type,
        version=version.version,
        checksum=version.checksum,
        s3_key=head.s3_key,
        s3_version_id=version.s3_version_id,
    )
    dep = store.create(
        deployment_id,
        pin,
        wrapper,
        boot,
        payload_sha256=payload_hash,
        name=data["name"],
        description=data.get("description", ""),
        master_token_hash=tokens.digest(master),
        expires_at=clock.in_hours(hours) if hours else None,
        expected_machines=data["expected_machines"],
        max_runs=platform_settings.max_runs(settings, head.type),
        log_retention_days=int(settings["log_retention_days"]),
        run_log_entries=int(settings["run_log_entries"]),
        run_log_bytes=int(settings["run_log_bytes"]),
        report_grace_minutes=int(settings["report_grace_minutes"]),
        fail_on_error=bool(data.get("fail_on_error")),
        max_concurrency=rollout.resolve(data.get("max_concurrency"), data["expected_machines"]),
        error_threshold=rollout.resolve(data.get("error_threshold"), data["expected_machines"]),
        **run_control,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    return {
        **view(dep, dict.fromkeys(counters.RUN_COUNTS, 0)),
        "master_token": master,
        "one_liners": wrappers.pinned_one_liners(boot.api_url, master, payload_hash, boot.templates),
        "findings_acknowledged": bool(data.get("acknowledge_findings")),
    }


def _payload_sha256(wrapper: str, script_type: str, s3_key: str, s3_version_id: str, checksum: str) -> str:
    """The SHA-256 of the payload every machine of the deployment will get: the same
    pure rendering the download does, from the same pinned bytes. A script object that
    no longer matches its checksum is refused here too, before anything is pinned."""
    try:
        script = blobs.get(s3_key, s3_version_id)
    except (NotFound, blobs.ObjectCorrupt):
        raise IntegrityViolation() from None
    if blobs.sha256(script) != checksum:
        raise IntegrityViolation()
    return wrappers.payload_sha256(wrappers.render_payload(wrapper, script_type, script))


def _one_liners(dep: DeploymentModel, master_token: str) -> dict[str, str]:
    boot = store.bootstrapper_snapshot(dep)
    if boot is None or not dep.payload_sha256:
        return wrappers.one_liners(config.public_url(), master_token)  # from before the pinning
    return wrappers.pinned_one_liners(boot.api_url, master_token, dep.payload_sha256, boot.templates)


def run_control_fields(data: dict[str, Any], settings: dict[str, Any]) -> dict[str, int]:
    """What a deployment pins for its runs' control: the time limit asked for (400
    above the platform's cap, never silently lowered), the output kept per run and
    when a silent run counts as lost."""
    timeout = int(data.get("timeout_seconds") or limits.TIMEOUT_SECONDS_DEFAULT)
    cap = int(settings.get("timeout_max_seconds") or limits.TIMEOUT_MAX_SECONDS_DEFAULT)
    if "timeout_seconds" in data and timeout > cap:
        raise TimeoutTooLong(f"timeout_seconds is above the platform's limit of {cap} seconds", field="timeout_seconds")
    return {
        "timeout_seconds": min(timeout, cap),
        "run_output_bytes": int(settings.get("run_output_bytes") or limits.RUN_OUTPUT_BYTES_DEFAULT),
        "lost_after_seconds": int(settings.get("lost_after_seconds") or limits.LOST_AFTER_SECONDS_DEFAULT),
    }


def list_page(limit: int, cursor: str | None, status: str | None = None) -> Page:
    """Newest first; ``status`` keeps the deployments whose read status (settled ones
    included) is that one, filtered after the query: a page may hold fewer items."""
    found, next_cursor = store.page(limit, cursor)
    runs = store.run_counts([int(d.deployment_id) for d in found])
    views = [view(d, runs[int(d.deployment_id)]) for d in found]
    return [v for v in views if status is None or v["status"] == status], next_cursor


def rotate_master(deployment_id: int) -> dict[str, Any]:
    """A new master token replaces the stored hash (the old token stops working at
    once: every master request reads the hash); shown once with fresh one-liners."""
    dep = store.get(deployment_id)
    require_live(dep)
    master = tokens.new_master(deployment_id)
    store.set_master_hash(dep, tokens.digest(master), clock.now_iso())
    return {
        "deployment_id": deployment_id,
        "master_token": master,
        "one_liners": _one_liners(dep, master),
    }


def targets_page(dep: DeploymentModel, limit: int, cursor: str | None) -> Page:
    found, next_cursor = target_store.page(int(dep.deployment_id), limit, cursor)
    return [target_view(t, dep) for t in found], next_cursor


def one_liner_templates(deployment_id: int) -> dict[str, Any]:
    """The one-liners with a placeholder: the master token is only ever shown once. The
    installer's bytes depend on the token, so these lines cannot pin its SHA-256 (the
    lines given at creation and rotation do); the answer says so."""
    store.get(deployment_id)
    placeholder = "<MASTER_TOKEN>"
    stand_in = f"exm_{deployment_id}_" + "X" * 43  # a well-formed token, so the one-liners render
    lines = wrappers.one_liners(config.public_url(), stand_in)
    return {
        "deployment_id": deployment_id,
        "token_placeholder": placeholder,
        "one_liners": {k: v.replace(stand_in, placeholder) for k, v in lines.items()},
        "installer_pinned": False,
        "note": "These lines do not check the installer's SHA-256 (it depends on the master token); "
        "the one-liners shown at creation or after a master token rotation do.",
    }


def cancel(deployment_id: int, actor: Actor | None = None) -> dict[str, Any]:
    """Stop the deployment; who and when are recorded on it."""
    dep = store.get(deployment_id)
    if dep.status not in (DeploymentStatus.ACTIVE, DeploymentStatus.PAUSED):
        return view(dep)  # idempotent: cancelling twice is not an error
    if not store.cancel(dep, actor.username if actor else None, clock.now_iso()):
        return view(store.get(deployment_id))
    return view(dep)  # the conditional update read back what it wrote


def get_target(deployment_id: int, target_id: str) -> TargetModel:
    target = target_store.get(deployment_id, target_id)
    if target is None:
        raise TargetNotFound()
    return target


def cancel_target(
    deployment_id: int, target_id: str, actor: Actor | None = None, block: bool = False
) -> dict[str, Any]:
    """Stop one machine: it reads ``cancelled`` (its own count), and who and when go to
    its log. With ``block`` it is also banned from enrolling in this deployment again,
    under its machine id or its hostname (a cancel alone is a stop)."""
    dep = store.get(deployment_id)
    if block:
        target_store.block(get_target(deployment_id, target_id))

    def attempt() -> dict[str, Any] | None:
        target = get_target(deployment_id, target_id)
        if target_status(target, dep) not in LIVE_TARGET_STATUSES:
            return target_view(target, dep)
        now = clock.now_iso()
        who = actor.username if actor else "an administrator"
        note = {"status": LogLevel.WARNING.value, "message": f"Cancelled by {who} at {now}", "step": "cancelled"}
        if not target_store.finish(target, dep, TargetStatus.CANCELLED, now, note=note):
            return None  # the machine changed state meanwhile: look again
        return target_view(get_target(deployment_id, target_id), store.get(deployment_id))

    return optimistic(attempt, TARGET_CHANGE_ATTEMPTS, TargetChanged)


def delete(deployment_id: int) -> dict[str, Any]:
    """Hard delete: the deployment, its targets, hostname claims and logs."""
    store.delete(store.get(deployment_id))
    return {"deleted": True, "id": deployment_id}
