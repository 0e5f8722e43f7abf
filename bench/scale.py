"""Scale: the fleet model (the per-partition load of 100,000 machines in 10 minutes)
and the API throttle against the rate such a fleet needs.

A partition takes at most 1,000 write units and 3,000 read units per second
(DynamoDB service quotas); adaptive capacity can split a hot partition key by sort
key, adaptively and not at once, never a single item. The calls come from the
round-trip bench: the real handlers on moto, each write and read with its table,
partition key value and units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PARTITION_WCU_PER_SECOND = 1000
FLEET = 100_000
FLEET_MINUTES = 10


# --- the fleet model: the exact storage calls of measured lifecycles, replayed at fleet scale ---

PARTITION_RCU_PER_SECOND = 3000
REQUEST_SPACING_S = 1.0  # assumed gap between one machine's requests (the peak barely depends on it)


@dataclass
class KeyLoad:
    key: str  # "<table>[/<index>]:<partition key value>"
    shared: bool  # written/read by many machines (its name names none of them)
    peak_wcu: float  # in the busiest second of the window
    peak_rcu: float
    mean_wcu: float | None  # over the window (None for a machine's own key: it lives seconds, not the window)
    mean_rcu: float | None


@dataclass
class FleetModel:
    machines: int
    minutes: float
    lifecycles: int  # measured lifecycles replayed
    keys: list[KeyLoad]

    def hottest(self, kind: str) -> KeyLoad | None:
        attr = "peak_wcu" if kind == "write" else "peak_rcu"
        return max(self.keys, key=lambda k: getattr(k, attr)) if self.keys else None


Event = tuple[float, str, float, float]  # (seconds after the machine's start, partition key, WCU, RCU)


def lifecycle_events(lifecycle: list[tuple[str, Any]]) -> list[Event]:
    """Every unit one lifecycle's storage calls spend, per partition key, at its request's offset."""
    events: list[Event] = []
    for n, (_, window) in enumerate(lifecycle):
        at = n * REQUEST_SPACING_S
        for call in window.calls:
            for write in call.writes:
                events.append((at, write.partition, float(write.units), 0.0))
                events += [(at, key, float(units), 0.0) for key, units in write.index_writes]
            events += [(at, key, 0.0, float(units)) for key, units in call.reads]
    return events


def fleet_model(
    lifecycles: list[list[tuple[str, Any]]],
    identities: list[tuple[str, ...]],
    machines: int = FLEET,
    minutes: float = FLEET_MINUTES,
    seed: int = 13,
) -> FleetModel:
    """``machines`` lifecycles starting uniformly at random over ``minutes``, machine ``m`` replaying
    measured lifecycle ``m mod N``: keys that name the machine (its target id, hostname or
    machine id) stay its own, every other key is shared and gets the load of all machines that
    touch it. Each key's load is bucketed per second; the figure is its busiest second."""
    import random

    window = int(minutes * 60)
    rng = random.Random(seed)
    per_lifecycle = [lifecycle_events(lc) for lc in lifecycles]
    shared_events: list[list[Event]] = []
    own: dict[str, KeyLoad] = {}
    for events, names in zip(per_lifecycle, identities, strict=True):
        mine = [e for e in events if any(name and name in e[1] for name in names)]
        shared_events.append([e for e in events if e not in mine])
        seconds: dict[tuple[str, int], list[float]] = {}
        for at, key, wcu, rcu in mine:
            bucket = seconds.setdefault((key, int(at)), [0.0, 0.0])
            bucket[0] += wcu
            bucket[1] += rcu
        for (key, _), (wcu, rcu) in seconds.items():
            label = _own_label(key, names)
            known = own.setdefault(label, KeyLoad(label, False, 0.0, 0.0, None, None))
            known.peak_wcu, known.peak_rcu = max(known.peak_wcu, wcu), max(known.peak_rcu, rcu)
    span = window + int(max((e[0] for ev in per_lifecycle for e in ev), default=0)) + 1
    buckets = {e[1]: ([0.0] * span, [0.0] * span) for events in shared_events for e in events}
    for m in range(machines):
        start = rng.random() * window
        for at, key, wcu, rcu in shared_events[m % len(shared_events)]:
            w, r = buckets[key]
            second = int(start + at)
            w[second] += wcu
            r[second] += rcu
    keys = [KeyLoad(key, True, max(w), max(r), sum(w) / window, sum(r) / window) for key, (w, r) in buckets.items()]
    keys += list(own.values())
    keys.sort(key=lambda k: -(k.peak_wcu / PARTITION_WCU_PER_SECOND + k.peak_rcu / PARTITION_RCU_PER_SECOND))
    return FleetModel(machines, minutes, len(lifecycles), keys)


def _own_label(key: str, names: tuple[str, ...]) -> str:
    """A machine's own key with its name abstracted, so every machine's copy is one row."""
    for name, placeholder in zip(names, ("<target_id>", "<hostname>", "<machine_id>"), strict=False):
        if name:
            key = key.replace(name, placeholder)
    return key


# --- the API Gateway throttle against the rate the fleet needs ---


@dataclass
class RouteThrottle:
    route: str  # "POST /v1/agent/enroll"
    per_machine: int  # requests per lifecycle
    needed: float  # requests/s for the fleet, spread evenly
    rate_limit: int
    burst_limit: int
    concurrency: int | None = None  # reserved concurrency of its function
    concurrency_rps: float = 0.0  # what that concurrency serves at the warm billed duration


@dataclass
class Throttle:
    source: str
    routes: list[RouteThrottle]


def throttle(
    per_machine: dict[str, int],
    route_keys: dict[str, str],
    limits: dict[str, tuple[int, int]],
    concurrency: dict[str, int | None],
    billed_ms: dict[str, int],
    source: str,
    machines: int = FLEET,
    minutes: float = FLEET_MINUTES,
) -> Throttle:
    """Per agent route: the requests/s ``machines`` in ``minutes`` need against its limits."""
    routes = []
    for endpoint, count in per_machine.items():
        rate, burst = limits[endpoint]
        reserved = concurrency[endpoint]
        needed = machines / (minutes * 60) * count
        served = reserved / (billed_ms[endpoint] / 1000) if reserved and billed_ms.get(endpoint) else 0.0
        routes.append(RouteThrottle(route_keys[endpoint], count, needed, rate, burst, reserved, served))
    return Throttle(source, routes)
