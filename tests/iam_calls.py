"""The IAM actions behind the AWS calls a piece of code makes, recorded in-process.

Every botocore client funnels its API calls through ``BaseClient._make_api_call``
(pynamodb's connections, ``edgex.storage``'s, boto3's S3 client alike), as the
bench's round-trip meter relies on; wrapping that one method sees them all. Each
call is translated to the IAM action AWS checks for it, per logical table or bucket:
a TransactWriteItems needs PutItem / UpdateItem / DeleteItem / ConditionCheckItem
per item on that item's table, a GetObject with a VersionId needs GetObjectVersion.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from edgex import resources

_TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}

Used = set[tuple[str, str, str]]  # (kind "table" | "bucket", logical name, IAM action)


def _logical(kind: str, physical: str) -> str:
    names = resources.TABLES if kind == "table" else resources.BUCKETS
    env = resources.table_env if kind == "table" else resources.bucket_env
    for name in names:
        if os.environ.get(env(name)) == physical:
            return name
    return f"?{physical}"


def actions_of(service: str, operation: str, params: dict[str, Any]) -> Used:
    """The (table or bucket, IAM action) pairs one botocore call needs."""
    if service == "dynamodb":
        if operation == "TransactWriteItems":
            found: Used = set()
            for entry in params.get("TransactItems", []):
                ((kind, body),) = entry.items()
                found.add(("table", _logical("table", body["TableName"]), _TRANSACT_ACTIONS[kind]))
            return found
        if operation == "TransactGetItems":
            return {
                ("table", _logical("table", e["Get"]["TableName"]), "dynamodb:GetItem")
                for e in params.get("TransactItems", [])
            }
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return {("table", _logical("table", t), f"dynamodb:{operation}") for t in params.get("RequestItems", {})}
        return {("table", _logical("table", params.get("TableName", "?")), f"dynamodb:{operation}")}
    if service == "s3":
        versioned = "VersionId" in params
        action = {
            "GetObject": "s3:GetObjectVersion" if versioned else "s3:GetObject",
            "HeadObject": "s3:GetObjectVersion" if versioned else "s3:GetObject",
            "DeleteObject": "s3:DeleteObjectVersion" if versioned else "s3:DeleteObject",
            "ListObjectsV2": "s3:ListBucket",
        }.get(operation, f"s3:{operation}")
        return {("bucket", _logical("bucket", params.get("Bucket", "?")), action)}
    return {(service, "*", f"{service}:{operation}")}


@contextmanager
def recording() -> Iterator[Used]:
    """Collects the actions of every AWS call made (by any thread) inside the block."""
    from botocore.client import BaseClient

    used: Used = set()
    lock = threading.Lock()
    original = BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        found = actions_of(client.meta.service_model.service_name, operation, params)
        with lock:
            used.update(found)
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", record):
        yield used
