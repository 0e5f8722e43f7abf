"""Every key format of the tables and the bucket, spelled once.

Nothing a deployment does at fleet scale lands on one partition:
- ``targets`` holds three kinds of rows, each in a partition of its own: a target
  (``t#<dep>#<target>``), a hostname claim (``h#<dep>#<hostname, lower-case>``) and
  the pinned wrapper (``w#<dep>``). Targets and claims carry a ``list_shard``
  (``<dep>#<shard>``) and a ``member`` key for the keys-only index that lists them.
- ``logs``: one item per report, keyed by target (``<dep>#<target>``), sorted by run
  and the agent's request key; the feed index is sharded the same way.
- ``counters``: ``<dep>#<shard>``.
``config`` rows are addressed by (pk, sk) pairs named here. Nothing outside the store
builds a key.
"""

from __future__ import annotations

import hashlib

LIST_SHARDS = 8  # partitions of a deployment's member list, its feed and its counters
TARGET_MEMBER = "t#"
CLAIM_MEMBER = "h#"
SETTINGS = ("settings", "platform")
COUNTER_PK = "counter"
SCRIPT_KIND = "script"
DEPLOYMENT_KIND = "deployment"


def target_id_for(machine_id: str) -> str:
    """A machine's target id in a deployment: derived from its machine id, so the
    same machine always lands on the same row (trust on first use needs no lookup)."""
    return hashlib.sha256(machine_id.encode()).hexdigest()[:16]


def shard_of(target_id: str, shards: int = LIST_SHARDS) -> int:
    """The shard a target's rows go to: fixed per target, spread across targets."""
    return int(target_id[:4], 16) % shards


def target_pk(deployment_id: int, target_id: str) -> str:
    return f"t#{deployment_id}#{target_id}"


def claim_pk(deployment_id: int, hostname: str) -> str:
    return f"h#{deployment_id}#{hostname.lower()}"


def snapshot_pk(deployment_id: int) -> str:
    return f"w#{deployment_id}"


def bootstrapper_pk(deployment_id: int) -> str:
    return f"b#{deployment_id}"


def list_shard(deployment_id: int, shard: int) -> str:
    return f"{deployment_id}#{shard}"


def target_member(target_id: str) -> str:
    return f"{TARGET_MEMBER}{target_id}"


def claim_member(hostname: str) -> str:
    return f"{CLAIM_MEMBER}{hostname.lower()}"


def log_partition(deployment_id: int, target_id: str) -> str:
    return f"{deployment_id}#{target_id}"


def log_seq(run: int, request: str) -> str:
    """A report's place in its target's log: by run, then by the agent's request key
    (a sequence number the wrapper counts up: its retries carry the same key)."""
    return f"{run:04d}#{request}"


def entry_id(seq: str, n: int) -> str:
    """The id of entry ``n`` of the report stored at ``seq`` (unique in the target's log)."""
    return f"{seq}#{n:03d}"


def run_of_seq(seq: str) -> int:
    head = seq.split("#", 1)[0]
    return int(head) if head.isdigit() else 0


def feed_at(stamp: str, target_id: str, seq: str) -> str:
    """The feed index's sort key: time-ordered, and unique across the deployment."""
    return f"{stamp}#{target_id}#{seq}"


def counter_shard(deployment_id: int, shard: int) -> str:
    return f"{deployment_id}#{shard}"


def rollout_slot(deployment_id: int) -> str:
    """The rollout slot item of a deployment, beside its counter shards (which are
    ``<dep>#<number>``: the two never collide)."""
    return f"{deployment_id}#slot"


def deployment_of_shard(shard_key: str) -> int:
    return int(shard_key.split("#")[0])


def wrapper_key(script_type: str) -> tuple[str, str]:
    return (f"wrapper#{script_type}", "current")


def wrapper_log_pk(script_type: str) -> str:
    return f"wrapperlog#{script_type}"


def script_object(script_id: int) -> str:
    return f"scripts/{script_id}"


def running_shard(target_id: str) -> str:
    """The running index's partition of a target (platform-wide, spread by target id)."""
    return f"run#{shard_of(target_id)}"


def running_shards() -> list[str]:
    return [f"run#{shard}" for shard in range(LIST_SHARDS)]


def output_prefix(deployment_id: int, target_id: str, run: int) -> str:
    """Where one run's captured output lives in the output bucket."""
    return f"output/{deployment_id}/{target_id}/{run:04d}/"


def output_head(prefix: str, request: str) -> str:
    """A head report's object: sorted by the agent's request key (time first)."""
    return f"{prefix}h/{request}"


def output_tail(prefix: str, slot: int) -> str:
    """One of the rotating tail slots, overwritten in turn once the head is full."""
    return f"{prefix}t/{slot:04d}"


def output_seen(prefix: str, request: str) -> str:
    """An empty marker: this tail report was taken (its slot is overwritten later)."""
    return f"{prefix}r/{request}"
