"""Scripts and their versions: a head row per script (the latest version, for lists)
and one row per version; content lives in S3 (:mod:`edgex.store.blobs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from edgex.errors import ScriptChanged, ScriptNotFound, VersionNotFound
from edgex.store import cursors, keys
from edgex.store.admin_tables import ScriptModel, ScriptVersionModel
from edgex.store.base import ConditionFailed, get_items, storage_errors, transact
from edgex.store.tables import DeploymentModel

_SCRIPTS_SHAPE = cursors.Shape({"kind": cursors.text(r"script"), "script_id": cursors.number()})
_VERSIONS_SHAPE = cursors.Shape({"script_id": cursors.number(), "version_no": cursors.number()})


class Content(NamedTuple):
    """What one version's bytes are: where S3 keeps them and what they hash to."""

    version: str
    checksum: str
    size: int
    s3_version_id: str


def get(script_id: int) -> ScriptModel:
    """A script that exists and is not deleted (404 SCRIPT_NOT_FOUND otherwise)."""
    with storage_errors():
        try:
            item = ScriptModel.get(script_id, consistent_read=True)
        except ScriptModel.DoesNotExist:
            raise ScriptNotFound() from None
    if item.deleted:
        raise ScriptNotFound()
    return item


def get_version(script_id: int, version_no: int) -> ScriptVersionModel:
    with storage_errors():
        try:
            return ScriptVersionModel.get(script_id, version_no, consistent_read=True)
        except ScriptVersionModel.DoesNotExist:
            raise VersionNotFound() from None


def create(
    script_id: int,
    *,
    name: str,
    script_type: str,
    description: str,
    s3_key: str,
    content: Content,
    actor: str,
    now: str,
    findings: Sequence[Mapping[str, Any]],
) -> ScriptModel:
    """The head and its first version, together."""
    head = ScriptModel(
        script_id,
        name=name,
        type=script_type,
        description=description,
        version=content.version,
        version_no=1,
        checksum=content.checksum,
        size=content.size,
        s3_key=s3_key,
        s3_version_id=content.s3_version_id,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    first = _version_row(script_id, 1, content, actor, now, findings)

    def writes(tx: Any) -> None:
        tx.save(head, condition=ScriptModel.script_id.does_not_exist())
        tx.save(first, condition=ScriptVersionModel.script_id.does_not_exist())

    transact(writes)
    return head


def _version_row(
    script_id: int, version_no: int, content: Content, actor: str, now: str, findings: Sequence[Mapping[str, Any]]
) -> ScriptVersionModel:
    return ScriptVersionModel(
        script_id,
        version_no,
        version=content.version,
        checksum=content.checksum,
        size=content.size,
        s3_version_id=content.s3_version_id,
        created_by=actor,
        created_at=now,
        findings=findings,
    )


def add_version(
    head: ScriptModel,
    content: Content,
    *,
    actor: str,
    now: str,
    findings: Sequence[Mapping[str, Any]],
    name: str | None,
    description: str | None,
) -> ScriptModel:
    """The next version, on the condition that the head is still at the version read:
    two concurrent updates cannot both become 1.0.n (the loser gets 409 SCRIPT_CHANGED).
    Returns the head as written, not read back: a failed read after the commit would
    answer 503 and invite a retry that makes yet another version."""
    seen_no = int(head.version_no)
    new_no = seen_no + 1
    version = _version_row(int(head.script_id), new_no, content, actor, now, findings)
    actions = [
        ScriptModel.version.set(content.version),
        ScriptModel.version_no.set(new_no),
        ScriptModel.checksum.set(content.checksum),
        ScriptModel.size.set(content.size),
        ScriptModel.s3_version_id.set(content.s3_version_id),
        ScriptModel.updated_at.set(now),
    ]
    if name is not None:
        actions.append(ScriptModel.name.set(name))
    if description is not None:
        actions.append(ScriptModel.description.set(description))

    def writes(tx: Any) -> None:
        tx.update(
            head,
            actions=actions,
            condition=(ScriptModel.version_no == seen_no) & (ScriptModel.deleted == False),  # noqa: E712
        )
        tx.save(version, condition=ScriptVersionModel.script_id.does_not_exist())

    try:
        transact(writes)
    except ConditionFailed as exc:
        raise ScriptChanged() from exc
    head.version, head.version_no, head.checksum = content.version, new_no, content.checksum
    head.size, head.s3_version_id, head.updated_at = content.size, content.s3_version_id, now
    head.name = name if name is not None else head.name
    head.description = description if description is not None else head.description
    return head


def page(limit: int, cursor: str | None) -> tuple[list[ScriptModel], str | None]:
    """Scripts newest first (deleted ones left out: a page may hold fewer items)."""
    with storage_errors():
        found = ScriptModel.by_kind.query(
            keys.SCRIPT_KIND,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=cursors.decode(cursor, _SCRIPTS_SHAPE),
            filter_condition=ScriptModel.deleted == False,  # noqa: E712
        )
        items = list(found)
    return items, cursors.encode(found.last_evaluated_key)


def versions_page(script_id: int, limit: int, cursor: str | None) -> tuple[list[ScriptVersionModel], str | None]:
    start = cursors.decode(cursor, _VERSIONS_SHAPE, {"script_id": str(script_id)})
    with storage_errors():
        found = ScriptVersionModel.query(script_id, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = list(found)
    return items, cursors.encode(found.last_evaluated_key)


def deployments_pinning(script_id: int) -> list[DeploymentModel]:
    """Every deployment of a script: keys from the index, rows in BatchGetItem calls."""
    with storage_errors():
        ids = [int(row.deployment_id) for row in DeploymentModel.by_script.query(script_id)]
    found: list[DeploymentModel] = []
    for start in range(0, len(ids), 100):  # BatchGetItem takes 100 keys
        found += [row for row in get_items(*[(DeploymentModel, (d,)) for d in ids[start : start + 100]]) if row]
    return found


def mark_deleted(head: ScriptModel, now: str) -> None:
    """Soft delete, on the condition that no deployment was created since the check
    (``deployments_total`` unchanged) and nobody deleted it meanwhile."""
    try:
        with storage_errors():
            head.update(
                actions=[ScriptModel.deleted.set(True), ScriptModel.updated_at.set(now)],
                condition=(ScriptModel.deployments_total == head.deployments_total) & (ScriptModel.deleted == False),  # noqa: E712
            )
    except ConditionFailed as exc:
        raise ScriptChanged() from exc
