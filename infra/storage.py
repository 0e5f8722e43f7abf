"""Storage: the DynamoDB tables, the scripts bucket and the access-log bucket.

Table keys, GSIs and the TTL attribute are read from the pynamodb models
(``edgex.store.tables``), the same classes the handlers use, so a key or index added
to a model reaches the deployed table without a second hand-written copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from edgex import resources
from edgex.store import tables
from infra.config import EdgexConfig
from infra.nag import acknowledge

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}


@dataclass(frozen=True)
class KeySpec:
    partition: tuple[str, str]  # (attribute, S|N|B)
    sort: tuple[str, str] | None


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: KeySpec
    projection: str


@dataclass(frozen=True)
class TableSpec:
    """What CloudFormation needs of one logical table, read from its pynamodb models."""

    name: str
    keys: KeySpec
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None


def _keys(key_schema: list[dict[str, str]], types: dict[str, str]) -> KeySpec:
    by_type = {k["KeyType"]: k["AttributeName"] for k in key_schema}
    hash_name, range_name = by_type["HASH"], by_type.get("RANGE")
    return KeySpec((hash_name, types[hash_name]), (range_name, types[range_name]) if range_name else None)


def table_specs() -> tuple[TableSpec, ...]:
    """One spec per logical table of ``edgex.resources.TABLES``, from ``edgex.store.tables``."""
    specs = []
    for name in resources.TABLES:
        indexes: dict[str, IndexSpec] = {}
        keys: KeySpec | None = None
        for schema in tables.schema(name):  # pynamodb's own create-table schema: the authoritative keys
            types = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
            keys = keys or _keys(schema["key_schema"], types)
            for gsi in schema["global_secondary_indexes"]:
                gsi_types = {d["AttributeName"]: d["AttributeType"] for d in gsi["attribute_definitions"]}
                indexes[gsi["index_name"]] = IndexSpec(
                    gsi["index_name"], _keys(gsi["key_schema"], gsi_types), gsi["projection"]["ProjectionType"]
                )
            if schema["local_secondary_indexes"]:
                raise NotImplementedError(f"table {name}: local secondary indexes are not deployed by infra.storage")
        ttl = tables.ttl_attribute(name)
        assert keys is not None, f"table {name} has no model"
        specs.append(TableSpec(name, keys, tuple(indexes.values()), ttl))
    return tuple(specs)


def _attribute(key: tuple[str, str]) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key[0], type=_ATTRIBUTE_TYPES[key[1]])


# Parts of an upload nobody finished are billed until aborted; a week covers any retry.
ABORT_UPLOADS_AFTER = Duration.days(7)


class Storage(Construct):
    """Tables (on demand, PITR, TTL, deletion protection) and private, TLS-only buckets."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # CloudFront standard logging writes with ACLs: the bucket must accept them.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(config.log_retention_days),
                    abort_incomplete_multipart_upload_after=ABORT_UPLOADS_AFTER,
                )
            ],
            removal_policy=config.removal_policy,
            auto_delete_objects=config.destroy_on_removal,
        )
        acknowledge(
            self.access_logs,
            {
                "AwsSolutions-S1": "This is the access-log bucket itself; logging it into itself would loop.",
            },
        )
        self.specs: dict[str, TableSpec] = {spec.name: spec for spec in table_specs()}
        self.tables: dict[str, dynamodb.Table] = {name: self._table(spec, config) for name, spec in self.specs.items()}
        self.buckets: dict[str, s3.Bucket] = {
            "scripts": s3.Bucket(
                self,
                "ScriptsBucket",
                versioned=True,  # deployments pin the object's version id
                # Only unfinished uploads expire: noncurrent versions are pinned by deployments.
                lifecycle_rules=[s3.LifecycleRule(abort_incomplete_multipart_upload_after=ABORT_UPLOADS_AFTER)],
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix="s3/scripts/",
                removal_policy=config.removal_policy,
                auto_delete_objects=config.destroy_on_removal,
            ),
            # Runs' captured output (edgex.output): not versioned (tail slots are
            # overwritten in turn), kept as long as the logs.
            "output": s3.Bucket(
                self,
                "OutputBucket",
                lifecycle_rules=[
                    s3.LifecycleRule(
                        expiration=Duration.days(config.log_retention_days),
                        abort_incomplete_multipart_upload_after=ABORT_UPLOADS_AFTER,
                    )
                ],
                encryption=s3.BucketEncryption.S3_MANAGED,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                enforce_ssl=True,
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                server_access_logs_bucket=self.access_logs,
                server_access_logs_prefix="s3/output/",
                removal_policy=config.removal_policy,
                auto_delete_objects=config.destroy_on_removal,
            ),
        }
        missing = set(resources.BUCKETS) - set(self.buckets)
        if missing:
            raise NotImplementedError(f"buckets {sorted(missing)} of edgex.resources are not deployed")

    def _table(self, spec: TableSpec, config: EdgexConfig) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"Table-{spec.name}",
            partition_key=_attribute(spec.keys.partition),
            sort_key=_attribute(spec.keys.sort) if spec.keys.sort else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=config.deletion_protection,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=config.removal_policy,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.keys.partition),
                sort_key=_attribute(index.keys.sort) if index.keys.sort else None,
                projection_type=_PROJECTIONS[index.projection],
            )
        return table
