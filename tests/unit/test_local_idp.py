"""The local identity provider's authorization code + PKCE flow (local/idp.py), with a fake identity
whose tokens are marker strings: this is about the flow, not about Cognito."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from werkzeug.test import Client

from local import idp

ORIGIN = "http://127.0.0.1:8787"
REDIRECT = f"{ORIGIN}/dashboard/"


@dataclass
class FakeIdentity:
    client_id: str = "client-123"
    pool_id: str = "pool-fake"
    users: dict[str, str] = field(default_factory=lambda: {"admin": "a", "operator": "o", "viewer": "v"})
    issued: list[str] = field(default_factory=list)

    def token_for(self, username: str) -> str:
        self.issued.append(username)
        return f"access-token-for-{username}"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


@pytest.fixture
def setup() -> tuple[Client, FakeIdentity, Clock]:
    identity = FakeIdentity()
    clock = Clock()
    app = idp.LocalIdp(identity, ORIGIN, clock=clock)
    return Client(app), identity, clock


def authorize_params(challenge: str, **over: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "client-123",
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(over)
    return params


def get_code(client: Client, challenge: str, user: str = "admin", **over: str) -> str:
    answer = client.post(
        f"/local-idp/oauth2/authorize?{urlencode(authorize_params(challenge, **over))}",
        data={"username": user, "password": FakeIdentity().users[user]},
        base_url=ORIGIN,
    )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def exchange(client: Client, code: str, verifier: str, **over: str):  # type: ignore[no-untyped-def]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": "client-123",
        "redirect_uri": REDIRECT,
    }
    form.update(over)
    return client.post("/local-idp/oauth2/token", data=form, base_url=ORIGIN)


def test_authorize_page_offers_each_user_without_inline_script_or_style(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    _, challenge = pkce()
    answer = client.get(f"/local-idp/oauth2/authorize?{urlencode(authorize_params(challenge))}", base_url=ORIGIN)
    assert answer.status_code == 200
    page = answer.text
    for user in ("admin", "operator", "viewer"):
        assert f'name="username" value="{user}"' in page
    assert '<input type="password" name="password"' in page
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert "script-src" not in answer.headers["Content-Security-Policy"]  # default-src 'none' covers scripts
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert re.search(r'<form method="post" action="/local-idp/oauth2/authorize\?[^"]*code_challenge=', page)


def test_full_flow_returns_the_identity_token(setup) -> None:  # type: ignore[no-untyped-def]
    client, identity, _ = setup
    verifier, challenge = pkce()
    code = get_code(client, challenge, user="operator")
    answer = exchange(client, code, verifier)
    assert answer.status_code == 200, answer.text
    body = answer.get_json()
    assert body["access_token"] == "access-token-for-operator"
    assert body["id_token"] == "access-token-for-operator"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert answer.headers["Cache-Control"] == "no-store"
    assert identity.issued == ["operator"]


def test_params_may_come_from_the_form_too(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    verifier, challenge = pkce()
    answer = client.post(
        "/local-idp/oauth2/authorize",
        data={**authorize_params(challenge), "username": "viewer", "password": "v"},
        base_url=ORIGIN,
    )
    assert answer.status_code == 302
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    assert exchange(client, code, verifier).get_json()["access_token"] == "access-token-for-viewer"


def test_wrong_verifier_is_refused_and_burns_the_code(setup) -> None:  # type: ignore[no-untyped-def]
    client, identity, _ = setup
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    other, _ = pkce()
    bad = exchange(client, code, other)
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "invalid_grant"
    assert exchange(client, code, verifier).status_code == 400  # single use even after a failure
    assert identity.issued == []


def test_code_is_single_use(setup) -> None:  # type: ignore[no-untyped-def]
    client, identity, _ = setup
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    assert exchange(client, code, verifier).status_code == 200
    again = exchange(client, code, verifier)
    assert again.status_code == 400
    assert again.get_json()["error"] == "invalid_grant"
    assert identity.issued == ["admin"]


def test_code_expires_after_five_minutes(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, clock = setup
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    clock.now += 301
    assert exchange(client, code, verifier).get_json()["error"] == "invalid_grant"
    code = get_code(client, challenge)
    clock.now += 299
    assert exchange(client, code, verifier).status_code == 200


@pytest.mark.parametrize(
    ("field_name", "value", "error"),
    [
        ("client_id", "someone-else", "invalid_client"),
        ("redirect_uri", f"{ORIGIN}/other/", "invalid_grant"),
        ("grant_type", "password", "unsupported_grant_type"),
        ("code_verifier", "short", "invalid_request"),
    ],
)
def test_token_request_must_match_the_code(setup, field_name: str, value: str, error: str) -> None:  # type: ignore[no-untyped-def]
    client, identity, _ = setup
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    answer = exchange(client, code, verifier, **{field_name: value})
    assert answer.status_code in (400, 401)
    assert answer.get_json()["error"] == error
    assert identity.issued == []


@pytest.mark.parametrize(
    "redirect",
    [
        "https://evil.example/dashboard/",
        "http://127.0.0.1:9999/dashboard/",
        "javascript:alert(1)",
        "/dashboard/",
        f"{ORIGIN}/dashboard/#frag",
        f"{ORIGIN}/dashboard/evil",
        f"{ORIGIN}/other/",
        f"{ORIGIN}/dashboard/?next=https://evil.example/",
        "http://evil.example/cb",
    ],
)
def test_redirect_must_stay_on_the_servers_origin(setup, redirect: str) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    _, challenge = pkce()
    query = urlencode(authorize_params(challenge, redirect_uri=redirect))
    page = client.get(f"/local-idp/oauth2/authorize?{query}", base_url=ORIGIN)
    assert page.status_code == 400
    assert "Location" not in page.headers
    post = client.post(f"/local-idp/oauth2/authorize?{query}", data={"username": "admin"}, base_url=ORIGIN)
    assert post.status_code == 400
    assert "Location" not in post.headers


def test_unknown_client_is_refused_on_a_page(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    _, challenge = pkce()
    answer = client.get(
        f"/local-idp/oauth2/authorize?{urlencode(authorize_params(challenge, client_id='x'))}", base_url=ORIGIN
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers


@pytest.mark.parametrize(
    "over", [{"code_challenge_method": "plain"}, {"code_challenge": ""}, {"response_type": "token"}]
)
def test_pkce_s256_is_required(setup, over: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    _, challenge = pkce()
    answer = client.post(
        f"/local-idp/oauth2/authorize?{urlencode(authorize_params(challenge, **over))}",
        data={"username": "admin"},
        base_url=ORIGIN,
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert "code" not in query
    assert query["error"][0] in ("invalid_request", "unsupported_response_type")
    assert query["state"] == ["st-1"]


def test_unknown_user_gets_no_code(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    _, challenge = pkce()
    answer = client.post(
        f"/local-idp/oauth2/authorize?{urlencode(authorize_params(challenge))}",
        data={"username": "root"},
        base_url=ORIGIN,
    )
    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_logout_redirects_only_to_the_servers_origin(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    ok = client.get(
        f"/local-idp/logout?{urlencode({'client_id': 'client-123', 'logout_uri': REDIRECT})}", base_url=ORIGIN
    )
    assert ok.status_code == 302
    assert ok.headers["Location"] == REDIRECT
    bad = client.get(
        f"/local-idp/logout?{urlencode({'client_id': 'client-123', 'logout_uri': 'https://evil.example/'})}",
        base_url=ORIGIN,
    )
    assert bad.status_code == 400
    assert "Location" not in bad.headers


def test_make_idp_app_keeps_codes_across_calls() -> None:
    identity = FakeIdentity(pool_id="pool-keep")
    verifier, challenge = pkce()
    first = Client(idp.make_idp_app(identity, ORIGIN))
    code = get_code(first, challenge)
    second = Client(idp.make_idp_app(identity, ORIGIN))  # the server builds the app per request
    assert exchange(second, code, verifier).status_code == 200


def test_expires_in_follows_the_jwt_exp_claim(setup) -> None:  # type: ignore[no-untyped-def]
    client, identity, _ = setup

    exp = int(time.time()) + 1234
    payload = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    identity.token_for = lambda username: f"h.{payload}.s"  # type: ignore[method-assign]
    verifier, challenge = pkce()
    code = get_code(client, challenge)
    body = exchange(client, code, verifier).get_json()
    assert 1200 <= body["expires_in"] <= 1234


@pytest.mark.parametrize("password", ["", "wrong", "a ", "v"])
def test_the_password_is_required(setup, password: str) -> None:  # type: ignore[no-untyped-def]
    # Given a sign-in for admin with a missing or wrong password (another user's included)
    client, identity, _ = setup
    _, challenge = pkce()
    answer = client.post(
        f"/local-idp/oauth2/authorize?{urlencode(authorize_params(challenge))}",
        data={"username": "admin", "password": password},
        base_url=ORIGIN,
    )
    # Then no code is issued and nothing is redirected
    assert answer.status_code == 401
    assert "Location" not in answer.headers
    assert identity.issued == []


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8787", "localhost:8787", "127.0.0.1:9999"])
def test_a_request_naming_another_host_gets_nothing(setup, host: str) -> None:  # type: ignore[no-untyped-def]
    # Given the DNS-rebinding attack: a page at another name that resolves to this server
    client, identity, _ = setup
    verifier, challenge = pkce()
    query = urlencode(authorize_params(challenge, redirect_uri=f"http://{host}/cb"))
    headers = {"Host": host}
    # When it opens the authorize page, posts the sign-in and tries a token exchange
    page = client.get(f"/local-idp/oauth2/authorize?{query}", headers=headers)
    post = client.post(
        f"/local-idp/oauth2/authorize?{query}", data={"username": "admin", "password": "a"}, headers=headers
    )
    code = get_code(client, challenge)  # a real code, from the right address
    stolen = client.post(
        "/local-idp/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": "client-123",
            "redirect_uri": REDIRECT,
        },
        headers=headers,
    )
    # Then every answer is 421 with no redirect and no token
    for answer in (page, post, stolen):
        assert answer.status_code == 421
        assert "Location" not in answer.headers and "access_token" not in answer.text
    assert identity.issued == []
