"""POST /v1/agent/feedback (agent token): log entries and status."""

from edgex import feedback
from http_api.endpoint import Reply, endpoint


@endpoint("agent_feedback")
def handler(req, principal) -> Reply:
    target, dep = principal
    return Reply(feedback.record(target, dep, req.json()))
