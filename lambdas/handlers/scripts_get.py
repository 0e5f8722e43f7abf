"""GET /v1/admin/scripts/{id}: metadata and the latest version's findings."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("scripts_get")
def handler(req: Request, actor: Actor) -> Reply:
    head = scripts.get(req.params["id"])
    return Reply(scripts.view(head))
