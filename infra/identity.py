"""Identity: who may call the admin API and sign in to the dashboard.

By default a Cognito user pool with the three role groups of the manifest
(admin, operator, viewer), a hosted UI domain and a public dashboard client
(authorization code + PKCE, no secret: a browser cannot keep one). Any other OIDC
issuer can be configured instead (``identity.type = "oidc"``).

The dashboard client is added in a second step (``add_dashboard_client``) because
its callback URL is the CloudFront URL, which exists only once the edge is built,
while the edge needs this construct's login domain for its CSP.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from edgex import resources
from edgex.vocabulary import ROLE_ORDER
from infra import constants as c
from infra.config import EdgexConfig
from infra.nag import acknowledge

_MFA = {"required": cognito.Mfa.REQUIRED, "optional": cognito.Mfa.OPTIONAL, "off": cognito.Mfa.OFF}
_SCOPES = ("openid", "email", "profile")


def login_domain_prefix(config: EdgexConfig) -> str:
    """``<prefix or stack name>-<region>-<account id>``: one login domain per installation.

    Cognito domain prefixes are unique across all accounts of a region; the stack
    name tells two installations of one account apart, the region and account make
    the name one nobody else holds. At most 24 + 1 + 14 + 1 + 12 characters (Cognito
    allows 63).
    """
    base = config.identity.domain_prefix or config.stack_name.lower()
    return f"{base[:24].strip('-')}-{config.region}-{Aws.ACCOUNT_ID}"


class Identity(Construct):
    """The OIDC issuer for the admin API and the dashboard's login settings."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config.identity
        self._client_id: str | None = None
        self.user_pool: cognito.UserPool | None = None
        self.groups_claim = self._config.groups_claim  # None: the handlers' default (cognito:groups)
        if self._config.external:
            self.issuer: str = self._config.issuer  # type: ignore[assignment]
            self.authorize_url: str = self._config.authorize_url  # type: ignore[assignment]
            self.token_url: str = self._config.token_url  # type: ignore[assignment]
            self.logout_url: str | None = self._config.logout_url
            self._client_id = self._config.client_id
            self._audience: str | None = self._config.audience
            return
        self.user_pool = self._user_pool(config)
        for precedence, role in enumerate(reversed(ROLE_ORDER)):
            cognito.UserPoolGroup(
                self,
                f"Group-{role}",
                user_pool=self.user_pool,
                group_name=role,
                precedence=precedence,
                description=f"Edgex role '{role}' (see edgex.vocabulary.Role)",
            )
        domain = self.user_pool.add_domain(
            "HostedUi", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=login_domain_prefix(config))
        )
        base = domain.base_url()
        self.login_origin = base
        self.issuer = self.user_pool.user_pool_provider_url
        self.authorize_url = f"{base}/oauth2/authorize"
        self.token_url = f"{base}/oauth2/token"
        self.logout_url = f"{base}/logout"
        self._audience = None

    def _user_pool(self, config: EdgexConfig) -> cognito.UserPool:
        mfa = _MFA[self._config.mfa]
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # admins invite users; nobody enrolls themselves
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=mfa,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False) if mfa != cognito.Mfa.OFF else None,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=not config.destroy_on_removal,
            removal_policy=config.removal_policy,
        )
        findings = {
            "AwsSolutions-COG8": "Essentials feature plan: the Plus plan (threat protection) is billed per active user; "
            "sign-in is invitation-only, with a strong password policy and TOTP MFA.",
        }
        if mfa != cognito.Mfa.REQUIRED:
            findings["AwsSolutions-COG2"] = "MFA was relaxed on purpose through the identity.mfa context value."
        acknowledge(pool, findings)
        return pool

    def add_dashboard_client(self, public_url: str) -> None:
        """Create the dashboard's app client now that its URL (CloudFront) is known."""
        if self.user_pool is None:
            return
        urls = list(self._config.callback_urls or (f"{public_url}/",))
        client = self.user_pool.add_client(
            "DashboardClient",
            generate_secret=False,  # public client: authorization code + PKCE
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=urls,
                logout_urls=urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        self._client_id = client.user_pool_client_id
        self._audience = client.user_pool_client_id

    @property
    def client_id(self) -> str:
        if self._client_id is None:
            raise RuntimeError("add_dashboard_client() first: the client id is not known yet")
        return self._client_id

    @property
    def audience(self) -> str:
        if self._audience is None:
            raise RuntimeError("add_dashboard_client() first: the audience is not known yet")
        return self._audience

    @property
    def browser_origins(self) -> tuple[str, ...]:
        """Origins the dashboard's browser code talks to for login (CSP connect-src)."""
        urls = (self.token_url, self.authorize_url)
        if self.user_pool is not None:
            return (self.login_origin,)
        return tuple(sorted({"/".join(u.split("/")[:3]) for u in urls}))

    def function_env(self) -> dict[str, str]:
        """Variables an admin function needs to verify JWTs in-process (edgex.config.oidc)."""
        env = {resources.ENV_OIDC_ISSUER: self.issuer, resources.ENV_OIDC_AUDIENCE: self.audience}
        if self.groups_claim:
            env[resources.ENV_OIDC_GROUPS_CLAIM] = self.groups_claim
        client_id = self._config.client_id if self._config.external else None
        if client_id and client_id != self.audience:
            # Access tokens name the API's audience, ID tokens the client id: that tells them apart.
            env[resources.ENV_OIDC_AUDIENCE] = client_id
            env[resources.ENV_OIDC_ACCESS_AUDIENCE] = self.audience
        if self._config.external and self._config.required_scope:
            env[resources.ENV_OIDC_REQUIRED_SCOPE] = self._config.required_scope
        return env

    def _extra_scopes(self) -> tuple[str, ...]:
        scope = self._config.required_scope if self._config.external else None
        return (scope,) if scope and scope not in _SCOPES else ()

    def dashboard_settings(self, public_url: str) -> dict[str, object]:
        """The OIDC part of the dashboard's config.json."""
        return {
            "issuer": self.issuer,
            "authorizeUrl": self.authorize_url,
            "tokenUrl": self.token_url,
            "logoutUrl": self.logout_url or "",
            "clientId": self.client_id,
            "redirectUri": (self._config.callback_urls or (f"{public_url}/",))[0],
            "scopes": " ".join((*_SCOPES, *self._extra_scopes())),  # the authorize request's `scope` parameter
            "groupsClaim": self.groups_claim or c.COGNITO_GROUPS_CLAIM,
        }
