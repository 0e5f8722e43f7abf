"""POST /v1/agent/feedback (agent token): log entries and status."""

from edgex import feedback
from edgex.agents import AgentSession
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_feedback")
def handler(req: Request, session: AgentSession) -> Reply:
    return Reply(feedback.record(session, req.data, req.params["run"], req.params["request"]))
