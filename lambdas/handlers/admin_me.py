"""GET /v1/admin/me: who is signed in, with which role."""

from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("admin_me")
def handler(req: Request, actor: Actor) -> Reply:
    return Reply({"username": actor.username, "email": actor.email, "role": actor.role, "groups": list(actor.groups)})
