"""AI assistant: the Converse request and response on a real bedrock-runtime client
under botocore's Stubber (moto has no `converse`), every provider failure mapped to
its code, the OpenAI-compatible endpoint against a real local HTTP server, and the
rule that without a provider nothing is invented."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber

from edgex import ai, limits, schemas, validators
from edgex.ai import prompts, providers
from edgex.errors import AiUnavailable, EdgexError, Kind, ValidationFailed

MODEL = ai.DEFAULT_MODEL_ID
PROMPTS = Path(ai.__file__).resolve().parent.parent / "prompts"
RISKY_BASH = "#!/bin/bash\necho start\ncurl -fsSL https://example.com/i.sh | bash\n"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No provider from the developer's environment, no client left behind."""
    for name in (
        ai.ENV_PROVIDER,
        ai.ENV_OPENAI_URL,
        ai.ENV_OPENAI_KEY,
        ai.ENV_OPENAI_MODEL,
        "AWS_LAMBDA_FUNCTION_NAME",
    ):
        monkeypatch.delenv(name, raising=False)
    ai.set_client(None)
    yield
    ai.set_client(None)


@pytest.fixture
def bedrock() -> Iterator[Stubber]:
    """A real bedrock-runtime client built by ai (its timeouts included), stubbed and injected."""
    client = ai.new_bedrock_client(
        region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stub:
        ai.set_client(client)
        yield stub
        stub.assert_no_pending_responses()


def converse_response(text: str, stop: str = "end_turn", tokens: tuple[int, int] = (120, 45)) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": 850},
    }


def expected_params(mode: str, script_type: str, prompt: str, code: str | None, static: list | None = None) -> dict:
    request = ai.build_request(mode, script_type, prompt, code, static)
    return {
        "modelId": MODEL,
        "system": [{"text": request.system}],
        "messages": [{"role": "user", "content": [{"text": request.user}]}],
        "inferenceConfig": {"maxTokens": ai.MAX_TOKENS, "temperature": ai.TEMPERATURE},
    }


# --------------------------------------------------------------------------- request and response


def test_generate_sends_system_prompt_user_text_and_limits_and_returns_the_code(bedrock: Stubber) -> None:
    # Given a model that answers with a bash block and a note
    answer = "Here it is:\n```bash\n#!/usr/bin/env bash\nset -euo pipefail\ndf -h\n```\n- needs nothing"
    bedrock.add_response(
        "converse", converse_response(answer), expected_params("generate", "bash", "show disk usage", None)
    )
    # When a script is generated
    result = ai.process("generate", "bash", "show disk usage", None, MODEL)
    # Then the request matched exactly (Stubber checks params), and the answer is returned whole
    assert result == {
        "text": answer,
        "code": "#!/usr/bin/env bash\nset -euo pipefail\ndf -h\n",
        "model_id": MODEL,
        "usage": {"input_tokens": 120, "output_tokens": 45},
        "truncated": False,
    }


def test_request_carries_the_mode_prompt_from_its_file_and_the_user_text(bedrock: Stubber) -> None:
    # Given the refactor system prompt as stored on disk, for PowerShell
    on_disk = (PROMPTS / "refactor.md").read_text()
    captured: dict[str, Any] = {}

    def capture(**kwargs: Any) -> None:
        captured.update(kwargs)

    bedrock.client.meta.events.register("provide-client-params.bedrock-runtime.Converse", capture)
    bedrock.add_response(
        "converse",
        converse_response("```powershell\nGet-Date\n```"),
        {"modelId": MODEL, "system": ANY, "messages": ANY, "inferenceConfig": ANY},
    )
    # When a refactor is asked
    ai.process("refactor", "powershell", "use CIM", "Get-WmiObject Win32_OS", MODEL)
    # Then the system prompt is that file for PowerShell, and the user text holds the ask and the code
    params = captured["params"]
    system = params["system"][0]["text"]
    assert system == on_disk.replace("{{language}}", "PowerShell").replace("{{fence}}", "powershell").replace(
        "{{strict_mode}}", prompts.STRICT_MODE["powershell"]
    )
    assert "{{" not in system
    user = params["messages"][0]["content"][0]["text"]
    assert "use CIM" in user and "```powershell\nGet-WmiObject Win32_OS\n```" in user
    assert params["inferenceConfig"] == {"maxTokens": ai.MAX_TOKENS, "temperature": ai.TEMPERATURE}


def test_each_mode_has_its_own_system_prompt() -> None:
    # Given the four modes
    # When their prompts are built for bash
    prompts = {mode: ai.system_prompt(mode, "bash") for mode in ai.MODES}
    # Then each comes from its own file and they all differ
    assert len(set(prompts.values())) == 4
    for mode, text in prompts.items():
        assert (PROMPTS / f"{mode}.md").is_file()
        assert "Bash" in text and "{{" not in text


def test_explain_returns_text_without_code(bedrock: Stubber) -> None:
    # Given a model whose explanation quotes a line in a block
    answer = "It prints the date.\n```bash\ndate\n```"
    bedrock.add_response("converse", converse_response(answer), expected_params("explain", "bash", "what?", "date"))
    # When the script is explained
    result = ai.process("explain", "bash", "what?", "date", MODEL)
    # Then code is None: only generate / refactor feed the editor
    assert result["code"] is None and result["text"] == answer
    assert "findings" not in result


def test_max_tokens_stop_is_reported_as_truncated(bedrock: Stubber) -> None:
    # Given a model cut off by maxTokens in the middle of its code block
    answer = "```bash\n#!/bin/bash\necho one\necho tw"
    bedrock.add_response(
        "converse",
        converse_response(answer, stop="max_tokens", tokens=(50, 2048)),
        expected_params("generate", "bash", "long script", None),
    )
    # When the script is generated
    result = ai.process("generate", "bash", "long script", None, MODEL)
    # Then the answer says it is truncated, and the partial code is still offered
    assert result["truncated"] is True
    assert result["code"] == "#!/bin/bash\necho one\necho tw\n"
    assert result["usage"] == {"input_tokens": 50, "output_tokens": 2048}


def test_audit_merges_static_findings_with_the_models(bedrock: Stubber) -> None:
    # Given a risky script and a model that adds one finding in its JSON block
    from edgex import static_audit

    static = static_audit.audit_script("bash", RISKY_BASH)
    answer = (
        "High risk: remote code runs unverified.\n- line 2: echo is harmless\n"
        '```json\n{"findings": [{"line": 2, "severity": "bogus", "message": "Logs nothing useful", "hint": "Add context"},'
        ' {"line": 3, "severity": "high"}]}\n```'
    )
    bedrock.add_response(
        "converse", converse_response(answer), expected_params("audit", "bash", "", RISKY_BASH, static)
    )
    # When the audit runs (empty prompt: the mode's default ask)
    result = ai.process("audit", "bash", "", RISKY_BASH, MODEL)
    # Then static and model findings are merged by line, malformed model items dropped,
    # and the machine block is removed from the text
    by_source = {(f["source"], f["rule_id"], f["line"], f["severity"]) for f in result["findings"]}
    assert ("rules", "EX101", 3, "high") in by_source
    assert ("model", "AI", 2, "low") in by_source
    assert sum(1 for f in result["findings"] if f["source"] == "model") == 1
    assert [f["line"] for f in result["findings"]] == sorted(f["line"] for f in result["findings"])
    assert result["text"] == "High risk: remote code runs unverified.\n- line 2: echo is harmless"
    assert result["code"] is None


def test_audit_prompt_lists_the_static_findings() -> None:
    # Given a risky script
    from edgex import static_audit

    static = static_audit.audit_script("bash", RISKY_BASH)
    # When the audit request is built
    user = ai.build_request("audit", "bash", "", RISKY_BASH, static).user
    # Then the model is told what static analysis already found
    assert "line 3 EX101 (high)" in user


def test_audit_with_unreadable_model_block_keeps_static_findings_and_text(bedrock: Stubber) -> None:
    # Given a model that answers without a valid JSON block
    answer = "Looks risky.\n```json\n{not json\n```"
    bedrock.add_response("converse", converse_response(answer), ANY_PARAMS)
    # When the audit runs
    result = ai.process("audit", "bash", "check", RISKY_BASH, MODEL)
    # Then only static findings come back, and the text is untouched
    assert result["findings"] and all(f["source"] != "model" for f in result["findings"])
    assert result["text"] == answer


ANY_PARAMS = {"modelId": ANY, "system": ANY, "messages": ANY, "inferenceConfig": ANY}


# --------------------------------------------------------------------------- errors

ERROR_CASES = [
    # (Bedrock error code, message, HTTP status, expected code, expected kind)
    (
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/edgex-ai/fn is not authorized to perform: bedrock:InvokeModel",
        403,
        "AI_ACCESS_DENIED",
        Kind.FORBIDDEN,
    ),
    (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        403,
        "AI_ACCESS_DENIED",
        Kind.FORBIDDEN,
    ),
    (
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
        403,
        "AI_MODEL_NOT_ENABLED",
        Kind.FORBIDDEN,
    ),
    (
        "AccessDeniedException",
        "Model access is denied due to IAM user or service role is not authorized to perform "
        "the required AWS Marketplace actions (aws-marketplace:Subscribe)",
        403,
        "AI_MODEL_NOT_ENABLED",
        Kind.FORBIDDEN,
    ),
    ("ResourceNotFoundException", "Model not found.", 404, "AI_MODEL_NOT_ENABLED", Kind.FORBIDDEN),
    ("ValidationException", "The provided model identifier is invalid.", 400, "AI_MODEL_NOT_ENABLED", Kind.FORBIDDEN),
    (
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
        429,
        "AI_THROTTLED",
        Kind.UNAVAILABLE,
    ),
    ("ServiceQuotaExceededException", "Your request exceeds the service quota.", 400, "AI_THROTTLED", Kind.UNAVAILABLE),
    ("ValidationException", "Input is too long for requested model.", 400, "AI_INPUT_TOO_LONG", Kind.INVALID),
    (
        "ValidationException",
        "The model returned the following errors: prompt is too long: 227255 tokens > 200000 maximum",
        400,
        "AI_INPUT_TOO_LONG",
        Kind.INVALID,
    ),
    ("ModelTimeoutException", "Model has timed out in processing the request.", 408, "AI_TIMEOUT", Kind.UNAVAILABLE),
    ("ServiceUnavailableException", "Service unavailable.", 503, "AI_UNAVAILABLE", Kind.UNAVAILABLE),
    ("ModelNotReadyException", "Model is not ready.", 429, "AI_UNAVAILABLE", Kind.UNAVAILABLE),
    ("InternalServerException", "Internal failure.", 500, "AI_UNAVAILABLE", Kind.UNAVAILABLE),
    (
        "ValidationException",
        "Malformed input request: extraneous key [foo] is not permitted",
        400,
        "AI_UNAVAILABLE",
        Kind.UNAVAILABLE,
    ),
]


@pytest.mark.parametrize(
    ("aws_code", "message", "status", "code", "kind"), ERROR_CASES, ids=[f"{c[0]}-{c[3]}" for c in ERROR_CASES]
)
def test_bedrock_errors_map_to_coded_errors(
    bedrock: Stubber, aws_code: str, message: str, status: int, code: str, kind: Kind
) -> None:
    # Given Bedrock answering with an error
    bedrock.add_client_error("converse", service_error_code=aws_code, service_message=message, http_status_code=status)
    # When a request is processed
    with pytest.raises(EdgexError) as caught:
        ai.process("generate", "bash", "hello world", None, MODEL)
    # Then it is one coded error of the right kind, which does not echo AWS's message (account ids)
    assert (caught.value.code, caught.value.kind) == (code, kind)
    assert "123456789012" not in caught.value.message and caught.value.message


@pytest.mark.parametrize("stop", ["guardrail_intervened", "content_filtered"])
def test_filtered_answer_is_content_filtered(bedrock: Stubber, stop: str) -> None:
    # Given a model whose answer was stopped by a filter
    bedrock.add_response("converse", converse_response("Sorry.", stop=stop), ANY_PARAMS)
    # When processed
    with pytest.raises(ai.AiContentFiltered) as caught:
        ai.process("generate", "bash", "something", None, MODEL)
    # Then the error says so
    assert caught.value.code == "AI_CONTENT_FILTERED" and caught.value.kind is Kind.INVALID


def test_context_window_exceeded_without_text_is_too_long(bedrock: Stubber) -> None:
    # Given a model that stopped on its context window before writing anything
    bedrock.add_response("converse", converse_response("", stop="model_context_window_exceeded"), ANY_PARAMS)
    # Then the request is reported as too long
    with pytest.raises(ai.AiInputTooLong):
        ai.process("explain", "bash", "explain", "echo hi", MODEL)


def test_empty_answer_is_not_passed_off_as_an_answer(bedrock: Stubber) -> None:
    # Given a model that returns no text at all
    bedrock.add_response("converse", converse_response("  "), ANY_PARAMS)
    # Then the assistant is unavailable rather than returning nothing as if it were an answer
    with pytest.raises(AiUnavailable) as caught:
        ai.process("generate", "bash", "x y z", None, MODEL)
    assert caught.value.code == "AI_UNAVAILABLE"


def test_read_timeout_is_ai_timeout() -> None:
    # Given a client whose call times out on the socket
    class SlowClient:
        def converse(self, **kwargs: Any) -> None:
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    ai.set_client(SlowClient())
    # Then the error is AI_TIMEOUT, a retryable 503 kind
    with pytest.raises(ai.AiTimeout) as caught:
        ai.process("generate", "bash", "x", None, MODEL)
    assert caught.value.code == "AI_TIMEOUT" and caught.value.kind is Kind.UNAVAILABLE
    assert isinstance(caught.value, AiUnavailable)


def test_client_has_bounded_timeouts_and_is_created_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no injected client, inside Lambda, with a Region
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "edgex-ai_process")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # When the client is needed twice
    first, second = providers.bedrock_client(), providers.bedrock_client()
    # Then it was created once, with the configured timeouts and a single attempt
    assert first is second
    config = first.meta.config
    assert (config.connect_timeout, config.read_timeout) == (ai.CONNECT_TIMEOUT_S, ai.READ_TIMEOUT_S)
    assert config.retries["total_max_attempts"] == ai.MAX_ATTEMPTS
    assert ai.provider() == "bedrock"


# --------------------------------------------------------------------------- no provider, validation


def test_without_a_provider_the_domain_raises_ai_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no provider configured (no injected client, not in Lambda, no local endpoint)
    monkeypatch.setattr(providers, "new_bedrock_client", lambda **kw: pytest.fail("Bedrock must not be called"))
    # When any mode is processed
    for mode, code in (("generate", None), ("audit", "echo hi")):
        with pytest.raises(AiUnavailable) as caught:
            ai.process(mode, "bash", "say hi", code, MODEL)
        # Then AI_UNAVAILABLE, kind UNAVAILABLE (503), and no answer is invented
        assert caught.value.code == "AI_UNAVAILABLE" and caught.value.kind is Kind.UNAVAILABLE
    assert ai.provider() == "none"


def test_provider_none_wins_over_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an endpoint configured but the provider switched off explicitly
    monkeypatch.setenv(ai.ENV_OPENAI_URL, "http://127.0.0.1:9/v1")
    monkeypatch.setenv(ai.ENV_PROVIDER, "none")
    # Then the assistant is unavailable
    with pytest.raises(AiUnavailable):
        ai.process("generate", "bash", "x", None, MODEL)


@pytest.mark.parametrize(
    ("mode", "script_type", "prompt", "code"),
    [
        ("poem", "bash", "x", None),
        ("generate", "python", "x", None),
        ("generate", "bash", "x" * (limits.PROMPT_MAX + 1), None),
        ("generate", "bash", "   ", None),
        ("refactor", "bash", "x", None),
        ("explain", "powershell", "x", "  \n"),
        ("audit", "bash", "x", "y" * (ai.CODE_MAX_CHARS + 1)),
    ],
    ids=[
        "bad-mode",
        "bad-type",
        "prompt-too-long",
        "blank-generate",
        "refactor-no-code",
        "explain-blank-code",
        "code-too-long",
    ],
)
def test_invalid_input_is_a_validation_error(
    bedrock: Stubber, mode: str, script_type: str, prompt: str, code: str | None
) -> None:
    # Given a configured provider (no response queued: the model must not be called)
    # When the input breaks a rule
    # Then VALIDATION_ERROR is raised before any call
    with pytest.raises(ValidationFailed):
        ai.process(mode, script_type, prompt, code, MODEL)


@pytest.mark.parametrize(
    "body",
    [[], "explain", {"mode": "explain"}, {"mode": "explain", "type": "bash", "prompt": "x", "code": None}],
    ids=["array", "string", "missing-fields", "null-code"],
)
def test_a_body_of_the_wrong_shape_is_a_validation_error(bedrock: Stubber, body: Any) -> None:
    # Given a configured provider (no response queued: the model must not be called)
    # When the route's edge validation (the request schema) gets a JSON body of the wrong shape
    # Then VALIDATION_ERROR is raised, once, before the assistant runs
    with pytest.raises(ValidationFailed):
        ai.process_request(validators.validate("AiProcessRequest", body), MODEL)


def test_the_request_schema_holds_the_assistants_modes_and_code_limit() -> None:
    # Given the schema the request is validated with (edgex.schemas, importable without edgex.ai)
    properties = schemas.SCHEMAS["AiProcessRequest"]["properties"]
    # Then it lists exactly the assistant's modes, and the code limit the assistant names
    assert properties["mode"]["enum"] == [mode.value for mode in ai.MODES]
    assert properties["code"]["maxLength"] == ai.CODE_MAX_CHARS


def test_prompt_of_exactly_the_limit_is_accepted(bedrock: Stubber) -> None:
    # Given a prompt of exactly PROMPT_MAX characters
    bedrock.add_response("converse", converse_response("```bash\necho\n```"), ANY_PARAMS)
    # Then it is sent
    assert ai.process("generate", "bash", "x" * limits.PROMPT_MAX, None, MODEL)["code"] == "echo\n"


# --------------------------------------------------------------------------- code extraction

EXTRACT_CASES = [
    ("```bash\necho a\n```", "bash", "echo a\n"),
    ("```sh\necho a\n```", "bash", "echo a\n"),
    ("use:\n```bash\nrun\n```\nscript:\n```bash\necho 1\necho 2\n```", "bash", "echo 1\necho 2\n"),
    ("```json\n{}\n```\n```\nls\n```", "bash", "ls\n"),
    ("```ps1\nGet-Date\n```", "powershell", "Get-Date\n"),
    ("```python\nprint(1)\n```", "bash", None),
    ("No code here, sorry.", "powershell", None),
    ("````bash\ncat <<'EOF'\n```\nEOF\n````", "bash", "cat <<'EOF'\n```\nEOF\n"),
    ("<think>plan\n```bash\nbad\n```</think>\n```bash\ngood\n```", "bash", "good\n"),
]


@pytest.mark.parametrize(("text", "script_type", "code"), EXTRACT_CASES, ids=range(len(EXTRACT_CASES)))
def test_extract_code(text: str, script_type: str, code: str | None) -> None:
    # Given a model answer
    # When the editor's code is extracted (after thinking is stripped, as process does)
    # Then it is the longest block of the script's language, else untagged, else None
    assert ai.extract_code(ai.strip_thinking(text), script_type) == code


def test_user_code_cannot_close_the_fence() -> None:
    # Given code that contains a triple-backtick line
    code = "cat <<'EOF'\n```\nEOF"
    # When the request is built
    user = ai.build_request("refactor", "bash", "tidy", code).user
    # Then the code is fenced with a longer fence
    assert "````bash\ncat <<'EOF'\n```\nEOF\n````" in user


def test_audit_and_explain_show_line_numbers_that_match_the_editor() -> None:
    # Given code that starts with a blank line (the editor counts it)
    code = "\n#!/bin/bash\ncurl -k https://x"
    # When an explain request is built
    user = ai.build_request("explain", "bash", "what", code).user
    # Then the model sees the editor's numbering, blank first line included
    assert "   1| \n   2| #!/bin/bash\n   3| curl -k https://x" in user


# --------------------------------------------------------------------------- OpenAI-compatible endpoint


class _Endpoint(BaseHTTPRequestHandler):
    replies: list[tuple[int, dict[str, Any]]] = []
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        status, payload = type(self).replies.pop(0)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Endpoint]]:
    """A real OpenAI-compatible HTTP server on 127.0.0.1, configured as the provider."""
    _Endpoint.replies, _Endpoint.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    monkeypatch.setenv(ai.ENV_OPENAI_URL, f"http://127.0.0.1:{server.server_port}/v1/")
    yield _Endpoint
    server.shutdown()
    server.server_close()


def chat(text: str, finish: str = "stop") -> dict[str, Any]:
    return {
        "model": "qwen2.5-coder:7b",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7},
    }


def test_openai_endpoint_request_and_answer(endpoint: type[_Endpoint], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a local endpoint with a key and a local model name
    monkeypatch.setenv(ai.ENV_OPENAI_KEY, "local-key")
    monkeypatch.setenv(ai.ENV_OPENAI_MODEL, "qwen2.5-coder:7b")
    endpoint.replies.append((200, chat("```powershell\nGet-Date\n```", finish="length")))
    # When a script is generated
    result = ai.process("generate", "powershell", "print the date", None, MODEL)
    # Then the chat completion carried the system prompt, the user text and the limits
    sent = endpoint.seen[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer local-key"
    request = ai.build_request("generate", "powershell", "print the date", None)
    assert sent["body"] == {
        "model": "qwen2.5-coder:7b",
        "messages": [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}],
        "max_tokens": ai.MAX_TOKENS,
        "temperature": ai.TEMPERATURE,
        "stream": False,
    }
    # And the answer is mapped like Bedrock's (finish "length" = truncated)
    assert result == {
        "text": "```powershell\nGet-Date\n```",
        "code": "Get-Date\n",
        "model_id": "qwen2.5-coder:7b",
        "usage": {"input_tokens": 11, "output_tokens": 7},
        "truncated": True,
    }


@pytest.mark.parametrize(
    ("status", "payload", "code"),
    [
        (401, {"error": {"message": "bad key"}}, "AI_ACCESS_DENIED"),
        (404, {"error": {"message": "model 'x' not found"}}, "AI_MODEL_NOT_ENABLED"),
        (429, {"error": {"message": "slow down"}}, "AI_THROTTLED"),
        (400, {"error": {"message": "This model's maximum context length is 8192 tokens"}}, "AI_INPUT_TOO_LONG"),
        (500, {"error": {"message": "boom"}}, "AI_UNAVAILABLE"),
        (200, chat("blocked", finish="content_filter"), "AI_CONTENT_FILTERED"),
        (200, {"unexpected": True}, "AI_UNAVAILABLE"),
    ],
)
def test_openai_endpoint_errors(endpoint: type[_Endpoint], status: int, payload: dict, code: str) -> None:
    # Given the endpoint answering with an error or an odd payload
    endpoint.replies.append((status, payload))
    # Then a coded error comes back
    with pytest.raises(EdgexError) as caught:
        ai.process("generate", "bash", "x", None, MODEL)
    assert caught.value.code == code


def test_unreachable_openai_endpoint_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an endpoint URL where nothing listens
    monkeypatch.setenv(ai.ENV_OPENAI_URL, "http://127.0.0.1:9/v1")
    # Then AI_UNAVAILABLE: never an invented answer
    with pytest.raises(AiUnavailable) as caught:
        ai.process("explain", "bash", "x", "echo", MODEL)
    assert caught.value.code == "AI_UNAVAILABLE"


def test_importing_ai_does_not_load_boto3() -> None:
    # Given a fresh interpreter
    code = "import sys, edgex.ai; print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    # When only edgex.ai is imported
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(ai.__file__).parent.parent.parent)},
    )
    # Then boto3 / botocore were not loaded
    assert out.stdout.strip() == "[]"
