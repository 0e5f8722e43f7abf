"""The AI assistant: generate, refactor, audit and explain scripts with a model.

Bedrock's Converse API is the provider in AWS; an OpenAI-compatible endpoint
(``EDGEX_AI_OPENAI_URL``, e.g. a local llama.cpp / Ollama / vLLM server) is the
provider for local work. With neither, :func:`process` raises ``AI_UNAVAILABLE``:
the assistant never invents an answer, and every provider failure becomes one coded
error (:data:`ERRORS`), so the dashboard can say what to fix.

Provider selection (``EDGEX_AI_PROVIDER`` = ``bedrock`` | ``openai`` | ``none`` wins
when set): otherwise ``openai`` if ``EDGEX_AI_OPENAI_URL`` is set, ``bedrock`` inside
Lambda (``AWS_LAMBDA_FUNCTION_NAME``) or when a client was injected with
:func:`set_client`, else none. The local server therefore answers 503 instead of
sending its fake credentials to AWS.

Bounds: ``maxTokens`` :data:`MAX_TOKENS`, one attempt with a 25 s read timeout, so an
answer (or a coded error) arrives inside API Gateway's 30 s; a throttled call is
reported (503, retryable) rather than retried behind the caller's back.

Cheap to import: boto3 / botocore are imported on first use.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from edgex import limits
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
    ValidationFailed,
)

log = logging.getLogger(__name__)

MODES = ("generate", "refactor", "audit", "explain")
SCRIPT_TYPES = ("bash", "powershell")
CODE_MODES = ("generate", "refactor")  # answers whose code block goes to the editor
NUMBERED_MODES = ("audit", "explain")  # the model cites lines: show it the numbers instead of letting it count
DEFAULT_MODEL_ID = "qwen.qwen3-coder-30b-a3b-v1:0"  # Qwen3 Coder 30B A3B Instruct on Bedrock
MAX_TOKENS = 2048  # ~15 s of output for a 30B-A3B model: fits the API's 30 s with margin
TEMPERATURE = 0.2  # scripts, not prose: little creativity wanted
CODE_MAX_CHARS = 100_000  # what we send to a model; the editor allows more (limits.SCRIPT_MAX_BYTES)
CONNECT_TIMEOUT_S = 3
READ_TIMEOUT_S = 25
MAX_ATTEMPTS = 1
OPENAI_RESPONSE_MAX_BYTES = 4 * 1024 * 1024
MODEL_FINDINGS_MAX = 50
STATIC_FINDINGS_IN_PROMPT_MAX = 40

ENV_PROVIDER = "EDGEX_AI_PROVIDER"
ENV_OPENAI_URL = "EDGEX_AI_OPENAI_URL"  # base URL (…/v1) or the full …/chat/completions URL
ENV_OPENAI_KEY = "EDGEX_AI_OPENAI_KEY"  # optional bearer key for that endpoint
ENV_OPENAI_MODEL = "EDGEX_AI_OPENAI_MODEL"  # optional: local model name instead of the Bedrock id

_LANGUAGE = {"bash": "Bash", "powershell": "PowerShell"}
_FENCE_TAG = {"bash": "bash", "powershell": "powershell"}
_STRICT_MODE = {
    "bash": "`set -euo pipefail`",
    "powershell": "`$ErrorActionPreference = 'Stop'` and `Set-StrictMode -Version Latest`",
}
_LANG_ALIASES = {
    "bash": {"bash", "sh", "shell", "shellscript", "zsh", "ksh"},
    "powershell": {"powershell", "ps1", "ps", "pwsh", "posh"},
}
_PROMPT_DIR = Path(__file__).resolve().parent / "prompts"


# --------------------------------------------------------------------------- errors


ERRORS: tuple[type[EdgexError], ...] = (
    AiUnavailable,
    AiAccessDenied,
    AiModelNotEnabled,
    AiThrottled,
    AiTimeout,
    AiInputTooLong,
    AiContentFiltered,
)

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


# --------------------------------------------------------------------------- clients


_client: Any = None  # the cached bedrock-runtime client, created on first use


def set_client(client: Any) -> None:
    """Inject a bedrock-runtime client (tests: a real client under botocore's Stubber).
    ``None`` forgets it, so the next Bedrock call creates a fresh one."""
    global _client
    _client = client


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


def _bedrock() -> Any:
    """The cached client; Lambda sets AWS_REGION (botocore itself reads only AWS_DEFAULT_REGION)."""
    global _client
    if _client is None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        _client = new_bedrock_client(**({"region_name": region} if region else {}))
    return _client


def provider() -> str:
    """``bedrock``, ``openai`` or ``none`` (see the module docstring)."""
    explicit = os.environ.get(ENV_PROVIDER, "").strip().lower()
    if explicit:
        if explicit not in ("bedrock", "openai", "none"):
            raise ConfigurationError(f"{ENV_PROVIDER} must be bedrock, openai or none")
        return explicit
    if os.environ.get(ENV_OPENAI_URL):
        return "openai"
    if _client is not None or os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "bedrock"
    return "none"


# --------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class AiRequest:
    mode: str
    script_type: str
    system: str
    user: str


@dataclass(frozen=True)
class _Reply:
    text: str
    model_id: str
    input_tokens: int
    output_tokens: int
    truncated: bool


@cache
def _prompt_template(mode: str) -> str:
    return (_PROMPT_DIR / f"{mode}.md").read_text(encoding="utf-8")


def system_prompt(mode: str, script_type: str) -> str:
    """The system prompt of ``mode`` (kept in ``prompts/<mode>.md``) for ``script_type``."""
    return (
        _prompt_template(mode)
        .replace("{{language}}", _LANGUAGE[script_type])
        .replace("{{fence}}", _FENCE_TAG[script_type])
        .replace("{{strict_mode}}", _STRICT_MODE[script_type])
    )


def _fenced(code: str, tag: str) -> str:
    """Fence longer than any backtick run inside the code, so the code cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{tag}\n{code.rstrip()}\n{fence}"


def _validate(mode: str, script_type: str, prompt: str, code: str | None) -> tuple[str, str]:
    if mode not in MODES:
        raise ValidationFailed(f"mode must be one of {', '.join(MODES)}")
    if script_type not in SCRIPT_TYPES:
        raise ValidationFailed(f"type must be one of {', '.join(SCRIPT_TYPES)}")
    if not isinstance(prompt, str) or len(prompt) > limits.PROMPT_MAX:
        raise ValidationFailed(f"prompt must be a string of at most {limits.PROMPT_MAX} characters")
    if code is not None and (not isinstance(code, str) or len(code) > CODE_MAX_CHARS):
        raise ValidationFailed(f"code must be a string of at most {CODE_MAX_CHARS} characters for the AI assistant")
    prompt, code = prompt.strip(), (code or "").rstrip()  # leading lines kept: line numbers must match the editor
    if mode == "generate" and not prompt:
        raise ValidationFailed("prompt must describe the script to generate")
    if mode != "generate" and not code.strip():
        raise ValidationFailed(f"code is required for mode {mode}")
    return prompt, code


_DEFAULT_ASK = {
    "generate": "",
    "refactor": "Refactor this script.",
    "audit": "Audit this script for security problems.",
    "explain": "Explain this script.",
}


def build_request(
    mode: str, script_type: str, prompt: str, code: str | None, static_findings: list[dict[str, Any]] | None = None
) -> AiRequest:
    """Validate the input and build the system and user texts for one model call."""
    prompt, code = _validate(mode, script_type, prompt, code)
    parts = [f"Language: {_LANGUAGE[script_type]}", "", "Request:", prompt or _DEFAULT_ASK[mode]]
    if code.strip() and mode in NUMBERED_MODES:
        numbered = "\n".join(f"{n:>4}| {line}" for n, line in enumerate(code.split("\n"), start=1))
        parts += [
            "",
            "Script (line numbers added for reference, not part of the script):",
            _fenced(numbered, _FENCE_TAG[script_type]),
        ]
    elif code.strip():
        parts += ["", "Script:", _fenced(code, _FENCE_TAG[script_type])]
    if mode == "audit":
        parts += ["", "Findings already reported by static analysis:"]
        shown = (static_findings or [])[:STATIC_FINDINGS_IN_PROMPT_MAX]
        parts += [f"- line {f['line']} {f['rule_id']} ({f['severity']}): {f['message']}" for f in shown] or ["- none"]
        if len(static_findings or []) > len(shown):
            parts.append(f"- … and {len(static_findings or []) - len(shown)} more")
    return AiRequest(mode, script_type, system_prompt(mode, script_type), "\n".join(parts))


# --------------------------------------------------------------------------- the entry point


def process(mode: str, script_type: str, prompt: str, code: str | None, model_id: str) -> dict[str, Any]:
    """Run one assistant request.

    Returns ``{"text", "code", "model_id", "usage": {"input_tokens", "output_tokens"},
    "truncated"}``, plus ``"findings"`` in audit mode (static findings merged with the
    model's, sorted by line). ``code`` is the script extracted for the editor in
    generate / refactor mode, else ``None``. Raises VALIDATION_ERROR for bad input and
    one of :data:`ERRORS` when no answer can be had.
    """
    _validate(mode, script_type, prompt, code)
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValidationFailed("model id must be a non-empty string")
    which = provider()
    if which == "none":
        raise AiUnavailable(
            "No AI provider is configured here: Bedrock is used in AWS; locally set "
            f"{ENV_OPENAI_URL} to an OpenAI-compatible endpoint"
        )
    static: list[dict[str, Any]] = []
    if mode == "audit":
        from edgex import static_audit

        static = static_audit.audit_script(script_type, code or "")
    request = build_request(mode, script_type, prompt, code, static)
    reply = _converse(model_id, request) if which == "bedrock" else _openai_chat(model_id, request)

    text = strip_thinking(reply.text)
    if not text.strip():
        raise AiUnavailable("The AI model returned an empty answer; retry")
    result: dict[str, Any] = {
        "text": text,
        "code": extract_code(text, script_type) if mode in CODE_MODES else None,
        "model_id": reply.model_id,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        "truncated": reply.truncated,
    }
    if mode == "audit":
        model_findings, text_without_block = parse_model_findings(text)
        result["text"] = text_without_block
        result["findings"] = merge_findings(static, model_findings)
    return result


# --------------------------------------------------------------------------- Bedrock


def _converse(model_id: str, request: AiRequest) -> _Reply:
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
        response = _bedrock().converse(
            modelId=model_id,
            system=[{"text": request.system}],
            messages=[{"role": "user", "content": [{"text": request.user}]}],
            inferenceConfig={"maxTokens": MAX_TOKENS, "temperature": TEMPERATURE},
        )
    except ClientError as exc:
        raise _bedrock_error(exc, model_id) from exc
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
    return _parse_converse(response, model_id)


def _parse_converse(response: dict[str, Any], model_id: str) -> _Reply:
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
    return _Reply(
        text=text,
        model_id=model_id,
        input_tokens=int(usage.get("inputTokens") or 0),
        output_tokens=int(usage.get("outputTokens") or 0),
        truncated=stop in ("max_tokens", "model_context_window_exceeded"),
    )


def _bedrock_error(exc: Any, model_id: str) -> EdgexError:
    """One coded error per Bedrock failure. AWS's own message is logged, not returned:
    it can name the account and role."""
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


def _openai_url() -> str:
    base = os.environ.get(ENV_OPENAI_URL, "").strip().rstrip("/")
    if not base:
        raise AiUnavailable(f"The OpenAI-compatible AI provider is selected but {ENV_OPENAI_URL} is not set")
    if not base.startswith(("http://", "https://")):
        raise ConfigurationError(f"{ENV_OPENAI_URL} must be an http(s) URL")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def _openai_chat(model_id: str, request: AiRequest) -> _Reply:
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
    http_request = urllib.request.Request(  # noqa: S310 - scheme checked in _openai_url
        _openai_url(), data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=READ_TIMEOUT_S) as answer:  # noqa: S310 - http(s) only
            payload = json.loads(answer.read(OPENAI_RESPONSE_MAX_BYTES))
    except urllib.error.HTTPError as exc:
        detail = exc.read(4096).decode("utf-8", "replace")
        raise _openai_error(exc.code, detail, model) from exc
    except TimeoutError as exc:
        raise AiTimeout() from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise AiTimeout() from exc
        raise AiUnavailable("The local AI endpoint cannot be reached; is it running?") from exc
    except (ValueError, OSError) as exc:
        raise AiUnavailable("The AI endpoint's answer could not be read") from exc
    return _parse_openai(payload, model)


def _parse_openai(payload: Any, model: str) -> _Reply:
    try:
        choice = payload["choices"][0]
        text = choice["message"].get("content") or ""
        finish = choice.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise AiUnavailable("The AI endpoint's answer has an unexpected shape") from exc
    if finish == "content_filter":
        raise AiContentFiltered()
    usage = payload.get("usage") or {}
    return _Reply(
        text=str(text),
        model_id=str(payload.get("model") or model),
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        truncated=finish == "length",
    )


def _openai_error(status: int, detail: str, model: str) -> EdgexError:
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


# --------------------------------------------------------------------------- answers


_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL)
_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")


def strip_thinking(text: str) -> str:
    """Reasoning models may prefix ``<think>…</think>``: not part of the answer."""
    return _THINK.sub("", text).strip()


class Block(NamedTuple):
    tag: str  # language tag, lower case ("" when untagged)
    body: str
    closed: bool
    start: int  # index of the opening fence line
    end: int  # index after the closing fence line (or len(lines))


def code_blocks(text: str) -> list[Block]:
    """Fenced blocks in order; an unclosed last block (a truncated answer) runs to the
    end of the text."""
    blocks: list[Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if not opening:
            i += 1
            continue
        start, fence = i, opening.group("fence")
        info = opening.group("info").strip()
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                closed = True
                i += 1
                break
            body.append(lines[i])
            i += 1
        blocks.append(Block(info.split()[0].lower() if info else "", "\n".join(body), closed, start, i))
    return blocks


def extract_code(text: str, script_type: str) -> str | None:
    """The script in the answer, ready for the editor: the longest block tagged with the
    script's language, else the longest untagged block; ``None`` when there is none
    (never the prose: the editor must not receive an explanation as code)."""
    blocks = code_blocks(text)
    for wanted in (_LANG_ALIASES[script_type], {""}):
        candidates = [b.body for b in blocks if b.tag in wanted and b.body.strip()]
        if candidates:
            return max(candidates, key=len).strip("\n") + "\n"
    return None


def parse_model_findings(text: str) -> tuple[list[dict[str, Any]], str]:
    """Findings from the audit answer's JSON block, and the text without that block.

    Anything malformed is dropped, never guessed; the text is left whole when no block
    can be read."""
    for block in reversed(code_blocks(text)):
        if block.tag not in ("json", ""):
            continue
        try:
            data = json.loads(block.body)
        except ValueError:
            continue
        items = data.get("findings") if isinstance(data, dict) else data
        if not isinstance(items, list):
            continue
        findings = []
        for item in items[:MODEL_FINDINGS_MAX]:
            if not isinstance(item, dict) or not str(item.get("message") or "").strip():
                continue
            try:
                line = max(1, int(item.get("line") or 1))
            except (TypeError, ValueError):
                line = 1
            severity = str(item.get("severity", "")).lower()
            findings.append(
                {
                    "rule_id": "AI",
                    "severity": severity if severity in ("high", "medium", "low") else "low",
                    "line": line,
                    "message": str(item["message"]).strip()[:1000],
                    "hint": str(item.get("hint") or "").strip()[:1000],
                    "source": "model",
                }
            )
        lines = text.split("\n")
        return findings, "\n".join(lines[: block.start] + lines[block.end :]).strip()
    return [], text


def merge_findings(static: list[dict[str, Any]], model: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Static findings first on equal lines and severities: they are the ones to trust."""
    rank = {"high": 0, "medium": 1, "low": 2}
    source = {"rules": 0, "shellcheck": 1, "model": 2}
    return sorted([*static, *model], key=lambda f: (f["line"], rank.get(f["severity"], 3), source.get(f["source"], 3)))
