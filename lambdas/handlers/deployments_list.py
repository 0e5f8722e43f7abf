"""GET /v1/admin/deployments: newest first, counts from the item (no scans);
``status`` filters on the read status (settled ones included) after the query."""

from edgex import deployments
from edgex.audit import Actor
from edgex.vocabulary import DeploymentStatus
from http_api.endpoint import Reply, endpoint, page, page_args
from http_api.request import Request


@endpoint("deployments_list")
def handler(req: Request, actor: Actor) -> Reply:
    limit, cursor = page_args(req, frozenset({"kind", "deployment_id"}))
    return Reply(page(*deployments.list_page(limit, cursor, req.enum_query("status", DeploymentStatus))))
