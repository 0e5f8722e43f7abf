"""GET /v1/admin/deployments/{id}/targets/{tid}/output: one run's captured output in
order (``run``: the run, default the latest), paged by stored report."""

from edgex import output
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("target_output")
def handler(req: Request, actor: Actor) -> Reply:
    limit, cursor = req.page()
    return Reply(output.page(req.params["id"], req.params["tid"], req.params["run"], cursor, limit))
