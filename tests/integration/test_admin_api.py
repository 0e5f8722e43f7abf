"""The admin API's promises: versions, wrapper snapshots, pagination, audit, OpenAPI."""

from __future__ import annotations

import base64
import hashlib
import re

import requests
from openapi_spec_validator import validate

from manifest import ROUTES
from tests.conftest import LocalServer


def test_versions_bump_and_deployments_stay_pinned(local_server: LocalServer) -> None:
    # Given a script updated three times
    script = local_server.create_script("echo v0\n")
    versions = [script["version"]]
    for n in (1, 2, 3):
        answer = local_server.admin("PUT", f"/v1/admin/scripts/{script['id']}", json={"content": f"echo v{n}\n"})
        assert answer.status_code == 200, answer.text
        versions.append(answer.json()["version"])
        if n == 1:  # a deployment made at 1.0.1
            dep = local_server.create_deployment(script["id"], machines=1)
    # Then versions went 1.0.0 -> 1.0.3 and each one's content and checksum are right
    assert versions == ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]
    history = local_server.admin("GET", f"/v1/admin/scripts/{script['id']}/versions").json()["items"]
    assert [v["version"] for v in history] == ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
    for entry in history:
        n = int(entry["version"].rsplit(".", 1)[1])
        content = local_server.admin("GET", f"/v1/admin/scripts/{script['id']}/versions/{entry['version']}").text
        assert content == f"echo v{n}\n"
        assert entry["checksum"] == hashlib.sha256(content.encode()).hexdigest()
    assert local_server.admin("GET", f"/v1/admin/scripts/{script['id']}/content").text == "echo v3\n"
    # And the deployment made at 1.0.1 still serves 1.0.1
    assert dep["script_version"] == "1.0.1"
    agent = local_server.agent(
        "POST", "/v1/agent/enroll", dep["master_token"], json={"hostname": "pin-host", "machine_id": "pin-machine"}
    ).json()["agent_token"]
    payload = local_server.agent("GET", "/v1/agent/download", agent).text
    assert "echo v1" in run_decoder(payload)


def run_decoder(payload: str) -> str:
    """The script inside a bash download payload (the quoted base64 the wrapper decodes)."""
    found = re.search(r"printf '%s' '([A-Za-z0-9+/=\n]+)' \| _orc_b64decode", payload)
    assert found, "payload layout changed"
    return base64.b64decode("".join(found.group(1).split())).decode()


def test_wrapper_edits_do_not_touch_existing_deployments(local_server: LocalServer) -> None:
    script = local_server.create_script("echo wrapped\n")
    default = local_server.admin("DELETE", "/v1/admin/wrapper/bash").json()  # other tests share this server
    assert default["is_default"]
    before = local_server.create_deployment(script["id"], machines=1)
    # When an admin edits the wrapper
    edited = default["content"].replace("#!/usr/bin/env bash", "#!/usr/bin/env bash\n# edited by admin", 1)
    assert edited != default["content"]
    answer = local_server.admin("PUT", "/v1/admin/wrapper/bash", json={"content": edited})
    assert answer.status_code == 200 and not answer.json()["is_default"]
    after = local_server.create_deployment(script["id"], machines=1)

    def payload_of(dep: dict, machine: str) -> str:
        agent = local_server.agent(
            "POST", "/v1/agent/enroll", dep["master_token"], json={"hostname": machine, "machine_id": machine}
        ).json()["agent_token"]
        return local_server.agent("GET", "/v1/agent/download", agent).text

    # Then the older deployment serves the old wrapper, the newer one the edited wrapper
    assert "# edited by admin" not in payload_of(before, "snap-a")
    assert "# edited by admin" in payload_of(after, "snap-b")
    # And reset restores the default; both changes are in the change log, newest first
    reset = local_server.admin("DELETE", "/v1/admin/wrapper/bash").json()
    assert reset["is_default"] and reset["content"] == default["content"]
    log = local_server.admin("GET", "/v1/admin/wrapper/bash/logs").json()["items"]
    assert [entry["action"] for entry in log[:2]] == ["reset", "update"]
    assert all(entry["actor"] == "admin" for entry in log[:2])


def test_a_wrapper_without_the_script_slot_is_refused(local_server: LocalServer) -> None:
    current = local_server.admin("GET", "/v1/admin/wrapper/bash").json()
    answer = local_server.admin("PUT", "/v1/admin/wrapper/bash", json={"content": "echo no slot\n"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR"
    assert local_server.admin("GET", "/v1/admin/wrapper/bash").json() == current


def test_250_targets_in_pages_of_100_each_exactly_once(local_server: LocalServer) -> None:
    script = local_server.create_script("true\n")
    dep = local_server.create_deployment(script["id"], machines=250)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {dep['master_token']}"
    for n in range(250):
        answer = session.post(
            f"{local_server.url}/v1/agent/enroll", json={"hostname": f"p{n}", "machine_id": f"p{n}"}, timeout=30
        )
        assert answer.status_code == 201
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = f"?limit=100{'&cursor=' + cursor if cursor else ''}"
        page = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets{query}").json()
        seen += [t["hostname"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(f"p{n}" for n in range(250)) and len(seen) == 250
    assert pages in (3, 4)  # 100 + 100 + 50 (+ an empty last page is allowed by DynamoDB paging)


def test_forged_cursor_is_400(local_server: LocalServer) -> None:
    for cursor in ("not-base64!", base64.urlsafe_b64encode(b'{"evil": {"S": "x"}}').decode()):
        answer = local_server.admin("GET", f"/v1/admin/scripts?cursor={cursor}")
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "INVALID_CURSOR"


def test_each_mutation_writes_exactly_one_audit_record(local_server: LocalServer) -> None:
    def newest() -> list[dict]:
        return local_server.admin("GET", "/v1/admin/audit?limit=100").json()["items"]

    known = {entry["id"] for entry in newest()}
    script = local_server.admin(
        "POST", "/v1/admin/scripts", role="operator", json={"name": "audited", "type": "bash", "content": "true\n"}
    ).json()
    local_server.admin("PUT", f"/v1/admin/scripts/{script['id']}", role="operator", json={"content": "echo 2\n"})
    dep = local_server.admin(
        "POST",
        "/v1/admin/deployments",
        role="operator",
        json={"script_id": script["id"], "name": "a", "expected_machines": 1},
    ).json()
    local_server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/pause", role="operator")
    local_server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/resume", role="operator")
    local_server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/cancel", role="operator")
    local_server.admin("PUT", "/v1/admin/settings", json={"log_retention_days": 31})
    refused = local_server.admin("DELETE", f"/v1/admin/scripts/{script['id']}", role="operator")
    assert refused.status_code == 200  # the deployment was cancelled, so the script is free
    added = [entry for entry in newest() if entry["id"] not in known]
    actions = sorted(entry["action"] for entry in added)
    assert actions == sorted(
        [
            "scripts_create",
            "scripts_update",
            "deployments_create",
            "deployments_pause",
            "deployments_resume",
            "deployments_cancel",
            "settings_update",
            "scripts_delete",
        ]
    )
    actors = {entry["action"]: (entry["actor"], entry["role"]) for entry in added}
    assert actors["settings_update"] == ("admin", "admin")
    assert actors["scripts_create"] == ("operator", "operator")
    assert all(entry["outcome"] == "ok" for entry in added)
    create = next(entry for entry in added if entry["action"] == "deployments_create")
    assert create["ids"]["deployment_id"] == str(dep["id"]) and create["ids"]["script_id"] == str(script["id"])
    # reads are not audited
    local_server.admin("GET", "/v1/admin/scripts")
    assert len([e for e in newest() if e["id"] not in known]) == len(added)


def test_script_pinned_by_a_live_deployment_cannot_be_deleted(local_server: LocalServer) -> None:
    script = local_server.create_script("true\n")
    local_server.create_deployment(script["id"], machines=1)
    answer = local_server.admin("DELETE", f"/v1/admin/scripts/{script['id']}")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "SCRIPT_IN_USE"
    assert local_server.admin("GET", f"/v1/admin/scripts/{script['id']}").status_code == 200


def test_openapi_document_validates_and_lists_every_route(local_server: LocalServer) -> None:
    document = requests.get(f"{local_server.url}/v1/openapi.json", timeout=10).json()
    validate(document)
    for route in ROUTES:
        operation = document["paths"][route.path][route.method.lower()]
        assert operation["operationId"] == route.handler
        for error in route.errors:
            assert any(error.code in str(r.get("description", "")) for r in operation["responses"].values()), error


def test_security_headers_on_every_kind_of_response(local_server: LocalServer) -> None:
    for answer in (
        requests.get(f"{local_server.url}/v1/openapi.json", timeout=10),
        local_server.admin("GET", "/v1/admin/me"),
        requests.get(f"{local_server.url}/v1/agent/download", timeout=10),
    ):
        assert answer.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert answer.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
        assert answer.headers["Cache-Control"] == "no-store"


def test_gateway_style_group_claims_are_parsed() -> None:
    from edgex.identity import parse_groups, role_of

    assert parse_groups("[admin operator]") == ("admin", "operator")
    assert parse_groups(["viewer"]) == ("viewer",)
    assert role_of(parse_groups("[viewer operator]")) == "operator"
    assert role_of(parse_groups("[]")) is None


def test_high_findings_need_an_acknowledged_deployment(local_server: LocalServer) -> None:
    # Given a script whose static audit has a high-severity finding (download-and-execute)
    script = local_server.create_script("curl -fsSL https://example.com/install.sh | bash\n")
    assert any(f["severity"] == "high" and f["rule_id"] == "EX101" for f in script["findings"])
    versions = local_server.admin("GET", f"/v1/admin/scripts/{script['id']}/versions").json()["items"]
    assert any(f["rule_id"] == "EX101" for f in versions[0]["findings"])  # stored with the version
    body = {"script_id": script["id"], "name": "risky", "expected_machines": 1}
    # When it is deployed without acknowledging them, then 409 with a code and nothing created
    refused = local_server.admin("POST", "/v1/admin/deployments", json=body)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "FINDINGS_NOT_ACKNOWLEDGED"
    # When it is deployed with the acknowledgement, then 201 and the audit record says so
    created = local_server.admin("POST", "/v1/admin/deployments", json={**body, "acknowledge_findings": True})
    assert created.status_code == 201 and created.json()["findings_acknowledged"] is True
    audit = local_server.admin("GET", "/v1/admin/audit?limit=20").json()["items"]
    record = next(
        e
        for e in audit
        if e["action"] == "deployments_create" and e["ids"].get("deployment_id") == str(created.json()["id"])
    )
    assert record["ids"]["findings_acknowledged"] == "True" and record["outcome"] == "ok"
    assert any(e["action"] == "deployments_create" and e["outcome"] == "FINDINGS_NOT_ACKNOWLEDGED" for e in audit)


def test_installer_route_shows_one_liners_with_the_named_placeholder(local_server: LocalServer) -> None:
    script = local_server.create_script("true\n")
    dep = local_server.create_deployment(script["id"], machines=1)
    answer = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/installer").json()
    for line in answer["one_liners"].values():
        assert answer["token_placeholder"] in line and dep["master_token"] not in line


def test_validation_errors_name_the_field_and_the_rule(local_server: LocalServer) -> None:
    # Given a create body breaking the machine count's rule, and a list filter outside its choices
    script = local_server.create_script("echo field\n")
    body = {"script_id": script["id"], "name": "d", "expected_machines": 0}
    created = local_server.admin("POST", "/v1/admin/deployments", json=body)
    listed = local_server.admin("GET", "/v1/admin/deployments", params={"status": "finished"})
    # Then each 400 names the input it is about and states the rule
    assert created.status_code == 400 and created.json()["error"] == {
        "code": "VALIDATION_ERROR",
        "message": "expected_machines must be bigger than or equal to 1",
        "field": "expected_machines",
    }
    assert listed.status_code == 400 and listed.json()["error"]["field"] == "status"
    assert "completed_with_failures" in listed.json()["error"]["message"]


def test_master_token_rotation_over_http_is_audited_and_logs_filter_by_level(local_server: LocalServer) -> None:
    # Given a deployment with one machine that logged an error and then completed
    script = local_server.create_script("echo rotate\n")
    dep = local_server.create_deployment(script["id"], machines=2)
    agent = local_server.enroll(dep["master_token"], "rot-m", "rot-h")
    assert local_server.agent("GET", "/v1/agent/download", agent["agent_token"]).status_code == 200
    entries = [
        {"status": "error", "message": "non-fatal", "step": "warmup"},
        {"status": "success", "message": "done", "step": "complete", "exit_code": 0},
    ]
    answer = local_server.agent("POST", "/v1/agent/feedback", agent["agent_token"], json={"entries": entries})
    assert answer.json()["target_status"] == "completed"
    # When an operator issues a new master token
    rotated = local_server.admin("POST", f"/v1/admin/deployments/{dep['id']}/master-token", role="operator")
    # Then the old token is refused, the new one enrols, and the rotation is in the audit trail
    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == {"deployment_id", "master_token", "one_liners"}
    old = local_server.agent("POST", "/v1/agent/enroll", dep["master_token"], json={"hostname": "x", "machine_id": "x"})
    assert old.status_code == 401
    local_server.enroll(rotated.json()["master_token"], "rot-m2", "rot-h2")
    audit = local_server.admin("GET", "/v1/admin/audit").json()["items"]
    assert any(e["action"] == "deployments_master_token" and e["actor"] == "operator" for e in audit)
    # And the machine's log filters by level, newest first, every entry naming its run
    path = f"/v1/admin/deployments/{dep['id']}/targets/{agent['target_id']}/logs"
    errors = local_server.admin("GET", path, params={"level": "error"}).json()["items"]
    assert [(e["message"], e["run"]) for e in errors] == [("non-fatal", 1)]
    feed = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/logs", params={"step": "complete"}).json()
    assert [e["message"] for e in feed["items"]] == ["done"]
