"""GET /v1/admin/deployments/{id}/installer: one-liners with a token placeholder."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_installer")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.one_liner_templates(req.params["id"]))
