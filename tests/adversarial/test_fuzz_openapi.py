"""Property-based fuzzing of the whole HTTP API from its own OpenAPI document.

schemathesis 4 generates requests for every operation of ``GET /v1/openapi.json``,
valid ones (positive) and schema-breaking ones (negative), and each is sent to a local
server of its own (a subprocess, as ``make dev`` runs it) with one of several
credentials: none, a garbage bearer, the right kind of valid token, or a valid token
of the wrong kind. Every response must:

- never be a 5xx, except the documented local answer of the AI route (503 AI_UNAVAILABLE);
- match the documented status codes, content type and schema of its operation;
- when it is an error, be JSON ``{"error": {"code": ..., "message": ...}}``;
- carry the security headers.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from manifest import ROUTES
from tests.adversarial.conftest import ApiClient, error_code, kill_server, start_server
from tests.conftest import LocalServer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial-fuzz")]

EXAMPLES = {GenerationMode.POSITIVE: 24, GenerationMode.NEGATIVE: 24}
MIN_REQUESTS_PER_MODE = 520  # two modes: more than 1,000 requests in all
MIN_PER_OPERATION = 8
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


class Credentials:
    """The bearer variants a request can carry, per auth kind of the manifest."""

    def __init__(self, client: ApiClient, master: str, agent: str, path_values: dict[str, Any]) -> None:
        self.path_values = path_values
        self.by_name = {
            "none": None,
            "garbage": "not-a-token",
            "master": master,
            "agent": agent,
            "viewer": client.token("viewer"),
            "operator": client.token("operator"),
            "admin": client.token("admin"),
            "forged-master": master[:-4] + "AAAA",
            "forged-agent": agent[:-4] + "AAAA",
        }

    def header(self, name: str) -> dict[str, str]:
        token = self.by_name[name]
        return {} if token is None else {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, ApiClient, Credentials]]:
    """A local server of its own: the fuzzer changes settings and wrappers at will."""
    server = start_server(Path(tmp_path_factory.mktemp("fuzz-state")))
    try:
        client = ApiClient(server.url, passwords={r: server.password(r) for r in ("admin", "operator", "viewer")})
        script = client.create_script("echo fuzz\n")
        dep = client.create_deployment(script["id"], machines=100_000)
        enrolled = client.enroll(dep["master_token"], "fuzz-machine", "fuzz-host")
        values = {"id": dep["id"], "tid": enrolled["target_id"], "version": "1.0.0", "type": "bash"}
        yield server, client, Credentials(client, dep["master_token"], enrolled["agent_token"], values)
    finally:
        kill_server(server)


def _is_allowed_server_answer(operation_id: str, status: int, body: bytes) -> bool:
    if status < 500:
        return True
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return operation_id == "ai_process" and status == 503 and code == "AI_UNAVAILABLE"


def _fuzz(fuzz_target: tuple[LocalServer, ApiClient, Credentials], mode: GenerationMode) -> Counter[str]:
    server, _client, credentials = fuzz_target
    schema = schemathesis.openapi.from_url(f"{server.url}/v1/openapi.json")
    session = requests.Session()
    sent: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    operations = [result.ok() for result in schema.get_all_operations()]
    # every route of the manifest but the document itself (schemathesis's own source)
    assert {op.definition.raw["operationId"] for op in operations} == {r.handler for r in ROUTES} - {"openapi"}

    for operation in operations:
        operation_id = operation.definition.raw["operationId"]
        strategy = operation.as_strategy(generation_mode=mode)

        send = _sender(operation_id, server.url, session, credentials, sent, failures, lock)
        run = settings(
            max_examples=EXAMPLES[mode],
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )(given(case=strategy, who=st.sampled_from(sorted(credentials.by_name)))(send))
        run()
        # Operations with a tiny input space (no parameters, no body) exhaust quickly: send
        # them with real ids and every credential so each is hit at least MIN_PER_OPERATION times.
        while sent[operation_id] < MIN_PER_OPERATION:
            for who in sorted(credentials.by_name):
                params = {p.name: credentials.path_values[p.name] for p in operation.path_parameters}
                send(operation.Case(path_parameters=params), who)

    assert not failures, f"{len(failures)} bad responses:\n" + "\n".join(failures[:40])
    return sent


def _sender(
    operation_id: str,
    base_url: str,
    session: requests.Session,
    credentials: Credentials,
    sent: Counter[str],
    failures: list[str],
    lock: threading.Lock,
) -> Any:
    """Send one case with one credential, count it and record what is wrong with the answer."""

    def send(case: Any, who: str) -> None:
        case.headers = {**(case.headers or {}), **credentials.header(who)}
        response = case.call(base_url=base_url, session=session, timeout=60)
        problem = _problem(case, response, operation_id)
        with lock:
            sent[operation_id] += 1
            if problem:
                failures.append(
                    f"{operation_id} [{who}] {case.method} {case.formatted_path} -> "
                    f"{response.status_code}: {problem}\n    {case.as_curl_command()}"
                )

    return send


def _problem(case: Any, response: Any, operation_id: str) -> str | None:
    """What is wrong with one response, or None."""
    body = response.content
    if not _is_allowed_server_answer(operation_id, response.status_code, body):
        return "server error"
    headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
    for header in ("x-content-type-options", "cache-control", "strict-transport-security"):
        if header not in headers:
            return f"missing {header}"
    if response.status_code >= 400:
        try:
            error_code(response.status_code, headers, body)
        except AssertionError as exc:
            return f"error is not JSON with a code: {exc}"
    try:
        case.validate_response(response, checks=CHECKS)
    except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup of every failed check
        return f"{type(exc).__name__}: {str(exc)[:600]}"
    return None


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_fuzz_every_operation(fuzz_target: tuple[LocalServer, ApiClient, Credentials], mode: GenerationMode) -> None:
    # Given the API's own OpenAPI document and a server with a live deployment
    # When every operation is fuzzed with generated requests and every kind of credential
    sent = _fuzz(fuzz_target, mode)
    # Then (inside _fuzz) no response was a 5xx, off-schema or an error without a code,
    # and every operation got its share of the requests
    assert sum(sent.values()) >= MIN_REQUESTS_PER_MODE, sent
    assert min(sent.values()) >= MIN_PER_OPERATION, sent
    print(f"fuzz {mode.value}: {sum(sent.values())} requests over {len(sent)} operations")


def test_the_document_itself_with_every_credential(fuzz_target: tuple[LocalServer, ApiClient, Credentials]) -> None:
    """The one operation schemathesis does not generate (it is the schema's source)."""
    from openapi_spec_validator import validate

    server, _client, credentials = fuzz_target
    documents = []
    for who in sorted(credentials.by_name):
        # When anyone (any credential or none) asks for the document
        answer = requests.get(f"{server.url}/v1/openapi.json", headers=credentials.header(who), timeout=60)
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
        documents.append(answer.json())
    # Then everyone gets the same document, and it is valid OpenAPI 3.1
    assert all(d == documents[0] for d in documents)
    validate(documents[0])
