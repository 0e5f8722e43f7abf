"""The one source of resource names, shared by the CDK app, the local server and tests.

Each logical table or bucket name maps to the environment variable that carries its
physical name at run time. Lambda functions get only the variables of the resources
their route uses (see ``lambdas/manifest.py``), so a missing variable is a wiring
error and fails loudly in :mod:`edgex.config`.
"""

from __future__ import annotations

TABLES: tuple[str, ...] = (
    "scripts",
    "script_versions",
    "deployments",
    "targets",
    "logs",
    "counters",
    "config",
    "audit",
)
BUCKETS: tuple[str, ...] = ("scripts", "output")


def table_env(name: str) -> str:
    """Environment variable holding the physical name of table ``name``."""
    return f"EDGEX_TABLE_{name.upper()}"


def bucket_env(name: str) -> str:
    """Environment variable holding the physical name of bucket ``name``."""
    return f"EDGEX_BUCKET_{name.upper()}"


# Settings a deployed function reads, beside the resource names.
ENV_PUBLIC_URL = "EDGEX_PUBLIC_URL"  # base URL agents and one-liners use (CloudFront)
ENV_OIDC_ISSUER = "EDGEX_OIDC_ISSUER"
ENV_OIDC_AUDIENCE = "EDGEX_OIDC_AUDIENCE"  # app client id (Cognito) or audience
ENV_OIDC_JWKS_URL = "EDGEX_OIDC_JWKS_URL"  # optional: defaults to <issuer>/.well-known/jwks.json
ENV_OIDC_GROUPS_CLAIM = "EDGEX_OIDC_GROUPS_CLAIM"  # optional: defaults to cognito:groups
# Optional, for issuers whose access tokens carry no token_use claim (one of these, or
# access tokens typed at+jwt, is then needed to tell them from ID tokens):
ENV_OIDC_REQUIRED_SCOPE = "EDGEX_OIDC_REQUIRED_SCOPE"  # a scope every access token must carry
ENV_OIDC_ACCESS_AUDIENCE = "EDGEX_OIDC_ACCESS_AUDIENCE"  # the API's audience (not the client id)
ENV_LOG_RETENTION_DAYS = "EDGEX_LOG_RETENTION_DAYS"
ENV_AI_MODEL_ID = "EDGEX_AI_MODEL_ID"
# CloudFront adds this header with a per-installation secret to every origin request;
# the agent functions get the same value, and trust a request's geo headers only when
# they match (the API stays reachable without CloudFront, where anyone sets them).
ORIGIN_HEADER = "X-Edgex-Origin"
# The download answer tells the bootstrapper the run's time limit (seconds); it passes
# it to the wrapper as EDGEX_TIMEOUT_SECONDS.
TIMEOUT_HEADER = "X-Edgex-Timeout"
ENV_ORIGIN_SECRET = "EDGEX_ORIGIN_SECRET"  # noqa: S105 - the variable's name, not a secret
