"""POST /v1/admin/ai/process: generate / refactor / audit / explain with the model."""

from edgex import ai, platform_settings, schemas
from http_api.endpoint import Reply, endpoint


@endpoint("ai_process")
def handler(req, actor) -> Reply:
    body = schemas.validate("AiProcessRequest", req.json())
    model_id = platform_settings.get()["ai_model_id"]
    answer = ai.process(body["mode"], body["type"], body["prompt"], body.get("code"), model_id)
    return Reply(answer, audit_ids={"mode": body["mode"], "model_id": model_id})
