"""GET /v1/admin/wrapper/{type}/logs: who changed a wrapper, when, by how much."""

from edgex import platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("wrapper_logs")
def handler(req: Request, actor: Actor) -> Reply:
    script_type = req.params["type"]
    limit, cursor = req.page()
    return Reply(page(*platform_settings.wrapper_log(script_type, limit, cursor)))
