"""GET /v1/admin/scripts/{id}/versions/{version}: content of one version."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("scripts_version_content")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(scripts.content(req.params["id"], req.params["version"]))
