"""GET /v1/admin/wrapper/{type}: the wrapper new deployments will snapshot."""

from edgex import platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("wrapper_get")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(platform_settings.wrapper(req.params["type"]))
