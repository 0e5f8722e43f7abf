"""GET /v1/admin/scripts/{id}/content: the latest content, as text."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("scripts_content")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(scripts.content(req.params["id"]))
