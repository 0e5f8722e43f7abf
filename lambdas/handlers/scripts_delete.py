"""DELETE /v1/admin/scripts/{id}: refused while a live deployment pins it."""

from edgex import scripts
from http_api.endpoint import Reply, endpoint


@endpoint("scripts_delete")
def handler(req, actor) -> Reply:
    return Reply(scripts.delete(req.int_param("id")))
