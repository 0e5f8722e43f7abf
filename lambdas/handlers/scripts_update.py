"""PUT /v1/admin/scripts/{id}: new content, next patch version."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("scripts_update")
def handler(req: Request, actor: Actor) -> Reply:
    script = scripts.update(req.params["id"], req.data, actor)
    return Reply(script, audit_ids={"version": script["version"]})
