"""JSON Schemas of request bodies: the single source for validation and for the
OpenAPI document. Compiled lazily with fastjsonschema (cheap to import, fast to run)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from edgex import limits
from edgex.errors import ValidationFailed

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
# Hostnames: DNS/NetBIOS characters only, so look-alike letters and RTL marks never
# reach the hostname claim (the seed only forbids CR/LF/NUL; we are stricter).
HOSTNAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SCRIPT_TYPES = ["bash", "powershell"]
LOG_STATUSES = ["info", "success", "warning", "error"]


def _text(max_len: int, *, pattern: str = NO_CONTROL, min_len: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_len, "maxLength": max_len, "pattern": pattern}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


FEEDBACK_ENTRY = _obj(
    {
        "status": {"enum": LOG_STATUSES},
        "message": {"type": "string", "maxLength": limits.MESSAGE_MAX},
        "step": {"anyOf": [_text(limits.STEP_MAX, min_len=0), {"type": "null"}]},
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
                {"entries": {"type": "array", "minItems": 1, "maxItems": limits.FEEDBACK_BATCH_MAX, "items": FEEDBACK_ENTRY}},
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
            "expires_hours": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": limits.EXPIRES_HOURS_MAX}, {"type": "null"}]},
            "script_version": {"type": "string", "pattern": r"^\d{1,6}\.\d{1,6}\.\d{1,6}$"},
            "acknowledge_findings": {"type": "boolean"},
        },
        ["script_id", "name", "expected_machines"],
    ),
    "SettingsUpdateRequest": {
        **_obj(
            {
                "max_runs": _obj({t: {"type": "integer", "minimum": 1, "maximum": 1000} for t in SCRIPT_TYPES}, []),
                "log_retention_days": {"type": "integer", "minimum": 1, "maximum": 3650},
                "ai_model_id": _text(200, pattern=r"^[A-Za-z0-9._:/-]+$"),
                "map_tiles": _obj(
                    {"url": _text(500, pattern=r"^https://[^\s\"'<>]+$"), "attribution": _text(500)}, []
                ),
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
            "prompt": {"type": "string", "minLength": 1, "maxLength": limits.PROMPT_MAX},
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
        raise ValidationFailed(exc.message.replace("data.", "", 1).replace("data ", "body ", 1)) from None
    return data
