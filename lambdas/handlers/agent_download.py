"""GET /v1/agent/download (agent token): the wrapped, encoded script."""

from edgex import execution
from http_api.endpoint import Reply, endpoint


@endpoint("agent_download")
def handler(req, principal) -> Reply:
    target, dep = principal
    return Reply(execution.download(target, dep))
