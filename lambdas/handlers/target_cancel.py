"""PUT /v1/admin/deployments/{id}/targets/{tid}/cancel: stop one machine."""

from edgex import deployments
from http_api.endpoint import Reply, endpoint


@endpoint("target_cancel")
def handler(req, actor) -> Reply:
    return Reply(deployments.cancel_target(req.int_param("id"), req.hex_param("tid")))
