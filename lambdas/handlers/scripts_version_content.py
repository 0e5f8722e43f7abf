"""GET /v1/admin/scripts/{id}/versions/{version}: content of one version."""

import re

from edgex import scripts
from edgex.audit import Actor
from edgex.errors import ValidationFailed
from http_api.endpoint import Reply, endpoint
from http_api.request import Request

_SEMVER = re.compile(r"^\d{1,6}\.\d{1,6}\.\d{1,6}$")


@endpoint("scripts_version_content")
def handler(req: Request, actor: Actor) -> Reply:
    version = req.path_params.get("version", "")
    if not _SEMVER.match(version):
        raise ValidationFailed("version must look like 1.0.2", code="INVALID_VERSION")
    return Reply(scripts.content(req.int_param("id"), version))
