"""GET /v1/admin/deployments/{id}/logs: the recent feed of all its machines."""

from edgex import deployments, feedback
from http_api.endpoint import Reply, endpoint, page, page_args


@endpoint("deployments_logs")
def handler(req, actor) -> Reply:
    deployment_id = req.int_param("id")
    deployments.get(deployment_id)
    limit, cursor = page_args(req, frozenset({"target_key", "seq", "deployment_id"}))
    return Reply(page(*feedback.deployment_feed(deployment_id, limit, cursor)))
