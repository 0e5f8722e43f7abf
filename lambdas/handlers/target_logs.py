"""GET /v1/admin/deployments/{id}/targets/{tid}/logs: one machine's log, newest first
(like the feed), optionally only one ``level`` and/or ``step``."""

from edgex import deployments, feedback
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint, page
from http_api.request import Request


@endpoint("target_logs")
def handler(req: Request, actor: Actor) -> Reply:
    deployment_id, target_id = req.params["id"], req.params["tid"]
    deployments.get_target(deployment_id, target_id)
    limit, cursor = req.page()
    level, step = req.params["level"], req.params["step"]
    return Reply(page(*feedback.target_logs(deployment_id, target_id, limit, cursor, level, step)))
