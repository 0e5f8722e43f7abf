"""GET /v1/admin/scripts/{id}/content: the latest content, as text."""

from edgex import scripts
from http_api.endpoint import Reply, endpoint


@endpoint("scripts_content")
def handler(req, actor) -> Reply:
    return Reply(scripts.content(req.int_param("id")))
