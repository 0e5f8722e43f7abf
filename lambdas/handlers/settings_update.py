"""PUT /v1/admin/settings: change settings (admin only); new deployments pin them."""

from edgex import platform_settings, schemas
from http_api.endpoint import Reply, endpoint


@endpoint("settings_update")
def handler(req, actor) -> Reply:
    changes = schemas.validate("SettingsUpdateRequest", req.json())
    _, after = platform_settings.update(changes, actor.username)
    return Reply(after, audit_ids={"changed": ",".join(sorted(changes))})
