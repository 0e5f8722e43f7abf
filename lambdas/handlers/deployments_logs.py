"""GET /v1/admin/deployments/{id}/logs: the feed of all its machines, newest first,
optionally only one ``level`` and/or ``step``."""

from edgex import deployments, feedback
from edgex.audit import Actor
from edgex.vocabulary import LogLevel
from http_api.endpoint import Reply, endpoint, page, page_args
from http_api.request import Request


@endpoint("deployments_logs")
def handler(req: Request, actor: Actor) -> Reply:
    deployment_id = req.int_param("id")
    deployments.get(deployment_id)
    limit, cursor = page_args(req, frozenset({"target_key", "seq", "deployment_id"}))
    level, step = req.enum_query("level", LogLevel), req.text_query("step")
    return Reply(page(*feedback.deployment_feed(deployment_id, limit, cursor, level, step)))
