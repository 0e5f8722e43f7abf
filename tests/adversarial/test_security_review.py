"""The security review's findings, each replayed as an attack against the local
platform over HTTP (the in-process stack), and now refused or recorded.

Findings proven elsewhere: least privilege per action (tests/unit/test_route_actions.py
against the calls each handler makes, tests/infra/test_stack.py against the synthesized
roles), ID tokens and JWKS look-alike hosts for any issuer (tests/unit/test_identity.py),
each bad geo value (tests/unit/test_geo.py), the chain under concurrency and every kind
of tampering (tests/unit/test_audit_chain.py), the sign-in page's password, Host and
redirect rules (tests/unit/test_local_idp.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.adversarial.conftest import Stack, error_code, raw_request


def audit_records(stack: Stack) -> list[dict[str, Any]]:
    """Every audit record, plain values, oldest first."""
    rows = []
    for item in stack.table_items("audit"):
        row = {k: next(iter(v.values())) for k, v in item.items()}
        row["ids"] = {k: next(iter(v.values())) for k, v in (row.get("ids") or {}).items()}
        rows.append(row)
    return sorted(rows, key=lambda r: (r["stream"], r["seq"]))


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The request log lines the endpoint wrapper writes, as (message, fields)."""
    from edgex import log

    logger = log.logger(agent=False)  # the admin functions' logger (the endpoint wrapper's)
    lines: list[dict[str, Any]] = []
    original = logger.info

    def keep(message: str, *args: Any, extra: dict[str, Any] | None = None, **kw: Any) -> None:
        lines.append({"message": message, **(extra or {})})
        original(message, *args, extra=extra, **kw)

    monkeypatch.setattr(logger, "info", keep)
    yield lines


def test_refused_admin_attempts_are_audited_with_the_actor(stack: Stack, log_lines: list[dict[str, Any]]) -> None:
    # Given a deployment, and the three attempts of the review
    script = stack.create_script("echo audit\n")
    dep = stack.create_deployment(int(script["id"]), machines=1)
    before = len(audit_records(stack))
    attempts = [
        ("viewer", "PUT", "/v1/admin/settings", {"log_retention_days": 30}, "settings_update"),
        ("operator", "PUT", "/v1/admin/wrapper/bash", {"content": "#!/bin/bash\n"}, "wrapper_update"),
        ("viewer", "DELETE", f"/v1/admin/deployments/{dep['id']}", None, "deployments_delete"),
        ("operator", "GET", "/v1/admin/audit", None, "audit_list"),
    ]
    # When each is sent with a valid token of too small a role
    for role, method, path, body, _ in attempts:
        answer = stack.admin(method, path, role=role, json=body)
        assert answer.status_code == 403, answer.text
        assert error_code(answer.status_code, answer.headers, answer.content) == "FORBIDDEN"
    # Then each left an audit record naming who tried what, with the refusal's code
    new = audit_records(stack)[before:]
    assert [(r["actor"], r["actor_role"], r["action"], r["outcome"]) for r in new] == [
        (role, role, action, "FORBIDDEN") for role, _, _, _, action in attempts
    ]
    assert new[2]["ids"] == {"id": str(dep["id"])}
    # And each request's log line carries the actor, never a token
    refused = [line for line in log_lines if line.get("status") == 403]
    assert [line["actor"] for line in refused] == [role for role, *_ in attempts]
    tokens = {stack.token(role) for role in ("viewer", "operator")}
    assert not any(token in json.dumps(line, default=str) for line in log_lines for token in tokens)
    # And the chain still verifies
    report = stack.admin("GET", "/v1/admin/audit/verify").json()
    assert report["ok"] and report["checked"] >= len(new), report


def test_a_record_rewritten_in_storage_is_reported_by_the_verify_route(stack: Stack) -> None:
    # Given an audited mutation
    stack.admin("PUT", "/v1/admin/settings", json={"log_retention_days": 60})
    victim = audit_records(stack)[-1]
    table = stack.boto("dynamodb")
    from local.server import physical_table

    key = {"stream": {"S": victim["stream"]}, "seq": {"S": victim["seq"]}}
    # When someone with write access to the table rewrites who did it
    table.update_item(
        TableName=physical_table("audit"),
        Key=key,
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": {"S": "nobody"}},
    )
    try:
        # Then the verify route names that record as the first broken link
        report = stack.admin("GET", "/v1/admin/audit/verify").json()
        assert not report["ok"]
        assert report["first_broken"]["seq"] == victim["seq"] and "altered" in report["first_broken"]["reason"]
        # And only an admin may ask (an operator is refused, and recorded)
        refused = stack.admin("GET", "/v1/admin/audit/verify", role="operator")
        assert refused.status_code == 403
    finally:  # put history back for the other tests of this module
        table.update_item(
            TableName=physical_table("audit"),
            Key=key,
            UpdateExpression="SET actor = :a",
            ExpressionAttributeValues={":a": {"S": victim["actor"]}},
        )
    assert stack.admin("GET", "/v1/admin/audit/verify").json()["ok"]


def _identity(stack: Stack) -> Any:
    from local import identity as local_identity

    return local_identity.ensure(stack.region)  # the running pool, found again


def test_an_id_token_is_not_an_access_token(stack: Stack) -> None:
    # Given the admin's real ID token from the same issuer (audience = the client id)
    id_token = _identity(stack).id_token_for("admin")
    # When it is presented as a bearer token
    answer = stack.agent("GET", "/v1/admin/me", id_token)
    # Then it is refused, while the access token works
    assert answer.status_code == 401
    assert stack.admin("GET", "/v1/admin/me").status_code == 200


def test_a_token_signed_with_motos_shipped_key_is_refused(stack: Stack) -> None:
    from joserfc import jwk, jwt
    from moto.utilities.utils import load_resource

    ident = _identity(stack)
    now = int(time.time())
    claims = {
        "iss": ident.issuer,
        "sub": "forged",
        "client_id": ident.client_id,
        "token_use": "access",
        "username": "admin",
        "cognito:groups": ["admin"],
        "iat": now,
        "exp": now + 600,
    }
    # Given an admin access token minted offline with the private key in the moto package
    shipped = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    forged = jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, shipped)
    # Then the platform refuses it: this installation signs with its own key
    assert stack.agent("GET", "/v1/admin/me", forged).status_code == 401
    published = stack.agent("GET", "/local-idp/.well-known/jwks.json", "").json()["keys"]
    assert all(key["n"] != shipped.as_dict(private=False)["n"] for key in published)


def test_geo_headers_are_validated_field_by_field(stack: Stack) -> None:
    script = stack.create_script("echo geo\n")
    dep = stack.create_deployment(int(script["id"]), machines=1)
    # Given a machine whose viewer headers hold an impossible latitude, markup and control bytes
    headers = {
        "CloudFront-Viewer-Latitude": "170",
        "CloudFront-Viewer-Longitude": "8.68330",
        "CloudFront-Viewer-City": "<img src=x onerror=alert(1)>\x1b[31m",
        "CloudFront-Viewer-Country": "DEU",
        "CloudFront-Viewer-Country-Region": "HE",
        "CloudFront-Viewer-Time-Zone": "Europe/Berlin",
    }
    status, _, _ = raw_request(
        stack.url,
        "POST",
        "/v1/agent/enroll",
        {
            "Authorization": f"Bearer {dep['master_token']}",
            "Content-Type": "application/json",
            **{k: v.encode("latin-1").decode("latin-1") for k, v in headers.items()},
        },
        json.dumps({"hostname": "geo-host", "machine_id": "geo-machine"}).encode(),
    )
    assert status == 201
    # Then only the valid fields were stored
    (target,) = stack.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    assert target["geo"] == {"longitude": 8.6833, "region": "HE", "time_zone": "Europe/Berlin"}


def _authorize_query(stack: Stack, redirect_uri: str) -> str:
    config = json.loads(raw_request(stack.url, "GET", "/dashboard/config.json")[2])["oidc"]
    return urlencode(
        {
            "response_type": "code",
            "client_id": config["clientId"],
            "redirect_uri": redirect_uri,
            "state": "s",
            "code_challenge": "A" * 43,
            "code_challenge_method": "S256",
        }
    )


def test_local_sign_in_needs_the_password_the_servers_host_and_its_dashboard(stack: Stack) -> None:
    host = stack.url.removeprefix("http://")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    own = _authorize_query(stack, f"{stack.url}/dashboard/")
    path = f"/local-idp/oauth2/authorize?{own}"
    # When the sign-in is posted without the password (the review's finding)
    status, headers, _ = raw_request(stack.url, "POST", path, {**form, "Host": host}, b"username=admin")
    # Then no code is issued
    assert status == 401 and "location" not in headers
    # When a page at another name posts the right password (DNS rebinding)
    good = f"username=admin&password={stack.password('admin')}".encode()
    status, headers, _ = raw_request(stack.url, "POST", path, {**form, "Host": "evil.example"}, good)
    assert status == 421 and "location" not in headers
    # When the code is to go to another site, even from the right host
    evil = f"/local-idp/oauth2/authorize?{_authorize_query(stack, 'http://evil.example/cb')}"
    status, headers, _ = raw_request(stack.url, "POST", evil, {**form, "Host": host}, good)
    assert status == 400 and "location" not in headers
    # And with the password, at the server's name, to its dashboard: a code
    status, headers, _ = raw_request(stack.url, "POST", path, {**form, "Host": host}, good)
    assert status == 302 and headers["location"].startswith(f"{stack.url}/dashboard/?code=")


def test_a_blocked_machine_cannot_enroll_again(stack: Stack) -> None:
    script = stack.create_script("echo block\n")
    dep = stack.create_deployment(int(script["id"]), machines=5)
    master = dep["master_token"]
    target = stack.enroll(master, "ban-machine", "ban-host")
    # When an operator cancels it with block
    path = f"/v1/admin/deployments/{dep['id']}/targets/{target['target_id']}/cancel?block=true"
    answer = stack.admin("PUT", path, role="operator")
    assert answer.status_code == 200, answer.text
    # Then the cancel is audited as a block
    record = audit_records(stack)[-1]
    assert (record["action"], record["actor"], record["ids"].get("blocked")) == ("target_cancel", "operator", "true")
    # And neither its machine id (under a new hostname) nor its hostname (under a new machine id) gets back in
    for machine_id, hostname in (("ban-machine", "new-host"), ("new-machine", "BAN-HOST")):
        again = stack.agent("POST", "/v1/agent/enroll", master, json={"hostname": hostname, "machine_id": machine_id})
        assert again.status_code == 410, again.text
        assert error_code(again.status_code, again.headers, again.content) == "MACHINE_BLOCKED"
    # And a bad block value is refused
    bad = stack.admin("PUT", path.replace("block=true", "block=yes"), role="operator")
    assert bad.status_code == 400
    # And deleting the deployment takes the block items with it
    assert stack.admin("DELETE", f"/v1/admin/deployments/{dep['id']}").status_code == 200
    left = [i for i in stack.table_items("targets") if i["pk"]["S"].split("#")[1] == str(dep["id"])]
    assert left == []
