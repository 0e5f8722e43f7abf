"""Deployment settings: defaults, and context values that must stop the synth."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import DEFAULTS, ConfigError, load_config

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def _config(context: dict[str, Any]) -> Any:
    from aws_cdk import App

    return load_config(App(context=context).node)


def test_defaults_are_the_documented_ones() -> None:
    config = _config({})
    assert config.region == DEFAULTS["region"]
    assert config.identity.type == "cognito" and config.identity.mfa == "required"
    assert config.deletion_protection is True and config.destroy_on_removal is False
    assert config.bedrock_model_id == DEFAULTS["bedrockModelId"]
    assert config.log_retention_days == 30
    assert config.domain_name is None and config.cors_origins == ()


def test_nested_values_merge_over_their_defaults() -> None:
    config = _config({"identity": {"mfa": "optional"}, "agentThrottle": {"rateLimit": 5}})
    assert config.identity.mfa == "optional" and config.identity.type == "cognito"
    assert config.agent_throttle.rate_limit == 5
    assert config.agent_throttle.burst_limit == DEFAULTS["agentThrottle"]["burstLimit"]


def test_external_oidc_takes_its_urls_from_context() -> None:
    config = _config(
        {
            "identity": {
                "type": "oidc",
                "issuer": "https://idp.example.com",
                "audience": "edgex",
                "authorizeUrl": "https://idp.example.com/auth",
                "tokenUrl": "https://idp.example.com/token",
            }
        }
    )
    assert config.identity.external and config.identity.client_id == "edgex"


@pytest.mark.parametrize(
    "context",
    [
        {"domainName": "edgex.example.com"},  # no certificate
        {"certificateArn": "arn:aws:acm:us-east-1:1:certificate/x"},  # no domain
        {"hostedZoneId": "Z1", "hostedZoneName": "example.com"},  # zone without domain
        {"logRetentionDays": 10},  # not a CloudWatch retention
        {"removalPolicy": "sometimes"},
        {"identity": {"type": "saml"}},
        {"identity": {"mfa": "sms"}},
        {"identity": {"type": "oidc", "issuer": "https://idp.example.com"}},  # no audience / urls
        {"identity": {"issuer": "http://idp.example.com"}},  # not https
        {"identity": {"unknownKey": 1}},
        {"lambdaMemoryMb": 0},
        {"agentThrottle": {"rateLimit": -1}},
        {"corsOrigins": ["http://example.com"]},
        {"bedrockModelId": ""},
        # `cdk -c key=value` strings that are not what the key takes
        {"lambdaMemoryMb": "lots"},
        {"lambdaMemoryMb": "1.5"},
        {"logRetentionDays": "a month"},
        {"agentConcurrency": "-1"},
        {"deletionProtection": "maybe"},
        {"deletionProtection": "no"},
        {"deletionProtection": 0},
        {"agentThrottle": "fast"},
        {"agentThrottle": '{"rateLimit": "5 per second"}'},
        {"corsOrigins": "https://a.example.com"},  # a list is JSON: '["https://a.example.com"]'
        {"stackName": "1-edgex"},
        {"stackName": 42},
        {"region": "mars"},
        {"account": "12345"},
        {"alarmEmail": 1},
        {"identity": {"domainPrefix": "Edgex_Prod"}},
        {"identity": {"domainPrefix": "edgex-aws"}},  # Cognito refuses aws/amazon/cognito
        {"stackName": "EdgexAws"},  # would name the login domain "edgexaws-..."
    ],
    ids=repr,
)
def test_bad_context_stops_the_synth(context: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        _config(context)


@pytest.mark.parametrize(
    ("context", "attribute", "expected"),
    [
        ({"lambdaMemoryMb": "1024"}, "lambda_memory_mb", 1024),
        ({"lambdaMemoryMb": 1024}, "lambda_memory_mb", 1024),
        ({"logRetentionDays": "90"}, "log_retention_days", 90),
        ({"agentConcurrency": "200"}, "agent_concurrency", 200),
        ({"agentConcurrency": "0"}, "agent_concurrency", None),  # 0: no reservation
        ({"deletionProtection": "false"}, "deletion_protection", False),
        ({"deletionProtection": "False"}, "deletion_protection", False),
        ({"deletionProtection": "true"}, "deletion_protection", True),
        ({"deletionProtection": False}, "deletion_protection", False),
        ({"stackName": "Edgex-Prod"}, "stack_name", "Edgex-Prod"),
        ({"region": "eu-central-1"}, "region", "eu-central-1"),
        ({"account": "123456789012"}, "account", "123456789012"),
        ({"alarmEmail": "ops@example.com"}, "alarm_email", "ops@example.com"),
        ({"alarmEmail": ""}, "alarm_email", None),
        ({"corsOrigins": '["https://a.example.com"]'}, "cors_origins", ("https://a.example.com",)),
        ({"mapTileHosts": '["https://tiles.example.com"]'}, "map_tile_hosts", ("https://tiles.example.com",)),
    ],
    ids=repr,
)
def test_context_from_the_command_line_is_read_in_its_string_form(
    context: dict[str, Any], attribute: str, expected: Any
) -> None:
    # Given a value as `cdk -c key=value` hands it over (a string) or as cdk.json does
    # When the configuration is loaded
    config = _config(context)
    # Then the typed value is the one meant
    assert getattr(config, attribute) == expected


def test_objects_from_the_command_line_are_json() -> None:
    # Given `-c agentThrottle='{"rateLimit": "5"}'` and `-c identity='{"mfa": "optional"}'`
    config = _config({"agentThrottle": '{"rateLimit": "5"}', "identity": '{"mfa": "optional"}'})
    # Then they merge over the defaults with their numbers read
    assert config.agent_throttle.rate_limit == 5
    assert config.agent_throttle.burst_limit == DEFAULTS["agentThrottle"]["burstLimit"]
    assert config.identity.mfa == "optional"


def test_a_refusal_names_the_key() -> None:
    with pytest.raises(ConfigError, match="lambdaMemoryMb"):
        _config({"lambdaMemoryMb": "1GB"})
    with pytest.raises(ConfigError, match="deletionProtection"):
        _config({"deletionProtection": "off"})


def test_every_installation_gets_its_own_login_domain_and_policy_names() -> None:
    from infra.edge import policy_name
    from infra.identity import login_domain_prefix

    # Given the default installation, a second one, and the first in another region
    first = _config({})
    second = _config({"stackName": "Edgex-Staging"})
    elsewhere = _config({"region": "eu-central-1"})
    # Then login domains and CloudFront policy names differ between each pair
    domains = {login_domain_prefix(cfg) for cfg in (first, second, elsewhere)}
    policies = {policy_name(cfg, "ApiNoCache") for cfg in (first, second, elsewhere)}
    assert len(domains) == 3 and len(policies) == 3
    # And an explicit domainPrefix replaces the stack name in the login domain
    assert login_domain_prefix(_config({"identity": {"domainPrefix": "acme"}})).startswith("acme-us-west-2-")


def test_external_oidc_gives_the_functions_what_tells_access_from_id_tokens() -> None:
    from aws_cdk import App, Stack

    from edgex import resources
    from infra.identity import Identity

    # Given an external issuer with an API audience distinct from the dashboard's client id, and a scope
    app = App(
        context={
            "identity": {
                "type": "oidc",
                "issuer": "https://idp.example.com",
                "audience": "api://edgex",
                "clientId": "dashboard",
                "requiredScope": "edgex.api",
                "authorizeUrl": "https://idp.example.com/auth",
                "tokenUrl": "https://idp.example.com/token",
            }
        }
    )
    identity = Identity(Stack(app, "S"), "Identity", config=load_config(app.node))
    # Then the functions check the client id, require the API audience and the scope
    env = identity.function_env()
    assert env[resources.ENV_OIDC_AUDIENCE] == "dashboard"
    assert env[resources.ENV_OIDC_ACCESS_AUDIENCE] == "api://edgex"
    assert env[resources.ENV_OIDC_REQUIRED_SCOPE] == "edgex.api"
    # And the dashboard asks for the scope when it signs in
    assert "edgex.api" in str(identity.dashboard_settings("https://edgex.example.com")["scopes"]).split()
