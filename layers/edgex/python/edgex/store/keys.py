"""Every key format of the tables and the bucket, spelled once.

``targets`` holds three kinds of rows in a deployment's partition: the targets
(``t#<target_id>``), the hostname claims (``h#<hostname, lower-case>``) and the
pinned wrapper (``w#wrapper``). Logs are keyed by target (``<deployment>#<target>``)
with a time-ordered sort key that carries the run number. ``config`` rows are
addressed by (pk, sk) pairs named here. Nothing outside the store builds a key.
"""

from __future__ import annotations

import hashlib

TARGET_PREFIX = "t#"
CLAIM_PREFIX = "h#"
WRAPPER_SNAPSHOT = "w#wrapper"
SETTINGS = ("settings", "platform")
COUNTER_PK = "counter"
SCRIPT_KIND = "script"
DEPLOYMENT_KIND = "deployment"


def target_id_for(machine_id: str) -> str:
    """A machine's target id in a deployment: derived from its machine id, so the
    same machine always lands on the same row (trust on first use needs no lookup)."""
    return hashlib.sha256(machine_id.encode()).hexdigest()[:16]


def target_sk(target_id: str) -> str:
    return f"{TARGET_PREFIX}{target_id}"


def claim_sk(hostname: str) -> str:
    return f"{CLAIM_PREFIX}{hostname.lower()}"


def log_partition(deployment_id: int, target_id: str) -> str:
    return f"{deployment_id}#{target_id}"


def log_seq(stamp: str, run: int, batch: str, n: int) -> str:
    """Time-ordered, then by run, then by batch and position: unique and sortable."""
    return f"{stamp}#{run:04d}#{batch}#{n:03d}"


def run_of_seq(seq: str) -> int:
    """The run number a log sort key carries (0 before the first download)."""
    parts = seq.split("#")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def counter_shard(deployment_id: int, shard: int) -> str:
    return f"{deployment_id}#{shard}"


def deployment_of_shard(shard_key: str) -> int:
    return int(shard_key.split("#")[0])


def wrapper_key(script_type: str) -> tuple[str, str]:
    return (f"wrapper#{script_type}", "current")


def wrapper_log_pk(script_type: str) -> str:
    return f"wrapperlog#{script_type}"


def script_object(script_id: int) -> str:
    return f"scripts/{script_id}"
