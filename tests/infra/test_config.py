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
    ],
    ids=repr,
)
def test_bad_context_stops_the_synth(context: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        _config(context)


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
