"""Script bodies in S3 (bucket versioning on): every write is a new version, and
deployments pin the version id they run."""

from __future__ import annotations

import hashlib
from typing import Any

from edgex import config
from edgex.errors import EdgexError, StorageUnavailable
from edgex.storage import storage_errors

_client: Any = None


def client() -> Any:
    """The S3 client, created on first use and reused across invocations."""
    global _client
    if _client is None:
        from edgex.storage import connection

        # The botocore session pynamodb already has: one credential chain and one
        # loader cache for the whole function, instead of a boto3 session of its own.
        _client = connection().session.create_client("s3", region_name=config.region())
    return _client


def reset_client() -> None:
    global _client
    _client = None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def script_key(script_id: int) -> str:
    return f"scripts/{script_id}"


def put(key: str, data: bytes) -> str:
    """Store ``data`` at ``key``; returns the new S3 version id."""
    with storage_errors():
        answer = client().put_object(
            Bucket=config.bucket_name("scripts"),
            Key=key,
            Body=data,
            ContentType="text/plain; charset=utf-8",
            ChecksumAlgorithm="SHA256",
        )
    return str(answer["VersionId"])


class ObjectCorrupt(EdgexError):
    """S3's own checksum (stored at upload) no longer matches the bytes served."""


def get(key: str, version_id: str) -> bytes:
    from botocore.exceptions import FlexibleChecksumError

    try:
        with storage_errors():
            answer = client().get_object(
                Bucket=config.bucket_name("scripts"), Key=key, VersionId=version_id, ChecksumMode="ENABLED"
            )
            return bytes(answer["Body"].read())
    except StorageUnavailable as exc:
        if isinstance(exc.__cause__, FlexibleChecksumError):
            raise ObjectCorrupt() from exc
        raise
