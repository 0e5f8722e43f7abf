"""PUT /v1/admin/deployments/{id}/targets/{tid}/cancel: stop one machine."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("target_cancel")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.cancel_target(req.int_param("id"), req.hex_param("tid"), actor))
