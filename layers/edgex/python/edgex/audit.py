"""The audit trail: one record per admin mutation (who, what, when, ids, outcome)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from edgex import clock
from edgex.models import AuditModel
from edgex.storage import storage_errors


@dataclass(frozen=True)
class Actor:
    """Who is calling: from the verified admin JWT."""

    username: str
    role: str
    email: str | None = None
    groups: tuple[str, ...] = ()


def stream_of(stamp: str) -> str:
    return f"audit#{stamp[:7]}"


def record(actor: Actor, action: str, outcome: str, ids: dict[str, Any], details: dict[str, Any] | None = None) -> None:
    now = clock.now_iso()
    with storage_errors():
        AuditModel(
            stream_of(now), f"{now}#{os.urandom(6).hex()}",
            actor=actor.username, actor_role=actor.role, action=action, outcome=outcome,
            ids={k: str(v) for k, v in ids.items() if v is not None}, details=details, timestamp=now,
        ).save()


def view(item: AuditModel) -> dict[str, Any]:
    return {"id": item.seq, "timestamp": item.timestamp, "actor": item.actor, "role": item.actor_role,
            "action": item.action, "outcome": item.outcome, "ids": dict(item.ids.as_dict() if hasattr(item.ids, "as_dict") else item.ids),
            "details": item.details or {}}
