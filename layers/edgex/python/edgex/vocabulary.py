"""The product's words, declared once.

Script types, bootstrapper kinds, roles, statuses, log levels and the few patterns
and defaults that the manifest, the domain, the infra, the local server and the
dashboard build all need. Everything else imports them from here; the dashboard's
copy is generated from this module at build time (``python -m edgex.vocabulary``).

Enums are ``StrEnum``: a member *is* its string, so values read back from
DynamoDB, JSON bodies and query strings compare equal to members without
conversion, and nothing here costs more than a few class definitions at import.
"""

from __future__ import annotations

import json
from enum import StrEnum


class ScriptType(StrEnum):
    BASH = "bash"
    POWERSHELL = "powershell"


class BootstrapperKind(StrEnum):
    """The ``type`` query parameter of the installer (the seed's names)."""

    BASH = "bash"
    PS1 = "ps1"


BOOTSTRAPPER_FOR: dict[ScriptType, BootstrapperKind] = {
    ScriptType.BASH: BootstrapperKind.BASH,
    ScriptType.POWERSHELL: BootstrapperKind.PS1,
}


class Role(StrEnum):
    """Admin roles from the identity provider's groups; each includes the ones before it."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


ROLE_ORDER: tuple[Role, ...] = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)


class TargetStatus(StrEnum):
    """A machine's state in one deployment (ARCHITECTURE.md section 11).

    enrolled -> waiting -> running -> completed | failed | timed_out | cancelled | lost.
    ``expired`` is never stored: it is how an unfinished machine of a deployment
    that expired reads.
    """

    ENROLLED = "enrolled"
    WAITING = "waiting"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    LOST = "lost"
    EXPIRED = "expired"


LIVE_TARGET_STATUSES: frozenset[TargetStatus] = frozenset(
    {TargetStatus.ENROLLED, TargetStatus.WAITING, TargetStatus.RUNNING}
)
FINAL_TARGET_STATUSES: frozenset[TargetStatus] = frozenset(
    {TargetStatus.COMPLETED, TargetStatus.FAILED, TargetStatus.TIMED_OUT, TargetStatus.CANCELLED, TargetStatus.LOST}
)


class DeploymentStatus(StrEnum):
    """Stored: active, paused, cancelled, expired. Read only (a deployment whose
    expected machines all reached a final outcome "settles"): completed,
    completed_with_failures; a settled deployment still accepts re-runs."""

    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    COMPLETED = "completed"
    COMPLETED_WITH_FAILURES = "completed_with_failures"


class LogLevel(StrEnum):
    """The ``status`` of a feedback entry (the seed's four)."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class AiMode(StrEnum):
    """What the AI assistant is asked to do."""

    GENERATE = "generate"
    REFACTOR = "refactor"
    AUDIT = "audit"
    EXPLAIN = "explain"


KILL_REASON_INTEGRITY = "INTEGRITY_VIOLATION"
# The step of a machine's report that its bootstrapper refused a payload whose SHA-256
# was not the deployment's pinned one (templates/bootstrap.sh, bootstrap.ps1).
INTEGRITY_STEP = "integrity"
SEMVER_PATTERN = r"^[0-9]{1,6}\.[0-9]{1,6}\.[0-9]{1,6}$"
DEFAULT_AI_MODEL_ID = "qwen.qwen3-coder-30b-a3b-v1:0"  # Qwen3 Coder 30B A3B Instruct on Bedrock


def as_json() -> str:
    """The dashboard's copy of the vocabulary (generated at its build, never edited)."""
    return json.dumps(
        {
            "scriptTypes": [t.value for t in ScriptType],
            "roles": [r.value for r in ROLE_ORDER],
            "targetStatuses": [s.value for s in TargetStatus],
            "finalTargetStatuses": sorted(s.value for s in FINAL_TARGET_STATUSES),
            "deploymentStatuses": [s.value for s in DeploymentStatus],
            "logLevels": [level.value for level in LogLevel],
        },
        indent=2,
    )


if __name__ == "__main__":
    print(as_json())
