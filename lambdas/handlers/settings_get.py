"""GET /v1/admin/settings: platform settings with their defaults filled in."""

from edgex import platform_settings
from http_api.endpoint import Reply, endpoint


@endpoint("settings_get")
def handler(req, actor) -> Reply:
    return Reply(platform_settings.get())
