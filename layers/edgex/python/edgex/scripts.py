"""Scripts: content in S3 (one S3 version per script version), metadata and version
history in DynamoDB. Every update bumps the patch version (1.0.0 -> 1.0.1)."""

from __future__ import annotations

from typing import Any

from edgex import blobs, clock, limits, schemas
from edgex.audit import Actor
from edgex.errors import Conflict, NotFound, ValidationFailed
from edgex.models import DeploymentModel, ScriptModel, ScriptVersionModel
from edgex.platform_settings import next_id
from edgex.storage import ConditionFailed, storage_errors, transact

SCRIPT_NOT_FOUND = "SCRIPT_NOT_FOUND"


def semver(version_no: int) -> str:
    return f"1.0.{version_no - 1}"


def version_no_of(version: str) -> int:
    major, minor, patch = (int(p) for p in version.split("."))
    if (major, minor) != (1, 0):
        raise NotFound("No such version", code="VERSION_NOT_FOUND")
    return patch + 1


def _content_bytes(content: str) -> bytes:
    data = content.encode("utf-8")
    if len(data) > limits.SCRIPT_MAX_BYTES:
        raise ValidationFailed(f"content must be at most {limits.SCRIPT_MAX_BYTES} bytes")
    if "\x00" in content:
        raise ValidationFailed("content must not contain NUL bytes")
    return data


def _findings(script_type: str, content: str) -> list[dict[str, Any]]:
    from edgex import static_audit

    return static_audit.audit_script(script_type, content)


def view(item: ScriptModel, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    result = {
        "id": int(item.script_id),
        "name": item.name,
        "type": item.type,
        "description": item.description,
        "version": item.version,
        "version_no": int(item.version_no),
        "checksum": item.checksum,
        "size": int(item.size),
        "created_by": item.created_by,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }
    if findings is not None:
        result["findings"] = findings
    return result


def version_view(item: ScriptVersionModel) -> dict[str, Any]:
    return {
        "version": item.version,
        "version_no": int(item.version_no),
        "checksum": item.checksum,
        "size": int(item.size),
        "created_by": item.created_by,
        "created_at": item.created_at,
        "findings": item.findings or [],
    }


def get(script_id: int) -> ScriptModel:
    with storage_errors():
        try:
            item = ScriptModel.get(script_id, consistent_read=True)
        except ScriptModel.DoesNotExist:
            raise NotFound("Script not found", code=SCRIPT_NOT_FOUND) from None
    if item.deleted:
        raise NotFound("Script not found", code=SCRIPT_NOT_FOUND)
    return item


def get_version(script_id: int, version_no: int) -> ScriptVersionModel:
    with storage_errors():
        try:
            return ScriptVersionModel.get(script_id, version_no, consistent_read=True)
        except ScriptVersionModel.DoesNotExist:
            raise NotFound("No such version", code="VERSION_NOT_FOUND") from None


def create(body: Any, actor: Actor) -> dict[str, Any]:
    data = schemas.validate("ScriptCreateRequest", body)
    content = _content_bytes(data["content"])
    findings = _findings(data["type"], data["content"])
    script_id = next_id("script")
    key = blobs.script_key(script_id)
    s3_version = blobs.put(key, content)
    now, checksum = clock.now_iso(), blobs.sha256(content)
    head = ScriptModel(
        script_id,
        name=data["name"],
        type=data["type"],
        description=data.get("description", ""),
        version=semver(1),
        version_no=1,
        checksum=checksum,
        size=len(content),
        s3_key=key,
        s3_version_id=s3_version,
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    first = ScriptVersionModel(
        script_id,
        1,
        version=semver(1),
        checksum=checksum,
        size=len(content),
        s3_version_id=s3_version,
        created_by=actor.username,
        created_at=now,
        findings=findings,
    )

    def writes(tx: Any) -> None:
        tx.save(head, condition=ScriptModel.script_id.does_not_exist())
        tx.save(first, condition=ScriptVersionModel.script_id.does_not_exist())

    transact(writes)
    return view(head, findings)


def update(script_id: int, body: Any, actor: Actor) -> dict[str, Any]:
    data = schemas.validate("ScriptUpdateRequest", body)
    content = _content_bytes(data["content"])
    head = get(script_id)
    findings = _findings(head.type, data["content"])
    s3_version = blobs.put(head.s3_key, content)
    now, checksum = clock.now_iso(), blobs.sha256(content)
    seen_no = int(head.version_no)
    new_no = seen_no + 1
    version = ScriptVersionModel(
        script_id,
        new_no,
        version=semver(new_no),
        checksum=checksum,
        size=len(content),
        s3_version_id=s3_version,
        created_by=actor.username,
        created_at=now,
        findings=findings,
    )

    # Optimistic: the head must still be at the version we read, so two concurrent
    # updates cannot both become 1.0.n; the loser gets 409 and retries.
    def writes(tx: Any) -> None:
        tx.update(
            head,
            actions=[
                ScriptModel.version.set(semver(new_no)),
                ScriptModel.version_no.set(new_no),
                ScriptModel.checksum.set(checksum),
                ScriptModel.size.set(len(content)),
                ScriptModel.s3_version_id.set(s3_version),
                ScriptModel.updated_at.set(now),
                *([ScriptModel.name.set(data["name"])] if "name" in data else []),
                *([ScriptModel.description.set(data["description"])] if "description" in data else []),
            ],
            condition=(ScriptModel.version_no == seen_no) & (ScriptModel.deleted == False),  # noqa: E712
        )
        tx.save(version, condition=ScriptVersionModel.script_id.does_not_exist())

    try:
        transact(writes)
    except ConditionFailed as exc:
        raise Conflict("Script changed meanwhile; retry", code="SCRIPT_CHANGED") from exc
    # The answer is built from what was written, not read back: a failed read after the
    # commit would answer 503 and invite a retry that makes yet another version.
    head.version, head.version_no, head.checksum = semver(new_no), new_no, checksum
    head.size, head.s3_version_id, head.updated_at = len(content), s3_version, now
    head.name, head.description = data.get("name", head.name), data.get("description", head.description)
    return view(head, findings)


def content(script_id: int, version: str | None = None) -> str:
    head = get(script_id)
    if version is None:
        s3_version, checksum = head.s3_version_id, head.checksum
    else:
        row = get_version(script_id, version_no_of(version))
        s3_version, checksum = row.s3_version_id, row.checksum
    data = blobs.get(head.s3_key, s3_version)
    if blobs.sha256(data) != checksum:
        raise NotFound("Stored content does not match its checksum", code="CONTENT_INTEGRITY")
    return data.decode("utf-8")


def latest_findings(script_id: int, version_no: int) -> list[dict[str, Any]]:
    return get_version(script_id, version_no).findings or []


def list_page(limit: int, cursor: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    with storage_errors():
        page = ScriptModel.by_kind.query(
            "script",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=cursor,
            filter_condition=ScriptModel.deleted == False,  # noqa: E712
        )
        items = [view(i) for i in page]
    return items, page.last_evaluated_key


def versions_page(script_id: int, limit: int, cursor: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    get(script_id)
    with storage_errors():
        page = ScriptVersionModel.query(script_id, scan_index_forward=False, limit=limit, last_evaluated_key=cursor)
        items = [version_view(i) for i in page]
    return items, page.last_evaluated_key


def delete(script_id: int) -> dict[str, Any]:
    """Soft delete: the row is hidden and can no longer be deployed; S3 versions stay
    for the deployments that pinned them. Refused while a live deployment pins it."""
    from edgex.deployments import is_live

    head = get(script_id)
    with storage_errors():
        live = [d for d in DeploymentModel.by_script.query(script_id) if is_live(d)]
    if live:
        raise Conflict(f"Script is pinned by {len(live)} live deployment(s)", code="SCRIPT_IN_USE")
    try:
        with storage_errors():
            head.update(
                actions=[ScriptModel.deleted.set(True), ScriptModel.updated_at.set(clock.now_iso())],
                condition=(ScriptModel.deployments_total == head.deployments_total) & (ScriptModel.deleted == False),  # noqa: E712
            )
    except ConditionFailed as exc:
        raise Conflict("Script changed meanwhile; retry", code="SCRIPT_CHANGED") from exc
    return {"deleted": True, "id": script_id}
