"""POST /v1/admin/ai/process: generate / refactor / audit / explain with the model."""

from edgex import ai, platform_settings
from edgex.audit import Actor
from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@endpoint("ai_process")
def handler(req: Request, actor: Actor) -> Reply:
    body = req.data
    model_id = platform_settings.get()["ai_model_id"]
    answer = ai.process_request(body, model_id)
    return Reply(answer, audit_ids={"mode": body["mode"], "model_id": model_id})
