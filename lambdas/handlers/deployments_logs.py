"""GET /v1/admin/deployments/{id}/logs: the feed of all its machines, newest first,
optionally only one ``level`` and/or ``step``."""

from edgex import deployments, feedback
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("deployments_logs")
def handler(req: Request, actor: Actor) -> Reply:
    deployment_id = req.params["id"]
    deployments.get(deployment_id)
    limit, cursor = req.page()
    return Reply(page(*feedback.deployment_feed(deployment_id, limit, cursor, req.params["level"], req.params["step"])))
