"""PUT /v1/admin/wrapper/{type}: replace a wrapper; running deployments keep theirs."""

from edgex import platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("wrapper_update")
def handler(req: Request, actor: Actor) -> Reply:
    _, after = platform_settings.set_wrapper(req.params["type"], req.data["content"], actor.username)
    return Reply(after)
