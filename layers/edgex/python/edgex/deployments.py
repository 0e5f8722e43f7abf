"""Deployments: a script version pinned (checksum, S3 version id, wrapper snapshot),
a master token shown once, and live counters kept on the item by atomic updates.

Cancelling or expiring a deployment is one write: targets that were still enrolled
or running are shown as ``expired`` from then on (and agents are refused with 410),
so a deployment of any size is cancelled in constant time with no counter drift.
"""

from __future__ import annotations

from typing import Any

from edgex import clock, config, counters, platform_settings, schemas, scripts, tokens, wrappers
from edgex.audit import Actor
from edgex.errors import Conflict, Gone, NotFound
from edgex.models import (
    DeploymentModel,
    HostnameClaimModel,
    LogModel,
    ScriptModel,
    TargetModel,
    WrapperSnapshotModel,
)
from edgex.platform_settings import next_id
from edgex.storage import ConditionFailed, storage_errors, transact
from edgex.vocabulary import FINAL_TARGET_STATUSES, DeploymentStatus, TargetStatus

ACTIVE, CANCELLED, EXPIRED = "active", "cancelled", "expired"
INTEGRITY_VIOLATION = "INTEGRITY_VIOLATION"
LIVE_TARGET = ("enrolled", "running")
COUNTS = ("enrolled", "running", "completed", "failed", "expired", "cancelled")
SNAPSHOT_KEY = "w#wrapper"


def is_live(dep: DeploymentModel) -> bool:
    return dep.status == ACTIVE and not clock.is_past(dep.expires_at)


def effective_status(dep: DeploymentModel) -> str:
    return EXPIRED if dep.status == ACTIVE and clock.is_past(dep.expires_at) else dep.status


def require_live(dep: DeploymentModel) -> None:
    """410 with a code when agents may no longer use this deployment."""
    status = effective_status(dep)
    if status == CANCELLED:
        raise Gone("Deployment was cancelled", code="DEPLOYMENT_CANCELLED")
    if status != ACTIVE:
        raise Gone("Deployment has expired", code="DEPLOYMENT_EXPIRED")


def target_status(target: TargetModel, dep: DeploymentModel) -> str:
    """Unfinished machines of a cancelled deployment read ``cancelled``, of an expired one
    ``expired`` (never written to each target: cancelling stays one write)."""
    if target.status in LIVE_TARGET and effective_status(dep) != ACTIVE:
        return _ended_as(dep)
    return target.status


def _ended_as(dep: DeploymentModel) -> str:
    return TargetStatus.CANCELLED if dep.status == CANCELLED else TargetStatus.EXPIRED


def counts(dep: DeploymentModel, runs: dict[str, int]) -> dict[str, int]:
    result = {"enrolled": int(dep.enrolled_count or 0), **dict.fromkeys(counters.RUN_COUNTS, 0), **runs}
    if effective_status(dep) != ACTIVE:
        result[_ended_as(dep)] += result["running"]
        result["running"] = 0
    return result


def read_status(dep: DeploymentModel, counted: dict[str, int]) -> str:
    """The status the API shows: an active deployment whose expected machines all reached
    a final outcome (none running) has "settled": completed, or completed_with_failures
    when any of them did not complete. It still accepts re-runs until it expires."""
    status = effective_status(dep)
    if status != ACTIVE or counted.get("running", 0) > 0:
        return status
    finals = {s.value for s in FINAL_TARGET_STATUSES}
    if sum(counted.get(s, 0) for s in finals) < int(dep.expected_machines):
        return status
    unsuccessful = sum(counted.get(s, 0) for s in finals if s != TargetStatus.COMPLETED)
    return DeploymentStatus.COMPLETED_WITH_FAILURES if unsuccessful else DeploymentStatus.COMPLETED


def view(dep: DeploymentModel, runs: dict[str, int] | None = None) -> dict[str, Any]:
    """The API's deployment; ``runs`` (from :func:`counters.totals`) is read when not given."""
    if runs is None:
        runs = counters.totals([int(dep.deployment_id)])[int(dep.deployment_id)]
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
        "script_version": dep.script_version,
        "script_checksum": dep.script_checksum,
        "counts": counted,
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
        "geo": target.geo.as_dict() if hasattr(target.geo, "as_dict") else dict(target.geo or {}),
        "enrolled_at": target.enrolled_at,
        "started_at": target.started_at,
        "completed_at": target.completed_at,
        "last_seen_at": target.last_seen_at,
        "exit_code": None if target.exit_code is None else int(target.exit_code),
    }


def get(deployment_id: int) -> DeploymentModel:
    with storage_errors():
        try:
            return DeploymentModel.get(deployment_id, consistent_read=True)
        except DeploymentModel.DoesNotExist:
            raise NotFound("Deployment not found", code="DEPLOYMENT_NOT_FOUND") from None


def create(body: Any, actor: Actor) -> dict[str, Any]:
    from edgex import static_audit

    data = schemas.validate("DeploymentCreateRequest", body)
    head = scripts.get(data["script_id"])
    version_no = scripts.version_no_of(data["script_version"]) if "script_version" in data else int(head.version_no)
    version = scripts.get_version(head.script_id, version_no)
    if static_audit.has_high(version.findings or []) and not data.get("acknowledge_findings"):
        raise Conflict(
            "This script version has high-severity audit findings; set acknowledge_findings to deploy it",
            code="FINDINGS_NOT_ACKNOWLEDGED",
        )
    settings, wrapper = platform_settings.settings_and_wrapper(head.type)
    deployment_id = next_id("deployment")
    master = tokens.new_master(deployment_id)
    hours = data.get("expires_hours")
    now = clock.now_iso()
    dep = DeploymentModel(
        deployment_id,
        script_id=int(head.script_id),
        script_name=head.name,
        script_type=head.type,
        name=data["name"],
        description=data.get("description", ""),
        master_token_hash=tokens.digest(master),
        status=ACTIVE,
        expires_at=clock.in_hours(hours) if hours else None,
        expected_machines=data["expected_machines"],
        fail_on_error=bool(data.get("fail_on_error")),
        max_runs=platform_settings.max_runs(settings, head.type),
        log_retention_days=int(settings["log_retention_days"]),
        script_version=version.version,
        script_checksum=version.checksum,
        s3_key=head.s3_key,
        s3_version_id=version.s3_version_id,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    snapshot = WrapperSnapshotModel(deployment_id, SNAPSHOT_KEY, content=wrapper)

    def writes(tx: Any) -> None:
        tx.update(head, actions=[ScriptModel.deployments_total.add(1)], condition=ScriptModel.deleted == False)  # noqa: E712 - a deleted script cannot be deployed
        tx.save(dep, condition=DeploymentModel.deployment_id.does_not_exist())
        tx.save(snapshot)

    try:
        transact(writes)
    except ConditionFailed as exc:
        raise NotFound("Script not found", code=scripts.SCRIPT_NOT_FOUND) from exc
    return {
        **view(dep, dict.fromkeys(counters.RUN_COUNTS, 0)),
        "master_token": master,
        "one_liners": wrappers.one_liners(config.public_url(), master),
        "findings_acknowledged": bool(data.get("acknowledge_findings")),
    }


def list_page(limit: int, cursor: dict[str, Any] | None, status: str | None = None) -> tuple[list[dict[str, Any]], Any]:
    """Newest first; ``status`` keeps the deployments whose read status (settled ones
    included) is that one, filtered after the query: a page may hold fewer items."""
    with storage_errors():
        page = DeploymentModel.by_kind.query(
            "deployment", scan_index_forward=False, limit=limit, last_evaluated_key=cursor
        )
        found = list(page)
    runs = counters.totals(int(d.deployment_id) for d in found)
    views = [view(d, runs[int(d.deployment_id)]) for d in found]
    return [v for v in views if status is None or v["status"] == status], page.last_evaluated_key


def rotate_master(deployment_id: int) -> dict[str, Any]:
    """A new master token replaces the stored hash (the old token stops working at
    once: every master request reads the hash); shown once with fresh one-liners."""
    dep = get(deployment_id)
    require_live(dep)
    master = tokens.new_master(deployment_id)
    try:
        with storage_errors():
            dep.update(
                actions=[
                    DeploymentModel.master_token_hash.set(tokens.digest(master)),
                    DeploymentModel.updated_at.set(clock.now_iso()),
                ],
                condition=DeploymentModel.deployment_id.exists(),
            )
    except ConditionFailed:
        raise NotFound("Deployment not found", code="DEPLOYMENT_NOT_FOUND") from None
    return {
        "deployment_id": deployment_id,
        "master_token": master,
        "one_liners": wrappers.one_liners(config.public_url(), master),
    }


def targets_page(dep: DeploymentModel, limit: int, cursor: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    with storage_errors():
        page = TargetModel.query(
            dep.deployment_id, TargetModel.sk.startswith("t#"), limit=limit, last_evaluated_key=cursor
        )
        items = [target_view(t, dep) for t in page]
    return items, page.last_evaluated_key


def one_liner_templates(deployment_id: int) -> dict[str, Any]:
    """The one-liners with a placeholder: the master token is only ever shown once."""
    get(deployment_id)
    placeholder = "<MASTER_TOKEN>"
    stand_in = f"exm_{deployment_id}_" + "X" * 43  # a well-formed token, so the one-liners render
    lines = wrappers.one_liners(config.public_url(), stand_in)
    return {
        "deployment_id": deployment_id,
        "token_placeholder": placeholder,
        "one_liners": {k: v.replace(stand_in, placeholder) for k, v in lines.items()},
    }


def cancel(deployment_id: int, actor: Actor | None = None) -> dict[str, Any]:
    dep = get(deployment_id)
    if dep.status != ACTIVE:
        return view(dep)  # idempotent: cancelling twice is not an error
    now = clock.now_iso()
    try:
        with storage_errors():
            dep.update(
                actions=[
                    DeploymentModel.status.set(CANCELLED),
                    DeploymentModel.updated_at.set(now),
                    DeploymentModel.cancelled_at.set(now),
                    *([DeploymentModel.cancelled_by.set(actor.username)] if actor else []),
                ],
                condition=DeploymentModel.status == ACTIVE,
            )
    except ConditionFailed:
        dep = get(deployment_id)
    return view(dep)


def get_target(deployment_id: int, target_id: str) -> TargetModel:
    with storage_errors():
        try:
            return TargetModel.get(deployment_id, f"t#{target_id}", consistent_read=True)
        except TargetModel.DoesNotExist:
            raise NotFound("Target not found", code="TARGET_NOT_FOUND") from None


def cancel_target(deployment_id: int, target_id: str, actor: Actor | None = None) -> dict[str, Any]:
    """The target becomes ``cancelled`` (its own count); who and when go to its log."""
    dep = get(deployment_id)
    for _ in range(5):
        target = get_target(deployment_id, target_id)
        if target_status(target, dep) not in LIVE_TARGET:
            return target_view(target, dep)
        seen = target.status
        now = clock.now_iso()

        def writes(tx: Any, target: TargetModel = target, seen: str = seen, now: str = now) -> None:
            tx.update(
                target,
                actions=[
                    TargetModel.status.set(TargetStatus.CANCELLED),
                    TargetModel.completed_at.set(now),
                    TargetModel.last_seen_at.set(now),
                ],
                condition=TargetModel.status == seen,
            )
            shard = counters.shard_of(deployment_id, target_id)
            tx.update(shard, actions=counters.moves(shard, {"cancelled": 1, "running": -1 if seen == "running" else 0}))
            tx.save(_cancel_entry(dep, target, actor, now))

        try:
            transact(writes)
        except ConditionFailed:
            continue  # the machine changed state meanwhile: look again
        return target_view(get_target(deployment_id, target_id), get(deployment_id))
    raise Conflict("Target keeps changing; retry", code="TARGET_CHANGED")


def _cancel_entry(dep: DeploymentModel, target: TargetModel, actor: Actor | None, now: str) -> LogModel:
    from edgex import feedback

    who = actor.username if actor else "an administrator"
    return feedback.admin_entry(dep, target, f"Cancelled by {who} at {now}", step="cancelled")


def delete(deployment_id: int) -> dict[str, Any]:
    """Hard delete: the deployment, its targets, hostname claims and logs."""
    dep = get(deployment_id)
    with storage_errors():
        with TargetModel.batch_write() as targets, LogModel.batch_write() as logs:
            for target in TargetModel.query(deployment_id, TargetModel.sk.startswith("t#")):
                for log in LogModel.query(f"{deployment_id}#{target.target_id}"):
                    logs.delete(log)
                targets.delete(target)
        with HostnameClaimModel.batch_write() as claims:
            for claim in HostnameClaimModel.query(deployment_id, HostnameClaimModel.sk.startswith("h#")):
                claims.delete(claim)
        WrapperSnapshotModel(deployment_id, SNAPSHOT_KEY).delete()
        dep.delete()
    counters.delete_all(deployment_id)
    return {"deleted": True, "id": deployment_id}
