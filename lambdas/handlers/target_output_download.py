"""GET /v1/admin/deployments/{id}/targets/{tid}/output/download: one run's whole kept
output as text, the cut (past the run's output limit) marked where it is."""

from edgex import output
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("target_output_download")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(output.download(req.params["id"], req.params["tid"], req.params["run"]))
