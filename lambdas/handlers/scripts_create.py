"""POST /v1/admin/scripts: upload a script (1.0.0)."""

from edgex import scripts
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("scripts_create")
def handler(req: Request, actor: Actor) -> Reply:
    script = scripts.create(req.data, actor)
    return Reply(script, audit_ids={"script_id": script["id"], "version": script["version"]})
