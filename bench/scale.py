"""Scale on paper: which DynamoDB item every machine of a deployment writes, and the
fleet size at which it reaches the per-partition write limit.

A single item lives in one partition and a partition takes at most 1,000 write
units per second (DynamoDB service quotas; adaptive capacity can split a hot
*partition key* by sort key, never a single item). The items and partitions come
from the round-trip bench: those whose key names no machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTITION_WCU_PER_SECOND = 1000
FLEET = 100_000
FLEET_MINUTES = 10


def machines_per_minute(wcu_per_machine: float, limit: float = PARTITION_WCU_PER_SECOND) -> float:
    """Machines per minute one item can absorb before its partition throttles."""
    if wcu_per_machine <= 0:
        return float("inf")
    return limit / wcu_per_machine * 60


def demand_wcu_per_second(machines: int, minutes: float, wcu_per_machine: float) -> float:
    return machines / (minutes * 60) * wcu_per_machine


@dataclass
class Hotspot:
    kind: str  # item | partition | index partition
    name: str
    writes_per_machine: float  # averages over the measured machines: a shard counts for its share
    wcu_per_machine: float
    wcu_per_enrollment: float

    @property
    def lifecycles_per_minute(self) -> float:
        return machines_per_minute(self.wcu_per_machine)

    @property
    def enrollments_per_minute(self) -> float:
        return machines_per_minute(self.wcu_per_enrollment)

    def fleet_demand(self, machines: int = FLEET, minutes: float = FLEET_MINUTES, enroll_only: bool = True) -> float:
        per = self.wcu_per_enrollment if enroll_only else self.wcu_per_machine
        return demand_wcu_per_second(machines, minutes, per)

    def throttles(self, machines: int = FLEET, minutes: float = FLEET_MINUTES, enroll_only: bool = True) -> bool:
        return self.fleet_demand(machines, minutes, enroll_only) > PARTITION_WCU_PER_SECOND


def hotspots(shared: list[dict[str, Any]]) -> list[Hotspot]:
    return [
        Hotspot(
            s["kind"],
            s["name"],
            float(s["writes_per_machine"]),
            float(s["wcu_per_machine"]),
            float(s["wcu_per_enrollment"]),
        )
        for s in shared
    ]


def hottest_item(spots: list[Hotspot]) -> Hotspot | None:
    items = [s for s in spots if s.kind == "item"]
    return max(items, key=lambda s: s.wcu_per_machine) if items else None
