"""GET /v1/agent/installer?type=bash|ps1 (master token): the bootstrapper."""

from edgex import config, deployments, wrappers
from edgex.errors import ValidationFailed
from edgex.models import DeploymentModel
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_installer")
def handler(req: Request, dep: DeploymentModel) -> Reply:
    kind = req.query.get("type", "bash")
    if kind not in ("bash", "ps1"):
        raise ValidationFailed("type must be bash or ps1")
    deployments.require_live(dep)
    return Reply(wrappers.render_bootstrapper(kind, config.public_url(), req.bearer()))
