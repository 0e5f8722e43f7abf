"""GET /v1/admin/deployments: newest first, counts from the item (no scans);
``status`` filters on the read status (settled ones included) after the query."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("deployments_list")
def handler(req: Request, actor: Actor) -> Reply:
    limit, cursor = req.page()
    return Reply(page(*deployments.list_page(limit, cursor, req.params["status"])))
