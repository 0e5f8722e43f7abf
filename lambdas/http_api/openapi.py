"""The OpenAPI 3.1 document, generated from the route manifest and the schemas.

Nothing here lists a route: add one to the manifest and it is documented.
"""

from __future__ import annotations

import re
from typing import Any

from edgex import limits, schemas
from edgex.errors import (
    EdgexError,
    Forbidden,
    InvalidCursor,
    InvalidJson,
    NoRole,
    PayloadTooLarge,
    StorageUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
    registry,
)
from http_api import params
from http_api.errors import STATUS
from manifest import ROUTES, Auth, Route

COMMON: dict[Auth, tuple[type[EdgexError], ...]] = {
    Auth.NONE: (),
    Auth.MASTER: (Unauthenticated,),
    Auth.AGENT: (Unauthenticated,),
    Auth.ADMIN: (Unauthenticated, Forbidden, NoRole),
}
ALWAYS: tuple[type[EdgexError], ...] = (EdgexError, StorageUnavailable)
WITH_BODY: tuple[type[EdgexError], ...] = (ValidationFailed, InvalidJson, UnsupportedMediaType, PayloadTooLarge)
SECURITY = {Auth.MASTER: "masterToken", Auth.AGENT: "agentToken", Auth.ADMIN: "adminJwt"}


def code_status() -> dict[str, int]:
    """Every declared error code and its status, from the error classes themselves."""
    return {code: STATUS[cls.kind] for code, cls in registry().items()}


def _paged(route: Route) -> bool:
    """Answered in pages of ``limit`` items, followed by ``cursor``."""
    return route.response.endswith("Page") or route.response == "DeploymentDetail"


def _followed(route: Route) -> bool:
    """Followed by ``cursor``: a paged list, or a text answered in parts."""
    return _paged(route) or route.response == "TextParts"


def _parameters(route: Route) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": params.PATH[name].schema}
        for name in re.findall(r"\{(\w+)\}", route.path)
    ]
    if _paged(route):
        found.append(
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": limits.PAGE_MAX},
            }
        )
    if _followed(route):
        found += [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "next_cursor of the previous page",
            },
        ]
    found += [
        {"name": name, "in": "query", "required": False, "schema": params.QUERY[name].schema} for name in route.query
    ]
    found += [
        {"name": name, "in": "header", "required": False, "schema": params.HEADERS[name][1].schema}
        for name in route.headers
    ]
    return found


def _error_responses(route: Route) -> dict[str, Any]:
    classes = set(COMMON[route.auth]) | set(ALWAYS) | set(route.errors)
    names = re.findall(r"\{(\w+)\}", route.path)
    classes |= {params.PATH[name].error for name in names} | {params.QUERY[name].error for name in route.query}
    classes |= {params.HEADERS[name][1].error for name in route.headers}
    if _paged(route):
        classes.add(ValidationFailed)  # a limit out of range
    if _followed(route):
        classes.add(InvalidCursor)
    if route.request:
        classes |= set(WITH_BODY)
    statuses = code_status()
    by_status: dict[int, list[str]] = {}
    for code in sorted({cls.code for cls in classes}):
        by_status.setdefault(statuses[code], []).append(code)
    return {
        str(status): {
            "description": "Error codes: " + ", ".join(found),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status, found in sorted(by_status.items())
    }


def _operation(route: Route) -> dict[str, Any]:
    media = "text/plain" if route.response in ("Text", "TextParts") else "application/json"
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
    if route.response == "TextParts":
        operation["responses"][str(route.ok_status)]["headers"] = {
            "Edgex-Next-Cursor": {
                "description": "Present while more follows: the cursor of the next part",
                "schema": {"type": "string"},
            }
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
