"""POST /v1/agent/enroll (master token): trust-on-first-use enrollment."""

from edgex import enrollment
from edgex.store.tables import DeploymentModel
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("agent_enroll")
def handler(req: Request, dep: DeploymentModel) -> Reply:
    answer, created = enrollment.enroll(dep, req.data, req.geo())
    return Reply(answer, status=201 if created else 200)
