"""Forged and stale machine identities, on every agent route.

tests/integration/test_admin_access.py covers forged JWTs on every admin route, and
test_one_liner.py the basic token isolation; this adds what they leave out: a token's
secret moved onto another deployment or machine for *every* agent route, tokens used
up by re-enrollment, tokens of cancelled machines, cancelled and deleted deployments,
tokens of one kind where another is expected, and malformed Authorization headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.adversarial.conftest import raw_request
from tests.conftest import LocalServer

AGENT_ROUTES = {
    "installer": ("GET", "/v1/agent/installer?type=bash", None),
    "enroll": ("POST", "/v1/agent/enroll", {"hostname": "intruder", "machine_id": "intruder"}),
    "download": ("GET", "/v1/agent/download", None),
    "feedback": ("POST", "/v1/agent/feedback", {"status": "info", "message": "hello"}),
}
MASTER_ROUTES = ("installer", "enroll")
AGENT_TOKEN_ROUTES = ("download", "feedback")


@dataclass
class Fleet:
    """Two deployments (A, B), two machines on A."""

    a: dict[str, Any]
    b: dict[str, Any]
    a1: dict[str, Any]
    a2: dict[str, Any]
    b1: dict[str, Any]


def send(
    server: LocalServer, route: str, token: str | None, headers: dict[str, str] | None = None
) -> requests.Response:
    method, path, body = AGENT_ROUTES[route]
    all_headers = {**({"Authorization": f"Bearer {token}"} if token is not None else {}), **(headers or {})}
    return requests.request(method, f"{server.url}{path}", json=body, headers=all_headers, timeout=60)


def assert_refused(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.json() == {"error": {"code": code, "message": answer.json()["error"]["message"]}}
    assert "exm_" not in answer.text and "exa_" not in answer.text


def new_fleet(server: LocalServer, tag: str) -> Fleet:
    script = server.create_script(f"echo identity {tag}\n")
    a = server.create_deployment(script["id"], machines=5)
    b = server.create_deployment(script["id"], machines=5)

    def enroll(dep: dict[str, Any], name: str) -> dict[str, Any]:
        answer = server.agent(
            "POST",
            "/v1/agent/enroll",
            dep["master_token"],
            json={"hostname": f"{tag}-{name}", "machine_id": f"{tag}-{name}"},
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    return Fleet(a, b, enroll(a, "a1"), enroll(a, "a2"), enroll(b, "b1"))


@pytest.fixture(scope="module")
def fleet(local_server: LocalServer) -> Fleet:
    return new_fleet(local_server, "idf")


def moved(token: str, deployment_id: int | None = None, target_id: str | None = None) -> str:
    """The token's secret under another deployment id and/or target id."""
    parts = token.split("_")
    if deployment_id is not None:
        parts[1] = str(deployment_id)
    if target_id is not None:
        parts[2] = target_id
    return "_".join(parts)


@pytest.mark.parametrize("route", MASTER_ROUTES)
def test_master_secret_of_a_on_deployment_b(route: str, local_server: LocalServer, fleet: Fleet) -> None:
    # Given A's master token re-addressed to deployment B (and to one that does not exist)
    for forged in (moved(fleet.a["master_token"], fleet.b["id"]), moved(fleet.a["master_token"], 987654)):
        # When it is used on a master route, Then it is refused like any bad credential
        assert_refused(send(local_server, route, forged), 401, "UNAUTHORIZED")
    # And B's own master token still works (the refusals were about the secret, nothing else)
    assert send(local_server, "installer", fleet.b["master_token"]).status_code == 200


@pytest.mark.parametrize("route", AGENT_TOKEN_ROUTES)
def test_agent_secret_moved_to_another_deployment_or_machine(
    route: str, local_server: LocalServer, fleet: Fleet
) -> None:
    token = fleet.a1["agent_token"]
    forgeries = {
        "other deployment, same target id": moved(token, fleet.b["id"]),
        "other deployment and its machine": moved(token, fleet.b["id"], fleet.b1["target_id"]),
        "same deployment, other machine": moved(token, target_id=fleet.a2["target_id"]),
        "no such deployment": moved(token, 987654),
        "no such machine": moved(token, target_id="0123456789abcdef"),
    }
    for name, forged in forgeries.items():
        # When the secret of machine a1 is presented for someone else, Then 401
        answer = send(local_server, route, forged)
        assert answer.status_code == 401, (name, answer.text)
        assert_refused(answer, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("route", list(AGENT_ROUTES))
def test_tokens_of_the_wrong_kind(route: str, local_server: LocalServer, fleet: Fleet) -> None:
    # Given every credential that is valid somewhere, but not on this route
    valid_here = fleet.a["master_token"] if route in MASTER_ROUTES else fleet.a1["agent_token"]
    wrong = {
        "admin JWT": local_server.token("admin"),
        "viewer JWT": local_server.token("viewer"),
        "master token": fleet.a["master_token"],
        "agent token": fleet.a1["agent_token"],
    }
    for name, token in wrong.items():
        if token == valid_here:
            continue
        # When it is used here, Then 401
        assert send(local_server, route, token).status_code == 401, name


def test_machine_tokens_never_open_admin_routes(local_server: LocalServer, fleet: Fleet) -> None:
    for token in (fleet.a["master_token"], fleet.a1["agent_token"]):
        for path in ("/v1/admin/me", "/v1/admin/scripts", f"/v1/admin/deployments/{fleet.a['id']}"):
            answer = requests.get(f"{local_server.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert_refused(answer, 401, "UNAUTHORIZED")


def test_token_used_up_by_re_enrollment(local_server: LocalServer) -> None:
    # Given a machine that enrolled twice (the second enrollment rotates its token)
    fleet = new_fleet(local_server, "rot")
    old = fleet.a1["agent_token"]
    again = local_server.agent(
        "POST", "/v1/agent/enroll", fleet.a["master_token"], json={"hostname": "rot-a1", "machine_id": "rot-a1"}
    )
    assert again.status_code == 200 and again.json()["target_id"] == fleet.a1["target_id"]
    # When the old token is used on every agent-token route, Then 401; the new one works
    for route in AGENT_TOKEN_ROUTES:
        assert_refused(send(local_server, route, old), 401, "UNAUTHORIZED")
    assert send(local_server, "download", again.json()["agent_token"]).status_code == 200


def test_cancelled_machine_and_cancelled_deployment(local_server: LocalServer) -> None:
    fleet = new_fleet(local_server, "cx")
    # Given machine a1 cancelled on its own
    cancelled = local_server.admin(
        "PUT", f"/v1/admin/deployments/{fleet.a['id']}/targets/{fleet.a1['target_id']}/cancel", role="operator"
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    # Then its token is refused with 410, and it cannot come back by re-enrolling
    for route in AGENT_TOKEN_ROUTES:
        assert_refused(send(local_server, route, fleet.a1["agent_token"]), 410, "TARGET_CANCELLED")
    back = local_server.agent(
        "POST", "/v1/agent/enroll", fleet.a["master_token"], json={"hostname": "cx-a1", "machine_id": "cx-a1"}
    )
    assert_refused(back, 410, "TARGET_CANCELLED")
    # While machine a2 of the same deployment is untouched
    assert send(local_server, "download", fleet.a2["agent_token"]).status_code == 200
    # Given the whole deployment cancelled
    assert (
        local_server.admin("PUT", f"/v1/admin/deployments/{fleet.a['id']}/cancel", role="operator").status_code == 200
    )
    # Then its master token gets 410 DEPLOYMENT_CANCELLED and so does every new download;
    # only a run already in progress (a2's) may still report, within the report grace
    for route in MASTER_ROUTES:
        assert_refused(send(local_server, route, fleet.a["master_token"]), 410, "DEPLOYMENT_CANCELLED")
    assert_refused(send(local_server, "download", fleet.a2["agent_token"]), 410, "DEPLOYMENT_CANCELLED")
    assert send(local_server, "feedback", fleet.a2["agent_token"]).status_code == 200
    # And deployment B is unaffected
    assert send(local_server, "download", fleet.b1["agent_token"]).status_code == 200


def test_deleted_deployment_tokens_are_dead(local_server: LocalServer) -> None:
    fleet = new_fleet(local_server, "del")
    assert local_server.admin("DELETE", f"/v1/admin/deployments/{fleet.a['id']}", role="operator").status_code == 200
    for route in MASTER_ROUTES:
        assert_refused(send(local_server, route, fleet.a["master_token"]), 401, "UNAUTHORIZED")
    for route in AGENT_TOKEN_ROUTES:
        assert_refused(send(local_server, route, fleet.a1["agent_token"]), 401, "UNAUTHORIZED")


def mangled_headers(token: str) -> dict[str, dict[str, str]]:
    """Authorization headers that are not exactly 'Bearer <token>'."""
    return {
        "basic-scheme": {"Authorization": f"Basic {token}"},
        "no-scheme": {"Authorization": token},
        "token-scheme": {"Authorization": f"Token {token}"},
        "two-tokens": {"Authorization": f"Bearer {token} {token}"},
        "comma-joined": {"Authorization": f"Bearer {token},Bearer {token}"},
        "junk-appended": {"Authorization": f"Bearer {token}x"},
        "one-char-short": {"Authorization": f"Bearer {token[:-1]}"},
        "prefix-swapped": {"Authorization": "Bearer " + ("exa" if token.startswith("exm") else "exm") + token[3:]},
        "leading-zero-id": {"Authorization": "Bearer " + token.replace("_", "_0", 1)},
        "last-char-changed": {"Authorization": f"Bearer {token[:-1]}{'B' if token[-1] == 'A' else 'A'}"},
        "huge": {"Authorization": f"Bearer {token}{'A' * 60_000}"},
        "in-a-cookie": {"Cookie": f"token={token}"},
        "in-another-header": {"X-Api-Key": token},
    }


@pytest.mark.parametrize("route", list(AGENT_ROUTES))
def test_mangled_authorization_headers(route: str, local_server: LocalServer, fleet: Fleet) -> None:
    token = fleet.a["master_token"] if route in MASTER_ROUTES else fleet.a1["agent_token"]
    method, path, _ = AGENT_ROUTES[route]
    for name, headers in mangled_headers(token).items():
        # When a valid token arrives in a shape other than 'Bearer <token>'
        status, _headers, body = raw_request(
            local_server.url, method, path, headers, b'{"status": "info", "message": "x"}' if method == "POST" else b""
        )
        # Then it is a 4xx (401 for every shape the API parses), never a pass and never a 5xx
        assert 400 <= status < 500, (name, status, body[:200])
        if name != "huge":
            assert status == 401, (name, status, body[:200])
    # And a query-string token is not a credential either
    answer = requests.request(method, f"{local_server.url}{path}{'&' if '?' in path else '?'}token={token}", timeout=60)
    assert answer.status_code == 401
