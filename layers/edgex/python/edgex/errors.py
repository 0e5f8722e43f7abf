"""Domain errors, each declared once as a class with a stable ``code`` and a ``kind``.

The HTTP layer maps kinds to statuses in one table (``lambdas/http_api/errors.py``);
the OpenAPI document and the manifest's per-route errors are derived from these
classes (:func:`registry`), so a code is spelled here and nowhere else. Raise sites
pass at most a message: never a code, never a status.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar


class Kind(Enum):
    INVALID = "invalid"  # the request is malformed or breaks a limit
    UNAUTHENTICATED = "unauthenticated"  # no or bad credentials
    FORBIDDEN = "forbidden"  # credentials fine, not allowed here
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # state forbids it (hostname taken, cap reached, in use)
    GONE = "gone"  # deployment expired / cancelled, target cancelled
    LIMIT = "limit"  # a counted limit was reached (re-runs)
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"  # a dependency is down or throttling: retry later
    INTERNAL = "internal"  # never explained to the caller


class EdgexError(Exception):
    """Base of every error the domain raises on purpose.

    ``field`` names the request field a validation error is about (dotted path), so
    a client can mark it; it is None for everything else.
    """

    kind: ClassVar[Kind] = Kind.INTERNAL
    code: ClassVar[str] = "INTERNAL_ERROR"
    retry_after: ClassVar[int | None] = None  # seconds, for the Retry-After of an UNAVAILABLE answer
    message: str = "Internal error"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or type(self).message
        self.field = field
        super().__init__(self.message)


# --- 400 ---------------------------------------------------------------------------


class ValidationFailed(EdgexError):
    kind, code, message = Kind.INVALID, "VALIDATION_ERROR", "Invalid request"


class TimeoutTooLong(EdgexError):
    kind, code, message = (
        Kind.INVALID,
        "TIMEOUT_TOO_LONG",
        "timeout_seconds is above the platform's timeout_max_seconds setting",
    )


class InvalidJson(ValidationFailed):
    code, message = "INVALID_JSON", "body is not valid JSON"


class UnsupportedMediaType(ValidationFailed):
    code, message = "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"


class InvalidId(ValidationFailed):
    code, message = "INVALID_ID", "id is not valid"


class InvalidCursor(ValidationFailed):
    code, message = "INVALID_CURSOR", "cursor is not valid"


class InvalidVersion(ValidationFailed):
    code, message = "INVALID_VERSION", "version must look like 1.0.2"


# --- 401 / 403 ---------------------------------------------------------------------


class Unauthenticated(EdgexError):
    kind, code, message = Kind.UNAUTHENTICATED, "UNAUTHORIZED", "Missing or invalid credentials"


class Forbidden(EdgexError):
    kind, code, message = Kind.FORBIDDEN, "FORBIDDEN", "Not allowed"


class NoRole(Forbidden):
    code, message = "NO_ROLE", "Your account has no Edgex role"


# --- 404 ---------------------------------------------------------------------------


class NotFound(EdgexError):
    kind, code, message = Kind.NOT_FOUND, "NOT_FOUND", "Not found"


class ScriptNotFound(NotFound):
    code, message = "SCRIPT_NOT_FOUND", "Script not found"


class VersionNotFound(NotFound):
    code, message = "VERSION_NOT_FOUND", "No such version"


class DeploymentNotFound(NotFound):
    code, message = "DEPLOYMENT_NOT_FOUND", "Deployment not found"


class TargetNotFound(NotFound):
    code, message = "TARGET_NOT_FOUND", "Target not found"


class ObjectNotFound(NotFound):
    code, message = "OBJECT_NOT_FOUND", "Stored object not found"


class ContentIntegrity(NotFound):
    code, message = "CONTENT_INTEGRITY", "Stored content does not match its checksum"


# --- 409 ---------------------------------------------------------------------------


class Conflict(EdgexError):
    kind, code, message = Kind.CONFLICT, "CONFLICT", "Conflicting state"


class HostnameConflict(Conflict):
    code, message = "HOSTNAME_CONFLICT", "Hostname already enrolled by another machine"


class EnrollmentCapReached(Conflict):
    code, message = "ENROLLMENT_CAP_REACHED", "Deployment already has its expected number of machines"


class ScriptInUse(Conflict):
    code, message = "SCRIPT_IN_USE", "Script is pinned by a live deployment"


class ScriptChanged(Conflict):
    code, message = "SCRIPT_CHANGED", "Script changed meanwhile; retry"


class TargetChanged(Conflict):
    code, message = "TARGET_CHANGED", "Machine state keeps changing; retry"


class TargetNotRunning(Conflict):
    code, message = "TARGET_NOT_RUNNING", "This machine has no run in progress: download the script first"


class StaleRun(Conflict):
    code, message = "STALE_RUN", "This report belongs to a run that is no longer the machine's current run"


class TargetBusy(Conflict):
    code, message = "TARGET_BUSY", "This machine has a run in progress; it cannot be enrolled again until it ends"


class HostnameMismatch(Conflict):
    code, message = "HOSTNAME_MISMATCH", "This machine id is enrolled under another hostname"


class AuditBusy(Conflict):
    code, message = "AUDIT_BUSY", "The audit trail is busy; retry"


class DeploymentPaused(Conflict):
    """Final for an agent (not retried): a paused deployment starts no run; runs in
    flight may still report. An operator's resume lets machines run again."""

    code, message = "DEPLOYMENT_PAUSED", "Deployment is paused: no new run starts until an operator resumes it"


class DeploymentNotPaused(Conflict):
    code, message = "DEPLOYMENT_NOT_PAUSED", "Only an active deployment can be paused, only a paused one resumed"


class FindingsNotAcknowledged(Conflict):
    code, message = (
        "FINDINGS_NOT_ACKNOWLEDGED",
        "This script version has high-severity audit findings; set acknowledge_findings to deploy it",
    )


# --- 410 ---------------------------------------------------------------------------


class Gone(EdgexError):
    kind, code, message = Kind.GONE, "GONE", "No longer available"


class DeploymentExpired(Gone):
    code, message = "DEPLOYMENT_EXPIRED", "Deployment has expired"


class DeploymentCancelled(Gone):
    code, message = "DEPLOYMENT_CANCELLED", "Deployment was cancelled"


class TargetCancelled(Gone):
    code, message = "TARGET_CANCELLED", "This machine was cancelled for this deployment"


class MachineBlocked(Gone):
    code, message = "MACHINE_BLOCKED", "This machine is blocked from this deployment"


# --- 413 / 429 ---------------------------------------------------------------------


class PayloadTooLarge(EdgexError):
    kind, code, message = Kind.TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body too large"


class OutputTooLarge(EdgexError):
    kind, code, message = Kind.TOO_LARGE, "OUTPUT_TOO_LARGE", "One report carries at most 64 KiB of output text"


class RerunLimitExceeded(EdgexError):
    kind, code, message = Kind.LIMIT, "RERUN_LIMIT_EXCEEDED", "Re-run limit reached for this machine"


class LogQuotaExceeded(EdgexError):
    kind, code, message = (
        Kind.LIMIT,
        "LOG_QUOTA_EXCEEDED",
        "This run's log is full; only its final report (and the output) is still taken",
    )


# --- 500 / 503 ---------------------------------------------------------------------


class IntegrityViolation(EdgexError):
    """Raised by the kill switch. Its message stays generic on purpose: the agent
    learns nothing about hashes; the reason is recorded on the deployment."""

    kind, code, message = Kind.INTERNAL, "INTERNAL_ERROR", "Internal error"


class ConfigurationError(EdgexError):
    """A deployment wiring mistake (missing environment variable). Internal on purpose."""


class StorageUnavailable(EdgexError):
    kind, code, message = Kind.UNAVAILABLE, "STORAGE_UNAVAILABLE", "Storage temporarily unavailable, retry"


class WaitForSlot(EdgexError):
    """The rollout's in-flight limit (max_concurrency) is reached: the agent waits
    (at least ``retry_after`` seconds) and asks again with the same run id."""

    kind, code, message = Kind.UNAVAILABLE, "WAIT_FOR_SLOT", "All rollout slots are busy: wait and retry"
    retry_after = 5


class AiUnavailable(EdgexError):
    kind, code, message = Kind.UNAVAILABLE, "AI_UNAVAILABLE", "AI assistant is not available"


class AiThrottled(AiUnavailable):
    code, message = "AI_THROTTLED", "The AI model is busy (throttled); retry in a moment"


class AiTimeout(AiUnavailable):
    code, message = "AI_TIMEOUT", "The AI model did not answer in time; retry or shorten the input"


class AiAccessDenied(EdgexError):
    """The platform's own identity may not call the model (IAM), not the admin's role."""

    kind, code = Kind.FORBIDDEN, "AI_ACCESS_DENIED"
    message = "The platform is not allowed to invoke the AI model; check its IAM permissions (bedrock:InvokeModel)"


class AiModelNotEnabled(EdgexError):
    kind, code = Kind.FORBIDDEN, "AI_MODEL_NOT_ENABLED"
    message = "The AI model is not enabled for this account and Region; enable model access or choose another model"


class AiInputTooLong(EdgexError):
    kind, code = Kind.INVALID, "AI_INPUT_TOO_LONG"
    message = "The prompt and code are too long for the AI model; shorten them"


class AiContentFiltered(EdgexError):
    kind, code, message = Kind.INVALID, "AI_CONTENT_FILTERED", "The AI model's content filter blocked this request"


def registry() -> dict[str, type[EdgexError]]:
    """Every declared code and the class that declares it (first declaration wins:
    subclasses that only change the message share their parent's code)."""
    found: dict[str, type[EdgexError]] = {}
    pending: list[type[EdgexError]] = [EdgexError]
    while pending:
        cls = pending.pop(0)
        found.setdefault(cls.code, cls)
        pending += cls.__subclasses__()
    return found
