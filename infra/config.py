"""Deployment settings, read once from the CDK context (``cdk.json``).

``load_config`` is the only reader of context: constructs get a typed, validated
:class:`EdgexConfig` and never call ``try_get_context`` themselves. Every key has
a default here (documented in docs/DEPLOY.md); a value of the wrong shape stops the
synth with a clear message instead of deploying something half-configured.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

from infra import constants as c
from infra import fleet

# Context keys and their defaults: the whole configuration surface of a deployment.
DEFAULTS: dict[str, Any] = {
    "stackName": "Edgex",
    "account": None,  # None: the CLI's account (CDK_DEFAULT_ACCOUNT), or environment-agnostic
    "region": "us-west-2",
    "domainName": None,  # custom domain for CloudFront, e.g. edgex.example.com
    "certificateArn": None,  # ACM certificate in us-east-1 covering domainName
    "hostedZoneId": None,  # optional: Route 53 zone in which to create the alias record
    "hostedZoneName": None,
    "identity": {
        "type": "cognito",  # or "oidc" (external issuer)
        # Cognito hosted UI domain prefix; None: the stack name. Region and account id are
        # appended, so every installation gets its own login domain.
        "domainPrefix": None,
        "callbackUrls": None,  # None: the public URL + "/"
        "mfa": "required",  # required | optional | off
        "issuer": None,  # oidc only
        "audience": None,  # oidc only
        "clientId": None,  # oidc only: the dashboard's client id (defaults to audience)
        "authorizeUrl": None,  # oidc only
        "tokenUrl": None,  # oidc only
        "logoutUrl": None,  # oidc only
        "groupsClaim": None,  # claim with the role groups; None: cognito:groups
        "requiredScope": None,  # oidc only: a scope every access token must carry (tells it from an ID token)
    },
    "bedrockModelId": "qwen.qwen3-coder-30b-a3b-v1:0",
    "logRetentionDays": 30,
    "removalPolicy": "retain",  # retain | destroy
    "deletionProtection": True,  # DynamoDB tables
    "lambdaMemoryMb": 512,
    # Reserved concurrency of an agent function per call a lifecycle makes of its route
    # (0: none): the feedback function, called 3 times, reserves 3 x this. It caps agent
    # traffic so a fleet cannot take the account's whole concurrency and starve the admin
    # API; the account must keep 100 unreserved (docs/DEPLOY.md, "Fleet scale").
    # 350 requests/s x 0.3 s p99 = 105 (infra/fleet.py).
    "agentConcurrency": fleet.AGENT_CONCURRENCY_PER_CALL,
    # Per agent route and per call a lifecycle makes of it (feedback: 3 x), requests/s:
    # 100,000 machines / 600 s = 166.7 lifecycles/s, x 2 headroom = 333 -> 350; the
    # burst is the reserved concurrency (105), so a storm meets 429s, never Lambda 500s.
    "agentThrottle": {"rateLimit": fleet.AGENT_RATE_PER_CALL, "burstLimit": fleet.AGENT_BURST_PER_CALL},
    "apiThrottle": {"rateLimit": 100, "burstLimit": 200},  # every other route (dashboard, admin API)
    # Optional AWS WAF web ACL on the CloudFront distribution (infra/waf.py): per-source-IP
    # rate rules, requests per 5 minutes (infra/fleet.py). CLOUDFRONT scope lives in
    # us-east-1: elsewhere a small companion stack there holds it (docs/DEPLOY.md).
    "waf": {
        "enabled": True,
        "agentRequestsPer5Min": fleet.WAF_AGENT_REQUESTS_PER_5MIN,
        "requestsPer5Min": fleet.WAF_REQUESTS_PER_5MIN,
    },
    # Optional custom domain of the API itself (CloudFront's origin for /v1/*), with an
    # ACM certificate in the stack's region. With it the default execute-api endpoint is
    # disabled (docs/DEPLOY.md, "Fleet scale").
    "apiDomain": {"domainName": None, "certificateArn": None},
    "corsOrigins": [],  # extra dashboard origins allowed by CORS (the dashboard itself is same-origin)
    "mapTileHosts": ["https://*.basemaps.cartocdn.com"],
    "alarmEmail": None,
}

_MFA = ("required", "optional", "off")
# CloudFormation's rule for stack names, kept short enough to prefix physical names.
_STACK_NAME = r"[A-Za-z][A-Za-z0-9-]{0,63}"
_REGION = r"[a-z]{2}(-[a-z]+)+-\d"
# Cognito: lowercase letters, digits and inner hyphens, without "aws", "amazon" or "cognito".
_DOMAIN_PREFIX = r"(?!.*(aws|amazon|cognito))[a-z0-9](-?[a-z0-9]){0,23}"
_IDENTITY_TYPES = ("cognito", "oidc")
_REMOVAL = {"retain": RemovalPolicy.RETAIN, "destroy": RemovalPolicy.DESTROY}
# CloudWatch Logs accepts only these retention periods.
_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


class ConfigError(ValueError):
    """A context value that cannot be deployed."""


@dataclass(frozen=True)
class Throttle:
    rate_limit: int
    burst_limit: int


@dataclass(frozen=True)
class WafConfig:
    enabled: bool
    agent_requests_per_5min: int
    requests_per_5min: int


@dataclass(frozen=True)
class ApiDomainConfig:
    domain_name: str | None
    certificate_arn: str | None

    @property
    def enabled(self) -> bool:
        return self.domain_name is not None


@dataclass(frozen=True)
class IdentityConfig:
    type: str
    domain_prefix: str | None
    callback_urls: tuple[str, ...] | None
    mfa: str
    issuer: str | None
    audience: str | None
    client_id: str | None
    authorize_url: str | None
    token_url: str | None
    logout_url: str | None
    groups_claim: str | None
    required_scope: str | None = None

    @property
    def external(self) -> bool:
        return self.type == "oidc"


@dataclass(frozen=True)
class EdgexConfig:
    stack_name: str
    account: str | None
    region: str
    domain_name: str | None
    certificate_arn: str | None
    hosted_zone_id: str | None
    hosted_zone_name: str | None
    identity: IdentityConfig
    bedrock_model_id: str
    log_retention_days: int
    log_retention: logs.RetentionDays
    removal_policy: RemovalPolicy
    destroy_on_removal: bool
    deletion_protection: bool
    lambda_memory_mb: int
    agent_concurrency: int | None
    agent_throttle: Throttle
    api_throttle: Throttle
    waf: WafConfig
    api_domain: ApiDomainConfig
    cors_origins: tuple[str, ...]
    map_tile_hosts: tuple[str, ...]
    alarm_email: str | None

    def agent_route_throttle(self, handler: str) -> Throttle:
        """The throttle of an agent route: ``agentThrottle`` times the calls a lifecycle makes of it."""
        calls = fleet.calls_per_lifecycle(handler)
        return Throttle(self.agent_throttle.rate_limit * calls, self.agent_throttle.burst_limit * calls)

    def agent_reserved_concurrency(self, handler: str) -> int | None:
        """Reserved concurrency of an agent function: ``agentConcurrency`` times its calls per lifecycle."""
        if self.agent_concurrency is None:
            return None
        return self.agent_concurrency * fleet.calls_per_lifecycle(handler)


def read_cdk_json_context() -> dict[str, Any]:
    """The ``context`` of cdk.json, for ``python app.py`` (the cdk CLI passes it itself)."""
    if not c.CDK_JSON.is_file():
        return {}
    return dict(json.loads(c.CDK_JSON.read_text()).get("context", {}))


def _value(node: Node, key: str) -> Any:
    raw = node.try_get_context(key)
    default = DEFAULTS[key]
    if raw is None:
        return default
    if isinstance(default, dict):
        if isinstance(raw, str):  # `-c identity='{"mfa": "optional"}'` arrives as text
            raw = _json(key, raw)
        if not isinstance(raw, dict):
            raise ConfigError(f"context {key!r} must be an object")
        unknown = set(raw) - set(default)
        if unknown:
            raise ConfigError(f"context {key!r} has unknown keys {sorted(unknown)}")
        return {**default, **raw}
    if isinstance(default, list) and isinstance(raw, str):
        return _json(key, raw)
    return raw


def _json(key: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigError(f"context {key!r} must be JSON here, got {text!r}") from None


# `cdk -c key=value` hands every value over as a string; cdk.json gives JSON types.
# Both spellings are accepted, anything else stops the synth with the key named.
_BOOLEANS = {"true": True, "false": False}


def _boolean(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    raise ConfigError(f"context {key!r} must be true or false, got {value!r}")


def _integer(key: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"context {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _text(key: str, value: Any, *, pattern: str = r".+") -> str:
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ConfigError(f"context {key!r} must be a string matching {pattern}, got {value!r}")
    return value


def _optional_text(key: str, value: Any, *, pattern: str = r".+") -> str | None:
    return None if value is None or value == "" else _text(key, value, pattern=pattern)


def _throttle(key: str, value: dict[str, Any]) -> Throttle:
    return Throttle(
        _integer(f"{key}.rateLimit", value["rateLimit"]), _integer(f"{key}.burstLimit", value["burstLimit"])
    )


def _strings(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"context {key!r} must be a list of strings")
    return tuple(value)


def _https(key: str, value: str | None) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise ConfigError(f"context {key!r} must be an https:// URL")
    return value


def _identity(raw: dict[str, Any]) -> IdentityConfig:
    if raw["type"] not in _IDENTITY_TYPES:
        raise ConfigError(f"identity.type must be one of {_IDENTITY_TYPES}")
    if raw["mfa"] not in _MFA:
        raise ConfigError(f"identity.mfa must be one of {_MFA}")
    identity = IdentityConfig(
        type=raw["type"],
        domain_prefix=_optional_text("identity.domainPrefix", raw["domainPrefix"], pattern=_DOMAIN_PREFIX),
        callback_urls=_strings("identity.callbackUrls", raw["callbackUrls"]) or None,
        mfa=raw["mfa"],
        issuer=_https("identity.issuer", raw["issuer"]),
        audience=raw["audience"],
        client_id=raw["clientId"] or raw["audience"],
        authorize_url=_https("identity.authorizeUrl", raw["authorizeUrl"]),
        token_url=_https("identity.tokenUrl", raw["tokenUrl"]),
        logout_url=_https("identity.logoutUrl", raw["logoutUrl"]),
        groups_claim=raw["groupsClaim"],
        required_scope=raw["requiredScope"],
    )
    if identity.external:
        missing = [k for k in ("issuer", "audience", "authorizeUrl", "tokenUrl") if not raw[k]]
        if missing:
            raise ConfigError(f"identity.type 'oidc' needs identity.{', identity.'.join(missing)}")
    return identity


def _waf(raw: dict[str, Any]) -> WafConfig:
    waf = WafConfig(
        enabled=_boolean("waf.enabled", raw["enabled"]),
        # AWS WAF's smallest rate-based limit is 10 requests per window.
        agent_requests_per_5min=_integer("waf.agentRequestsPer5Min", raw["agentRequestsPer5Min"], minimum=10),
        requests_per_5min=_integer("waf.requestsPer5Min", raw["requestsPer5Min"], minimum=10),
    )
    if waf.requests_per_5min < waf.agent_requests_per_5min:
        raise ConfigError("waf.requestsPer5Min counts agent requests too: it cannot be below waf.agentRequestsPer5Min")
    return waf


def _api_domain(raw: dict[str, Any]) -> ApiDomainConfig:
    domain = ApiDomainConfig(
        domain_name=_optional_text("apiDomain.domainName", raw["domainName"]),
        certificate_arn=_optional_text(
            "apiDomain.certificateArn", raw["certificateArn"], pattern=r"arn:aws[\w-]*:acm:.+"
        ),
    )
    if bool(domain.domain_name) != bool(domain.certificate_arn):
        raise ConfigError(
            "apiDomain.domainName and apiDomain.certificateArn go together (an ACM certificate in the stack's region)"
        )
    return domain


def _agent_sizing(concurrency: int | None, throttle: Throttle) -> None:
    """A burst above the reserved concurrency would meet Lambda throttles (500s, not retried) before 429s."""
    if concurrency is not None and throttle.burst_limit > concurrency:
        raise ConfigError(
            f"agentThrottle.burstLimit ({throttle.burst_limit}) must not exceed agentConcurrency ({concurrency}): "
            "a burst beyond the reserved concurrency is answered 500 instead of a retryable 429"
        )


def load_config(node: Node) -> EdgexConfig:
    """Read and validate every setting of a deployment from ``node``'s context."""
    stack_name = _text("stackName", _value(node, "stackName"), pattern=_STACK_NAME)
    identity = _identity(_value(node, "identity"))
    if not identity.external and not identity.domain_prefix and re.search(r"aws|amazon|cognito", stack_name.lower()):
        raise ConfigError(f"stackName {stack_name!r} cannot name a Cognito domain: set identity.domainPrefix")
    domain_name = _optional_text("domainName", _value(node, "domainName"))
    certificate_arn = _optional_text("certificateArn", _value(node, "certificateArn"))
    if bool(domain_name) != bool(certificate_arn):
        raise ConfigError("domainName and certificateArn go together (an ACM certificate in us-east-1)")
    zone_id = _optional_text("hostedZoneId", _value(node, "hostedZoneId"))
    zone_name = _optional_text("hostedZoneName", _value(node, "hostedZoneName"))
    if bool(zone_id) != bool(zone_name) or (zone_id and not domain_name):
        raise ConfigError("hostedZoneId and hostedZoneName go together, and only with domainName")
    retention = _integer("logRetentionDays", _value(node, "logRetentionDays"))
    if retention not in _RETENTION:
        raise ConfigError(f"logRetentionDays must be one of {tuple(_RETENTION)}")
    removal = _value(node, "removalPolicy")
    if removal not in _REMOVAL:
        raise ConfigError(f"removalPolicy must be one of {tuple(_REMOVAL)}")
    agent_concurrency = _integer("agentConcurrency", _value(node, "agentConcurrency"), minimum=0) or None
    agent_throttle = _throttle("agentThrottle", _value(node, "agentThrottle"))
    _agent_sizing(agent_concurrency, agent_throttle)
    model_id = _value(node, "bedrockModelId")
    if not isinstance(model_id, str) or not model_id:
        raise ConfigError("bedrockModelId must be a model id")
    return EdgexConfig(
        stack_name=stack_name,
        account=_optional_text("account", _value(node, "account"), pattern=r"\d{12}"),
        region=_text("region", _value(node, "region"), pattern=_REGION),
        domain_name=domain_name,
        certificate_arn=certificate_arn,
        hosted_zone_id=zone_id,
        hosted_zone_name=zone_name,
        identity=identity,
        bedrock_model_id=model_id,
        log_retention_days=retention,
        log_retention=_RETENTION[retention],
        removal_policy=_REMOVAL[removal],
        destroy_on_removal=removal == "destroy",
        deletion_protection=_boolean("deletionProtection", _value(node, "deletionProtection")),
        lambda_memory_mb=_integer("lambdaMemoryMb", _value(node, "lambdaMemoryMb")),
        agent_concurrency=agent_concurrency,
        agent_throttle=agent_throttle,
        api_throttle=_throttle("apiThrottle", _value(node, "apiThrottle")),
        waf=_waf(_value(node, "waf")),
        api_domain=_api_domain(_value(node, "apiDomain")),
        cors_origins=tuple(
            _https("corsOrigins", o) or "" for o in _strings("corsOrigins", _value(node, "corsOrigins"))
        ),
        map_tile_hosts=_strings("mapTileHosts", _value(node, "mapTileHosts")),
        alarm_email=_optional_text("alarmEmail", _value(node, "alarmEmail")),
    )
