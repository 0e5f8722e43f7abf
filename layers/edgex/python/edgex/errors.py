"""Domain errors. Each carries a stable ``code`` and a ``kind``; the HTTP layer maps
kinds to statuses in one table (``lambdas/http_api/errors.py``), so no handler and no
domain function ever chooses a status code.
"""

from __future__ import annotations

from enum import Enum


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
    """Base of every error the domain raises on purpose."""

    kind: Kind = Kind.INTERNAL
    code: str = "INTERNAL_ERROR"
    message: str = "Internal error"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.message
        if code:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(EdgexError):
    """``field`` (a dotted path such as "expected_machines") lets a form mark the input
    the rule is about; the HTTP layer adds it to the error body when known."""

    kind, code, message = Kind.INVALID, "VALIDATION_ERROR", "Invalid request"

    def __init__(self, message: str | None = None, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class PayloadTooLarge(EdgexError):
    kind, code, message = Kind.TOO_LARGE, "PAYLOAD_TOO_LARGE", "Request body too large"


class Unauthenticated(EdgexError):
    kind, code, message = Kind.UNAUTHENTICATED, "UNAUTHORIZED", "Missing or invalid credentials"


class Forbidden(EdgexError):
    kind, code, message = Kind.FORBIDDEN, "FORBIDDEN", "Not allowed"


class NotFound(EdgexError):
    kind, code, message = Kind.NOT_FOUND, "NOT_FOUND", "Not found"


class Conflict(EdgexError):
    kind, code, message = Kind.CONFLICT, "CONFLICT", "Conflicting state"


class HostnameConflict(Conflict):
    code, message = "HOSTNAME_CONFLICT", "Hostname already enrolled by another machine"


class EnrollmentCapReached(Conflict):
    code, message = "ENROLLMENT_CAP_REACHED", "Deployment already has its expected number of machines"


class Gone(EdgexError):
    kind, code, message = Kind.GONE, "GONE", "No longer available"


class RerunLimitExceeded(EdgexError):
    kind, code, message = Kind.LIMIT, "RERUN_LIMIT_EXCEEDED", "Re-run limit reached for this machine"


class IntegrityViolation(EdgexError):
    """Raised by the kill switch. Its message stays generic on purpose: the agent
    learns nothing about hashes; the reason is recorded on the deployment."""

    kind, code, message = Kind.INTERNAL, "INTERNAL_ERROR", "Internal error"


class StorageUnavailable(EdgexError):
    kind, code, message = Kind.UNAVAILABLE, "STORAGE_UNAVAILABLE", "Storage temporarily unavailable, retry"


class AiUnavailable(EdgexError):
    kind, code, message = Kind.UNAVAILABLE, "AI_UNAVAILABLE", "AI assistant is not available"


class ConfigurationError(EdgexError):
    """A deployment wiring mistake (missing environment variable). Internal on purpose."""
