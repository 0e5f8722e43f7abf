"""Deployments: a script version pinned (checksum, S3 version id, wrapper snapshot),
a master token shown once, and live counters kept by atomic updates.

Cancelling or expiring a deployment is one write: targets that were still enrolled
or running are shown as ``expired`` from then on (and agents are refused with 410),
so a deployment of any size is cancelled in constant time with no counter drift.
"""

from __future__ import annotations

from typing import Any

from edgex import clock, config, platform_settings, scripts, tokens, wrappers
from edgex.audit import Actor
from edgex.errors import FindingsNotAcknowledged, TargetChanged, TargetNotFound
from edgex.liveness import effective_status, is_live, require_live, target_status
from edgex.store import config as config_store
from edgex.store import counters, tables
from edgex.store import deployments as store
from edgex.store import targets as target_store
from edgex.store.base import optimistic
from edgex.store.cursors import Page
from edgex.store.tables import DeploymentModel, TargetModel
from edgex.vocabulary import LIVE_TARGET_STATUSES, DeploymentStatus, TargetStatus

__all__ = ["effective_status", "is_live", "require_live", "target_status"]  # agents use edgex.liveness
COUNTS = ("enrolled", "running", "completed", "failed", "expired")
TARGET_CHANGE_ATTEMPTS = 5


def counts(dep: DeploymentModel, runs: dict[str, int]) -> dict[str, int]:
    result = {"enrolled": int(dep.enrolled_count or 0), **runs}
    if effective_status(dep) != DeploymentStatus.ACTIVE:
        result["expired"] += result["running"]
        result["running"] = 0
    return result


def view(dep: DeploymentModel, runs: dict[str, int] | None = None) -> dict[str, Any]:
    """The API's deployment; ``runs`` (from the run counters) is read when not given."""
    if runs is None:
        runs = store.run_counts([int(dep.deployment_id)])[int(dep.deployment_id)]
    return {
        "id": int(dep.deployment_id),
        "script_id": int(dep.script_id),
        "script_name": dep.script_name,
        "script_type": dep.script_type,
        "name": dep.name,
        "description": dep.description,
        "status": effective_status(dep),
        "kill_reason": dep.kill_reason,
        "expires_at": dep.expires_at,
        "expected_machines": int(dep.expected_machines),
        "max_runs": int(dep.max_runs),
        "script_version": dep.script_version,
        "script_checksum": dep.script_checksum,
        "counts": counts(dep, runs),
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
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    return {
        **view(dep, dict.fromkeys(counters.RUN_COUNTS, 0)),
        "master_token": master,
        "one_liners": wrappers.one_liners(config.public_url(), master),
        "findings_acknowledged": bool(data.get("acknowledge_findings")),
    }


def list_page(limit: int, cursor: str | None) -> Page:
    found, next_cursor = store.page(limit, cursor)
    runs = store.run_counts([int(d.deployment_id) for d in found])
    return [view(d, runs[int(d.deployment_id)]) for d in found], next_cursor


def targets_page(dep: DeploymentModel, limit: int, cursor: str | None) -> Page:
    found, next_cursor = target_store.page(int(dep.deployment_id), limit, cursor)
    return [target_view(t, dep) for t in found], next_cursor


def one_liner_templates(deployment_id: int) -> dict[str, Any]:
    """The one-liners with a placeholder: the master token is only ever shown once."""
    store.get(deployment_id)
    placeholder = "<MASTER_TOKEN>"
    stand_in = f"exm_{deployment_id}_" + "X" * 43  # a well-formed token, so the one-liners render
    lines = wrappers.one_liners(config.public_url(), stand_in)
    return {
        "deployment_id": deployment_id,
        "token_placeholder": placeholder,
        "one_liners": {k: v.replace(stand_in, placeholder) for k, v in lines.items()},
    }


def cancel(deployment_id: int) -> dict[str, Any]:
    dep = store.get(deployment_id)
    if dep.status != DeploymentStatus.ACTIVE:
        return view(dep)  # idempotent: cancelling twice is not an error
    if not store.set_status(dep, DeploymentStatus.CANCELLED, clock.now_iso(), only_from=DeploymentStatus.ACTIVE):
        return view(store.get(deployment_id))
    return view(dep)  # the conditional update read back what it wrote


def get_target(deployment_id: int, target_id: str) -> TargetModel:
    target = target_store.get(deployment_id, target_id)
    if target is None:
        raise TargetNotFound()
    return target


def cancel_target(deployment_id: int, target_id: str, block: bool = False) -> dict[str, Any]:
    """Stop one machine; with ``block`` also ban it from enrolling in this deployment
    again, under its machine id or its hostname (a cancel alone is a stop)."""
    dep = store.get(deployment_id)
    if block:
        target_store.block(get_target(deployment_id, target_id))

    def attempt() -> dict[str, Any] | None:
        target = get_target(deployment_id, target_id)
        if target_status(target, dep) not in LIVE_TARGET_STATUSES:
            return target_view(target, dep)
        if not target_store.finish(target, TargetStatus.EXPIRED, clock.now_iso()):
            return None  # the machine changed state meanwhile: look again
        return target_view(get_target(deployment_id, target_id), store.get(deployment_id))

    return optimistic(attempt, TARGET_CHANGE_ATTEMPTS, TargetChanged)


def delete(deployment_id: int) -> dict[str, Any]:
    """Hard delete: the deployment, its targets, hostname claims and logs."""
    store.delete(store.get(deployment_id))
    return {"deleted": True, "id": deployment_id}
