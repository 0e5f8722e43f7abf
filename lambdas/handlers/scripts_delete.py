"""DELETE /v1/admin/scripts/{id}: refused while a live deployment pins it."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("scripts_delete")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(scripts.delete(req.params["id"]))
