"""GET /v1/agent/download (agent token): the wrapped, encoded script."""

from edgex import execution
from edgex.agents import AgentSession
from edgex.resources import TIMEOUT_HEADER
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_download")
def handler(req: Request, session: AgentSession) -> Reply:
    payload = execution.download(session, req.params["run"])
    return Reply(payload, headers={TIMEOUT_HEADER: str(execution.timeout_of(session.deployment))})
