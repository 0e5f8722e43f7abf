"""GET /v1/admin/deployments/{id}/targets/{tid}/output/download: one run's whole kept
output as text, the cut marked where it is, in parts: while more follows, the answer's
Edgex-Next-Cursor header is the ``cursor`` of the next part."""

from edgex import output
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request

NEXT_CURSOR_HEADER = "Edgex-Next-Cursor"


@endpoint("target_output_download")
def handler(req: Request, actor: Actor) -> Reply:
    text, next_cursor = output.download(req.params["id"], req.params["tid"], req.params["run"], req.cursor())
    return Reply(text, headers={NEXT_CURSOR_HEADER: next_cursor} if next_cursor else {})
