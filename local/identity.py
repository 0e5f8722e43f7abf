"""The local identity provider's users: a moto Cognito user pool whose RS256 tokens
(signed with moto's key, published as a JWKS) the API verifies like any issuer's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from edgex.vocabulary import ROLE_ORDER

ROLES = tuple(role.value for role in reversed(ROLE_ORDER))
POOL_NAME = "edgex-local"
CLIENT_NAME = "edgex-dashboard"


@dataclass(frozen=True)
class LocalIdentity:
    region: str
    pool_id: str
    client_id: str
    issuer: str
    users: dict[str, str] = field(default_factory=dict)  # username -> password (username == role)

    def token_for(self, username: str) -> str:
        """A real access token from (moto) Cognito for one of the local users."""
        answer = _client(self.region).admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self.users[username]},
        )
        return str(answer["AuthenticationResult"]["AccessToken"])

    def id_token_for(self, username: str) -> str:
        answer = _client(self.region).admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self.users[username]},
        )
        return str(answer["AuthenticationResult"]["IdToken"])


def _client(region: str) -> Any:
    return boto3.client("cognito-idp", region_name=region)


def password_for(role: str) -> str:
    return f"Edgex-{role}-local-1"


def ensure(region: str) -> LocalIdentity:
    """Find the local pool (after a restart) or create it with one user per role."""
    cognito = _client(region)
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
            cognito.admin_set_user_password(
                UserPoolId=pool_id, Username=role, Password=password_for(role), Permanent=True
            )
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=role, GroupName=role)
    return LocalIdentity(
        region=region,
        pool_id=pool_id,
        client_id=client_id,
        issuer=f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
        users={role: password_for(role) for role in ROLES},
    )


def jwks() -> dict[str, Any]:
    """moto's public signing key set (the private half signs every local token)."""
    from moto.utilities.utils import load_resource

    return dict(load_resource("cognitoidp/resources/jwks-public.json"))
