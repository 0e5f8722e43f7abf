"""The tables (pynamodb models) of ARCHITECTURE.md section 4: only store modules use them.

Table names come from the environment (see :mod:`edgex.resources`) and are bound
on first use by :func:`bind`, never at import time. Key formats live in
:mod:`edgex.store.keys`.

Key design, so that what is read together is keyed together:
- ``targets``: hash ``deployment_id``, range ``sk``. A target is ``t#<target_id>``;
  the hostname claim of a deployment is ``h#<hostname, lower-case>`` in the same
  partition, so enrollment is one transaction over one partition plus the
  deployment item.
- ``logs``: hash ``target_key`` (``<deployment_id>#<target_id>``), range ``seq``
  (time-ordered); GSI ``by_deployment`` gives a deployment's recent feed; TTL ``ttl``.
- ``config``: hash ``pk``, range ``sk``: settings, wrapper templates and their change
  log, id counters.
- ``audit``: hash ``stream`` (one per month), range ``seq``, newest first.

The models of the tables only admin routes touch (scripts, script versions, config,
audit) are declared in :mod:`edgex.store.admin_tables`, so that agent handlers never
build them; every function here still serves every logical table.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection, Projection
from pynamodb.models import Model

from edgex import config, resources


class _Meta:
    table_name = "unbound"  # replaced by bind()
    region: str | None = None


class NewestFirstIndex(GlobalSecondaryIndex[Any]):
    """Lists a table newest first: constant ``kind`` partition, id as sort key.
    Admin-rate writes only, so the single partition is never hot."""

    class Meta:
        index_name = "by_kind"
        projection: Projection = AllProjection()


class DeploymentsByScript(GlobalSecondaryIndex["DeploymentModel"]):
    """Which deployments pin a script (refusing to delete a script in use). Keys only:
    the deployment item takes a write per enrollment, and a projected copy would too."""

    class Meta:
        index_name = "by_script"
        projection = KeysOnlyProjection()

    script_id = NumberAttribute(hash_key=True)
    deployment_id = NumberAttribute(range_key=True)


class DeploymentsNewestFirst(NewestFirstIndex):
    """Keys only, for the same reason as :class:`DeploymentsByScript`: lists read the
    page's items with one BatchGetItem."""

    class Meta(NewestFirstIndex.Meta):
        projection = KeysOnlyProjection()

    kind = UnicodeAttribute(hash_key=True)
    deployment_id = NumberAttribute(range_key=True)


class DeploymentModel(Model):
    class Meta(_Meta):
        pass

    deployment_id = NumberAttribute(hash_key=True)
    kind = UnicodeAttribute(default="deployment")
    by_kind = DeploymentsNewestFirst()
    by_script = DeploymentsByScript()
    script_id = NumberAttribute()
    script_name = UnicodeAttribute()
    script_type = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    master_token_hash = UnicodeAttribute()
    status = UnicodeAttribute()  # active | cancelled | expired
    kill_reason = UnicodeAttribute(null=True)
    expires_at = UnicodeAttribute(null=True)  # ISO-8601 UTC; None = permanent
    expected_machines = NumberAttribute()
    max_runs = NumberAttribute()  # pinned from the platform setting at creation
    log_retention_days = NumberAttribute()  # pinned too: feedback needs no settings read
    run_log_entries = NumberAttribute(null=True)  # pinned: one run's log quota (None: the default)
    run_log_bytes = NumberAttribute(null=True)
    report_grace_minutes = NumberAttribute(null=True)  # pinned: reports after a stop, this long
    run_output_bytes = NumberAttribute(null=True)  # pinned: one run's kept output (None: the default)
    timeout_seconds = NumberAttribute(null=True)  # the wrapper kills the script after this long
    lost_after_seconds = NumberAttribute(null=True)  # a silent running target is lost after this long
    script_version = UnicodeAttribute()
    script_checksum = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    s3_version_id = UnicodeAttribute()
    payload_sha256 = UnicodeAttribute(
        null=True
    )  # SHA-256 of the payload every machine gets (pinned in the bootstrapper)
    enrolled_count = NumberAttribute(default=0)  # the run counters are sharded: edgex.counters
    fail_on_error = BooleanAttribute(null=True)  # the seed's rule: any error entry fails the run
    cancelled_by = UnicodeAttribute(null=True)  # who cancelled the deployment, and when
    cancelled_at = UnicodeAttribute(null=True)
    max_concurrency = NumberAttribute(null=True)  # pinned rollout: runs in flight at most (None: no limit)
    error_threshold = NumberAttribute(null=True)  # failures that pause the deployment (None: never)
    paused_by = UnicodeAttribute(null=True)  # who paused it ("error threshold" when it paused itself), and when
    paused_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class DeploymentMembers(GlobalSecondaryIndex[Any]):
    """A deployment's targets and hostname claims, keys only, spread over
    ``keys.LIST_SHARDS`` partitions: written once per member (its keys never change),
    read by fanning out over the shards (listing, delete)."""

    class Meta:
        index_name = "by_deployment"
        projection = KeysOnlyProjection()

    list_shard = UnicodeAttribute(hash_key=True)  # <deployment_id>#<shard>
    member = UnicodeAttribute(range_key=True)  # t#<target_id> | h#<hostname>


class TargetMembers(DeploymentMembers):
    class Meta(DeploymentMembers.Meta):
        pass


class ClaimMembers(DeploymentMembers):
    class Meta(DeploymentMembers.Meta):
        pass


class RunningTargets(GlobalSecondaryIndex[Any]):
    """The targets running now, keys only, spread over ``keys.LIST_SHARDS`` partitions
    per clock-free shard (``run#<shard>``): sparse, since only a running target carries
    ``running_shard`` (set by start_run, removed by the final report: two writes per
    run, none per heartbeat). The lost sweep reads it instead of scanning the table."""

    class Meta:
        index_name = "by_running"
        projection = KeysOnlyProjection()

    running_shard = UnicodeAttribute(hash_key=True)
    pk = UnicodeAttribute(range_key=True)


class TargetModel(Model):
    """One machine in one deployment, in a partition of its own (``t#<dep>#<target>``):
    a deployment's machines never share a partition, however many enroll at once."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    list_shard = UnicodeAttribute()
    member = UnicodeAttribute()
    by_deployment = TargetMembers()
    deployment_id = NumberAttribute()
    target_id = UnicodeAttribute()
    hostname = UnicodeAttribute()
    machine_id = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    status = UnicodeAttribute()  # edgex.vocabulary.TargetStatus
    run_count = NumberAttribute(default=0)
    run_id = UnicodeAttribute(null=True)  # the agent's id of the current run (a retried download is not a new run)
    log_entries = NumberAttribute(default=0)  # this run's log entries and bytes (the quota)
    log_bytes = NumberAttribute(default=0)
    log_truncated = BooleanAttribute(default=False)
    blocked = BooleanAttribute(default=False)  # banned from enrolling again (cancel with block)
    geo: MapAttribute[str, Any] = MapAttribute(default=dict)  # country, city, region, latitude, longitude, time_zone
    enrolled_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    last_seen_at = UnicodeAttribute()
    exit_code = NumberAttribute(null=True)
    # This run's captured output (edgex.output): bytes received, bytes dropped past the
    # run's limit, and the count of reports written to the rotating tail slots.
    output_bytes = NumberAttribute(null=True)
    output_dropped = NumberAttribute(null=True)
    output_tail = NumberAttribute(null=True)
    # Set while the target runs (start_run), removed by its final report: the sparse
    # keys-only index the lost sweep reads (``<dep>#<shard>`` style, see keys.running_shard).
    running_shard = UnicodeAttribute(null=True)
    by_running = RunningTargets()


class WrapperSnapshotModel(Model):
    """Same table as TargetModel (``w#<dep>``): the wrapper a deployment pinned.

    Kept off the deployment item on purpose: that item takes a write per enroll,
    and DynamoDB bills a write by the whole item's size; with a 10 KB wrapper
    inside, each counter bump cost ten times more.
    """

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    content = UnicodeAttribute()


class BootstrapperSnapshotModel(Model):
    """Same table as TargetModel (``b#<dep>``): the bootstrapper templates and the API
    URL a deployment pinned at creation. Its one-liners pin the SHA-256 of the
    installer rendered from them, so the installer must stay byte-identical for the
    deployment's whole life, whatever a platform upgrade does to the templates. A
    row of its own: downloads read the wrapper snapshot, never this one."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    api_url = UnicodeAttribute()
    templates = JSONAttribute()  # {"bash": text, "ps1": text}


class HostnameClaimModel(Model):
    """Same table as TargetModel (``h#<dep>#<hostname>``): a hostname taken in a deployment."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    list_shard = UnicodeAttribute()
    member = UnicodeAttribute()
    by_deployment = ClaimMembers()
    target_id = UnicodeAttribute()
    blocked = BooleanAttribute(default=False)  # the hostname is banned with its machine


class DeploymentFeedIndex(GlobalSecondaryIndex["LogModel"]):
    """A deployment's reports in time order, over ``keys.FEED_SHARDS`` partitions (a
    deployment-wide partition would take every report of every machine)."""

    class Meta:
        index_name = "by_deployment"
        projection = AllProjection()

    feed_shard = UnicodeAttribute(hash_key=True)  # <deployment_id>#<shard>
    at = UnicodeAttribute(range_key=True)  # <iso time>#<target_id>#<seq>: time-ordered, unique


class CounterShardModel(Model):
    """One shard of a deployment's run counters (see :mod:`edgex.store.counters`)."""

    class Meta(_Meta):
        pass

    shard_key = UnicodeAttribute(hash_key=True)  # <deployment_id>#<shard>
    running = NumberAttribute(default=0)
    completed = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    expired = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)
    waiting = NumberAttribute(default=0)
    timed_out = NumberAttribute(default=0)
    lost = NumberAttribute(default=0)


class RolloutSlotModel(Model):
    """Same table as the counter shards (``<deployment_id>#slot``): a rollout's runs in
    flight and failures, in one small item, only for deployments with a max_concurrency
    or an error_threshold (see :mod:`edgex.store.rollout`). Its conditions make both
    exact under any concurrency; deployments without limits never touch it."""

    class Meta(_Meta):
        pass

    shard_key = UnicodeAttribute(hash_key=True)
    in_flight = NumberAttribute(default=0)
    failures = NumberAttribute(default=0)  # failed + timed_out + lost, counted once per run
    max_in_flight = NumberAttribute(null=True)
    failure_limit = NumberAttribute(null=True)  # no run starts once failures reach it
    paused = BooleanAttribute(default=False)


class LogModel(Model):
    """One report of one run: its entries together in one item (a write per report,
    not per entry), keyed by target, ordered by run then by the agent's request key."""

    class Meta(_Meta):
        pass

    target_key = UnicodeAttribute(hash_key=True)  # <deployment_id>#<target_id>
    seq = UnicodeAttribute(range_key=True)  # <run:04d>#<request key>
    feed_shard = UnicodeAttribute()
    at = UnicodeAttribute()
    by_deployment = DeploymentFeedIndex()
    deployment_id = NumberAttribute()
    target_id = UnicodeAttribute()
    hostname = UnicodeAttribute()
    run = NumberAttribute()
    entries = JSONAttribute()  # [{"status", "message", "step"}]
    timestamp = UnicodeAttribute()
    ttl = TTLAttribute(null=True)


# The tables of the agent path. The admin-only ones (ADMIN_TABLES) have their models in
# edgex.store.admin_tables, loaded on first use: an agent handler never builds them.
TABLE_MODELS: dict[str, tuple[type[Model], ...]] = {
    "deployments": (DeploymentModel,),
    "targets": (TargetModel, HostnameClaimModel, WrapperSnapshotModel, BootstrapperSnapshotModel),
    "logs": (LogModel,),
    "counters": (CounterShardModel, RolloutSlotModel),
}
ADMIN_TABLES: tuple[str, ...] = ("scripts", "script_versions", "config", "audit")


def models(logical: str) -> tuple[type[Model], ...]:
    """The models of one logical table, whichever module declares them."""
    if logical in ADMIN_TABLES:
        from edgex.store import admin_tables

        return admin_tables.TABLE_MODELS[logical]
    return TABLE_MODELS[logical]


_bound: set[str] = set()


def bind(*logical: str) -> None:
    """Point the models of the given tables at their physical tables (idempotent).

    Handlers bind only the tables their route may touch, so a function deployed
    without a table's variable cannot reach it by accident (and a route with no
    table binds nothing).
    """
    from pynamodb.exceptions import TableError

    from edgex.store.base import connection

    shared = connection()
    for name in logical:
        if name in _bound:
            continue
        physical = config.table_name(name)
        for model in models(name):
            model.Meta.table_name = physical
            model.Meta.region = config.region()
            model._connection = None
            # pynamodb gives each model its own Connection, hence its own botocore
            # session and client, each loading DynamoDB's service model again (about
            # 100 ms of a cold start apiece). Every model shares one instead.
            table = model._get_connection()
            try:
                shared.get_meta_table(physical)
            except TableError:  # first model of this table on the shared connection
                shared.add_meta_table(table.get_meta_table())
            table.connection = shared
        _bound.add(name)


def unbind_all() -> None:
    """Forget bindings and connections: every model unbound, as in a fresh process
    (only a bound model holds a table name or a connection worth forgetting)."""
    for name in _bound:
        for model in models(name):
            model.Meta.table_name = _Meta.table_name
            model._connection = None
    _bound.clear()


def plain(value: MapAttribute[str, Any] | dict[str, Any] | None) -> dict[str, Any]:
    """A map attribute as a plain dict (pynamodb gives a MapAttribute or a dict)."""
    if isinstance(value, MapAttribute):
        return dict(value.as_dict())
    return dict(value or {})


def serialize_key(model: type[Model], key: tuple[Any, ...]) -> dict[str, Any]:
    """A key in DynamoDB's JSON form (for BatchGetItem and cursors)."""
    names = [name for name in (model._hash_keyname, model._range_keyname) if name]
    attributes = model.get_attributes()
    return {n: {attributes[n].attr_type: attributes[n].serialize(v)} for n, v in zip(names, key, strict=True)}


def create_all() -> None:
    """Create every table (on demand, with its TTL) where none exists yet: local mode
    and tests, against moto. The CDK stack builds the same tables from :func:`schema`."""
    from edgex.store.base import connection, storage_errors

    bind(*resources.TABLES)
    with storage_errors():
        for name in resources.TABLES:
            first = models(name)[0]
            first.create_table(billing_mode="PAY_PER_REQUEST", wait=False)
            ttl = ttl_attribute(name)
            if ttl:
                connection().client.update_time_to_live(
                    TableName=first.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
                )


def schema(logical: str) -> list[dict[str, Any]]:
    """pynamodb's create-table schema of each model of a logical table: keys, indexes
    and their projections, for the CDK stack and the local server to create the very
    tables the handlers use."""
    return [dict(model._get_schema()) for model in models(logical)]


def ttl_attribute(logical: str) -> str | None:
    for model in models(logical):
        for attribute in model.get_attributes().values():
            if isinstance(attribute, TTLAttribute):
                return str(attribute.attr_name)
    return None
