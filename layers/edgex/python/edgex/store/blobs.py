"""Script bodies in S3 (bucket versioning on): every write is a new version, and
deployments pin the version id they run."""

from __future__ import annotations

import hashlib

from edgex import config
from edgex.errors import EdgexError, StorageUnavailable
from edgex.store.base import s3, storage_errors
from edgex.store.keys import script_object


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def script_key(script_id: int) -> str:
    return script_object(script_id)


def put(key: str, data: bytes) -> str:
    """Store ``data`` at ``key``; returns the new S3 version id."""
    with storage_errors():
        answer = s3().put_object(
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
            answer = s3().get_object(
                Bucket=config.bucket_name("scripts"), Key=key, VersionId=version_id, ChecksumMode="ENABLED"
            )
            return bytes(answer["Body"].read())
    except StorageUnavailable as exc:
        if isinstance(exc.__cause__, FlexibleChecksumError):
            raise ObjectCorrupt() from exc
        raise
