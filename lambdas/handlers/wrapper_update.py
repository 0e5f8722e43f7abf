"""PUT /v1/admin/wrapper/{type}: replace a wrapper; running deployments keep theirs."""

from edgex import platform_settings, schemas
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("wrapper_update")
def handler(req: Request, actor: Actor) -> Reply:
    script_type = platform_settings.script_type_of(req.path_params.get("type", ""))
    body = schemas.validate("WrapperUpdateRequest", req.json())
    _, after = platform_settings.set_wrapper(script_type, body["content"], actor.username)
    return Reply(after)
