"""GET /v1/admin/deployments/{id}: the deployment and its first page of targets."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_get")
def handler(req: Request, actor: Actor) -> Reply:
    dep = deployments.get(req.params["id"])
    targets, next_cursor = deployments.targets_page(dep, *req.page())
    return Reply({**deployments.view(dep), "targets": targets, "next_cursor": next_cursor})
