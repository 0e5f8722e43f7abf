"""GET /v1/agent/download (agent token): the wrapped, encoded script."""

from edgex import execution
from edgex.agents import AgentSession
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_download")
def handler(req: Request, session: AgentSession) -> Reply:
    return Reply(execution.download(session, req.params["run"]))
