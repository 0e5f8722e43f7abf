"""Bearer tokens for machines.

A token is ``<prefix>_<row key>_<secret>``: the prefix types it (``exm`` master,
``exa`` agent), the row key lets its check be one consistent GetItem (no GSI, which
could miss a fresh token), the secret carries 256 random bits. Only the SHA-256 of
the whole token is stored, and it is compared in constant time. Tokens are never
logged: nothing in this module logs, and callers log ids, not tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import NamedTuple

from edgex.errors import Unauthenticated

MASTER_PREFIX = "exm"
AGENT_PREFIX = "exa"
_SECRET_BYTES = 32  # 256 bits
# Compiled on first use (re's cache): a function checks one kind of token, never both.
_MASTER = r"^exm_([1-9][0-9]{0,15})_([A-Za-z0-9_-]{43})$"
_AGENT = r"^exa_([1-9][0-9]{0,15})_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$"


class MasterToken(NamedTuple):
    deployment_id: int


class AgentToken(NamedTuple):
    deployment_id: int
    target_id: str


def new_master(deployment_id: int) -> str:
    return f"{MASTER_PREFIX}_{deployment_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def new_agent(deployment_id: int, target_id: str) -> str:
    return f"{AGENT_PREFIX}_{deployment_id}_{target_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, stored_digest: str | None) -> bool:
    return stored_digest is not None and hmac.compare_digest(digest(token), stored_digest)


def parse_master(token: str) -> MasterToken:
    """Key of the deployment a master token claims; any other shape is 401."""
    found = re.match(_MASTER, token)
    if not found:
        raise Unauthenticated()
    return MasterToken(int(found.group(1)))


def parse_agent(token: str) -> AgentToken:
    found = re.match(_AGENT, token)
    if not found:
        raise Unauthenticated()
    return AgentToken(int(found.group(1)), found.group(2))
