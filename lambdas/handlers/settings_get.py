"""GET /v1/admin/settings: platform settings with their defaults filled in."""

from edgex import platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("settings_get")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(platform_settings.get())
