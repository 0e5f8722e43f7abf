"""PUT /v1/admin/deployments/{id}/targets/{tid}/cancel: stop one machine.

``?block=true`` also bans the machine (its machine id and hostname) from enrolling
in this deployment again; the audit record says so."""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("target_cancel")
def handler(req: Request, actor: Actor) -> Reply:
    block = req.params["block"]
    answer = deployments.cancel_target(req.params["id"], req.params["tid"], actor, block=block)
    return Reply(answer, audit_ids={"blocked": "true"} if block else {})
