"""GET /v1/admin/audit/verify: walk the audit trail's hash chain (admin only)."""

from edgex import audit
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("audit_verify")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(audit.verify())
