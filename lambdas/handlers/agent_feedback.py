"""POST /v1/agent/feedback (agent token): log entries and status."""

from edgex import feedback
from edgex.models import DeploymentModel, TargetModel
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_feedback")
def handler(req: Request, principal: tuple[TargetModel, DeploymentModel]) -> Reply:
    target, dep = principal
    return Reply(feedback.record(target, dep, req.json()))
