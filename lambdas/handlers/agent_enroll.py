"""POST /v1/agent/enroll (master token): trust-on-first-use enrollment."""

from edgex import enrollment
from http_api.endpoint import Reply, endpoint


@endpoint("agent_enroll")
def handler(req, dep) -> Reply:
    answer, created = enrollment.enroll(dep, req.json(), req.geo())
    return Reply(answer, status=201 if created else 200)
