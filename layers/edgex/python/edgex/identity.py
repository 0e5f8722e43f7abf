"""Admin identity: OIDC access tokens verified in-process with python-jose.

API Gateway's JWT authorizer checks the token at the edge; this module checks it
again (defence in depth, and the only check in local mode): RS256 signature against
the issuer's JWKS (cached, refreshed on an unknown ``kid`` at most every 30 s),
issuer, audience or Cognito ``client_id``, exp/nbf, and that it is an access token
rather than an ID token (:func:`is_access_token`).
Roles come from a groups claim, as a list or as API Gateway's ``"[a b]"`` string.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from edgex import config
from edgex.audit import Actor
from edgex.errors import NoRole, Unauthenticated
from edgex.vocabulary import ROLE_ORDER

ALLOWED_ALGORITHMS = ["RS256"]
ROLES = tuple(role.value for role in ROLE_ORDER)
ENV_ROLE_GROUPS = "EDGEX_OIDC_ROLE_GROUPS"  # optional JSON: {"admin": "edgex-admins", ...}
_REFRESH_EVERY = 30.0

_lock = threading.Lock()
_keys: dict[str, dict[str, Any]] = {}
_fetched_at = 0.0


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
ACCESS_TYP = "at+jwt"  # RFC 9068 access-token header type


def jwks_url_allowed(url: str) -> bool:
    """https anywhere; plain http only to this machine, by exact host name (a prefix
    test would let ``http://localhost.evil.com`` or ``http://127.0.0.1@evil.com`` in)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and host in LOCAL_HOSTS


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead the key fetch to a host the URL check never saw."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _fetch_keys(url: str) -> dict[str, dict[str, Any]]:
    if not jwks_url_allowed(url):
        raise Unauthenticated()
    opener = urllib.request.build_opener(_NoRedirect())
    with opener.open(url, timeout=5) as answer:
        document = json.loads(answer.read())
    return {str(k["kid"]): k for k in document.get("keys", []) if "kid" in k}


def _key_for(kid: str) -> dict[str, Any]:
    global _keys, _fetched_at
    with _lock:
        if (kid not in _keys and time.monotonic() - _fetched_at > _REFRESH_EVERY) or not _fetched_at:
            try:
                _keys = _fetch_keys(config.oidc().jwks_url)
            except (OSError, ValueError):
                raise Unauthenticated("Identity provider keys unavailable") from None
            _fetched_at = time.monotonic()
        key = _keys.get(kid)
    if key is None:
        raise Unauthenticated()
    return key


def reset_cache() -> None:
    global _keys, _fetched_at
    with _lock:
        _keys, _fetched_at = {}, 0.0


def parse_groups(value: Any) -> tuple[str, ...]:
    """Groups from a JSON list, or from API Gateway's flattened ``"[admin operator]"``."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return tuple(part for part in text.replace(",", " ").split() if part)
    return ()


def role_of(groups: tuple[str, ...]) -> str | None:
    names = {role: role for role in ROLES}
    raw = os.environ.get(ENV_ROLE_GROUPS)
    if raw:
        names.update(json.loads(raw))
    best = None
    for role in ROLES:
        if names[role] in groups:
            best = role
    return best


class RoleMissing(NoRole):
    """A valid token of an account in none of the role groups: who it is is known,
    so the refusal can be audited under that name."""

    def __init__(self, actor: Actor) -> None:
        super().__init__()
        self.actor = actor


def _scopes(claims: dict[str, Any]) -> set[str]:
    value = claims.get("scope", claims.get("scp", ""))
    return set(value.split()) if isinstance(value, str) else {str(v) for v in value or []}


def is_access_token(header: dict[str, Any], claims: dict[str, Any], settings: config.OidcConfig) -> bool:
    """An access token, not an ID token (both are signed by the same issuer, and an ID
    token's audience is the very client id an access token is checked against).
    Every configured requirement must hold, and at least one positive sign must be
    there: ``token_use=access`` (Cognito), ``typ`` ``at+jwt`` (RFC 9068), the
    configured scope, or the configured API audience (distinct from the client id)."""
    audiences = _audiences(claims)
    if "token_use" in claims and claims["token_use"] != "access":  # noqa: S105 - a claim value
        return False
    if settings.required_scope and settings.required_scope not in _scopes(claims):
        return False
    if settings.access_audience and settings.access_audience not in audiences:
        return False
    return (
        claims.get("token_use") == "access"
        or str(header.get("typ", "")).lower() in (ACCESS_TYP, f"application/{ACCESS_TYP}")
        or bool(settings.required_scope)
        or bool(settings.access_audience)
    )


def _audiences(claims: dict[str, Any]) -> list[Any]:
    audience = claims.get("aud")
    return audience if isinstance(audience, list) else [audience]


def verify(token: str) -> Actor:
    from jose import jwt
    from jose.exceptions import JOSEError

    settings = config.oidc()
    try:
        header = jwt.get_unverified_header(token)
    except JOSEError:
        raise Unauthenticated() from None
    if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(header.get("kid"), str):
        raise Unauthenticated()
    key = _key_for(header["kid"])
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=ALLOWED_ALGORITHMS,
            issuer=settings.issuer,
            options={"verify_aud": False, "require_exp": True, "require_iat": False, "verify_at_hash": False},
        )
    except JOSEError:
        raise Unauthenticated() from None
    audiences = _audiences(claims)
    client = claims.get("client_id") or claims.get("azp") or claims.get("cid")
    if settings.audience not in audiences and client != settings.audience and settings.access_audience not in audiences:
        raise Unauthenticated()
    if not is_access_token(header, claims, settings):
        raise Unauthenticated()
    groups = parse_groups(claims.get(settings.groups_claim))
    role = role_of(groups)
    username = claims.get("username") or claims.get("cognito:username") or claims.get("email") or claims.get("sub")
    actor = Actor(username=str(username), role=role or "none", email=claims.get("email"), groups=groups)
    if role is None:
        raise RoleMissing(actor)
    return actor


def allows(actor: Actor, minimum: str) -> bool:
    return actor.role in ROLES and ROLES.index(actor.role) >= ROLES.index(minimum)
