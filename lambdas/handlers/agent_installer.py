"""GET /v1/agent/installer?type=bash|ps1 (master token): the bootstrapper."""

from edgex import config, liveness, wrappers
from edgex.store.tables import DeploymentModel
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_installer")
def handler(req: Request, dep: DeploymentModel) -> Reply:
    liveness.require_live(dep)
    return Reply(wrappers.render_bootstrapper(req.params["type"], config.public_url(), req.bearer()))
