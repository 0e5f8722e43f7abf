"""The route manifest: every route of the API, in one table.

The CDK stack builds one API Gateway route and one Lambda per entry from it (with
IAM generated from the actions ``tables``/``buckets`` declare, and ``bedrock``), the local server dispatches
from it, the endpoint wrapper enforces its ``auth`` and ``role``, and the OpenAPI
document is generated from it. A route exists here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

# The IAM actions a route may declare on a table or bucket: infra/functions.py grants
# exactly these (no read/write bundles), and tests/unit/test_route_actions.py checks
# them against the AWS calls each handler makes. A TransactWriteItems needs the
# per-item action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem) on each table
# it touches; a GetObject of a pinned version needs GetObjectVersion.
GET = "dynamodb:GetItem"
BATCH_GET = "dynamodb:BatchGetItem"
QUERY = "dynamodb:Query"
PUT = "dynamodb:PutItem"
UPDATE = "dynamodb:UpdateItem"
DELETE = "dynamodb:DeleteItem"
BATCH_WRITE = "dynamodb:BatchWriteItem"
CHECK = "dynamodb:ConditionCheckItem"
S3_GET = "s3:GetObject"
S3_GET_VERSION = "s3:GetObjectVersion"
S3_PUT = "s3:PutObject"
TABLE_ACTIONS = frozenset({GET, BATCH_GET, QUERY, PUT, UPDATE, DELETE, BATCH_WRITE, CHECK})
BUCKET_ACTIONS = frozenset({S3_GET, S3_GET_VERSION, S3_PUT})
WRITE_ACTIONS = frozenset({PUT, UPDATE, DELETE, BATCH_WRITE, S3_PUT})

Access = frozenset[str]


def can(*actions: str) -> Access:
    return frozenset(actions)


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

    @property
    def writes(self) -> bool:
        """Whether the route may write any table or bucket."""
        return any(access & WRITE_ACTIONS for access in (*self.tables.values(), *self.buckets.values()))


# Every admin route appends to the audit trail (its mutations, and any refusal of an
# identified caller): read the chain's head, put the next record with a must-not-exist
# condition. No route may update or delete an audit record.
AUDIT_APPEND = can(QUERY, PUT)


def _admin(method: str, path: str, handler: str, role: str, summary: str, **kw: object) -> Route:
    tables = dict(kw.pop("tables", {}))  # type: ignore[call-overload]
    tables["audit"] = tables.get("audit", frozenset()) | AUDIT_APPEND
    return Route(method, path, handler, Auth.ADMIN, summary, role=role, tables=tables, **kw)  # type: ignore[arg-type]


ROUTES: tuple[Route, ...] = (
    # --- agent API (seed-compatible) ---
    Route(
        "GET",
        "/v1/agent/installer",
        "agent_installer",
        Auth.MASTER,
        "Bootstrapper script (bash or ps1)",
        tables={"deployments": can(GET)},
        content_type="text/plain",
        errors=("DEPLOYMENT_EXPIRED", "DEPLOYMENT_CANCELLED"),
    ),
    Route(
        "POST",
        "/v1/agent/enroll",
        "agent_enroll",
        Auth.MASTER,
        "Trust-on-first-use enrollment",
        tables={"deployments": can(GET, UPDATE), "targets": can(GET, PUT, UPDATE, CHECK)},
        request="EnrollRequest",
        errors=(
            "HOSTNAME_CONFLICT",
            "ENROLLMENT_CAP_REACHED",
            "DEPLOYMENT_EXPIRED",
            "DEPLOYMENT_CANCELLED",
            "TARGET_CANCELLED",
            "MACHINE_BLOCKED",
        ),
        response="Enrollment",
    ),
    Route(
        "GET",
        "/v1/agent/download",
        "agent_download",
        Auth.AGENT,
        "Wrapped, encoded script for this machine",
        tables={"deployments": can(BATCH_GET, UPDATE), "targets": can(BATCH_GET, UPDATE), "counters": can(UPDATE)},
        buckets={"scripts": can(S3_GET_VERSION)},
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
        tables={
            "deployments": can(BATCH_GET),
            "targets": can(BATCH_GET, UPDATE),
            "logs": can(PUT),
            "counters": can(UPDATE),
        },
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
        tables={"scripts": can(QUERY)},
        response="ScriptPage",
    ),
    _admin(
        "POST",
        "/v1/admin/scripts",
        "scripts_create",
        "operator",
        "Create a script",
        ok_status=201,
        tables={"scripts": can(PUT), "script_versions": can(PUT), "config": can(UPDATE)},
        buckets={"scripts": can(S3_PUT)},
        request="ScriptCreateRequest",
        response="Script",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}",
        "scripts_get",
        "viewer",
        "Script metadata",
        tables={"scripts": can(GET)},
        errors=("SCRIPT_NOT_FOUND",),
        response="Script",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/content",
        "scripts_content",
        "viewer",
        "Latest script content",
        tables={"scripts": can(GET)},
        buckets={"scripts": can(S3_GET_VERSION)},
        content_type="text/plain",
        errors=("SCRIPT_NOT_FOUND",),
    ),
    _admin(
        "PUT",
        "/v1/admin/scripts/{id}",
        "scripts_update",
        "operator",
        "Update a script (bumps the patch version)",
        tables={"scripts": can(GET, UPDATE), "script_versions": can(PUT)},
        buckets={"scripts": can(S3_PUT)},
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
        tables={"scripts": can(GET, UPDATE), "deployments": can(QUERY)},
        errors=("SCRIPT_NOT_FOUND", "SCRIPT_IN_USE"),
        response="Deleted",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/versions",
        "scripts_versions",
        "viewer",
        "Version history",
        tables={"scripts": can(GET), "script_versions": can(QUERY)},
        errors=("SCRIPT_NOT_FOUND",),
        response="VersionPage",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/versions/{version}",
        "scripts_version_content",
        "viewer",
        "Content of one past version",
        tables={"scripts": can(GET), "script_versions": can(GET)},
        buckets={"scripts": can(S3_GET_VERSION)},
        content_type="text/plain",
        errors=("SCRIPT_NOT_FOUND", "VERSION_NOT_FOUND"),
    ),
    _admin(
        "GET",
        "/v1/admin/deployments",
        "deployments_list",
        "viewer",
        "List deployments with live counts",
        tables={"deployments": can(QUERY), "counters": can(BATCH_GET)},
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
            "scripts": can(GET, UPDATE),
            "script_versions": can(GET),
            "deployments": can(PUT),
            "targets": can(PUT),
            "config": can(BATCH_GET, UPDATE),
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
        tables={"deployments": can(GET), "targets": can(QUERY), "counters": can(BATCH_GET)},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="DeploymentDetail",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/installer",
        "deployments_installer",
        "viewer",
        "One-liners (the master token is shown once, at creation)",
        tables={"deployments": can(GET)},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="OneLiners",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/cancel",
        "deployments_cancel",
        "operator",
        "Cancel a deployment and its running targets",
        tables={"deployments": can(GET, UPDATE), "counters": can(BATCH_GET)},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="Deployment",
    ),
    _admin(
        "DELETE",
        "/v1/admin/deployments/{id}",
        "deployments_delete",
        "operator",
        "Hard-delete a deployment",
        tables={
            "deployments": can(GET, DELETE),
            "targets": can(QUERY, DELETE, BATCH_WRITE),
            "logs": can(QUERY, BATCH_WRITE),
            "counters": can(BATCH_WRITE),
        },
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="Deleted",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets",
        "targets_list",
        "viewer",
        "Targets of a deployment",
        tables={"deployments": can(GET), "targets": can(QUERY)},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="TargetPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/logs",
        "deployments_logs",
        "viewer",
        "Recent log feed of a deployment",
        tables={"deployments": can(GET), "logs": can(QUERY)},
        errors=("DEPLOYMENT_NOT_FOUND",),
        response="LogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets/{tid}/logs",
        "target_logs",
        "viewer",
        "Logs of one target",
        tables={"targets": can(GET), "logs": can(QUERY)},
        errors=("TARGET_NOT_FOUND",),
        response="LogPage",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/targets/{tid}/cancel",
        "target_cancel",
        "operator",
        "Cancel one target",
        tables={"deployments": can(GET), "targets": can(GET, UPDATE, PUT), "counters": can(UPDATE)},
        errors=("TARGET_NOT_FOUND",),
        response="Target",
    ),
    _admin(
        "GET",
        "/v1/admin/settings",
        "settings_get",
        "viewer",
        "Platform settings",
        tables={"config": can(GET)},
        response="Settings",
    ),
    _admin(
        "PUT",
        "/v1/admin/settings",
        "settings_update",
        "admin",
        "Update platform settings",
        tables={"config": can(GET, PUT)},
        request="SettingsUpdateRequest",
        response="Settings",
    ),
    _admin(
        "POST",
        "/v1/admin/ai/process",
        "ai_process",
        "operator",
        "AI generate / refactor / audit / explain",
        tables={"config": can(GET)},
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
        tables={"config": can(GET)},
        response="Wrapper",
    ),
    _admin(
        "PUT",
        "/v1/admin/wrapper/{type}",
        "wrapper_update",
        "admin",
        "Replace a wrapper template",
        tables={"config": can(GET, PUT)},
        request="WrapperUpdateRequest",
        response="Wrapper",
    ),
    _admin(
        "DELETE",
        "/v1/admin/wrapper/{type}",
        "wrapper_reset",
        "admin",
        "Reset a wrapper template to default",
        tables={"config": can(GET, PUT, DELETE)},
        response="Wrapper",
    ),
    _admin(
        "GET",
        "/v1/admin/wrapper/{type}/logs",
        "wrapper_logs",
        "viewer",
        "Wrapper change log",
        tables={"config": can(QUERY)},
        response="WrapperLogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/audit",
        "audit_list",
        "admin",
        "Audit trail, newest first",
        tables={"audit": can(QUERY)},
        response="AuditPage",
    ),
    _admin(
        "GET",
        "/v1/admin/audit/verify",
        "audit_verify",
        "admin",
        "Check the audit trail's hash chain; report the first broken link",
        tables={"audit": can(QUERY)},
        response="AuditVerification",
    ),
    Route("GET", "/v1/openapi.json", "openapi", Auth.NONE, "This API's OpenAPI 3.1 document", response="OpenApi"),
)

BY_HANDLER: dict[str, Route] = {r.handler: r for r in ROUTES}
