"""JSON Schemas of request bodies: the single source for validation and for the
OpenAPI document. Compiled lazily with fastjsonschema (cheap to import, fast to run)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from edgex import limits
from edgex.errors import ValidationFailed
from edgex.vocabulary import DeploymentStatus, TargetStatus

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
# Hostnames: DNS/NetBIOS characters only, so look-alike letters and RTL marks never
# reach the hostname claim (the seed only forbids CR/LF/NUL; we are stricter).
HOSTNAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SCRIPT_TYPES = ["bash", "powershell"]
LOG_STATUSES = ["info", "success", "warning", "error"]
RUN_OUTCOMES = [
    TargetStatus.COMPLETED.value,
    TargetStatus.FAILED.value,
    TargetStatus.TIMED_OUT.value,
    TargetStatus.CANCELLED.value,
]


def _text(max_len: int, *, pattern: str = NO_CONTROL, min_len: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_len, "maxLength": max_len, "pattern": pattern}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


FEEDBACK_ENTRY = _obj(
    {
        "status": {"enum": LOG_STATUSES},
        "message": {"type": "string", "maxLength": limits.MESSAGE_MAX},
        "step": {"anyOf": [_text(limits.STEP_MAX, min_len=0), {"type": "null"}]},
        # The wrapper's final report (step "complete") carries the script's exit code and,
        # optionally, the outcome it decided (edgex.feedback.next_status).
        "exit_code": {"type": "integer", "minimum": -2147483648, "maximum": 4294967295},
        "outcome": {"enum": RUN_OUTCOMES},
    },
    ["status", "message"],
)

SCHEMAS: dict[str, dict[str, Any]] = {
    "EnrollRequest": _obj(
        {
            "hostname": _text(limits.HOSTNAME_MAX, pattern=HOSTNAME),
            "machine_id": _text(limits.MACHINE_ID_MAX),
        },
        ["hostname", "machine_id"],
    ),
    # One entry (the seed's body) or a batch of entries (one write per batch).
    "FeedbackRequest": {
        "anyOf": [
            FEEDBACK_ENTRY,
            _obj(
                {
                    "entries": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": limits.FEEDBACK_BATCH_MAX,
                        "items": FEEDBACK_ENTRY,
                    }
                },
                ["entries"],
            ),
        ]
    },
    "ScriptCreateRequest": _obj(
        {
            "name": _text(limits.NAME_MAX),
            "type": {"enum": SCRIPT_TYPES},
            "content": {"type": "string", "minLength": 1, "maxLength": limits.SCRIPT_MAX_BYTES},
            "description": _text(limits.DESCRIPTION_MAX, min_len=0),
        },
        ["name", "type", "content"],
    ),
    "ScriptUpdateRequest": _obj(
        {
            "name": _text(limits.NAME_MAX),
            "content": {"type": "string", "minLength": 1, "maxLength": limits.SCRIPT_MAX_BYTES},
            "description": _text(limits.DESCRIPTION_MAX, min_len=0),
        },
        ["content"],
    ),
    "DeploymentCreateRequest": _obj(
        {
            "script_id": {"type": "integer", "minimum": 1, "maximum": limits.ID_MAX},
            "name": _text(limits.NAME_MAX),
            "description": _text(limits.DESCRIPTION_MAX, min_len=0),
            "expected_machines": {"type": "integer", "minimum": 1, "maximum": limits.EXPECTED_MACHINES_MAX},
            "expires_hours": {
                "anyOf": [{"type": "integer", "minimum": 0, "maximum": limits.EXPIRES_HOURS_MAX}, {"type": "null"}]
            },
            "script_version": {"type": "string", "pattern": r"^\d{1,6}\.\d{1,6}\.\d{1,6}$"},
            "acknowledge_findings": {"type": "boolean"},
            "fail_on_error": {"type": "boolean"},
        },
        ["script_id", "name", "expected_machines"],
    ),
    "SettingsUpdateRequest": {
        **_obj(
            {
                "max_runs": _obj({t: {"type": "integer", "minimum": 1, "maximum": 1000} for t in SCRIPT_TYPES}, []),
                "log_retention_days": {"type": "integer", "minimum": 1, "maximum": 3650},
                "ai_model_id": _text(200, pattern=r"^[A-Za-z0-9._:/-]+$"),
                "map_tiles": _obj({"url": _text(500, pattern=r"^https://[^\s\"'<>]+$"), "attribution": _text(500)}, []),
            },
            [],
        ),
        "minProperties": 1,
    },
    "WrapperUpdateRequest": _obj({"content": {"type": "string", "minLength": 1, "maxLength": 256 * 1024}}, ["content"]),
    "AiProcessRequest": _obj(
        {
            "mode": {"enum": ["generate", "refactor", "audit", "explain"]},
            "type": {"enum": SCRIPT_TYPES},
            "prompt": {"type": "string", "maxLength": limits.PROMPT_MAX},  # may be empty for audit/explain
            "code": {"type": "string", "maxLength": limits.SCRIPT_MAX_BYTES},
        },
        ["mode", "type", "prompt"],
    ),
}


@cache
def _validator(name: str) -> Callable[[Any], Any]:
    import fastjsonschema  # compiled on first use: keeps handler init lean

    return fastjsonschema.compile(SCHEMAS[name])


def validate(name: str, data: Any) -> dict[str, Any]:
    """Validate ``data`` against schema ``name``; raise VALIDATION_ERROR naming the field."""
    from fastjsonschema import JsonSchemaValueException

    try:
        _validator(name)(data)
    except JsonSchemaValueException as exc:
        raise ValidationFailed(_message_of(exc), field=_field_of(exc)) from None
    return data


def _field_of(exc: Any) -> str | None:
    """The dotted path of the offending field ("expected_machines", "entries.0.status"),
    or None when the body as a whole is wrong (not an object, a field missing)."""
    path = [str(p) for p in (exc.path or [])[1:]]  # path[0] is "data"
    if exc.rule == "required" and isinstance(exc.value, dict):
        path += [name for name in exc.rule_definition or [] if name not in exc.value][:1]
    return ".".join(path) or None


def _message_of(exc: Any) -> str:
    """fastjsonschema's words with "data" replaced by the field's name; the rule stays in
    them ("must be smaller than or equal to 10000", "must be one of [...]"). Our two text
    patterns are said in words: a regular expression is no help to whoever filled the form."""
    message = exc.message.replace("data.", "", 1).replace("data ", "body ", 1)
    worded = _PATTERN_WORDS.get(exc.rule_definition) if exc.rule == "pattern" else None
    return message.split(" must ", 1)[0] + " " + worded if worded else message


_PATTERN_WORDS = {
    NO_CONTROL: "must not contain control characters (such as a tab or a line break)",
    HOSTNAME: "must hold only letters, digits, '.', '_' and '-', and start with a letter or a digit",
}


# --- response bodies (documented in the OpenAPI document; checked by the fuzz suite) ---

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
FINDING = {
    "type": "object",
    "required": ["rule_id", "severity", "line", "message"],
    "properties": {
        "rule_id": _STR,
        "severity": {"enum": ["high", "medium", "low"]},
        "line": _INT,
        "message": _STR,
        "hint": _NSTR,
        "source": _STR,
    },
}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": item}, "next_cursor": _NSTR},
    }


SCRIPT = {
    "type": "object",
    "required": ["id", "name", "type", "version", "checksum", "size"],
    "properties": {
        "id": _INT,
        "name": _STR,
        "type": {"enum": SCRIPT_TYPES},
        "description": _STR,
        "version": _STR,
        "version_no": _INT,
        "checksum": _STR,
        "size": _INT,
        "created_by": _STR,
        "created_at": _STR,
        "updated_at": _STR,
        "findings": {"type": "array", "items": FINDING},
    },
}
VERSION = {
    "type": "object",
    "required": ["version", "version_no", "checksum"],
    "properties": {
        "version": _STR,
        "version_no": _INT,
        "checksum": _STR,
        "size": _INT,
        "created_by": _STR,
        "created_at": _STR,
        "findings": {"type": "array", "items": FINDING},
    },
}
COUNTS = {
    "type": "object",
    "required": ["enrolled", "running", "completed", "failed", "expired", "cancelled"],
    "properties": {k: _INT for k in ("enrolled", "running", "completed", "failed", "expired", "cancelled")},
}
DEPLOYMENT = {
    "type": "object",
    "required": ["id", "script_id", "name", "status", "counts", "expected_machines"],
    "properties": {
        "id": _INT,
        "script_id": _INT,
        "script_name": _STR,
        "script_type": _STR,
        "name": _STR,
        "description": _STR,
        "status": {"enum": [s.value for s in DeploymentStatus]},
        "kill_reason": _NSTR,
        "fail_on_error": {"type": "boolean"},
        "cancelled_by": _NSTR,
        "cancelled_at": _NSTR,
        "expires_at": _NSTR,
        "expected_machines": _INT,
        "max_runs": _INT,
        "script_version": _STR,
        "script_checksum": _STR,
        "counts": COUNTS,
        "created_by": _STR,
        "created_at": _STR,
        "updated_at": _STR,
    },
}
TARGET = {
    "type": "object",
    "required": ["id", "hostname", "status", "run_count"],
    "properties": {
        "id": _STR,
        "hostname": _STR,
        "machine_id": _STR,
        "status": {"enum": [s.value for s in TargetStatus]},
        "run_count": _INT,
        "geo": {"type": "object"},
        "enrolled_at": _STR,
        "started_at": _NSTR,
        "completed_at": _NSTR,
        "last_seen_at": _STR,
        "exit_code": {"type": ["integer", "null"]},
    },
}
LOG = {
    "type": "object",
    "required": ["id", "status", "message", "timestamp"],
    "properties": {
        "id": _STR,
        "target_id": _STR,
        "hostname": _STR,
        "status": {"enum": LOG_STATUSES},
        "message": _STR,
        "step": _NSTR,
        "timestamp": _STR,
        "run": _INT,  # the machine's run the entry belongs to (1 = first run; 0 = before any)
    },
}
WRAPPER = {
    "type": "object",
    "required": ["type", "content", "is_default"],
    "properties": {
        "type": {"enum": ["bash", "ps1"]},
        "content": _STR,
        "is_default": {"type": "boolean"},
        "updated_at": _NSTR,
        "updated_by": _NSTR,
    },
}
AUDIT = {
    "type": "object",
    "required": ["timestamp", "actor", "action", "outcome"],
    "properties": {
        "id": _STR,
        "timestamp": _STR,
        "actor": _STR,
        "role": _STR,
        "action": _STR,
        "outcome": _STR,
        "ids": {"type": "object"},
        "details": {"type": "object"},
    },
}
ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {"code": _STR, "message": _STR, "field": _STR},
        }
    },
}

RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": ERROR,
    "Text": {"type": "string"},
    "Enrollment": {
        "type": "object",
        "required": ["agent_token", "target_id", "deployment_id", "status"],
        "properties": {"agent_token": _STR, "target_id": _STR, "deployment_id": _INT, "status": _STR},
    },
    "FeedbackAccepted": {
        "type": "object",
        "required": ["accepted", "target_status"],
        "properties": {"accepted": _INT, "target_status": _STR},
    },
    "Me": {
        "type": "object",
        "required": ["username", "role"],
        "properties": {
            "username": _STR,
            "email": _NSTR,
            "role": {"enum": ["viewer", "operator", "admin"]},
            "groups": {"type": "array", "items": _STR},
        },
    },
    "Script": SCRIPT,
    "ScriptPage": _page(SCRIPT),
    "VersionPage": _page(VERSION),
    "Deleted": {"type": "object", "required": ["deleted"], "properties": {"deleted": {"type": "boolean"}, "id": _INT}},
    "Deployment": DEPLOYMENT,
    "DeploymentCreated": {
        **DEPLOYMENT,
        "required": [*DEPLOYMENT["required"], "master_token", "one_liners"],
        "properties": {
            **DEPLOYMENT["properties"],
            "master_token": _STR,
            "one_liners": {"type": "object", "required": ["bash", "powershell"]},
            "findings_acknowledged": {"type": "boolean"},
        },
    },
    "DeploymentDetail": {
        **DEPLOYMENT,
        "required": [*DEPLOYMENT["required"], "targets", "next_cursor"],
        "properties": {**DEPLOYMENT["properties"], "targets": {"type": "array", "items": TARGET}, "next_cursor": _NSTR},
    },
    "DeploymentPage": _page(DEPLOYMENT),
    "MasterToken": {
        "type": "object",
        "required": ["deployment_id", "master_token", "one_liners"],
        "properties": {
            "deployment_id": _INT,
            "master_token": _STR,
            "one_liners": {"type": "object", "required": ["bash", "powershell"]},
        },
    },
    "OneLiners": {
        "type": "object",
        "required": ["one_liners"],
        "properties": {"deployment_id": _INT, "token_placeholder": _STR, "one_liners": {"type": "object"}},
    },
    "Target": TARGET,
    "TargetPage": _page(TARGET),
    "LogPage": _page(LOG),
    "Settings": {"type": "object", "required": ["max_runs", "log_retention_days", "ai_model_id", "map_tiles", "hub"]},
    "Wrapper": WRAPPER,
    "WrapperLogPage": _page({"type": "object", "required": ["timestamp", "actor", "action"]}),
    "AuditPage": _page(AUDIT),
    "AiAnswer": {
        "type": "object",
        "required": ["text", "model_id"],
        "properties": {
            "text": _STR,
            "code": _NSTR,
            "model_id": _STR,
            "usage": {"type": "object"},
            "truncated": {"type": "boolean"},
            "findings": {"type": "array", "items": FINDING},
        },
    },
    "OpenApi": {"type": "object", "required": ["openapi", "paths"]},
}
