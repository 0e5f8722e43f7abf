"""GET /v1/admin/deployments: newest first, counts from the item (no scans)."""

from edgex import deployments
from http_api.endpoint import Reply, endpoint, page, page_args


@endpoint("deployments_list")
def handler(req, actor) -> Reply:
    limit, cursor = page_args(req, frozenset({"kind", "deployment_id"}))
    return Reply(page(*deployments.list_page(limit, cursor)))
