"""GET /v1/admin/scripts: newest first, paginated."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("scripts_list")
def handler(req: Request, actor: Actor) -> Reply:
    limit, cursor = req.page()
    return Reply(page(*scripts.list_page(limit, cursor)))
