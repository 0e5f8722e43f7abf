"""PUT /v1/admin/deployments/{id}/pause: see edgex.rollout."""

from edgex import deployments, rollout
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_pause")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.view(rollout.pause(req.params["id"], actor)))
