"""The route manifest: every route of the API, in one table.

The CDK stack builds one API Gateway route and one Lambda per entry from it (with
IAM generated from ``tables``/``buckets``/``bedrock``), the local server dispatches
from it, the endpoint wrapper enforces its ``auth`` and ``role``, and the OpenAPI
document is generated from it. A route exists here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

Access = Literal["r", "rw"]


class Auth(Enum):
    NONE = "none"
    MASTER = "master"  # Bearer master token of a deployment (installer, enroll)
    AGENT = "agent"  # Bearer agent token of one target (download, feedback)
    ADMIN = "admin"  # Bearer OIDC JWT, with a minimum role


ROLES = ("viewer", "operator", "admin")  # each includes the ones before it


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: /v1/admin/scripts/{id}
    handler: str  # module in lambdas/handlers, exporting `handler(event, context)`
    auth: Auth
    summary: str
    role: str | None = None  # minimum role for Auth.ADMIN
    tables: dict[str, Access] = field(default_factory=dict)
    buckets: dict[str, Access] = field(default_factory=dict)
    bedrock: bool = False
    request: str | None = None  # schema name in edgex.schemas.SCHEMAS
    response: str = "Text"  # schema name in edgex.schemas.RESPONSE_SCHEMAS
    ok_status: int = 200
    content_type: str = "application/json"
    errors: tuple[str, ...] = ()  # error codes this route may answer besides the common ones
    reads_wrapper: bool = False  # agent routes: load the pinned wrapper with the token check

    @property
    def is_agent(self) -> bool:
        return self.auth in (Auth.MASTER, Auth.AGENT)

    @property
    def function_name(self) -> str:
        return self.handler


def _admin(method: str, path: str, handler: str, role: str, summary: str, **kw: object) -> Route:
    return Route(method, path, handler, Auth.ADMIN, summary, role=role, **kw)  # type: ignore[arg-type]


_AUDIT: dict[str, Access] = {"audit": "rw"}

ROUTES: tuple[Route, ...] = (
    # --- agent API (seed-compatible) ---
    Route(
        "GET",
        "/v1/agent/installer",
        "agent_installer",
        Auth.MASTER,
        "Bootstrapper script (bash or ps1)",
        tables={"deployments": "r"},
        content_type="text/plain",
        errors=("DEPLOYMENT_EXPIRED", "DEPLOYMENT_CANCELLED"),
    ),
    Route(
        "POST",
        "/v1/agent/enroll",
        "agent_enroll",
        Auth.MASTER,
        "Trust-on-first-use enrollment",
        tables={"deployments": "rw", "targets": "rw"},
        request="EnrollRequest",
        errors=("HOSTNAME_CONFLICT", "ENROLLMENT_CAP_REACHED", "DEPLOYMENT_EXPIRED", "DEPLOYMENT_CANCELLED"),
        response="Enrollment",
    ),
    Route(
        "GET",
        "/v1/agent/download",
        "agent_download",
        Auth.AGENT,
        "Wrapped, encoded script for this machine",
        tables={"deployments": "rw", "targets": "rw", "counters": "rw"},
        buckets={"scripts": "r"},
        content_type="text/plain",
        reads_wrapper=True,
        errors=("RERUN_LIMIT_EXCEEDED", "DEPLOYMENT_EXPIRED", "DEPLOYMENT_CANCELLED", "TARGET_CANCELLED"),
    ),
    Route(
        "POST",
        "/v1/agent/feedback",
        "agent_feedback",
        Auth.AGENT,
        "Execution log entries and status",
        tables={"deployments": "rw", "targets": "rw", "logs": "rw", "counters": "rw"},
        request="FeedbackRequest",
        errors=("DEPLOYMENT_EXPIRED", "DEPLOYMENT_CANCELLED", "TARGET_CANCELLED"),
        response="FeedbackAccepted",
    ),
    # --- admin API ---
    _admin("GET", "/v1/admin/me", "admin_me", "viewer", "The signed-in user and role", response="Me"),
    _admin(
        "GET",
        "/v1/admin/scripts",
        "scripts_list",
        "viewer",
        "List scripts",
        tables={"scripts": "r"},
        response="ScriptPage",
    ),
    _admin(
        "POST",
        "/v1/admin/scripts",
        "scripts_create",
        "operator",
        "Create a script",
        ok_status=201,
        tables={"scripts": "rw", "script_versions": "rw", "config": "rw", **_AUDIT},
        buckets={"scripts": "rw"},
        request="ScriptCreateRequest",
        response="Script",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}",
        "scripts_get",
        "viewer",
        "Script metadata",
        tables={"scripts": "r"},
        errors=("SCRIPT_NOT_FOUND",),
        response="Script",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/content",
        "scripts_content",
        "viewer",
        "Latest script content",
        tables={"scripts": "r"},
        buckets={"scripts": "r"},
        content_type="text/plain",
        errors=("SCRIPT_NOT_FOUND",),
    ),
    _admin(
        "PUT",
        "/v1/admin/scripts/{id}",
        "scripts_update",
        "operator",
        "Update a script (bumps the patch version)",
        tables={"scripts": "rw", "script_versions": "rw", **_AUDIT},
        buckets={"scripts": "rw"},
        request="ScriptUpdateRequest",
        errors=("SCRIPT_NOT_FOUND",),
        response="Script",
    ),
    _admin(
        "DELETE",
        "/v1/admin/scripts/{id}",
        "scripts_delete",
        "operator",
        "Delete a script",
        tables={"scripts": "rw", "deployments": "r", **_AUDIT},
        errors=("SCRIPT_NOT_FOUND", "SCRIPT_IN_USE"),
        response="Deleted",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/versions",
        "scripts_versions",
        "viewer",
        "Version history",
        tables={"scripts": "r", "script_versions": "r"},
        errors=("SCRIPT_NOT_FOUND",),
        response="VersionPage",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/versions/{version}",
        "scripts_version_content",
        "viewer",
        "Content of one past version",
        tables={"scripts": "r", "script_versions": "r"},
        buckets={"scripts": "r"},
        content_type="text/plain",
        errors=("SCRIPT_NOT_FOUND", "VERSION_NOT_FOUND"),
    ),
    _admin(
        "GET",
        "/v1/admin/deployments",
        "deployments_list",
        "viewer",
        "List deployments with live counts, newest first; status= keeps one read status (settled:"
        " completed, completed_with_failures), filtering each page after the query (a page may hold fewer items)",
        tables={"deployments": "r", "counters": "r"},
        response="DeploymentPage",
    ),
    _admin(
        "POST",
        "/v1/admin/deployments",
        "deployments_create",
        "operator",
        "Create a deployment",
        ok_status=201,
        tables={
            "scripts": "rw",
            "script_versions": "r",
            "deployments": "rw",
            "targets": "rw",
            "config": "rw",
            **_AUDIT,
        },
        request="DeploymentCreateRequest",
        errors=("SCRIPT_NOT_FOUND", "VERSION_NOT_FOUND", "FINDINGS_NOT_ACKNOWLEDGED"),
        response="DeploymentCreated",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}",
        "deployments_get",
        "viewer",
        "Deployment detail with its first targets",
        tables={"deployments": "r", "targets": "r", "counters": "r"},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="DeploymentDetail",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/installer",
        "deployments_installer",
        "viewer",
        "One-liners (the master token is shown once, at creation)",
        tables={"deployments": "r"},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="OneLiners",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/cancel",
        "deployments_cancel",
        "operator",
        "Cancel a deployment and its running targets",
        tables={"deployments": "rw", "targets": "rw", "counters": "r", **_AUDIT},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="Deployment",
    ),
    _admin(
        "POST",
        "/v1/admin/deployments/{id}/master-token",
        "deployments_master_token",
        "operator",
        "Issue a new master token (the old one stops working at once); shown once, with its one-liners",
        tables={"deployments": "rw", **_AUDIT},
        errors=("DEPLOYMENT_NOT_FOUND", "DEPLOYMENT_EXPIRED", "DEPLOYMENT_CANCELLED"),
        response="MasterToken",
    ),
    _admin(
        "DELETE",
        "/v1/admin/deployments/{id}",
        "deployments_delete",
        "operator",
        "Hard-delete a deployment",
        tables={"deployments": "rw", "targets": "rw", "logs": "rw", "scripts": "rw", "counters": "rw", **_AUDIT},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="Deleted",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets",
        "targets_list",
        "viewer",
        "Targets of a deployment",
        tables={"deployments": "r", "targets": "r"},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="TargetPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/logs",
        "deployments_logs",
        "viewer",
        "Log feed of a deployment, newest first; level= and step= filter each page after the query"
        " (a page may hold fewer items)",
        tables={"deployments": "r", "logs": "r"},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="LogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets/{tid}/logs",
        "target_logs",
        "viewer",
        "Logs of one target, newest first (like the feed); each entry names its run; level= and step="
        " filter each page after the query",
        tables={"targets": "r", "logs": "r"},
        errors=("TARGET_NOT_FOUND",),
        response="LogPage",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/targets/{tid}/cancel",
        "target_cancel",
        "operator",
        "Cancel one target (it reads cancelled; who and when go to its log)",
        tables={"deployments": "rw", "targets": "rw", "counters": "rw", "logs": "rw", **_AUDIT},
        errors=("TARGET_NOT_FOUND",),
        response="Target",
    ),
    _admin(
        "GET",
        "/v1/admin/settings",
        "settings_get",
        "viewer",
        "Platform settings",
        tables={"config": "r"},
        response="Settings",
    ),
    _admin(
        "PUT",
        "/v1/admin/settings",
        "settings_update",
        "admin",
        "Update platform settings",
        tables={"config": "rw", **_AUDIT},
        request="SettingsUpdateRequest",
        response="Settings",
    ),
    _admin(
        "POST",
        "/v1/admin/ai/process",
        "ai_process",
        "operator",
        "AI generate / refactor / audit / explain",
        tables={"config": "r", **_AUDIT},
        bedrock=True,
        request="AiProcessRequest",
        errors=(
            "AI_UNAVAILABLE",
            "AI_ACCESS_DENIED",
            "AI_MODEL_NOT_ENABLED",
            "AI_THROTTLED",
            "AI_TIMEOUT",
            "AI_INPUT_TOO_LONG",
            "AI_CONTENT_FILTERED",
        ),
        response="AiAnswer",
    ),
    _admin(
        "GET",
        "/v1/admin/wrapper/{type}",
        "wrapper_get",
        "viewer",
        "Current wrapper template",
        tables={"config": "r"},
        response="Wrapper",
    ),
    _admin(
        "PUT",
        "/v1/admin/wrapper/{type}",
        "wrapper_update",
        "admin",
        "Replace a wrapper template",
        tables={"config": "rw", **_AUDIT},
        request="WrapperUpdateRequest",
        response="Wrapper",
    ),
    _admin(
        "DELETE",
        "/v1/admin/wrapper/{type}",
        "wrapper_reset",
        "admin",
        "Reset a wrapper template to default",
        tables={"config": "rw", **_AUDIT},
        response="Wrapper",
    ),
    _admin(
        "GET",
        "/v1/admin/wrapper/{type}/logs",
        "wrapper_logs",
        "viewer",
        "Wrapper change log",
        tables={"config": "r"},
        response="WrapperLogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/audit",
        "audit_list",
        "admin",
        "Audit trail, newest first",
        tables={"audit": "r"},
        response="AuditPage",
    ),
    Route("GET", "/v1/openapi.json", "openapi", Auth.NONE, "This API's OpenAPI 3.1 document", response="OpenApi"),
)

BY_HANDLER: dict[str, Route] = {r.handler: r for r in ROUTES}
