"""GET /v1/admin/scripts: newest first, paginated."""

from edgex import scripts
from http_api.endpoint import Reply, endpoint, page, page_args


@endpoint("scripts_list")
def handler(req, actor) -> Reply:
    limit, cursor = page_args(req, frozenset({"kind", "script_id"}))
    return Reply(page(*scripts.list_page(limit, cursor)))
