"""DELETE /v1/admin/deployments/{id}: hard delete with its targets and logs."""

from edgex import deployments
from http_api.endpoint import Reply, endpoint


@endpoint("deployments_delete")
def handler(req, actor) -> Reply:
    return Reply(deployments.delete(req.int_param("id")))
