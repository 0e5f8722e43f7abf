"""GET /v1/agent/installer?type=bash|ps1 (master token): the bootstrapper.

Byte-identical for the deployment's whole life (per token): its one-liners pin its
SHA-256, so it is rendered from the templates snapshotted at creation.
"""

from edgex import installer, liveness
from edgex.store.tables import DeploymentModel
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_installer")
def handler(req: Request, dep: DeploymentModel) -> Reply:
    liveness.require_live(dep)
    return Reply(installer.bootstrapper(dep, req.params["type"], req.bearer()))
