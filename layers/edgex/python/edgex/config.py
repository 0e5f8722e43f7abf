"""Run-time configuration, read from the environment once, on first use.

Nothing is read at import time, so tests and the local server can set the
environment (and start moto) before the first request. A missing variable is a
wiring error: it raises instead of falling back to a default.
"""

from __future__ import annotations

import os
from functools import cache
from typing import NamedTuple

from edgex import resources
from edgex.errors import ConfigurationError


def require(name: str) -> str:
    """The value of a required environment variable."""
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(f"missing environment variable {name}")
    return value


def table_name(logical: str) -> str:
    return require(resources.table_env(logical))


def bucket_name(logical: str) -> str:
    return require(resources.bucket_env(logical))


def region() -> str:
    return require("AWS_REGION") if "AWS_REGION" in os.environ else require("AWS_DEFAULT_REGION")


class OidcConfig(NamedTuple):
    issuer: str
    audience: str
    jwks_url: str
    groups_claim: str
    required_scope: str = ""  # a scope every access token must carry (issuers without token_use)
    access_audience: str = ""  # the API's own audience, distinct from the client id


@cache
def oidc() -> OidcConfig:
    issuer = require(resources.ENV_OIDC_ISSUER).rstrip("/")
    audience = require(resources.ENV_OIDC_AUDIENCE)
    access_audience = os.environ.get(resources.ENV_OIDC_ACCESS_AUDIENCE, "")
    if access_audience == audience:
        # An ID token's audience is the client id: as the access audience it would let ID tokens in.
        raise ConfigurationError(f"{resources.ENV_OIDC_ACCESS_AUDIENCE} must differ from the client id")
    return OidcConfig(
        issuer=issuer,
        audience=audience,
        jwks_url=os.environ.get(resources.ENV_OIDC_JWKS_URL) or f"{issuer}/.well-known/jwks.json",
        groups_claim=os.environ.get(resources.ENV_OIDC_GROUPS_CLAIM) or "cognito:groups",
        required_scope=os.environ.get(resources.ENV_OIDC_REQUIRED_SCOPE, ""),
        access_audience=access_audience,
    )


def public_url() -> str:
    """Base URL machines use to reach the agent API (no trailing slash)."""
    return require(resources.ENV_PUBLIC_URL).rstrip("/")
