"""The local identity provider's users: a moto Cognito user pool whose RS256 tokens
the API verifies like any issuer's, against the JWKS the local server publishes.

Two things make it an installation's own rather than moto's:

- the signing key: moto signs every Cognito token with a private key shipped in the
  moto package, so anyone could mint local admin tokens offline. Here the pool signs
  with an RSA key generated per installation into the state directory (``signing-key.json``,
  mode 0600; per process when there is no state directory), and the published JWKS
  holds only its public half;
- the passwords: random per installation (``local-users.json``, mode 0600), printed by
  the server at start and asked for by the sign-in page.

Local mode is for a trusted machine: whoever can read the state directory can sign in.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from edgex.vocabulary import ROLE_ORDER

ROLES = tuple(role.value for role in reversed(ROLE_ORDER))
POOL_NAME = "edgex-local"
CLIENT_NAME = "edgex-dashboard"
KEY_FILE = "signing-key.json"
USERS_FILE = "local-users.json"
KEY_ID = "dummy"  # the kid moto writes in every token header; the key behind it is ours

_lock = threading.Lock()
_active_key: dict[str, Any] | None = None  # private JWK the pool signs with, in this process
_process_passwords: dict[str, str] | None = None


@dataclass(frozen=True)
class LocalIdentity:
    region: str
    pool_id: str
    client_id: str
    issuer: str
    users: dict[str, str] = field(default_factory=dict)  # username -> password (username == role)

    def _tokens(self, username: str) -> dict[str, Any]:
        answer = _client(self.region).admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self.users[username]},
        )
        return dict(answer["AuthenticationResult"])

    def token_for(self, username: str) -> str:
        """A real access token from (moto) Cognito for one of the local users."""
        return str(self._tokens(username)["AccessToken"])

    def id_token_for(self, username: str) -> str:
        return str(self._tokens(username)["IdToken"])


def _client(region: str) -> Any:
    return boto3.client("cognito-idp", region_name=region)


def _private_file(path: Path, content: str) -> None:
    """Write a secret readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def signing_key(state_dir: Path | None) -> dict[str, Any]:
    """This installation's private signing key (a JWK), created on first use."""
    global _active_key
    from joserfc import jwk

    with _lock:
        path = state_dir / KEY_FILE if state_dir else None
        if path and path.exists():
            key = json.loads(path.read_text())
        elif path is None and _active_key is not None:
            key = _active_key
        else:
            key = jwk.RSAKey.generate_key(2048, private=True).as_dict(private=True)
            if path:
                _private_file(path, json.dumps(key))
        _active_key = key
        return dict(key)


def passwords(state_dir: Path | None) -> dict[str, str]:
    """The local users' passwords: random, kept per installation (or per process)."""
    global _process_passwords
    with _lock:
        path = state_dir / USERS_FILE if state_dir else None
        if path and path.exists():
            return dict(json.loads(path.read_text()))
        if path is None and _process_passwords is not None:
            return dict(_process_passwords)
        made = {role: f"Edgex-{secrets.token_urlsafe(12)}-1" for role in ROLES}
        if path:
            _private_file(path, json.dumps(made, indent=2))
        else:
            _process_passwords = made
        return dict(made)


def _use_key(region: str, pool_id: str, key: dict[str, Any]) -> None:
    """Make moto's pool sign with this key instead of the one in the moto package."""
    from joserfc import jwk
    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][region].user_pools[pool_id]
    pool.json_web_key = jwk.RSAKey.import_key(key)


def ensure(region: str, state_dir: Path | None = None) -> LocalIdentity:
    """Find the local pool (after a restart) or create it with one user per role; either
    way it signs with this installation's key and the users have its passwords."""
    cognito = _client(region)
    users = passwords(state_dir)
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == POOL_NAME]
    if pools:
        pool_id = pools[0]["Id"]
        client_id = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"][0]["ClientId"]
    else:
        pool_id = cognito.create_user_pool(PoolName=POOL_NAME)["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=CLIENT_NAME,
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        )["UserPoolClient"]["ClientId"]
        for role in ROLES:
            cognito.create_group(UserPoolId=pool_id, GroupName=role)
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=role,
                MessageAction="SUPPRESS",
                UserAttributes=[{"Name": "email", "Value": f"{role}@edgex.local"}],
            )
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=role, GroupName=role)
    for role in ROLES:
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=role, Password=users[role], Permanent=True)
    _use_key(region, pool_id, signing_key(state_dir))
    return LocalIdentity(
        region=region,
        pool_id=pool_id,
        client_id=client_id,
        issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        users=users,
    )


def jwks() -> dict[str, Any]:
    """The public half of the key the local pool signs with (never moto's shipped key)."""
    from joserfc import jwk

    key = _active_key if _active_key is not None else signing_key(None)
    public = jwk.RSAKey.import_key(key).as_dict(private=False)
    return {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}
