"""Every admin route behind real identity: no token, forged tokens, role below, right role.

Forged tokens are built the ways attackers build them; the 'wrong claims' ones are
even signed with the installation's real private key (from the server's state
directory), so only the claim checks can refuse them. A token signed with the key
shipped in the moto package is refused too: local tokens are not signed with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from edgex.vocabulary import ROLE_ORDER, Role
from manifest import ROUTES, Auth, Route
from tests.conftest import LocalServer
from tests.route_examples import Ids, example

ADMIN_ROUTES = [r for r in ROUTES if r.auth is Auth.ADMIN]


@pytest.fixture(scope="module")
def world(local_server: LocalServer) -> dict[str, Any]:
    """A script, a deployment with one enrolled machine: ids for every route's path."""
    script = local_server.create_script("echo access\n")
    dep = local_server.create_deployment(script["id"], machines=5)
    enrolled = local_server.agent(
        "POST", "/v1/agent/enroll", dep["master_token"], json={"hostname": "acc-host", "machine_id": "acc-machine"}
    ).json()
    return {"script": script, "dep": dep, "target": enrolled["target_id"], "local_server": local_server}


def fresh(world: dict[str, Any]) -> dict[str, Any]:
    """Objects a destructive route may consume."""
    server: LocalServer = world["local_server"]
    script = server.create_script("echo consumable\n")
    dep = server.create_deployment(script["id"], machines=1)
    enrolled = server.agent(
        "POST",
        "/v1/agent/enroll",
        dep["master_token"],
        json={"hostname": f"c-{dep['id']}", "machine_id": f"c-{dep['id']}"},
    ).json()
    return {"script": script, "dep": dep, "target": enrolled["target_id"]}


def call_spec(route: Route, world: dict[str, Any], destructive_ok: bool) -> tuple[str, dict[str, Any]]:
    """Path and request kwargs that make ``route`` succeed for the right role."""
    objs = fresh(world) if destructive_ok and route.method in ("DELETE", "PUT") else world
    free = world["local_server"].create_script("echo free\n") if route.handler == "scripts_delete" else objs["script"]
    path, body = example(
        route,
        Ids(
            script_id=objs["script"]["id"],
            free_script_id=free["id"],
            deployment_id=objs["dep"]["id"],
            target_id=objs["target"],
        ),
    )
    return path, ({"json": body} if body is not None else {})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def moto_private_key() -> dict[str, Any]:
    from moto.utilities.utils import load_resource

    keys = load_resource("cognitoidp/resources/jwks-private.json")
    return dict(keys["keys"][0] if "keys" in keys else keys)


def installation_private_key(server: LocalServer) -> dict[str, Any]:
    from local.identity import KEY_FILE

    return dict(json.loads((server.state_dir / KEY_FILE).read_text()))


def hs256(kid: str, claims: dict[str, Any], secret: bytes) -> str:
    """The RS/HS confusion attack, signed by hand (libraries refuse to do it)."""
    signing_input = f"{_b64({'alg': 'HS256', 'kid': kid, 'typ': 'JWT'})}.{_b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def forgeries(real: str, private: dict[str, Any]) -> dict[str, str]:
    claims = jwt.get_unverified_claims(real)
    header = jwt.get_unverified_header(real)
    public_pem = jwk.construct({k: v for k, v in private.items() if k in ("kty", "n", "e")}, "RS256").to_pem()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    def signed(changes: dict[str, Any], key: Any = private, kid: str = header["kid"], alg: str = "RS256") -> str:
        return jwt.encode({**claims, **changes}, key, algorithm=alg, headers={"kid": kid})

    head, _, sig = real.split(".")
    tampered_claims = {**claims, "cognito:groups": ["admin"], "username": "mallory"}
    return {
        "alg_none": f"{_b64({'alg': 'none', 'kid': header['kid'], 'typ': 'JWT'})}.{_b64(claims)}.",
        "hs256_with_public_key": hs256(header["kid"], claims, public_pem),
        "wrong_issuer": signed({"iss": "https://evil.example.com/pool"}),
        "wrong_audience": signed({"client_id": "someone-else", "aud": "someone-else"}),
        "expired": signed({"exp": int(time.time()) - 60, "iat": int(time.time()) - 3700}),
        "unknown_kid": signed({}, key=other.decode(), kid="not-a-known-kid"),
        "tampered_payload": f"{head}.{_b64(tampered_claims)}.{sig}",
        "id_token_not_access": signed({"token_use": "id", "aud": claims.get("client_id")}),
        "signed_with_motos_shipped_key": signed({}, key=moto_private_key()),
    }


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: r.handler)
def test_admin_route_identity(route: Route, world: dict[str, Any]) -> None:
    server: LocalServer = world["local_server"]
    path, kwargs = call_spec(route, world, destructive_ok=True)
    url = f"{server.url}{path}"

    def send(token: str | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(route.method, url, headers=headers, timeout=60, **kwargs)

    # no token -> 401
    answer = send(None)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "UNAUTHORIZED"
    # every forged form -> 401
    viewer, key = server.token("viewer"), installation_private_key(server)
    for name, forged in forgeries(viewer, key).items():
        answer = send(forged)
        assert answer.status_code == 401, (name, answer.status_code, answer.text)
    # the same claims re-signed with the installation's key pass the signature (the control)
    resigned = jwt.encode(
        jwt.get_unverified_claims(viewer),
        key,
        algorithm="RS256",
        headers={"kid": jwt.get_unverified_header(viewer)["kid"]},
    )
    assert send(resigned).status_code != 401
    # a role below the route's -> 403
    needed = ROLE_ORDER.index(route.role or Role.ADMIN)
    for role in ROLE_ORDER[:needed]:
        answer = send(server.token(role))
        assert answer.status_code == 403, (role, answer.text)
        assert answer.json()["error"]["code"] == "FORBIDDEN"
    # the route's own role -> success (the AI has no provider locally: 503 AI_UNAVAILABLE, past auth)
    answer = send(server.token(route.role or "admin"))
    if route.handler == "ai_process":
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "AI_UNAVAILABLE"
    else:
        assert 200 <= answer.status_code < 300, (route.handler, answer.status_code, answer.text)
