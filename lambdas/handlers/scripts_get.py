"""GET /v1/admin/scripts/{id}: metadata and the latest version's findings."""

from edgex import scripts
from http_api.endpoint import Reply, endpoint


@endpoint("scripts_get")
def handler(req, actor) -> Reply:
    head = scripts.get(req.int_param("id"))
    return Reply(scripts.view(head))
