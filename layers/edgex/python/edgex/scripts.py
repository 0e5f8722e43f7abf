"""Scripts: content in S3 (one S3 version per script version), metadata and version
history in DynamoDB. Every update bumps the patch version (1.0.0 -> 1.0.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from edgex import clock, limits
from edgex.audit import Actor
from edgex.errors import ContentIntegrity, ScriptInUse, ValidationFailed, VersionNotFound
from edgex.store import blobs
from edgex.store import config as config_store
from edgex.store import scripts as store
from edgex.store.admin_tables import ScriptModel, ScriptVersionModel
from edgex.store.cursors import Page


def semver(version_no: int) -> str:
    return f"1.0.{version_no - 1}"


def version_no_of(version: str) -> int:
    """The version number of a semver this platform made (1.0.n); 404 for others."""
    major, minor, patch = (int(p) for p in version.split("."))
    if (major, minor) != (1, 0):
        raise VersionNotFound()
    return patch + 1


def _content_bytes(content: str) -> bytes:
    data = content.encode("utf-8")
    if len(data) > limits.SCRIPT_MAX_BYTES:
        raise ValidationFailed(f"content must be at most {limits.SCRIPT_MAX_BYTES} bytes", field="content")
    if "\x00" in content:
        raise ValidationFailed("content must not contain NUL bytes", field="content")
    return data


def _findings(script_type: str, content: str) -> Sequence[Mapping[str, Any]]:
    from edgex import static_audit

    return static_audit.audit_script(script_type, content)


def view(item: ScriptModel, findings: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
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


get = store.get
get_version = store.get_version


def _stored(key: str, data: bytes, version_no: int) -> store.Content:
    return store.Content(semver(version_no), blobs.sha256(data), len(data), blobs.put(key, data))


def create(data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """``data`` is a validated ScriptCreateRequest."""
    content = _content_bytes(data["content"])
    findings = _findings(data["type"], data["content"])
    script_id = config_store.next_id("script")
    key = blobs.script_key(script_id)
    head = store.create(
        script_id,
        name=data["name"],
        script_type=data["type"],
        description=data.get("description", ""),
        s3_key=key,
        content=_stored(key, content, 1),
        actor=actor.username,
        now=clock.now_iso(),
        findings=findings,
    )
    return view(head, findings)


def update(script_id: int, data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """``data`` is a validated ScriptUpdateRequest."""
    content = _content_bytes(data["content"])
    head = store.get(script_id)
    findings = _findings(head.type, data["content"])
    written = store.add_version(
        head,
        _stored(head.s3_key, content, int(head.version_no) + 1),
        actor=actor.username,
        now=clock.now_iso(),
        findings=findings,
        name=data.get("name"),
        description=data.get("description"),
    )
    return view(written, findings)


def content(script_id: int, version: str | None = None) -> str:
    head = store.get(script_id)
    if version is None:
        s3_version, checksum = head.s3_version_id, head.checksum
    else:
        row = store.get_version(script_id, version_no_of(version))
        s3_version, checksum = row.s3_version_id, row.checksum
    data = blobs.get(head.s3_key, s3_version)
    if blobs.sha256(data) != checksum:
        raise ContentIntegrity()
    return data.decode("utf-8")


def list_page(limit: int, cursor: str | None) -> Page:
    items, next_cursor = store.page(limit, cursor)
    return [view(i) for i in items], next_cursor


def versions_page(script_id: int, limit: int, cursor: str | None) -> Page:
    store.get(script_id)
    items, next_cursor = store.versions_page(script_id, limit, cursor)
    return [version_view(i) for i in items], next_cursor


def delete(script_id: int) -> dict[str, Any]:
    """Soft delete: the row is hidden and can no longer be deployed; S3 versions stay
    for the deployments that pinned them. Refused while a live deployment pins it."""
    from edgex.deployments import is_live

    head = store.get(script_id)
    live = [d for d in store.deployments_pinning(script_id) if is_live(d)]
    if live:
        raise ScriptInUse(f"Script is pinned by {len(live)} live deployment(s)")
    store.mark_deleted(head, clock.now_iso())
    return {"deleted": True, "id": script_id}
