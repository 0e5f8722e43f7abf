"""The assistant's coded errors: every provider failure becomes one of these, so the
dashboard can say what to fix (``AiUnavailable`` itself is declared in edgex.errors)."""

from __future__ import annotations

from edgex.errors import AiUnavailable, EdgexError, Kind


class AiAccessDenied(EdgexError):
    """The platform's own identity may not call the model (IAM), not the admin's role."""

    kind, code = Kind.FORBIDDEN, "AI_ACCESS_DENIED"
    message = "The platform is not allowed to invoke the AI model; check its IAM permissions (bedrock:InvokeModel)"


class AiModelNotEnabled(EdgexError):
    kind, code = Kind.FORBIDDEN, "AI_MODEL_NOT_ENABLED"
    message = "The AI model is not enabled for this account and Region; enable model access or choose another model"


class AiThrottled(AiUnavailable):
    kind, code, message = Kind.UNAVAILABLE, "AI_THROTTLED", "The AI model is busy (throttled); retry in a moment"


class AiTimeout(AiUnavailable):
    kind, code, message = (
        Kind.UNAVAILABLE,
        "AI_TIMEOUT",
        "The AI model did not answer in time; retry or shorten the input",
    )


class AiInputTooLong(EdgexError):
    kind, code = Kind.INVALID, "AI_INPUT_TOO_LONG"
    message = "The prompt and code are too long for the AI model; shorten them"


class AiContentFiltered(EdgexError):
    kind, code, message = Kind.INVALID, "AI_CONTENT_FILTERED", "The AI model's content filter blocked this request"


ERRORS: tuple[type[EdgexError], ...] = (
    AiUnavailable,
    AiAccessDenied,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiInputTooLong,
    AiContentFiltered,
)
