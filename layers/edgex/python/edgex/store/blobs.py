"""Script bodies in S3 (bucket versioning on): every write is a new version, and
deployments pin the version id they run. A version's bytes never change, so the
bytes a download checked against their pinned SHA-256 are kept in memory
(:func:`verified`); bytes that did not match are never kept."""

from __future__ import annotations

import hashlib

from edgex import config
from edgex.errors import EdgexError, StorageUnavailable
from edgex.store.base import Kept, s3, storage_errors
from edgex.store.keys import script_object

# by (key, version id, SHA-256): a script is at most limits.SCRIPT_MAX_BYTES (1 MiB)
_VERIFIED = Kept(entries=32, max_bytes=8 * 1024 * 1024)


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
    """The bytes served no longer match a checksum: S3's own (stored at upload) or the
    SHA-256 a deployment pinned."""


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


def verified(key: str, version_id: str, checksum: str) -> bytes:
    """The bytes of the pinned version, whose SHA-256 is ``checksum``: read from S3 once
    per warm function, kept only once they matched. ObjectCorrupt when they do not
    (each time: a mismatch is never kept), ObjectNotFound when the version is gone."""
    pinned = (key, version_id, checksum)
    kept = _VERIFIED.get(pinned)
    if isinstance(kept, bytes):
        return kept
    data = get(key, version_id)
    if sha256(data) != checksum:
        raise ObjectCorrupt()
    _VERIFIED.put(pinned, data, len(data))
    return data
