"""PUT /v1/admin/deployments/{id}/cancel: agents are refused from now on."""

from edgex import deployments
from http_api.endpoint import Reply, endpoint


@endpoint("deployments_cancel")
def handler(req, actor) -> Reply:
    return Reply(deployments.cancel(req.int_param("id")))
