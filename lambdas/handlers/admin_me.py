"""GET /v1/admin/me: who is signed in, with which role."""

from http_api.endpoint import Reply, endpoint


@endpoint("admin_me")
def handler(req, actor) -> Reply:
    return Reply({"username": actor.username, "email": actor.email, "role": actor.role, "groups": list(actor.groups)})
