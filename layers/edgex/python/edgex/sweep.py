"""The lost sweep: a running target whose reports stopped (the machine died, its
network went) is marked ``lost`` once it has been silent longer than its deployment's
``lost_after_seconds``, and the deployment's counts move with it.

Running targets are found through the sparse ``by_running`` index (set when a run
starts, removed when it ends), never by scanning the table. Scheduled every 5 minutes
in AWS (EventBridge, infra/sweep.py); the local server runs it on a timer
(``python -m edgex.sweep`` runs it once).
"""

from __future__ import annotations

from edgex import clock, limits
from edgex.store import targets as store
from edgex.store.base import get_items
from edgex.store.tables import DeploymentModel, TargetModel
from edgex.vocabulary import TargetStatus


def _grace(dep: DeploymentModel | None) -> int:
    if dep is None or dep.lost_after_seconds is None:
        return limits.LOST_AFTER_SECONDS_DEFAULT
    return int(dep.lost_after_seconds)


def _deployments(targets: list[TargetModel]) -> dict[int, DeploymentModel]:
    ids = sorted({int(t.deployment_id) for t in targets})
    found: dict[int, DeploymentModel] = {}
    for start in range(0, len(ids), 100):
        for dep in get_items(*[(DeploymentModel, (d,)) for d in ids[start : start + 100]]):
            if dep is not None:
                found[int(dep.deployment_id)] = dep
    return found


def sweep() -> dict[str, int]:
    """Mark the silent running targets lost; returns how many were checked and marked."""
    targets = store.get_many(store.running_keys())
    deps = _deployments(targets)
    now = clock.now_iso()
    lost = 0
    for target in targets:
        if target.status != TargetStatus.RUNNING:
            store.drop_running_key(target)  # ended by a path that left the key: stop reading it
            continue
        if clock.seconds_since(target.last_seen_at) <= _grace(deps.get(int(target.deployment_id))):
            continue
        if store.mark_lost(target, now, deps.get(int(target.deployment_id))):
            lost += 1
    return {"checked": len(targets), "lost": lost}


if __name__ == "__main__":  # pragma: no cover - the operator's one-off run
    import json

    from edgex.store import tables

    tables.bind("targets", "deployments", "counters")
    print(json.dumps(sweep()))
