"""The OpenAPI 3.1 document, generated from the route manifest and the schemas.

Nothing here lists a route: add one to the manifest and it is documented.
"""

from __future__ import annotations

import re
from typing import Any

from edgex import limits, schemas
from manifest import ROUTES, Auth, Route

COMMON_CODES: dict[Auth, tuple[str, ...]] = {
    Auth.NONE: (),
    Auth.MASTER: ("UNAUTHORIZED",),
    Auth.AGENT: ("UNAUTHORIZED",),
    Auth.ADMIN: ("UNAUTHORIZED", "FORBIDDEN", "NO_ROLE"),
}
ALWAYS = ("INTERNAL_ERROR", "STORAGE_UNAVAILABLE")
CODE_STATUS: dict[str, int] = {
    "VALIDATION_ERROR": 400,
    "INVALID_JSON": 400,
    "UNSUPPORTED_MEDIA_TYPE": 400,
    "INVALID_ID": 400,
    "INVALID_CURSOR": 400,
    "INVALID_VERSION": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NO_ROLE": 403,
    "SCRIPT_NOT_FOUND": 404,
    "VERSION_NOT_FOUND": 404,
    "DEPLOYMENT_NOT_FOUND": 404,
    "TARGET_NOT_FOUND": 404,
    "HOSTNAME_CONFLICT": 409,
    "ENROLLMENT_CAP_REACHED": 409,
    "SCRIPT_IN_USE": 409,
    "SCRIPT_CHANGED": 409,
    "TARGET_CHANGED": 409,
    "FINDINGS_NOT_ACKNOWLEDGED": 409,
    "DEPLOYMENT_EXPIRED": 410,
    "DEPLOYMENT_CANCELLED": 410,
    "TARGET_CANCELLED": 410,
    "PAYLOAD_TOO_LARGE": 413,
    "RERUN_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "STORAGE_UNAVAILABLE": 503,
    "AI_UNAVAILABLE": 503,
    "AI_THROTTLED": 503,
    "AI_TIMEOUT": 503,
    "AI_ACCESS_DENIED": 403,
    "AI_MODEL_NOT_ENABLED": 403,
    "AI_INPUT_TOO_LONG": 400,
    "AI_CONTENT_FILTERED": 400,
    "OBJECT_NOT_FOUND": 404,
    "CONTENT_INTEGRITY": 404,
}
SECURITY = {Auth.MASTER: "masterToken", Auth.AGENT: "agentToken", Auth.ADMIN: "adminJwt"}


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in re.findall(r"\{(\w+)\}", route.path):
        schema: dict[str, Any] = {
            "id": {"type": "integer", "minimum": 1, "maximum": limits.ID_MAX},
            "tid": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "version": {"type": "string", "pattern": r"^\d{1,6}\.\d{1,6}\.\d{1,6}$"},
            "type": {"enum": ["bash", "ps1"]},
        }[name]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if route.response.endswith("Page") or route.response == "DeploymentDetail":
        params += [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": limits.PAGE_MAX},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "next_cursor of the previous page",
            },
        ]
    params += _filters(route)
    if route.handler == "agent_installer":
        params.append({"name": "type", "in": "query", "required": False, "schema": {"enum": ["bash", "ps1"]}})
    return params


def _filters(route: Route) -> list[dict[str, Any]]:
    """Query filters of list routes (applied to each page after the query)."""
    from edgex.vocabulary import DeploymentStatus, LogLevel

    if route.handler == "deployments_list":
        return [_query("status", {"enum": [s.value for s in DeploymentStatus]}, "the read status to keep")]
    if route.handler in ("deployments_logs", "target_logs"):
        return [
            _query("level", {"enum": [level.value for level in LogLevel]}, "keep only entries of this level"),
            _query("step", {"type": "string", "maxLength": limits.STEP_MAX}, "keep only entries of this step"),
        ]
    return []


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _error_responses(route: Route) -> dict[str, Any]:
    codes = set(COMMON_CODES[route.auth]) | set(ALWAYS) | set(route.errors)
    names = {p["name"] for p in _parameters(route)}
    if names or route.request:
        codes.add("VALIDATION_ERROR")
    codes |= {
        code
        for name, code in (
            ("id", "INVALID_ID"),
            ("tid", "INVALID_ID"),
            ("cursor", "INVALID_CURSOR"),
            ("version", "INVALID_VERSION"),
        )
        if name in names
    }
    if route.request:
        codes |= {"INVALID_JSON", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE"}
    by_status: dict[int, list[str]] = {}
    for code in sorted(codes):
        by_status.setdefault(CODE_STATUS[code], []).append(code)
    return {
        str(status): {
            "description": "Error codes: " + ", ".join(found),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status, found in sorted(by_status.items())
    }


def _operation(route: Route) -> dict[str, Any]:
    media = "text/plain" if route.response == "Text" else "application/json"
    operation: dict[str, Any] = {
        "operationId": route.handler,
        "summary": route.summary,
        "tags": ["agent" if route.is_agent else "admin" if route.auth is Auth.ADMIN else "meta"],
        "parameters": _parameters(route),
        "responses": {
            str(route.ok_status): {
                "description": route.summary,
                "content": {media: {"schema": {"$ref": f"#/components/schemas/{route.response}"}}},
            },
            **_error_responses(route),
        },
        "security": [{SECURITY[route.auth]: []}] if route.auth in SECURITY else [],
    }
    if route.handler == "agent_enroll":  # 201 for a new machine, 200 for the same machine again
        enrollment = {"application/json": {"schema": {"$ref": "#/components/schemas/Enrollment"}}}
        operation["responses"]["201"] = {
            "description": "A new machine: a new target and its agent token",
            "content": enrollment,
        }
        operation["responses"]["200"] = {
            "description": "The same machine again: same target, fresh token",
            "content": enrollment,
        }
    if route.auth is Auth.ADMIN:
        operation["x-edgex-role"] = route.role
    if route.request:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{route.request}"}}},
        }
    return operation


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Edgex on AWS",
            "version": "1.0.0",
            "description": "Serverless script orchestration: agents enroll, download and report; admins "
            "manage scripts and deployments. Every error is "
            '{"error": {"code": "...", "message": "..."}}.',
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {**schemas.SCHEMAS, **schemas.RESPONSE_SCHEMAS},
            "securitySchemes": {
                "masterToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "exm_… master token of a deployment",
                },
                "agentToken": {"type": "http", "scheme": "bearer", "description": "exa_… agent token of one machine"},
                "adminJwt": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "OIDC access token; roles from groups: viewer < operator < admin",
                },
            },
        },
    }
