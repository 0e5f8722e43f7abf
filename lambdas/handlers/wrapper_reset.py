"""DELETE /v1/admin/wrapper/{type}: back to the default wrapper."""

from edgex import platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("wrapper_reset")
def handler(req: Request, actor: Actor) -> Reply:
    script_type = req.params["type"]
    _, after = platform_settings.set_wrapper(script_type, None, actor.username)
    return Reply(after)
