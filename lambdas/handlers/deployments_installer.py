"""GET /v1/admin/deployments/{id}/installer: one-liners with a token placeholder."""

from edgex import deployments
from http_api.endpoint import Reply, endpoint


@endpoint("deployments_installer")
def handler(req, actor) -> Reply:
    return Reply(deployments.one_liner_templates(req.int_param("id")))
