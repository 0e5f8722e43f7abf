"""POST /v1/admin/deployments/{id}/master-token: a new master token, shown once.

The old token stops working at once; the one-liners come back filled with the new
one (templates with a placeholder are of no use to whoever lost the first token).
"""

from edgex import deployments
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("deployments_master_token")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply(deployments.rotate_master(req.params["id"]))
