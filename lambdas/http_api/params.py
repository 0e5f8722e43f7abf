"""Path and query parameters, declared once: how each is parsed (and which coded error
a bad value gets) and how the OpenAPI document describes it. The endpoint wrapper
parses every parameter a route's path names before the route function runs, so a
route function receives typed values and never validates by hand."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any, NamedTuple

from edgex import limits
from edgex.errors import EdgexError, InvalidId, InvalidVersion, ValidationFailed
from edgex.vocabulary import SEMVER_PATTERN, BootstrapperKind, DeploymentStatus, LogLevel, ScriptType


class Param(NamedTuple):
    schema: dict[str, Any]
    parse: Callable[[str, str], Any]  # (name, raw) -> value, or raises `error`
    error: type[EdgexError]


def _positive_id(name: str, raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 16 or not 1 <= int(raw) <= limits.ID_MAX:
        raise InvalidId(f"{name} must be a positive integer", field=name)
    return int(raw)


def _target_id(name: str, raw: str) -> str:
    if len(raw) != 16 or any(c not in "0123456789abcdef" for c in raw):
        raise InvalidId(f"{name} must be a target id", field=name)
    return raw


def _semver(name: str, raw: str) -> str:
    if not re.match(SEMVER_PATTERN, raw):
        raise InvalidVersion(field=name)
    return raw


_WRAPPER_TYPES = {"bash": ScriptType.BASH, "ps1": ScriptType.POWERSHELL}


def _wrapper_type(name: str, raw: str) -> ScriptType:
    """The seed's path names (bash, ps1) as the script type they stand for."""
    try:
        return _WRAPPER_TYPES[raw]
    except KeyError:
        raise ValidationFailed(f"{name} must be bash or ps1", field=name) from None


def _bootstrapper(name: str, raw: str) -> BootstrapperKind:
    try:
        return BootstrapperKind(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be bash or ps1", field=name) from None


PATH: dict[str, Param] = {
    "id": Param({"type": "integer", "minimum": 1, "maximum": limits.ID_MAX}, _positive_id, InvalidId),
    "tid": Param({"type": "string", "pattern": "^[0-9a-f]{16}$"}, _target_id, InvalidId),
    "version": Param({"type": "string", "pattern": SEMVER_PATTERN}, _semver, InvalidVersion),
    "type": Param({"enum": list(_WRAPPER_TYPES)}, _wrapper_type, ValidationFailed),
}


# Query parameters a route declares (``Route.query``) beside paging's limit and cursor.
def _flag(name: str, raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValidationFailed(f"{name} must be true or false", field=name)
    return raw == "true"


def _one_of(choices: type[StrEnum]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if raw not in {c.value for c in choices}:
            raise ValidationFailed(f"{name} must be one of: {', '.join(c.value for c in choices)}", field=name)
        return raw

    return parse


def _step(name: str, raw: str) -> str:
    if len(raw) > limits.STEP_MAX or not re.fullmatch(r"[^\x00-\x1f\x7f]*", raw):
        raise ValidationFailed(f"{name} must be at most {limits.STEP_MAX} printable characters", field=name)
    return raw


def _run_number(name: str, raw: str) -> str:
    if not (raw.isascii() and raw.isdigit() and 1 <= len(raw) <= 4):
        raise ValidationFailed(f"{name} must be a run number", field=name)
    return raw


QUERY: dict[str, Param] = {
    "type": Param({"enum": [k.value for k in BootstrapperKind]}, _bootstrapper, ValidationFailed),
    "block": Param({"enum": ["true", "false"]}, _flag, ValidationFailed),
    "status": Param({"enum": [s.value for s in DeploymentStatus]}, _one_of(DeploymentStatus), ValidationFailed),
    "level": Param({"enum": [level.value for level in LogLevel]}, _one_of(LogLevel), ValidationFailed),
    "step": Param({"type": "string", "maxLength": limits.STEP_MAX}, _step, ValidationFailed),
    "run": Param({"type": "string", "pattern": r"^[0-9]{1,4}$"}, _run_number, ValidationFailed),
}
QUERY_DEFAULTS: dict[str, str] = {"type": BootstrapperKind.BASH.value, "block": "false"}


def _matching(pattern: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if not re.match(pattern, raw):  # compiled on first use (re's cache), not at import
            raise ValidationFailed(f"header {name} must match {pattern}", field=name)
        return raw

    return parse


# Headers a route declares (``Route.headers``): optional; absent ones are None. The
# agent's run id and request key make a retried request recognisable.
HEADERS: dict[str, tuple[str, Param]] = {
    "x-edgex-run": (
        "run",
        Param({"type": "string", "pattern": limits.RUN_ID_PATTERN}, _matching(limits.RUN_ID_PATTERN), ValidationFailed),
    ),
    "x-edgex-request": (
        "request",
        Param(
            {"type": "string", "pattern": limits.REQUEST_KEY_PATTERN},
            _matching(limits.REQUEST_KEY_PATTERN),
            ValidationFailed,
        ),
    ),
}
