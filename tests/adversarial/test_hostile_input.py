"""Hostile input: every field of the seed's validation table, path ids and whole bodies.

Each case is one real HTTP request to the in-process stack. It must be refused with a
4xx and a JSON error code, and a snapshot of every table (but audit, see conftest)
and of every S3 object version taken before and after must be identical: bad input
never changes state (ARCHITECTURE.md section 3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from edgex import limits
from tests.adversarial.conftest import Stack, error_code, raw_request

JSON = "application/json"
GATEWAY_MAX = 10 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # placeholders: {script}, {dep}, {tid}
    auth: str  # master | agent | admin | operator | none
    body: bytes = b""
    content_type: str | None = JSON
    codes: tuple[str, ...] = ()  # acceptable error codes (empty: any code)
    statuses: tuple[int, ...] = (400,)
    extra_headers: dict[str, str] = field(default_factory=dict)


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _enroll(**changes: Any) -> dict[str, Any]:
    return {"hostname": "good-host", "machine_id": "good-machine", **changes}


def _feedback(**changes: Any) -> dict[str, Any]:
    return {"status": "info", "message": "fine", "step": "s1", **changes}


INVALID = ("VALIDATION_ERROR",)
BAD_JSON = ("INVALID_JSON",)


def field_cases() -> list[Case]:
    """The seed's validation table, field by field: hostname, machine_id, step, message,
    script content, AI prompt (and the name/description limits of our own)."""
    cases: list[Case] = []

    def enroll(name: str, body: Any, codes: tuple[str, ...] = INVALID, raw: bytes | None = None) -> None:
        cases.append(
            Case(
                f"enroll-{name}",
                "POST",
                "/v1/agent/enroll",
                "master",
                raw if raw is not None else _json(body),
                codes=codes,
            )
        )

    hostile_hostnames = {
        "crlf": "host\r\nX-Injected: 1",
        "lf": "host\nname",
        "cr": "host\rname",
        "nul": "host\x00name",
        "tab": "host\tname",
        "one-over": "h" * (limits.HOSTNAME_MAX + 1),
        "cyrillic-lookalike": "ex\u0430mple-host",  # Cyrillic a
        "greek-lookalike": "h\u03bfst",  # Greek omicron
        "rtl-override": "host\u202egnp.exe",
        "rtl-mark": "\u200fhost",
        "zero-width": "ho\u200bst",
        "fullwidth": "\uff48\uff4f\uff53\uff54",
        "combining": "hoste\u0301",
        "shell-meta": "host;reboot",
        "subshell": "$(reboot)",
        "backtick": "`id`",
        "space": "my host",
        "slash-traversal": "../../etc/passwd",
        "leading-dash": "-rf",
        "empty": "",
        "null": None,
        "number": 12345,
        "list": ["host"],
        "object": {"a": 1},
        "bool": True,
    }
    for name, value in hostile_hostnames.items():
        enroll(f"hostname-{name}", _enroll(hostname=value))
    hostile_machine_ids = {
        "crlf": "m\r\n1",
        "nul": "m\x00",
        "del": "m\x7f",
        "esc": "\x1b[31mred",
        "one-over": "m" * (limits.MACHINE_ID_MAX + 1),
        "empty": "",
        "number": 7,
        "null": None,
    }
    for name, value in hostile_machine_ids.items():
        enroll(f"machine_id-{name}", _enroll(machine_id=value))
    enroll("missing-machine_id", {"hostname": "good-host"})
    enroll("extra-field", _enroll(is_admin=True))
    # Lone UTF-16 surrogates are valid JSON escapes but not Unicode text: nothing can store them.
    enroll(
        "machine_id-lone-surrogate",
        None,
        codes=(*BAD_JSON, *INVALID),
        raw=b'{"hostname": "good-host", "machine_id": "m\\ud800"}',
    )
    enroll(
        "hostname-lone-surrogate", None, codes=(*BAD_JSON, *INVALID), raw=b'{"hostname": "h\\udc00", "machine_id": "m"}'
    )

    def feedback(name: str, body: Any, raw: bytes | None = None, codes: tuple[str, ...] = INVALID) -> None:
        cases.append(
            Case(
                f"feedback-{name}",
                "POST",
                "/v1/agent/feedback",
                "agent",
                raw if raw is not None else _json(body),
                codes=codes,
            )
        )

    feedback("step-one-over", _feedback(step="s" * (limits.STEP_MAX + 1)))
    feedback("step-crlf", _feedback(step="a\r\nb"))
    feedback("step-nul", _feedback(step="a\x00"))
    feedback("step-number", _feedback(step=3))
    feedback("message-one-over", _feedback(message="m" * (limits.MESSAGE_MAX + 1)))
    feedback("message-one-over-multibyte", _feedback(message="\u00e9" * (limits.MESSAGE_MAX + 1)))
    feedback("message-missing", {"status": "info"})
    feedback("message-object", _feedback(message={"$gt": ""}))
    feedback(
        "message-lone-surrogate",
        None,
        codes=(*BAD_JSON, *INVALID),
        raw=b'{"status": "info", "message": "half \\ud83d of an emoji"}',
    )
    feedback("status-unknown", _feedback(status="completed"))
    feedback("status-case", _feedback(status="SUCCESS"))
    # ({"entries": []} is no longer hostile: it is the wrapper's heartbeat, tests/unit/test_run_control.py)
    feedback("batch-one-over", {"entries": [_feedback()] * (limits.FEEDBACK_BATCH_MAX + 1)})
    feedback("batch-one-bad-entry", {"entries": [_feedback(), _feedback(step="x" * 101)]})
    feedback("batch-and-entry-mixed", {"entries": [_feedback()], **_feedback()})

    def script(
        name: str,
        body: bytes,
        path: str = "/v1/admin/scripts",
        method: str = "POST",
        codes: tuple[str, ...] = INVALID,
        statuses: tuple[int, ...] = (400,),
    ) -> None:
        cases.append(Case(f"script-{name}", method, path, "admin", body, codes=codes, statuses=statuses))

    over = limits.SCRIPT_MAX_BYTES + 1
    script("content-one-over", _json({"name": "n", "type": "bash", "content": "x" * over}))
    # 1 MiB of characters is fine by length, but one more *byte* in UTF-8 is not.
    script(
        "content-one-byte-over-utf8",
        _json({"name": "n", "type": "bash", "content": "\u00e9" * (limits.SCRIPT_MAX_BYTES // 2) + "x"}),
    )
    script("content-nul", _json({"name": "n", "type": "bash", "content": "echo a\x00b"}))
    script("content-empty", _json({"name": "n", "type": "bash", "content": ""}))
    script(
        "content-lone-surrogate",
        b'{"name": "n", "type": "bash", "content": "echo \\ud800"}',
        codes=(*BAD_JSON, *INVALID),
    )
    script(
        "name-lone-surrogate", b'{"name": "\\udfff", "type": "bash", "content": "echo"}', codes=(*BAD_JSON, *INVALID)
    )
    script("name-one-over", _json({"name": "n" * (limits.NAME_MAX + 1), "type": "bash", "content": "true"}))
    script("name-crlf", _json({"name": "a\r\nb", "type": "bash", "content": "true"}))
    script("type-unknown", _json({"name": "n", "type": "python", "content": "print(1)"}))
    script(
        "description-one-over",
        _json({"name": "n", "type": "bash", "content": "true", "description": "d" * (limits.DESCRIPTION_MAX + 1)}),
    )
    script("update-content-one-over", _json({"content": "x" * over}), path="/v1/admin/scripts/{script}", method="PUT")
    script("update-content-nul", _json({"content": "\x00"}), path="/v1/admin/scripts/{script}", method="PUT")
    script(
        "update-type-change",
        _json({"content": "true", "type": "powershell"}),
        path="/v1/admin/scripts/{script}",
        method="PUT",
    )

    def ai(name: str, body: Any, raw: bytes | None = None, codes: tuple[str, ...] = INVALID) -> None:
        cases.append(
            Case(
                f"ai-{name}",
                "POST",
                "/v1/admin/ai/process",
                "operator",
                raw if raw is not None else _json(body),
                codes=codes,
            )
        )

    ai("prompt-one-over", {"mode": "generate", "type": "bash", "prompt": "p" * (limits.PROMPT_MAX + 1)})
    ai("prompt-empty", {"mode": "generate", "type": "bash", "prompt": ""})
    ai(
        "prompt-lone-surrogate",
        None,
        raw=b'{"mode": "generate", "type": "bash", "prompt": "\\ud800"}',
        codes=(*BAD_JSON, *INVALID),
    )
    ai("mode-unknown", {"mode": "jailbreak", "type": "bash", "prompt": "p"})
    ai("code-one-over", {"mode": "explain", "type": "bash", "prompt": "p", "code": "x" * over})

    def deployment(name: str, changes: dict[str, Any]) -> None:
        body = {"script_id": "{script}", "name": "d", "expected_machines": 1, **changes}
        cases.append(Case(f"deployment-{name}", "POST", "/v1/admin/deployments", "admin", _json(body), codes=INVALID))

    for name, value in {
        "zero": 0,
        "negative": -1,
        "float": 1.5,
        "huge": 10**30,
        "string": "1",
        "bool": True,
        "null": None,
        "over-max": limits.EXPECTED_MACHINES_MAX + 1,
    }.items():
        deployment(f"expected_machines-{name}", {"expected_machines": value})
    for name, value in {
        "zero": 0,
        "negative": -5,
        "float": 1.0000001,
        "string": "1",
        "bool": True,
        "over-id-max": limits.ID_MAX + 1,
    }.items():
        deployment(f"script_id-{name}", {"script_id": value})
    deployment("expires_hours-negative", {"expires_hours": -1})
    deployment("expires_hours-float", {"expires_hours": 0.5})
    deployment("script_version-traversal", {"script_version": "../../1.0.0"})
    return cases


def path_cases() -> list[Case]:
    """Path ids: negative, zero, float, huge, non-ASCII digits, traversal, injection."""
    bad_ids = {
        "zero": "0",
        "negative": "-1",
        "float": "1.5",
        "exponent": "1e3",
        "nan": "NaN",
        "hex": "0x10",
        "plus": "+1",
        "space": "%201",
        "two-pow-53": str(limits.ID_MAX + 1),
        "huge": "9" * 40,
        "arabic-digit": "%D9%A1",
        "superscript-two": "%C2%B2",
        "nul": "1%00",
        "crlf": "1%0D%0AX-Injected:%201",
        "traversal": "..%2F..%2Fsettings",
        "dotdot": "..",
        "sql": "1%20OR%201=1",
        "empty-ish": "%20",
    }
    routes = [
        ("DELETE", "/v1/admin/scripts/{}"),
        ("PUT", "/v1/admin/deployments/{}/cancel"),
        ("DELETE", "/v1/admin/deployments/{}"),
        ("GET", "/v1/admin/scripts/{}"),
    ]
    cases = [
        Case(
            f"id-{name}-{method}-{tmpl.split('/')[3]}",
            method,
            tmpl.format(raw),
            "admin",
            content_type=None,
            codes=("INVALID_ID", "ROUTE_NOT_FOUND"),
            statuses=(400, 404),
        )
        for name, raw in bad_ids.items()
        for method, tmpl in routes
    ]
    # An id that parses but names nothing: 404 with the route's own code, nothing deleted.
    cases.append(
        Case(
            "id-max-no-such-row",
            "DELETE",
            f"/v1/admin/scripts/{limits.ID_MAX}",
            "admin",
            content_type=None,
            codes=("SCRIPT_NOT_FOUND",),
            statuses=(404,),
        )
    )
    cases.append(
        Case(
            "id-no-such-deployment",
            "DELETE",
            "/v1/admin/deployments/987654",
            "admin",
            content_type=None,
            codes=("DEPLOYMENT_NOT_FOUND",),
            statuses=(404,),
        )
    )
    bad_tids = {
        "upper": "ABCDEF0123456789",
        "short": "abcdef012345678",
        "long": "abcdef01234567890",
        "traversal": "..%2F..%2F..%2Fetc",
        "nul": "abcdef012345678%00",
        "unknown": "0123456789abcdef",
    }
    for name, raw in bad_tids.items():
        cases.append(
            Case(
                f"tid-{name}",
                "PUT",
                f"/v1/admin/deployments/{{dep}}/targets/{raw}/cancel",
                "admin",
                content_type=None,
                codes=("INVALID_ID", "ROUTE_NOT_FOUND", "TARGET_NOT_FOUND"),
                statuses=(400, 404),
            )
        )
    for name, raw in {
        "sh": "sh",
        "upper": "BASH",
        "traversal": "..%2Fbash",
        "nul": "bash%00",
        "ps": "powershell",
    }.items():
        cases.append(
            Case(
                f"wrapper-type-{name}",
                "DELETE",
                f"/v1/admin/wrapper/{raw}",
                "admin",
                content_type=None,
                codes=("VALIDATION_ERROR", "ROUTE_NOT_FOUND"),
                statuses=(400, 404),
            )
        )
        cases.append(
            Case(
                f"wrapper-type-{name}-put",
                "PUT",
                f"/v1/admin/wrapper/{raw}",
                "admin",
                _json({"content": "x __EDGEX_SCRIPT_B64__"}),
                codes=("VALIDATION_ERROR", "ROUTE_NOT_FOUND"),
                statuses=(400, 404),
            )
        )
    for name, raw in {
        "short": "1.0",
        "long": "1.0.0.0",
        "traversal": "..%2F..%2F1.0.0",
        "negative": "-1.0.0",
        "huge": "1.0.9999999",
    }.items():
        cases.append(
            Case(
                f"version-{name}",
                "GET",
                f"/v1/admin/scripts/{{script}}/versions/{raw}",
                "admin",
                content_type=None,
                codes=("INVALID_VERSION", "ROUTE_NOT_FOUND"),
                statuses=(400, 404),
            )
        )
    return cases


JSON_ROUTES = [
    ("enroll", "POST", "/v1/agent/enroll", "master"),
    ("feedback", "POST", "/v1/agent/feedback", "agent"),
    ("scripts-create", "POST", "/v1/admin/scripts", "admin"),
    ("scripts-update", "PUT", "/v1/admin/scripts/{script}", "admin"),
    ("deployments-create", "POST", "/v1/admin/deployments", "admin"),
    ("settings", "PUT", "/v1/admin/settings", "admin"),
    ("wrapper", "PUT", "/v1/admin/wrapper/bash", "admin"),
    ("ai", "POST", "/v1/admin/ai/process", "operator"),
]


def body_cases() -> list[Case]:
    """Whole-body attacks, on every route that takes JSON."""
    nested = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    shallow_nested = b'{"hostname":' + b"[" * 800 + b"]" * 800 + b', "machine_id": "m"}'
    attacks: dict[str, tuple[bytes, str | None, tuple[str, ...], tuple[int, ...]]] = {
        "deeply-nested": (nested, JSON, BAD_JSON, (400,)),
        "nested-800": (shallow_nested, JSON, (*BAD_JSON, *INVALID), (400,)),
        "bomb-huge-integer": (b'{"expected_machines": ' + b"9" * 50_000 + b"}", JSON, (*BAD_JSON, *INVALID), (400,)),
        "bomb-huge-exponent": (b'{"script_id": 1e999999999}', JSON, (*BAD_JSON, *INVALID), (400,)),
        "bomb-many-keys": (_json({f"k{n}": n for n in range(50_000)}), JSON, (*BAD_JSON, *INVALID), (400,)),
        "bomb-long-array": (b"[" + b"0," * 400_000 + b"0]", JSON, (*BAD_JSON, *INVALID), (400,)),
        "nan": (b'{"script_id": NaN}', JSON, BAD_JSON, (400,)),
        "infinity": (b'{"expected_machines": -Infinity}', JSON, BAD_JSON, (400,)),
        "duplicate-keys": (
            b'{"content": "a", "content": "b", "status": "info", "status": "error"}',
            JSON,
            BAD_JSON,
            (400,),
        ),
        "not-json": (b"hostname=a&machine_id=b", JSON, BAD_JSON, (400,)),
        "empty-body": (b"", JSON, BAD_JSON, (400,)),
        "invalid-utf8": (b'{"name": "\xff\xfe"}', JSON, BAD_JSON, (400,)),
        "utf8-bom": (b"\xef\xbb\xbf{}", JSON, BAD_JSON, (400,)),
        "utf16": ('{"a": 1}'.encode("utf-16"), "application/json; charset=utf-16", BAD_JSON, (400,)),
        "top-level-array": (b"[]", JSON, INVALID, (400,)),
        "top-level-null": (b"null", JSON, INVALID, (400,)),
        "top-level-string": (b'"x"', JSON, INVALID, (400,)),
        "trailing-garbage": (b"{} {}", JSON, BAD_JSON, (400,)),
        "ctype-text": (b"{}", "text/plain", ("UNSUPPORTED_MEDIA_TYPE",), (400,)),
        "ctype-form": (b"a=1", "application/x-www-form-urlencoded", ("UNSUPPORTED_MEDIA_TYPE",), (400,)),
        "ctype-multipart": (
            b"--x\r\n\r\n--x--",
            "multipart/form-data; boundary=x",
            ("UNSUPPORTED_MEDIA_TYPE",),
            (400,),
        ),
        "ctype-lookalike": (b"{}", "application/jsonx", ("UNSUPPORTED_MEDIA_TYPE",), (400,)),
        "ctype-missing": (b"{}", None, ("UNSUPPORTED_MEDIA_TYPE",), (400,)),
        "over-body-limit": (b'{"a": "' + b"x" * limits.BODY_MAX_BYTES + b'"}', JSON, ("PAYLOAD_TOO_LARGE",), (413,)),
        "over-gateway-limit": (b"x" * (GATEWAY_MAX + 1), JSON, ("PAYLOAD_TOO_LARGE",), (413,)),
    }
    return [
        Case(f"body-{name}-{route}", method, path, auth, body, ctype, codes, statuses)
        for route, method, path, auth in JSON_ROUTES
        for name, (body, ctype, codes, statuses) in attacks.items()
    ]


CASES = field_cases() + path_cases() + body_cases()


def test_the_table_is_as_big_as_promised() -> None:
    # Given the case table; Then it holds well over 40 cases, covering every seed field and every JSON route
    assert len(CASES) >= 40
    names = " ".join(c.name for c in CASES)
    for seed_field in ("hostname", "machine_id", "step", "message", "content", "prompt", "id-"):
        assert seed_field in names
    assert {c.path for c in CASES if c.name.startswith("body-")} == {r[2] for r in JSON_ROUTES}


@pytest.fixture(scope="module")
def world(stack: Stack) -> dict[str, Any]:
    """A script, a deployment with one enrolled machine, its tokens."""
    script = stack.create_script("echo hostile\n")
    dep = stack.create_deployment(script["id"], machines=5)
    enrolled = stack.enroll(dep["master_token"], "world-machine", "world-host")
    tokens = {
        "master": dep["master_token"],
        "agent": enrolled["agent_token"],
        "admin": stack.token("admin"),
        "operator": stack.token("operator"),
    }
    return {"script": script["id"], "dep": dep["id"], "tid": enrolled["target_id"], "tokens": tokens}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_is_refused_and_changes_nothing(case: Case, stack: Stack, world: dict[str, Any]) -> None:
    # Given the platform's complete state
    path = case.path.format(script=world["script"], dep=world["dep"], tid=world["tid"])
    body = case.body.replace(b'"{script}"', str(world["script"]).encode())
    headers = dict(case.extra_headers)
    if case.auth != "none":
        headers["Authorization"] = f"Bearer {world['tokens'][case.auth]}"
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    before = stack.snapshot()
    # When the hostile request is sent
    status, answer_headers, answer = raw_request(stack.url, case.method, path, headers, body)
    # Then it is refused with a 4xx and a JSON error code ...
    assert status in case.statuses, (status, answer[:300])
    code = error_code(status, answer_headers, answer)
    if case.codes:
        assert code in case.codes, (code, answer[:300])
    assert answer_headers.get("cache-control") == "no-store"
    assert answer_headers.get("x-content-type-options") == "nosniff"
    # ... and no table (audit aside) and no object version changed
    assert stack.snapshot() == before


LIMITS_AT_THE_EDGE = [
    ("hostname", "h" * limits.HOSTNAME_MAX),
    ("machine_id", "m" * limits.MACHINE_ID_MAX),
    ("step", "s" * limits.STEP_MAX),
    ("message", "\u00e9" * limits.MESSAGE_MAX),
]


@pytest.mark.parametrize(("field_name", "value"), LIMITS_AT_THE_EDGE, ids=[f for f, _ in LIMITS_AT_THE_EDGE])
def test_values_exactly_at_the_limit_are_accepted(field_name: str, value: str, stack: Stack) -> None:
    """The other side of the table: the limits are the seed's, not one less."""
    # Given a fresh deployment
    script = stack.create_script("true\n")
    dep = stack.create_deployment(script["id"], machines=2)
    # When a value exactly at its limit is sent
    if field_name in ("hostname", "machine_id"):
        body = {"hostname": "edge-host", "machine_id": "edge-machine", field_name: value}
        answer = stack.agent("POST", "/v1/agent/enroll", dep["master_token"], json=body)
        # Then it is accepted
        assert answer.status_code == 201, answer.text
    else:
        agent = stack.start_run(dep["master_token"], "edge-machine", "edge-host")["agent_token"]
        answer = stack.agent("POST", "/v1/agent/feedback", agent, json=_feedback(**{field_name: value}))
        assert answer.status_code == 200, answer.text


def test_script_content_and_prompt_exactly_at_the_limit(stack: Stack) -> None:
    # Given content of exactly 1 MiB and a prompt of exactly 8,000 characters
    content = "#" * (limits.SCRIPT_MAX_BYTES - 1) + "\n"
    # When they are sent, Then both pass validation (the AI has no provider locally: 503 AI_UNAVAILABLE)
    created = stack.admin("POST", "/v1/admin/scripts", json={"name": "edge", "type": "bash", "content": content})
    assert created.status_code == 201, created.text[:300]
    assert created.json()["size"] == limits.SCRIPT_MAX_BYTES
    answer = stack.admin(
        "POST",
        "/v1/admin/ai/process",
        role="operator",
        json={"mode": "generate", "type": "bash", "prompt": "p" * limits.PROMPT_MAX},
    )
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "AI_UNAVAILABLE"


def test_traversal_in_a_script_name_stays_a_name(stack: Stack) -> None:
    """Names are labels: a traversal in one never reaches a storage key."""
    # Given a script whose name is a path traversal
    created = stack.create_script("echo named\n", name="../../../etc/passwd")
    # Then its object lives under scripts/<id> and nowhere else
    keys = {version[0] for version in stack.bucket_versions()}
    assert f"scripts/{created['id']}" in keys
    assert all(k.startswith("scripts/") and ".." not in k for k in keys)
    assert stack.admin("GET", f"/v1/admin/scripts/{created['id']}").json()["name"] == "../../../etc/passwd"


def test_the_snapshot_sees_every_kind_of_change(stack: Stack) -> None:
    """The 'nothing changed' assertions above can fail: a snapshot notices a new target,
    a moved counter, a new log entry and a new object version."""
    script = stack.create_script("echo snap\n")
    dep = stack.create_deployment(script["id"], machines=2)
    changes = [
        lambda: stack.enroll(dep["master_token"], "snap-machine", "snap-host"),
        lambda: stack.admin("PUT", f"/v1/admin/deployments/{dep['id']}/cancel"),
        lambda: stack.admin("PUT", f"/v1/admin/scripts/{script['id']}", json={"content": "echo snap 2\n"}),
        lambda: stack.admin("PUT", "/v1/admin/settings", json={"log_retention_days": 29}),
    ]
    for change in changes:
        # Given a snapshot; When one real change is made; Then the next snapshot differs
        before = stack.snapshot()
        change()
        assert stack.snapshot() != before
