"""A run's captured output in the ``output`` bucket: one object per report, never a
DynamoDB item (a script may print megabytes; the table pays per item write).

Under the run's prefix (keys.output_prefix): head objects ``h/<request key>`` (the
agent's request key sorts in the order the reports were made, and a retried report
lands on the same key: it is put only if the key is free, S3's If-None-Match), then,
once the head holds half of the run's limit, rotating tail slots ``t/<slot>``
overwritten in turn (with an empty ``r/<request key>`` marker each, so a retried tail
report is recognised). Each object is JSON: {"seq", "chunks", "dropped"} where
``dropped`` is the run's dropped bytes when it was written.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from edgex import config
from edgex.errors import ObjectNotFound
from edgex.store.base import ConditionFailed, s3, storage_errors

BUCKET = "output"


class Stored(NamedTuple):
    """One stored report's output: where it sits in the run and its chunks."""

    key: str
    seq: int  # tail sequence (0 for head objects)
    chunks: list[dict[str, Any]]
    dropped: int
    size: int  # bytes of the chunks' text


def text_size(chunks: list[dict[str, Any]]) -> int:
    return sum(len(str(c["text"]).encode()) for c in chunks)


def exists(key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        with storage_errors():
            s3().head_object(Bucket=config.bucket_name(BUCKET), Key=key)
    except ClientError as exc:  # HeadObject answers a bare 404 (no NoSuchKey code)
        if exc.response.get("Error", {}).get("Code") in ("404", "NotFound"):
            return False
        raise
    return True


def put(key: str, chunks: list[dict[str, Any]], *, seq: int = 0, dropped: int = 0, new: bool = False) -> bool:
    """Store one report's output at ``key``; with ``new``, only if no object is there
    yet (one conditional PUT): False when one was."""
    body = json.dumps({"seq": seq, "dropped": dropped, "size": text_size(chunks), "chunks": chunks})
    params: dict[str, Any] = {"IfNoneMatch": "*"} if new else {}
    try:
        with storage_errors():
            s3().put_object(
                Bucket=config.bucket_name(BUCKET), Key=key, Body=body.encode(), ContentType="application/json", **params
            )
    except ConditionFailed:
        return False
    return True


def get(key: str) -> Stored | None:
    try:
        with storage_errors():
            answer = s3().get_object(Bucket=config.bucket_name(BUCKET), Key=key)
            data = json.loads(answer["Body"].read())
    except ObjectNotFound:
        return None
    return Stored(key, int(data["seq"]), list(data["chunks"]), int(data.get("dropped", 0)), int(data.get("size", 0)))


def keys_under(prefix: str, start_after: str | None = None, limit: int = 1000) -> tuple[list[str], bool]:
    """Object keys under ``prefix`` in key order, after ``start_after``; and whether more follow."""
    params: dict[str, Any] = {"Bucket": config.bucket_name(BUCKET), "Prefix": prefix, "MaxKeys": limit}
    if start_after:
        params["StartAfter"] = start_after
    with storage_errors():
        answer = s3().list_objects_v2(**params)
    return [str(o["Key"]) for o in answer.get("Contents", [])], bool(answer.get("IsTruncated"))
