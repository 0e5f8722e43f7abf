"""The AI assistant: generate, refactor, audit and explain scripts with a model.

With no provider configured, :func:`process` raises ``AI_UNAVAILABLE``: the assistant
never invents an answer, and every provider failure becomes one coded error
(:data:`ERRORS`), so the dashboard can say what to fix.

Where things are: ``prompts`` (the modes, the system prompt files, the user text),
``providers`` (Bedrock Converse, the OpenAI-compatible endpoint, which one is used and
the bounds of a call), ``answers`` (the model's text made into the API's answer and
findings), ``errors`` (the coded errors). The request is validated once, here, against
the ``AiProcessRequest`` schema (edgex.schemas).

Cheap to import: boto3 / botocore, and the static audit, are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edgex import schemas, validators
from edgex.ai.answers import (
    Answer,
    Block,
    answer,
    code_blocks,
    extract_code,
    merge_findings,
    parse_model_findings,
    strip_thinking,
)
from edgex.ai.errors import ERRORS
from edgex.ai.prompts import (
    CODE_MODES,
    MODES,
    NUMBERED_MODES,
    AiRequest,
    Mode,
    build_request,
    system_prompt,
)
from edgex.ai.providers import (
    CONNECT_TIMEOUT_S,
    ENV_OPENAI_KEY,
    ENV_OPENAI_MODEL,
    ENV_OPENAI_URL,
    ENV_PROVIDER,
    MAX_ATTEMPTS,
    MAX_TOKENS,
    READ_TIMEOUT_S,
    TEMPERATURE,
    complete,
    new_bedrock_client,
    provider,
    set_client,
)
from edgex.errors import (
    AiAccessDenied,
    AiContentFiltered,
    AiInputTooLong,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiUnavailable,
)
from edgex.vocabulary import DEFAULT_AI_MODEL_ID

if TYPE_CHECKING:
    from edgex.static_audit import Finding

__all__ = [
    "CODE_MAX_CHARS",
    "CODE_MODES",
    "CONNECT_TIMEOUT_S",
    "DEFAULT_MODEL_ID",
    "ENV_OPENAI_KEY",
    "ENV_OPENAI_MODEL",
    "ENV_OPENAI_URL",
    "ENV_PROVIDER",
    "ERRORS",
    "MAX_ATTEMPTS",
    "MAX_TOKENS",
    "MODES",
    "NUMBERED_MODES",
    "READ_TIMEOUT_S",
    "TEMPERATURE",
    "AiAccessDenied",
    "AiContentFiltered",
    "AiInputTooLong",
    "AiModelNotEnabled",
    "AiRequest",
    "AiThrottled",
    "AiTimeout",
    "Answer",
    "Block",
    "Mode",
    "build_request",
    "code_blocks",
    "extract_code",
    "merge_findings",
    "new_bedrock_client",
    "parse_model_findings",
    "process",
    "process_request",
    "provider",
    "set_client",
    "strip_thinking",
    "system_prompt",
]

DEFAULT_MODEL_ID = DEFAULT_AI_MODEL_ID  # the name callers used before edgex.vocabulary held it
CODE_MAX_CHARS = schemas.AI_CODE_MAX_CHARS  # what we send to a model; the editor allows more


def process_request(data: dict[str, Any], model_id: str) -> Answer:
    """Run one assistant request; ``data`` is a validated ``AiProcessRequest`` (the
    endpoint validated it against the schema at the edge).

    Returns ``{"text", "code", "model_id", "usage": {"input_tokens", "output_tokens"},
    "truncated"}``, plus ``"findings"`` in audit mode (static findings merged with the
    model's, sorted by line). ``code`` is the script extracted for the editor in
    generate / refactor mode, else ``None``. Raises VALIDATION_ERROR for bad input and
    one of :data:`ERRORS` when no answer can be had.
    """
    mode, script_type, prompt, code = data["mode"], data["type"], data["prompt"], data.get("code")
    which = provider()
    if which == "none":
        raise AiUnavailable(
            "No AI provider is configured here: Bedrock is used in AWS; locally set "
            f"{ENV_OPENAI_URL} to an OpenAI-compatible endpoint"
        )
    static: list[Finding] = []
    if mode == Mode.AUDIT:
        from edgex import static_audit

        static = static_audit.audit_script(script_type, code or "")
    request = build_request(mode, script_type, prompt, code, static)
    return answer(mode, script_type, complete(which, model_id, request), static)


def process(mode: str, script_type: str, prompt: str, code: str | None, model_id: str) -> Answer:
    """:func:`process_request` with the body's fields as arguments (``code`` None: absent),
    validated as the endpoint would: for callers that are not a route (tests, tools)."""
    body: dict[str, Any] = {"mode": mode, "type": script_type, "prompt": prompt}
    if code is not None:
        body["code"] = code
    return process_request(validators.validate("AiProcessRequest", body), model_id)
