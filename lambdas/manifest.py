"""The route manifest: every route of the API, in one table.

The CDK stack builds one API Gateway route and one Lambda per entry from it (with
IAM generated from the actions ``tables``/``buckets`` declare, and ``bedrock``), the local server dispatches
from it, the endpoint wrapper enforces its ``auth`` and ``role``, and the OpenAPI
document is generated from it. A route exists here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import NamedTuple

from edgex.errors import (
    AiAccessDenied,
    AiContentFiltered,
    AiInputTooLong,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiUnavailable,
    DeploymentCancelled,
    DeploymentExpired,
    DeploymentNotFound,
    DeploymentNotPaused,
    DeploymentPaused,
    EdgexError,
    EnrollmentCapReached,
    FindingsNotAcknowledged,
    HostnameConflict,
    HostnameMismatch,
    LogQuotaExceeded,
    MachineBlocked,
    OutputTooLarge,
    RerunLimitExceeded,
    ScriptInUse,
    ScriptNotFound,
    StaleRun,
    TargetBusy,
    TargetCancelled,
    TargetNotFound,
    TargetNotRunning,
    VersionNotFound,
    WaitForSlot,
)
from edgex.vocabulary import Role

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
S3_LIST = "s3:ListBucket"  # granted on the bucket itself (infra/functions.py), not its objects
TABLE_ACTIONS = frozenset({GET, BATCH_GET, QUERY, PUT, UPDATE, DELETE, BATCH_WRITE, CHECK})
BUCKET_ACTIONS = frozenset({S3_GET, S3_GET_VERSION, S3_PUT, S3_LIST})
WRITE_ACTIONS = frozenset({PUT, UPDATE, DELETE, BATCH_WRITE, S3_PUT})

Access = frozenset[str]


def can(*actions: str) -> Access:
    return frozenset(actions)


class Auth(Enum):
    NONE = "none"
    MASTER = "master"  # Bearer master token of a deployment (installer, enroll)
    AGENT = "agent"  # Bearer agent token of one target (download, feedback)
    ADMIN = "admin"  # Bearer OIDC JWT, with a minimum role


class Route(NamedTuple):
    method: str
    path: str  # API Gateway syntax: /v1/admin/scripts/{id}
    handler: str  # module in lambdas/handlers, exporting `handler(event, context)`
    auth: Auth
    summary: str
    role: Role | None = None  # minimum role for Auth.ADMIN
    tables: Mapping[str, Access] = {}  # a shared default: read-only
    buckets: Mapping[str, Access] = {}
    bedrock: bool = False
    request: str | None = None  # schema name in edgex.schemas.SCHEMAS
    response: str = "Text"  # schema name in edgex.schemas.RESPONSE_SCHEMAS
    ok_status: int = 200
    content_type: str = "application/json"
    errors: tuple[type[EdgexError], ...] = ()  # errors this route may answer besides the common ones
    reads_wrapper: bool = False  # agent routes: load the pinned wrapper with the token check
    query: tuple[str, ...] = ()  # declared query parameters (http_api.params.QUERY) beside paging
    headers: tuple[str, ...] = ()  # declared optional headers (http_api.params.HEADERS)
    reports: bool = False  # agent routes: a run may report within its grace after its deployment stopped

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


def _admin(method: str, path: str, handler: str, role: Role, summary: str, **kw: object) -> Route:
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
        tables={"deployments": can(GET, UPDATE), "targets": can(BATCH_GET)},
        buckets={"scripts": can(S3_GET_VERSION)},
        content_type="text/plain",
        errors=(DeploymentExpired, DeploymentCancelled),
        query=("type",),
    ),
    Route(
        "POST",
        "/v1/agent/enroll",
        "agent_enroll",
        Auth.MASTER,
        "Trust-on-first-use enrollment",
        tables={"deployments": can(GET, UPDATE), "targets": can(GET, PUT, UPDATE)},
        request="EnrollRequest",
        errors=(
            HostnameConflict,
            EnrollmentCapReached,
            DeploymentExpired,
            DeploymentCancelled,
            TargetCancelled,
            TargetBusy,
            HostnameMismatch,
            MachineBlocked,
            DeploymentPaused,
        ),
        response="Enrollment",
    ),
    Route(
        "GET",
        "/v1/agent/download",
        "agent_download",
        Auth.AGENT,
        "Wrapped, encoded script for this machine",
        tables={
            "deployments": can(BATCH_GET, UPDATE),
            "targets": can(BATCH_GET, UPDATE),
            "counters": can(GET, UPDATE),
        },
        buckets={"scripts": can(S3_GET_VERSION)},
        content_type="text/plain",
        reads_wrapper=True,
        headers=("x-edgex-run",),
        errors=(
            RerunLimitExceeded,
            DeploymentExpired,
            DeploymentCancelled,
            TargetCancelled,
            WaitForSlot,
            DeploymentPaused,
        ),
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
        # The run's output: a head object is put only if its key is free (a retry finds
        # it taken); past the head, the report's keys are checked (HeadObject: a retry)
        # and a tail slot is read (the bytes it held are counted as dropped), then overwritten.
        buckets={"output": can(S3_GET, S3_PUT)},
        request="FeedbackRequest",
        headers=("x-edgex-run", "x-edgex-request"),
        reports=True,
        errors=(
            DeploymentExpired,
            DeploymentCancelled,
            TargetCancelled,
            TargetNotRunning,
            StaleRun,
            LogQuotaExceeded,
            OutputTooLarge,
        ),
        response="FeedbackAccepted",
    ),
    # --- admin API ---
    _admin("GET", "/v1/admin/me", "admin_me", Role.VIEWER, "The signed-in user and role", response="Me"),
    _admin(
        "GET",
        "/v1/admin/scripts",
        "scripts_list",
        Role.VIEWER,
        "List scripts",
        tables={"scripts": can(QUERY)},
        response="ScriptPage",
    ),
    _admin(
        "POST",
        "/v1/admin/scripts",
        "scripts_create",
        Role.OPERATOR,
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
        Role.VIEWER,
        "Script metadata",
        tables={"scripts": can(GET)},
        errors=(ScriptNotFound,),
        response="Script",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/content",
        "scripts_content",
        Role.VIEWER,
        "Latest script content",
        tables={"scripts": can(GET)},
        buckets={"scripts": can(S3_GET_VERSION)},
        content_type="text/plain",
        errors=(ScriptNotFound,),
    ),
    _admin(
        "PUT",
        "/v1/admin/scripts/{id}",
        "scripts_update",
        Role.OPERATOR,
        "Update a script (bumps the patch version)",
        tables={"scripts": can(GET, UPDATE), "script_versions": can(PUT)},
        buckets={"scripts": can(S3_PUT)},
        request="ScriptUpdateRequest",
        errors=(ScriptNotFound,),
        response="Script",
    ),
    _admin(
        "DELETE",
        "/v1/admin/scripts/{id}",
        "scripts_delete",
        Role.OPERATOR,
        "Delete a script",
        tables={"scripts": can(GET, UPDATE), "deployments": can(QUERY, BATCH_GET)},
        errors=(ScriptNotFound, ScriptInUse),
        response="Deleted",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/versions",
        "scripts_versions",
        Role.VIEWER,
        "Version history",
        tables={"scripts": can(GET), "script_versions": can(QUERY)},
        errors=(ScriptNotFound,),
        response="VersionPage",
    ),
    _admin(
        "GET",
        "/v1/admin/scripts/{id}/versions/{version}",
        "scripts_version_content",
        Role.VIEWER,
        "Content of one past version",
        tables={"scripts": can(GET), "script_versions": can(GET)},
        buckets={"scripts": can(S3_GET_VERSION)},
        content_type="text/plain",
        errors=(ScriptNotFound, VersionNotFound),
    ),
    _admin(
        "GET",
        "/v1/admin/deployments",
        "deployments_list",
        Role.VIEWER,
        "List deployments with live counts, newest first; status= keeps one read status (settled:"
        " completed, completed_with_failures), filtering each page after the query (a page may hold fewer items)",
        tables={"deployments": can(QUERY, BATCH_GET), "counters": can(BATCH_GET)},
        query=("status",),
        response="DeploymentPage",
    ),
    _admin(
        "POST",
        "/v1/admin/deployments",
        "deployments_create",
        Role.OPERATOR,
        "Create a deployment",
        ok_status=201,
        tables={
            "scripts": can(GET, UPDATE),
            "script_versions": can(GET),
            "deployments": can(PUT),
            "targets": can(PUT),
            "counters": can(PUT),
            "config": can(BATCH_GET, UPDATE),
        },
        buckets={"scripts": can(S3_GET_VERSION)},
        request="DeploymentCreateRequest",
        errors=(ScriptNotFound, VersionNotFound, FindingsNotAcknowledged),
        response="DeploymentCreated",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}",
        "deployments_get",
        Role.VIEWER,
        "Deployment detail with its first targets",
        tables={"deployments": can(GET), "targets": can(QUERY, BATCH_GET), "counters": can(BATCH_GET)},
        errors=(DeploymentNotFound,),
        response="DeploymentDetail",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/installer",
        "deployments_installer",
        Role.VIEWER,
        "One-liners (the master token is shown once, at creation)",
        tables={"deployments": can(GET)},
        errors=(DeploymentNotFound,),
        response="OneLiners",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/cancel",
        "deployments_cancel",
        Role.OPERATOR,
        "Cancel a deployment and its running targets",
        tables={"deployments": can(GET, UPDATE), "counters": can(BATCH_GET)},
        errors=(DeploymentNotFound,),
        response="Deployment",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/pause",
        "deployments_pause",
        Role.OPERATOR,
        "Pause a deployment: no run starts (waiting and new machines are refused with DEPLOYMENT_PAUSED); "
        "runs in flight finish and report",
        tables={"deployments": can(GET, UPDATE), "counters": can(UPDATE, BATCH_GET)},
        errors=(DeploymentNotFound, DeploymentNotPaused),
        response="Deployment",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/resume",
        "deployments_resume",
        Role.OPERATOR,
        "Resume a paused deployment (also one its error threshold paused): machines may run again; "
        "nothing is reset, so past the threshold the next failure pauses it again",
        tables={"deployments": can(GET, UPDATE), "counters": can(GET, UPDATE, BATCH_GET)},
        errors=(DeploymentNotFound, DeploymentNotPaused),
        response="Deployment",
    ),
    _admin(
        "POST",
        "/v1/admin/deployments/{id}/master-token",
        "deployments_master_token",
        Role.OPERATOR,
        "Issue a new master token (the old one stops working at once); shown once, with its one-liners",
        tables={"deployments": can(GET, UPDATE), "targets": can(BATCH_GET)},
        errors=(DeploymentNotFound, DeploymentExpired, DeploymentCancelled, DeploymentPaused),
        response="MasterToken",
    ),
    _admin(
        "DELETE",
        "/v1/admin/deployments/{id}",
        "deployments_delete",
        Role.OPERATOR,
        "Hard-delete a deployment",
        tables={
            "deployments": can(GET, DELETE),
            "targets": can(QUERY, DELETE, BATCH_WRITE),
            "logs": can(QUERY, BATCH_WRITE),
            "counters": can(BATCH_WRITE),
        },
        errors=(DeploymentNotFound,),
        response="Deleted",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets",
        "targets_list",
        Role.VIEWER,
        "Targets of a deployment",
        tables={"deployments": can(GET), "targets": can(QUERY, BATCH_GET)},
        errors=(DeploymentNotFound,),
        response="TargetPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/logs",
        "deployments_logs",
        Role.VIEWER,
        "Log feed of a deployment, newest first; level= and step= filter each page after the query"
        " (a page may hold fewer items)",
        tables={"deployments": can(GET), "logs": can(QUERY)},
        errors=(DeploymentNotFound,),
        query=("level", "step"),
        response="LogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets/{tid}/logs",
        "target_logs",
        Role.VIEWER,
        "Logs of one target, newest first (like the feed); each entry names its run; level= and step="
        " filter each page after the query",
        tables={"targets": can(GET), "logs": can(QUERY)},
        errors=(TargetNotFound,),
        query=("level", "step"),
        response="LogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets/{tid}/output",
        "target_output",
        Role.VIEWER,
        "One run's captured stdout / stderr in order (run= the run, default the latest), paged by"
        " stored report; where the run's output limit cut it, one item of stream marker says how much",
        tables={"targets": can(GET)},
        buckets={"output": can(S3_GET, S3_LIST)},
        errors=(TargetNotFound,),
        query=("run",),
        response="OutputPage",
    ),
    _admin(
        "GET",
        "/v1/admin/deployments/{id}/targets/{tid}/output/download",
        "target_output_download",
        Role.VIEWER,
        "One run's whole kept output as text, with a [... N bytes dropped ...] line at the cut,"
        " in parts of at most 3 MiB: while more follows, the Edgex-Next-Cursor header is the next part's cursor",
        tables={"targets": can(GET)},
        buckets={"output": can(S3_GET, S3_LIST)},
        errors=(TargetNotFound,),
        query=("run",),
        response="TextParts",
        content_type="text/plain",
    ),
    _admin(
        "PUT",
        "/v1/admin/deployments/{id}/targets/{tid}/cancel",
        "target_cancel",
        Role.OPERATOR,
        "Cancel one target (it reads cancelled; who and when go to its log)",
        tables={"deployments": can(GET), "targets": can(GET, UPDATE), "counters": can(UPDATE), "logs": can(PUT)},
        query=("block",),
        errors=(TargetNotFound,),
        response="Target",
    ),
    _admin(
        "GET",
        "/v1/admin/settings",
        "settings_get",
        Role.VIEWER,
        "Platform settings",
        tables={"config": can(GET)},
        response="Settings",
    ),
    _admin(
        "PUT",
        "/v1/admin/settings",
        "settings_update",
        Role.ADMIN,
        "Update platform settings",
        tables={"config": can(GET, PUT)},
        request="SettingsUpdateRequest",
        response="Settings",
    ),
    _admin(
        "POST",
        "/v1/admin/ai/process",
        "ai_process",
        Role.OPERATOR,
        "AI generate / refactor / audit / explain",
        tables={"config": can(GET)},
        bedrock=True,
        request="AiProcessRequest",
        errors=(
            AiUnavailable,
            AiAccessDenied,
            AiModelNotEnabled,
            AiThrottled,
            AiTimeout,
            AiInputTooLong,
            AiContentFiltered,
        ),
        response="AiAnswer",
    ),
    _admin(
        "GET",
        "/v1/admin/wrapper/{type}",
        "wrapper_get",
        Role.VIEWER,
        "Current wrapper template",
        tables={"config": can(GET)},
        response="Wrapper",
    ),
    _admin(
        "PUT",
        "/v1/admin/wrapper/{type}",
        "wrapper_update",
        Role.ADMIN,
        "Replace a wrapper template",
        tables={"config": can(GET, PUT)},
        request="WrapperUpdateRequest",
        response="Wrapper",
    ),
    _admin(
        "DELETE",
        "/v1/admin/wrapper/{type}",
        "wrapper_reset",
        Role.ADMIN,
        "Reset a wrapper template to default",
        tables={"config": can(GET, PUT, DELETE)},
        response="Wrapper",
    ),
    _admin(
        "GET",
        "/v1/admin/wrapper/{type}/logs",
        "wrapper_logs",
        Role.VIEWER,
        "Wrapper change log",
        tables={"config": can(QUERY)},
        response="WrapperLogPage",
    ),
    _admin(
        "GET",
        "/v1/admin/audit",
        "audit_list",
        Role.ADMIN,
        "Audit trail, newest first",
        tables={"audit": can(QUERY)},
        response="AuditPage",
    ),
    _admin(
        "GET",
        "/v1/admin/audit/verify",
        "audit_verify",
        Role.ADMIN,
        "Check the audit trail's hash chain; report the first broken link",
        tables={"audit": can(QUERY)},
        response="AuditVerification",
    ),
    Route("GET", "/v1/openapi.json", "openapi", Auth.NONE, "This API's OpenAPI 3.1 document", response="OpenApi"),
)

BY_HANDLER: dict[str, Route] = {r.handler: r for r in ROUTES}
