"""GET /v1/admin/audit: the audit trail, newest first (admin only)."""

from edgex import audit
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("audit_list")
def handler(req: Request, actor: Actor) -> Reply:
    limit, cursor = req.page()
    return Reply(page(*audit.list_page(limit, cursor)))
