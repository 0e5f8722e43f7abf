"""pynamodb models: the tables of ARCHITECTURE.md section 4.

Table names come from the environment (see :mod:`edgex.resources`) and are bound
on first use by :func:`bind`, never at import time.

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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from edgex import config


class _Meta:
    table_name = "unbound"  # replaced by bind()
    region: str | None = None


class NewestFirstIndex(GlobalSecondaryIndex[Any]):
    """Lists a table newest first: constant ``kind`` partition, id as sort key.
    Admin-rate writes only, so the single partition is never hot."""

    class Meta:
        index_name = "by_kind"
        projection = AllProjection()


class DeploymentsByScript(GlobalSecondaryIndex["DeploymentModel"]):
    """Which deployments pin a script (refusing to delete a script in use)."""

    class Meta:
        index_name = "by_script"
        projection = AllProjection()

    script_id = NumberAttribute(hash_key=True)
    deployment_id = NumberAttribute(range_key=True)


class ScriptsNewestFirst(NewestFirstIndex):
    class Meta(NewestFirstIndex.Meta):
        pass

    kind = UnicodeAttribute(hash_key=True)
    script_id = NumberAttribute(range_key=True)


class DeploymentsNewestFirst(NewestFirstIndex):
    class Meta(NewestFirstIndex.Meta):
        pass

    kind = UnicodeAttribute(hash_key=True)
    deployment_id = NumberAttribute(range_key=True)


class ScriptModel(Model):
    class Meta(_Meta):
        pass

    script_id = NumberAttribute(hash_key=True)
    kind = UnicodeAttribute(default="script")
    by_kind = ScriptsNewestFirst()
    name = UnicodeAttribute()
    type = UnicodeAttribute()  # bash | powershell
    description = UnicodeAttribute(default="")
    version = UnicodeAttribute()  # semver of the latest version
    version_no = NumberAttribute()  # 1-based count of versions
    checksum = UnicodeAttribute()  # SHA-256 hex of the latest content
    size = NumberAttribute()
    s3_key = UnicodeAttribute()
    s3_version_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted = BooleanAttribute(default=False)
    deployments_total = NumberAttribute(default=0)  # bumped by every deployment create


class ScriptVersionModel(Model):
    class Meta(_Meta):
        pass

    script_id = NumberAttribute(hash_key=True)
    version_no = NumberAttribute(range_key=True)
    version = UnicodeAttribute()
    checksum = UnicodeAttribute()
    size = NumberAttribute()
    s3_version_id = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    findings = JSONAttribute(null=True)  # static audit findings of this content


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
    script_version = UnicodeAttribute()
    script_checksum = UnicodeAttribute()
    s3_key = UnicodeAttribute()
    s3_version_id = UnicodeAttribute()
    enrolled_count = NumberAttribute(default=0)  # the run counters are sharded: edgex.counters
    fail_on_error = BooleanAttribute(null=True)  # the seed's rule: any error entry fails the run
    cancelled_by = UnicodeAttribute(null=True)  # who cancelled the deployment, and when
    cancelled_at = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class TargetModel(Model):
    class Meta(_Meta):
        pass

    deployment_id = NumberAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # t#<target_id>
    target_id = UnicodeAttribute()
    hostname = UnicodeAttribute()
    machine_id = UnicodeAttribute()
    token_hash = UnicodeAttribute()
    status = UnicodeAttribute()  # enrolled | running | completed | failed | expired
    run_count = NumberAttribute(default=0)
    geo = MapAttribute(default=dict)  # country, city, region, latitude, longitude, time_zone
    enrolled_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    last_seen_at = UnicodeAttribute()
    exit_code = NumberAttribute(null=True)


class WrapperSnapshotModel(Model):
    """Same table as TargetModel (``sk = "w#wrapper"``): the wrapper a deployment pinned.

    Kept off the deployment item on purpose: that item takes a write per enroll,
    download and final report, and DynamoDB bills a write by the whole item's size;
    with a 10 KB wrapper inside, each counter bump cost ten times more.
    """

    class Meta(_Meta):
        pass

    deployment_id = NumberAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    content = UnicodeAttribute()


class HostnameClaimModel(Model):
    """Same table as TargetModel: the claim of a hostname within a deployment."""

    class Meta(_Meta):
        pass

    deployment_id = NumberAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # h#<hostname lower-case>
    target_id = UnicodeAttribute()


class DeploymentFeedIndex(GlobalSecondaryIndex["LogModel"]):
    class Meta:
        index_name = "by_deployment"
        projection = AllProjection()

    deployment_id = NumberAttribute(hash_key=True)
    seq = UnicodeAttribute(range_key=True)


class CounterShardModel(Model):
    """One shard of a deployment's run counters (see :mod:`edgex.counters`)."""

    class Meta(_Meta):
        pass

    shard_key = UnicodeAttribute(hash_key=True)  # <deployment_id>#<shard>
    running = NumberAttribute(default=0)
    completed = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    expired = NumberAttribute(default=0)
    cancelled = NumberAttribute(default=0)


class LogModel(Model):
    class Meta(_Meta):
        pass

    target_key = UnicodeAttribute(hash_key=True)  # <deployment_id>#<target_id>
    seq = UnicodeAttribute(range_key=True)  # <iso time>#<run>#<n>: time-ordered
    deployment_id = NumberAttribute()
    target_id = UnicodeAttribute()
    hostname = UnicodeAttribute()
    status = UnicodeAttribute()
    message = UnicodeAttribute()
    step = UnicodeAttribute(null=True)
    timestamp = UnicodeAttribute()
    ttl = TTLAttribute(null=True)
    by_deployment = DeploymentFeedIndex()


class ConfigModel(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    value = JSONAttribute(null=True)
    counter = NumberAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class AuditModel(Model):
    class Meta(_Meta):
        pass

    stream = UnicodeAttribute(hash_key=True)  # audit#<yyyy-mm>
    seq = UnicodeAttribute(range_key=True)  # <iso time>#<random>
    actor = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    ids = MapAttribute(default=dict)  # before/after ids involved
    details = JSONAttribute(null=True)
    timestamp = UnicodeAttribute()


TABLE_MODELS: dict[str, tuple[type[Model], ...]] = {
    "scripts": (ScriptModel,),
    "script_versions": (ScriptVersionModel,),
    "deployments": (DeploymentModel,),
    "targets": (TargetModel, HostnameClaimModel, WrapperSnapshotModel),
    "logs": (LogModel,),
    "counters": (CounterShardModel,),
    "config": (ConfigModel,),
    "audit": (AuditModel,),
}

_bound: set[str] = set()


def bind(*logical: str) -> None:
    """Point the models of the given tables at their physical tables (idempotent).

    Handlers bind only the tables their route may touch, so a function deployed
    without a table's variable cannot reach it by accident (and a route with no
    table binds nothing).
    """
    from pynamodb.exceptions import TableError

    from edgex.storage import connection

    shared = connection()
    for name in logical:
        if name in _bound:
            continue
        physical = config.table_name(name)
        for model in TABLE_MODELS[name]:
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
    """Forget bindings (tests that switch environments)."""
    _bound.clear()


def attrs(item: Model) -> dict[str, Any]:
    """A model's attributes as plain JSON-ready values."""
    return item.to_simple_dict()
