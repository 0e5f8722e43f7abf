"""Blocking a machine from a deployment: cancel is a stop, a block is a ban.

Cancelling a target with ``block`` writes two items beside the hostname claims of
the deployment (same table, same key shape): one for the machine id, one for the
hostname. Enrollment's transaction checks that neither exists (two ConditionCheck
items, no extra round trip; two more write units per enrollment), so the machine cannot come back under its old
machine id nor under its old hostname with a new machine id, whatever the target's
status later becomes. The items go with the deployment when it is deleted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from edgex.errors import Gone
from edgex.models import HostnameClaimModel
from edgex.storage import storage_errors

PREFIX = "b#"


class MachineBlocked(Gone):
    def __init__(self) -> None:
        super().__init__("This machine is blocked from this deployment", code="MACHINE_BLOCKED")


def keys(machine_id: str, hostname: str) -> tuple[str, str]:
    """Sort keys of the two block items (the machine id hashed: it may be long)."""
    return (
        f"{PREFIX}m#{hashlib.sha256(machine_id.encode()).hexdigest()[:32]}",
        f"{PREFIX}h#{hostname.lower()}",
    )


def block(deployment_id: int, target_id: str, machine_id: str, hostname: str) -> None:
    """Write both block items (idempotent: blocking twice changes nothing)."""
    with storage_errors():
        for key in keys(machine_id, hostname):
            HostnameClaimModel(deployment_id, key, target_id=target_id).save()


CHECKS = 2  # items the enrollment transaction gains


def check(tx: Any, deployment_id: int, machine_id: str, hostname: str) -> None:
    """Add the two must-not-exist checks to an enrollment transaction. pynamodb sends
    condition checks before puts and updates: they are its items 1 and 2."""
    for key in keys(machine_id, hostname):
        tx.condition_check(HostnameClaimModel, deployment_id, key, condition=HostnameClaimModel.sk.does_not_exist())


def blocked(reasons: list[str | None]) -> bool:
    """Whether a cancelled enrollment transaction failed on a block item."""
    return len(reasons) == CHECKS + 3 and any(reasons[:CHECKS])


def own_reasons(reasons: list[str | None]) -> list[str | None]:
    """The reasons of the enrollment's own items (target, claim, deployment)."""
    return reasons[CHECKS:] if len(reasons) == CHECKS + 3 else reasons


def delete_all(deployment_id: int) -> None:
    with storage_errors(), HostnameClaimModel.batch_write() as batch:
        for item in HostnameClaimModel.query(deployment_id, HostnameClaimModel.sk.startswith(PREFIX)):
            batch.delete(item)
