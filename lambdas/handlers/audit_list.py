"""GET /v1/admin/audit: the audit trail, newest first (admin only)."""

from edgex import audit
from http_api.endpoint import Reply, endpoint, page, page_args


@endpoint("audit_list")
def handler(req, actor) -> Reply:
    limit, cursor = page_args(req, frozenset({"stream", "seq"}))
    return Reply(page(*audit.list_page(limit, cursor)))
