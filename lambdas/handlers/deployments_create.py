"""POST /v1/admin/deployments: pin a script version; the master token is shown once."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_create")
def handler(req: Request, actor: Actor) -> Reply:
    created = deployments.create(req.data, actor)
    return Reply(
        created,
        audit_ids={
            "deployment_id": created["id"],
            "script_id": created["script_id"],
            "script_version": created["script_version"],
            "findings_acknowledged": created["findings_acknowledged"],
        },
    )
