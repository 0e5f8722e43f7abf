"""GET /v1/admin/deployments/{id}: the deployment and its first page of targets."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page_args
from http_api.request import Request


@endpoint("deployments_get")
def handler(req: Request, actor: Actor) -> Reply:
    dep = deployments.get(req.int_param("id"))
    limit, cursor = page_args(req, frozenset({"deployment_id", "sk"}))
    targets, last = deployments.targets_page(dep, limit, cursor)
    from edgex import pagination

    return Reply({**deployments.view(dep), "targets": targets, "next_cursor": pagination.encode(last)})
