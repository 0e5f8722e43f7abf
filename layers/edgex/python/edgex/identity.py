"""Admin identity: OIDC access tokens verified in-process with python-jose.

API Gateway's JWT authorizer checks the token at the edge; this module checks it
again (defence in depth, and the only check in local mode): RS256 signature against
the issuer's JWKS (cached, refreshed on an unknown ``kid`` at most every 30 s),
issuer, audience or Cognito ``client_id``, exp/nbf, ``token_use`` when present.
Roles come from a groups claim, as a list or as API Gateway's ``"[a b]"`` string.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from typing import Any

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


def _fetch_keys(url: str) -> dict[str, dict[str, Any]]:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise Unauthenticated()
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - scheme checked above
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
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.audience not in audiences and claims.get("client_id") != settings.audience:
        raise Unauthenticated()
    if "token_use" in claims and claims["token_use"] != "access":  # noqa: S105 - a claim value
        raise Unauthenticated()
    groups = parse_groups(claims.get(settings.groups_claim))
    role = role_of(groups)
    if role is None:
        raise NoRole()
    username = claims.get("username") or claims.get("cognito:username") or claims.get("email") or claims.get("sub")
    return Actor(username=str(username), role=role, email=claims.get("email"), groups=groups)


def allows(actor: Actor, minimum: str) -> bool:
    return ROLES.index(actor.role) >= ROLES.index(minimum)
