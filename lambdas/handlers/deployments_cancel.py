"""PUT /v1/admin/deployments/{id}/cancel: agents are refused from now on."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_cancel")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.cancel(req.params["id"], actor))
