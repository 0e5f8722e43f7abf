"""PUT /v1/admin/settings: change settings (admin only); new deployments pin them."""

from edgex import platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("settings_update")
def handler(req: Request, actor: Actor) -> Reply:
    _, after = platform_settings.update(req.data, actor.username)
    return Reply(after, audit_ids={"changed": ",".join(sorted(req.data))})
