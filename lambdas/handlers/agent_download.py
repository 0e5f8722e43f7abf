"""GET /v1/agent/download (agent token): the wrapped, encoded script."""

from edgex import execution
from edgex.models import DeploymentModel, TargetModel
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_download")
def handler(req: Request, principal: tuple[TargetModel, DeploymentModel]) -> Reply:
    target, dep = principal
    return Reply(execution.download(target, dep))
