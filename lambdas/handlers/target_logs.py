"""GET /v1/admin/deployments/{id}/targets/{tid}/logs: one machine's log, newest first
(like the feed), optionally only one ``level`` and/or ``step``."""

from edgex import deployments, feedback
from edgex.audit import Actor
from edgex.vocabulary import LogLevel
from http_api.endpoint import Reply, endpoint, page, page_args
from http_api.request import Request


@endpoint("target_logs")
def handler(req: Request, actor: Actor) -> Reply:
    deployment_id, target_id = req.int_param("id"), req.hex_param("tid")
    deployments.get_target(deployment_id, target_id)
    limit, cursor = page_args(req, frozenset({"target_key", "seq"}))
    level, step = req.enum_query("level", LogLevel), req.text_query("step")
    return Reply(page(*feedback.target_logs(deployment_id, target_id, limit, cursor, level, step)))
