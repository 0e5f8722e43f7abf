"""The assistant's coded errors (declared in edgex.errors with every other code): every
provider failure becomes one of these, so the dashboard can say what to fix."""

from __future__ import annotations

from edgex.errors import (
    AiAccessDenied,
    AiContentFiltered,
    AiInputTooLong,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiUnavailable,
    EdgexError,
)

ERRORS: tuple[type[EdgexError], ...] = (
    AiUnavailable,
    AiAccessDenied,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiInputTooLong,
    AiContentFiltered,
)
