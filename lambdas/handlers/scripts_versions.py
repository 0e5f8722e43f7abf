"""GET /v1/admin/scripts/{id}/versions: version history, newest first."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("scripts_versions")
def handler(req: Request, actor: Actor) -> Reply:
    limit, cursor = req.page()
    return Reply(page(*scripts.versions_page(req.params["id"], limit, cursor)))
