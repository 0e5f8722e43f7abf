"""DELETE /v1/admin/deployments/{id}: hard delete with its targets and logs."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_delete")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.delete(req.params["id"]))
