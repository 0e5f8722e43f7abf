"""PUT /v1/admin/deployments/{id}/resume: see edgex.rollout."""

from edgex import deployments, rollout
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_resume")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.view(rollout.resume(req.params["id"])))
