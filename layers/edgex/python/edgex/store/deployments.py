"""Deployments: the deployment row (with the enrollment counter the cap checks), its
pinned wrapper beside its targets, and its sharded run counters.

A deployment's wrapper and bootstrapper snapshots are written once, with it (create),
and deleted with it: a warm function keeps what it read (:data:`_SNAPSHOTS`). Each is
kept with its deployment's ``created_at`` and served only to that same deployment:
ids come from a counter that never goes back, but should one be used again after a
delete, the new deployment is never given the old one's snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from edgex.errors import DeploymentNotFound, ScriptNotFound, StorageUnavailable
from edgex.store import counters, keys, rollout
from edgex.store.base import ConditionFailed, Kept, get_items, storage_errors, transact
from edgex.store.tables import (
    BootstrapperSnapshotModel,
    DeploymentModel,
    RolloutSlotModel,
    WrapperSnapshotModel,
)
from edgex.vocabulary import DeploymentStatus

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

CREATE_ATTEMPTS = 5
T = TypeVar("T")
# by snapshot key: (the deployment's created_at, the snapshot); a wrapper is ~28 KB, a bootstrapper ~38 KB
_SNAPSHOTS = Kept(entries=64, max_bytes=4 * 1024 * 1024)


class Pin(NamedTuple):
    """What a deployment pins of its script at creation."""

    script_id: int
    script_name: str
    script_type: str
    version: str
    checksum: str
    s3_key: str
    s3_version_id: str


def get(deployment_id: int) -> DeploymentModel:
    with storage_errors():
        try:
            return DeploymentModel.get(deployment_id, consistent_read=True)
        except DeploymentModel.DoesNotExist:
            raise DeploymentNotFound() from None


def find(deployment_id: int) -> DeploymentModel | None:
    """The deployment, or None (a token naming a deployment that does not exist)."""
    with storage_errors():
        try:
            return DeploymentModel.get(deployment_id, consistent_read=True)
        except DeploymentModel.DoesNotExist:
            return None


class Bootstrappers(NamedTuple):
    """The bootstrapper templates and API URL a deployment pins (its installer's bytes)."""

    api_url: str
    templates: dict[str, str]


def create(
    deployment_id: int, pin: Pin, wrapper: str, bootstrappers: Bootstrappers | None = None, **fields: Any
) -> DeploymentModel:
    """The deployment and its wrapper (and bootstrapper) snapshot, and one more on the script's count of
    deployments (which a delete of the script checks), in one transaction: a deleted
    script cannot be deployed. A transaction that lost only to a concurrent update of
    the script is tried again; a missing or deleted script is 404."""
    from edgex.store.admin_tables import ScriptModel  # admin only: kept off the agent path's imports

    dep = DeploymentModel(
        deployment_id,
        script_id=pin.script_id,
        script_name=pin.script_name,
        script_type=pin.script_type,
        script_version=pin.version,
        script_checksum=pin.checksum,
        s3_key=pin.s3_key,
        s3_version_id=pin.s3_version_id,
        status=DeploymentStatus.ACTIVE.value,
        **fields,
    )
    snapshot = WrapperSnapshotModel(keys.snapshot_pk(deployment_id), content=wrapper)
    script = ScriptModel(pin.script_id)
    slot = rollout.new_slot(dep)

    def writes(tx: Any) -> None:
        tx.update(
            script,
            actions=[ScriptModel.deployments_total.add(1)],
            condition=ScriptModel.deleted == False,  # noqa: E712 - a deleted script cannot be deployed
        )
        tx.save(dep, condition=DeploymentModel.deployment_id.does_not_exist())
        tx.save(snapshot)
        if slot is not None:
            tx.save(slot)
        if bootstrappers is not None:
            tx.save(
                BootstrapperSnapshotModel(
                    keys.bootstrapper_pk(deployment_id),
                    api_url=bootstrappers.api_url,
                    templates=dict(bootstrappers.templates),
                )
            )

    for _ in range(CREATE_ATTEMPTS):
        try:
            transact(writes)
            return dep
        except ConditionFailed as failed:
            if failed.failed(0) and _script_gone(pin.script_id):
                raise ScriptNotFound() from None
    raise StorageUnavailable()  # retryable: never a not-found for a script that exists


def _script_gone(script_id: int) -> bool:
    from edgex.store.admin_tables import ScriptModel

    with storage_errors():
        try:
            return bool(ScriptModel.get(script_id, consistent_read=True).deleted)
        except ScriptModel.DoesNotExist:
            return True


def page(limit: int, cursor: str | None) -> tuple[list[DeploymentModel], str | None]:
    """Deployments newest first: keys from the index, rows in one BatchGetItem."""
    from edgex.store import cursors  # admin listings only: agent handlers never load cursors

    shape = cursors.Shape({"kind": cursors.text(r"deployment"), "deployment_id": cursors.number()})
    with storage_errors():
        found = DeploymentModel.by_kind.query(
            keys.DEPLOYMENT_KIND,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=cursors.decode(cursor, shape),
        )
        ids = [int(row.deployment_id) for row in found]
    rows = get_items(*[(DeploymentModel, (d,)) for d in ids]) if ids else []
    return [row for row in rows if row is not None], cursors.encode(found.last_evaluated_key)


def cancel(dep: DeploymentModel, actor: str | None, now: str) -> bool:
    """Cancel an active (or paused) deployment and record who and when; False when it
    was no longer either (someone else stopped it first)."""
    actions: list[Action] = [
        DeploymentModel.status.set(DeploymentStatus.CANCELLED.value),
        DeploymentModel.updated_at.set(now),
        DeploymentModel.cancelled_at.set(now),
    ]
    if actor:
        actions.append(DeploymentModel.cancelled_by.set(actor))
    try:
        with storage_errors():
            dep.update(
                actions=actions,
                condition=DeploymentModel.status.is_in(DeploymentStatus.ACTIVE.value, DeploymentStatus.PAUSED.value),
            )
    except ConditionFailed:
        return False
    return True


def set_master_hash(dep: DeploymentModel, token_hash: str, now: str) -> None:
    """Replace the master token's hash: the old token stops working at once."""
    try:
        with storage_errors():
            dep.update(
                actions=[DeploymentModel.master_token_hash.set(token_hash), DeploymentModel.updated_at.set(now)],
                condition=DeploymentModel.deployment_id.exists(),
            )
    except ConditionFailed:
        raise DeploymentNotFound() from None


def kill(dep: DeploymentModel, reason: str, now: str) -> None:
    """Expire the deployment for good, whatever its state, and record why."""
    with storage_errors():
        dep.update(
            actions=[
                DeploymentModel.status.set(DeploymentStatus.EXPIRED.value),
                DeploymentModel.kill_reason.set(reason),
                DeploymentModel.updated_at.set(now),
            ]
        )


def _kept(dep: DeploymentModel, pk: str) -> Any | None:
    """A snapshot of this very deployment read before, or None."""
    found = _SNAPSHOTS.get(pk)
    return found[1] if found is not None and found[0] == dep.created_at else None


def _keep(dep: DeploymentModel, pk: str, value: T, size: int) -> T:
    """Keep ``value``, a snapshot of ``dep`` read now, for the next request (:func:`_kept`)."""
    _SNAPSHOTS.put(pk, (dep.created_at, value), size)
    return value


def wrapper_kept(deployment_id: int) -> bool:
    """Whether a wrapper snapshot is kept under this id (a batch read may then leave it
    out; :func:`wrapper_snapshot` checks it is this deployment's)."""
    return _SNAPSHOTS.get(keys.snapshot_pk(deployment_id)) is not None


def keep_wrapper(dep: DeploymentModel, snapshot: WrapperSnapshotModel | None) -> str | None:
    """The wrapper of a snapshot row read with ``dep``, kept for the next request."""
    if snapshot is None:
        return None
    content = str(snapshot.content)
    return _keep(dep, keys.snapshot_pk(int(dep.deployment_id)), content, len(content))


def wrapper_snapshot(dep: DeploymentModel) -> str | None:
    """The wrapper ``dep`` pinned: kept from an earlier read, or read and kept."""
    pk = keys.snapshot_pk(int(dep.deployment_id))
    kept = _kept(dep, pk)
    if isinstance(kept, str):
        return kept
    (snapshot,) = get_items((WrapperSnapshotModel, (pk,)))
    return keep_wrapper(dep, snapshot)


def bootstrapper_snapshot(dep: DeploymentModel) -> Bootstrappers | None:
    """The pinned bootstrappers, or None for a deployment created before they were pinned."""
    pk = keys.bootstrapper_pk(int(dep.deployment_id))
    kept = _kept(dep, pk)
    if isinstance(kept, Bootstrappers):
        return kept
    (snapshot,) = get_items((BootstrapperSnapshotModel, (pk,)))
    if snapshot is None:
        return None
    boot = Bootstrappers(api_url=snapshot.api_url, templates=dict(snapshot.templates))
    return _keep(dep, pk, boot, len(boot.api_url) + sum(map(len, boot.templates.values())))


def run_counts(deployment_ids: list[int]) -> dict[int, dict[str, int]]:
    return counters.totals(deployment_ids)


def delete(dep: DeploymentModel) -> None:
    """Hard delete: the deployment, its targets, hostname claims, logs, snapshot and counters."""
    from edgex.store import targets

    deployment_id = int(dep.deployment_id)
    targets.delete_all(deployment_id)
    with storage_errors():
        dep.delete()
    counters.delete_all(deployment_id)
    if rollout.limited(dep):
        with storage_errors(), RolloutSlotModel.batch_write() as batch:
            batch.delete(RolloutSlotModel(keys.rollout_slot(deployment_id)))
