"""Run counters of a deployment (running, completed, failed, expired, cancelled, timed_out, lost), sharded.

Every download and every final report moves a counter. Kept on the deployment item,
those writes made it the hottest item of the table: at 100,000 machines in ten
minutes, three transactional writes per machine reach DynamoDB's 1,000 WCU/s per
item. The counters live in SHARDS small items instead, picked by the target id, so
each takes a SHARDS-th of the load; the deployment item keeps only ``enrolled``,
which the enrollment cap must check atomically.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from edgex.store import keys
from edgex.store.base import get_items, storage_errors
from edgex.store.keys import counter_shard, deployment_of_shard
from edgex.store.tables import CounterShardModel

SHARDS = keys.LIST_SHARDS
RUN_COUNTS = ("running", "completed", "failed", "expired", "cancelled", "waiting", "timed_out", "lost")


def shard_of(deployment_id: int, target_id: str) -> CounterShardModel:
    """The shard a target's moves go to (fixed per target, spread across targets)."""
    return CounterShardModel(counter_shard(deployment_id, keys.shard_of(target_id, SHARDS)))


def moves(shard: CounterShardModel, changes: dict[str, int]) -> list[Any]:
    """Update actions adding ``changes`` (e.g. {"running": -1, "completed": 1})."""
    return [getattr(CounterShardModel, name).add(delta) for name, delta in changes.items() if delta]


def totals(deployment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Summed run counters of each deployment, in as few BatchGetItem calls as fit."""
    ids = list(dict.fromkeys(deployment_ids))
    result = {d: dict.fromkeys(RUN_COUNTS, 0) for d in ids}
    wanted = [(CounterShardModel, (counter_shard(d, k),)) for d in ids for k in range(SHARDS)]
    for start in range(0, len(wanted), 100):  # BatchGetItem takes 100 keys
        for shard in get_items(*wanted[start : start + 100]):
            if shard is None:
                continue
            deployment_id = deployment_of_shard(shard.shard_key)
            for name in RUN_COUNTS:
                result[deployment_id][name] += int(getattr(shard, name) or 0)
    return result


def delete_all(deployment_id: int) -> None:
    with storage_errors(), CounterShardModel.batch_write() as batch:
        for k in range(SHARDS):
            batch.delete(CounterShardModel(counter_shard(deployment_id, k)))
