"""POST /v1/admin/scripts: upload a script (1.0.0)."""

from edgex import scripts
from http_api.endpoint import Reply, endpoint


@endpoint("scripts_create")
def handler(req, actor) -> Reply:
    script = scripts.create(req.json(), actor)
    return Reply(script, audit_ids={"script_id": script["id"], "version": script["version"]})
