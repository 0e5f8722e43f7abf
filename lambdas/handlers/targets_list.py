"""GET /v1/admin/deployments/{id}/targets: every machine, paginated."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("targets_list")
def handler(req: Request, actor: Actor) -> Reply:
    dep = deployments.get(req.params["id"])
    limit, cursor = req.page()
    return Reply(page(*deployments.targets_page(dep, limit, cursor)))
