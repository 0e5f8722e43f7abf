"""Admin token checks that hold for any OIDC issuer: an ID token is never taken for
an access token, and the JWKS URL is matched by parsed scheme and exact host."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from edgex import config, identity, resources
from edgex.errors import ConfigurationError, Unauthenticated

ISSUER = "https://idp.example.com"
CLIENT = "dashboard-client"
API_AUDIENCE = "api://edgex"


@pytest.fixture(scope="module")
def signer() -> tuple[str, dict[str, Any]]:
    """A private key (PEM) and its public JWK, as an external issuer would hold them."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jose import jwk

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = jwk.construct(pem, "RS256").public_key().to_dict()
    return pem, {**public, "kid": "k1"}


@pytest.fixture
def issuer(signer: tuple[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(resources.ENV_OIDC_ISSUER, ISSUER)
    monkeypatch.setenv(resources.ENV_OIDC_AUDIENCE, CLIENT)
    monkeypatch.setenv(resources.ENV_OIDC_GROUPS_CLAIM, "groups")
    for name in (resources.ENV_OIDC_REQUIRED_SCOPE, resources.ENV_OIDC_ACCESS_AUDIENCE):
        monkeypatch.delenv(name, raising=False)
    config.oidc.cache_clear()
    identity.reset_cache()
    monkeypatch.setattr(identity, "_fetch_keys", lambda url: {"k1": signer[1]})
    yield
    config.oidc.cache_clear()
    identity.reset_cache()


def mint(signer: tuple[str, dict[str, Any]], typ: str = "JWT", **claims: Any) -> str:
    from jose import jwt

    now = int(time.time())
    body = {"iss": ISSUER, "sub": "u1", "email": "ada@example.com", "iat": now, "exp": now + 600, "groups": ["admin"]}
    return str(jwt.encode({**body, **claims}, signer[0], algorithm="RS256", headers={"kid": "k1", "typ": typ}))


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config.oidc.cache_clear()


def test_a_cognito_access_token_is_accepted_and_its_id_token_refused(issuer: None, signer: Any) -> None:
    # Given Cognito's two tokens for one sign-in
    access = mint(signer, token_use="access", client_id=CLIENT, username="ada")
    id_token = mint(signer, token_use="id", aud=CLIENT)
    # Then the access token opens the API and the ID token does not
    assert identity.verify(access).username == "ada"
    with pytest.raises(Unauthenticated):
        identity.verify(id_token)


def test_an_external_id_token_without_token_use_is_refused(issuer: None, signer: Any) -> None:
    # Given an ID token of an issuer that sets no token_use: audience = the client id (the finding)
    id_token = mint(signer, aud=CLIENT)
    # Then it is not taken for an access token
    with pytest.raises(Unauthenticated):
        identity.verify(id_token)


def test_an_rfc9068_access_token_is_accepted(issuer: None, signer: Any) -> None:
    # Given an access token typed at+jwt (RFC 9068) for this client
    token = mint(signer, typ="at+jwt", aud=CLIENT, client_id=CLIENT)
    # Then it is accepted with its role
    assert identity.verify(token).role == "admin"


def test_a_configured_scope_tells_access_from_id_tokens(
    issuer: None, signer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an issuer whose access tokens carry the configured scope
    configure(monkeypatch, **{resources.ENV_OIDC_REQUIRED_SCOPE: "edgex.api"})
    # Then a token with the scope is accepted, its ID token (no scope) is not
    assert identity.verify(mint(signer, aud=CLIENT, scope="openid edgex.api")).username == "ada@example.com"
    with pytest.raises(Unauthenticated):
        identity.verify(mint(signer, aud=CLIENT))
    # And even a Cognito access token must carry it once configured
    with pytest.raises(Unauthenticated):
        identity.verify(mint(signer, token_use="access", client_id=CLIENT))


def test_a_configured_api_audience_tells_access_from_id_tokens(
    issuer: None, signer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an issuer that puts the API's own audience in access tokens
    configure(monkeypatch, **{resources.ENV_OIDC_ACCESS_AUDIENCE: API_AUDIENCE})
    # Then a token for the API audience is accepted, the ID token (audience = client id) is not
    assert identity.verify(mint(signer, aud=[API_AUDIENCE], azp=CLIENT)).role == "admin"
    with pytest.raises(Unauthenticated):
        identity.verify(mint(signer, aud=CLIENT))


def test_the_api_audience_may_not_be_the_client_id(issuer: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an access audience equal to the client id (every ID token carries it)
    configure(monkeypatch, **{resources.ENV_OIDC_ACCESS_AUDIENCE: CLIENT})
    # Then the configuration is refused
    with pytest.raises(ConfigurationError):
        config.oidc()


def test_a_valid_token_without_a_role_is_refused_with_its_actor(issuer: None, signer: Any) -> None:
    # Given a real access token of an account in no role group
    token = mint(signer, token_use="access", client_id=CLIENT, username="eve", groups=["staff"])
    # Then it is refused as NO_ROLE, and the refusal knows who it was (for the audit trail)
    with pytest.raises(identity.RoleMissing) as refused:
        identity.verify(token)
    assert refused.value.code == "NO_ROLE" and refused.value.actor.username == "eve"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://cognito-idp.eu-central-1.amazonaws.com/pool/.well-known/jwks.json", True),
        ("http://127.0.0.1:8787/local-idp/.well-known/jwks.json", True),
        ("http://localhost:8787/jwks.json", True),
        ("http://localhost.evil.com/jwks.json", False),
        ("http://127.0.0.1.evil.com/jwks.json", False),
        ("http://127.0.0.1@evil.com/jwks.json", False),
        ("http://localhost:8787@evil.com/jwks.json", False),
        ("http://evil.com/jwks.json", False),
        ("https://user:pass@idp.example.com/jwks.json", False),
        ("ftp://localhost/jwks.json", False),
        ("file:///etc/passwd", False),
        ("http://localhost:99999/jwks.json", False),
        ("//localhost/jwks.json", False),
    ],
)
def test_the_jwks_url_is_matched_by_scheme_and_exact_host(url: str, allowed: bool) -> None:
    # Then only https, or http to this very machine, may serve the keys
    assert identity.jwks_url_allowed(url) is allowed


def test_a_refused_jwks_url_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    opened: list[str] = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda self, url, **kw: opened.append(url))
    # When the keys would come from a look-alike host
    with pytest.raises(Unauthenticated):
        identity._fetch_keys("http://localhost.evil.com/jwks.json")
    # Then no request left the process
    assert opened == []
