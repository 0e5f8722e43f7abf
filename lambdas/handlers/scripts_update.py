"""PUT /v1/admin/scripts/{id}: new content, next patch version."""

from edgex import scripts
from http_api.endpoint import Reply, endpoint


@endpoint("scripts_update")
def handler(req, actor) -> Reply:
    script = scripts.update(req.int_param("id"), req.json(), actor)
    return Reply(script, audit_ids={"version": script["version"]})
