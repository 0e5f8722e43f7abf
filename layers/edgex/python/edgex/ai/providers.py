"""The models the assistant can call, behind one function (:func:`complete`).

Bedrock's Converse API (boto3 ``bedrock-runtime``) in AWS; an OpenAI-compatible
chat-completions endpoint (``EDGEX_AI_OPENAI_URL``, e.g. a local llama.cpp / Ollama /
vLLM server) for local work. Selection (``EDGEX_AI_PROVIDER`` = ``bedrock`` |
``openai`` | ``none`` wins when set): otherwise ``openai`` if ``EDGEX_AI_OPENAI_URL``
is set, ``bedrock`` inside Lambda (``AWS_LAMBDA_FUNCTION_NAME``) or when a client was
injected with :func:`set_client`, else none. The local server therefore answers 503
instead of sending its fake credentials to AWS.

Bounds: ``maxTokens`` :data:`MAX_TOKENS`, one attempt with a 25 s read timeout, so an
answer (or a coded error) arrives inside API Gateway's 30 s; a throttled call is
reported (503, retryable) rather than retried behind the caller's back. Every failure
becomes one coded error (edgex.ai.errors); AWS's own message is logged, not returned:
it can name the account and role. boto3 / botocore are imported on first use.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from typing import Any, Literal, NamedTuple

from edgex.ai.prompts import AiRequest
from edgex.errors import (
    AiAccessDenied,
    AiContentFiltered,
    AiInputTooLong,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiUnavailable,
    ConfigurationError,
    EdgexError,
)

log = logging.getLogger(__name__)

Provider = Literal["bedrock", "openai", "none"]
PROVIDERS: tuple[Provider, ...] = ("bedrock", "openai", "none")

MAX_TOKENS = 2048  # ~15 s of output for a 30B-A3B model: fits the API's 30 s with margin
TEMPERATURE = 0.2  # scripts, not prose: little creativity wanted
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 25
MAX_ATTEMPTS = 1
OPENAI_RESPONSE_MAX_BYTES = 4 * 1024 * 1024

ENV_PROVIDER = "EDGEX_AI_PROVIDER"
ENV_OPENAI_URL = "EDGEX_AI_OPENAI_URL"  # base URL (…/v1) or the full …/chat/completions URL
ENV_OPENAI_KEY = "EDGEX_AI_OPENAI_KEY"  # optional bearer key for that endpoint
ENV_OPENAI_MODEL = "EDGEX_AI_OPENAI_MODEL"  # optional: local model name instead of the Bedrock id

_TOO_LONG = re.compile(
    r"(?i)(too long|too many (input )?tokens|input length|context (window|length)|maximum context|"
    r"exceeds? the (maximum|max)|context_length_exceeded)"
)
_MODEL_ACCESS = re.compile(
    r"(?i)(access to the model|model access|aws-marketplace|model identifier is invalid|invalid model|"
    r"on-demand throughput|inference profile|end of its life|model .*not (found|supported|available)|"
    r"not authorized to access this model)"
)
_CREDENTIAL_ERRORS = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
    "SignatureDoesNotMatch",
}
_THROTTLE_ERRORS = {"ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException"}


class Reply(NamedTuple):
    """A model's answer, whichever provider gave it."""

    text: str
    model_id: str
    input_tokens: int
    output_tokens: int
    truncated: bool


# --------------------------------------------------------------------------- selection


_client: Any = None  # the cached bedrock-runtime client, created on first use


def set_client(client: Any) -> None:
    """Inject a bedrock-runtime client (tests: a real client under botocore's Stubber).
    ``None`` forgets it, so the next Bedrock call creates a fresh one."""
    global _client
    _client = client


def provider() -> Provider:
    """``bedrock``, ``openai`` or ``none`` (see the module docstring)."""
    explicit = os.environ.get(ENV_PROVIDER, "").strip().lower()
    if explicit:
        for name in PROVIDERS:
            if explicit == name:
                return name
        raise ConfigurationError(f"{ENV_PROVIDER} must be bedrock, openai or none")
    if os.environ.get(ENV_OPENAI_URL):
        return "openai"
    if _client is not None or os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "bedrock"
    return "none"


def complete(which: Provider, model_id: str, request: AiRequest) -> Reply:
    """One model call on the selected provider (never ``none``: the caller refuses first)."""
    return converse(model_id, request) if which == "bedrock" else openai_chat(model_id, request)


# --------------------------------------------------------------------------- Bedrock


def new_bedrock_client(**kwargs: Any) -> Any:
    """A bedrock-runtime client with Edgex's timeouts and retry policy."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
    )
    return boto3.client("bedrock-runtime", config=config, **kwargs)


def bedrock_client() -> Any:
    """The cached client; Lambda sets AWS_REGION (botocore itself reads only AWS_DEFAULT_REGION)."""
    global _client
    if _client is None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        _client = new_bedrock_client(**({"region_name": region} if region else {}))
    return _client


def converse(model_id: str, request: AiRequest) -> Reply:
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ReadTimeoutError,
    )

    try:
        response = bedrock_client().converse(
            modelId=model_id,
            system=[{"text": request.system}],
            messages=[{"role": "user", "content": [{"text": request.user}]}],
            inferenceConfig={"maxTokens": MAX_TOKENS, "temperature": TEMPERATURE},
        )
    except ClientError as exc:
        raise bedrock_error(exc, model_id) from exc
    except (ReadTimeoutError, ConnectTimeoutError) as exc:
        raise AiTimeout() from exc
    except EndpointConnectionError as exc:
        raise AiUnavailable("The AI service (Bedrock) cannot be reached; retry") from exc
    except (NoCredentialsError, NoRegionError) as exc:
        log.error("bedrock not configured: %s", exc)
        raise AiUnavailable("The AI service (Bedrock) is not configured here: no AWS credentials or Region") from exc
    except BotoCoreError as exc:
        log.error("bedrock call failed: %s", exc)
        raise AiUnavailable() from exc
    return parse_converse(response, model_id)


def parse_converse(response: dict[str, Any], model_id: str) -> Reply:
    stop = response.get("stopReason")
    if stop in ("guardrail_intervened", "content_filtered"):
        raise AiContentFiltered()
    blocks = ((response.get("output") or {}).get("message") or {}).get("content") or []
    text = "".join(block["text"] for block in blocks if isinstance(block.get("text"), str))
    if stop == "malformed_model_output":
        raise AiUnavailable("The AI model returned a malformed answer; retry")
    if stop == "model_context_window_exceeded" and not text.strip():
        raise AiInputTooLong()
    usage = response.get("usage") or {}
    return Reply(
        text=text,
        model_id=model_id,
        input_tokens=int(usage.get("inputTokens") or 0),
        output_tokens=int(usage.get("outputTokens") or 0),
        truncated=stop in ("max_tokens", "model_context_window_exceeded"),
    )


def bedrock_error(exc: Any, model_id: str) -> EdgexError:
    """One coded error per Bedrock failure (``exc`` is a botocore ClientError)."""
    error = exc.response.get("Error") or {}
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    log.warning("bedrock converse %s failed: %s: %s", model_id, code, message)
    if code in _THROTTLE_ERRORS:
        return AiThrottled()
    if code == "ModelTimeoutException":
        return AiTimeout()
    if code in ("ServiceUnavailableException", "ModelNotReadyException"):
        return AiUnavailable("The AI model is temporarily unavailable; retry")
    if code == "ResourceNotFoundException" or (
        code in ("AccessDeniedException", "ValidationException") and _MODEL_ACCESS.search(message)
    ):
        return AiModelNotEnabled(
            f"The AI model {model_id} is not enabled for this account and Region (or the id is wrong): "
            "enable model access in the Bedrock console or choose another model in Settings"
        )
    if code == "AccessDeniedException" or code in _CREDENTIAL_ERRORS:
        return AiAccessDenied()
    if code == "ValidationException" and _TOO_LONG.search(message):
        return AiInputTooLong()
    return AiUnavailable("The AI model could not answer this request")


# --------------------------------------------------------------------------- OpenAI-compatible


def openai_url() -> str:
    base = os.environ.get(ENV_OPENAI_URL, "").strip().rstrip("/")
    if not base:
        raise AiUnavailable(f"The OpenAI-compatible AI provider is selected but {ENV_OPENAI_URL} is not set")
    if not base.startswith(("http://", "https://")):
        raise ConfigurationError(f"{ENV_OPENAI_URL} must be an http(s) URL")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def openai_chat(model_id: str, request: AiRequest) -> Reply:
    model = os.environ.get(ENV_OPENAI_MODEL) or model_id
    body = {
        "model": model,
        "messages": [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}],
        "max_tokens": MAX_TOKENS,
        "temperature": TEMPERATURE,
        "stream": False,
    }
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if os.environ.get(ENV_OPENAI_KEY):
        headers["Authorization"] = f"Bearer {os.environ[ENV_OPENAI_KEY]}"
    http_request = urllib.request.Request(  # noqa: S310 - scheme checked in openai_url
        openai_url(), data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=READ_TIMEOUT_S) as answer:  # noqa: S310 - http(s) only
            payload = json.loads(answer.read(OPENAI_RESPONSE_MAX_BYTES))
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", "replace")
        raise openai_error(exc.code, detail, model) from exc
    except TimeoutError as exc:
        raise AiTimeout() from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise AiTimeout() from exc
        raise AiUnavailable("The local AI endpoint cannot be reached; is it running?") from exc
    except (ValueError, OSError) as exc:
        raise AiUnavailable("The AI endpoint's answer could not be read") from exc
    return parse_openai(payload, model)


def parse_openai(payload: Any, model: str) -> Reply:
    try:
        choice = payload["choices"][0]
        text = choice["message"].get("content") or ""
        finish = choice.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise AiUnavailable("The AI endpoint's answer has an unexpected shape") from exc
    if finish == "content_filter":
        raise AiContentFiltered()
    usage = payload.get("usage") or {}
    return Reply(
        text=str(text),
        model_id=str(payload.get("model") or model),
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        truncated=finish == "length",
    )


def openai_error(status: int, detail: str, model: str) -> EdgexError:
    log.warning("openai-compatible endpoint answered %s: %s", status, detail[:500])
    if status in (401, 403):
        return AiAccessDenied("The AI endpoint refused the credentials (check EDGEX_AI_OPENAI_KEY)")
    if status == 404:
        return AiModelNotEnabled(f"The AI endpoint does not serve model {model} (or the URL is wrong)")
    if status == 429:
        return AiThrottled()
    if status in (400, 413) and _TOO_LONG.search(detail):
        return AiInputTooLong()
    return AiUnavailable("The AI endpoint could not answer this request")
