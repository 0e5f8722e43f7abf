"""Fleet scale at the edge: route throttles and reserved concurrency as infra/fleet.py
computes them (and docs/DEPLOY.md shows them), the per-source web ACL, and how the
API is kept behind CloudFront (origin proof header; execute-api off with an API domain).

Expected numbers come from infra/fleet.py, never retyped here, so the template, the
defaults and the document are checked against one source.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import constants as c
from infra import fleet
from manifest import ROUTES

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

AGENT_ROUTES = [r for r in ROUTES if r.is_agent]
DEPLOY_MD = c.REPO_ROOT / "docs" / "DEPLOY.md"

# A us-east-1 installation with its own API domain: the web ACL sits in the stack itself
# and the execute-api endpoint is off.
API_DOMAIN = "api.edgex.example.com"
ALTERNATE_CONTEXT: dict[str, Any] = {
    "stackName": "EdgexEast",
    "region": "us-east-1",
    "domainName": "edgex.example.com",
    "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "hostedZoneName": "example.com",
    "apiDomain": {
        "domainName": API_DOMAIN,
        "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/22222222-2222-2222-2222-222222222222",
    },
}


def _synth(context: dict[str, Any], outdir: Path) -> tuple[Any, Any, dict[str, Any]]:
    from infra.application import build_app

    app, stack = build_app(context, outdir=str(outdir), nag=False)
    assembly = app.synth()
    return app, stack, assembly.get_stack_artifact(stack.artifact_id).template


@pytest.fixture(scope="module")
def alternate(built_assets: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield _synth(ALTERNATE_CONTEXT, tmp_path_factory.mktemp("cdk.out.alternate"))


@pytest.fixture(scope="module")
def waf_off(built_assets: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield _synth({"waf": {"enabled": False}}, tmp_path_factory.mktemp("cdk.out.waf-off"))


def _of_type(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == cfn_type}


def _agent_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """handler -> properties of the agent functions."""
    found = {}
    for res in _of_type(template, "AWS::Lambda::Function").values():
        handler = res["Properties"].get("Handler", "")
        name = handler.split(".")[1] if handler.startswith(f"{c.HANDLER_MODULE_PREFIX}.") else None
        if name in {r.handler for r in AGENT_ROUTES}:
            found[name] = res["Properties"]
    return found


def _distribution_config(template: dict[str, Any]) -> dict[str, Any]:
    (distribution,) = _of_type(template, "AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]


def _api_origin(template: dict[str, Any]) -> dict[str, Any]:
    config = _distribution_config(template)
    (behavior,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == c.API_PATH_PATTERN]
    (origin,) = [o for o in config["Origins"] if o["Id"] == behavior["TargetOriginId"]]
    return origin


# --- throttling sized for 100,000 machines in 10 minutes ---


def test_the_fleet_arithmetic_counts_every_agent_route() -> None:
    # Given the agent routes of the manifest
    # Then each one's calls per lifecycle are counted (a new agent route must be sized too)
    assert {r.handler for r in AGENT_ROUTES} == set(fleet.CALLS_PER_LIFECYCLE)
    # And the goal is about 167 lifecycles a second
    assert math.isclose(fleet.LIFECYCLES_PER_SECOND, 100_000 / 600)


def test_agent_route_limits_carry_the_goal_with_headroom_and_fit_the_account(synth: Any) -> None:
    # Given the synthesized stage of the default installation
    (stage,) = synth.resources("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["RouteSettings"]
    functions = _agent_functions(synth.template_json)
    # (the stage's default limits apply to each other route on its own)
    others = len(ROUTES) - len(AGENT_ROUTES)
    total_rate = stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] * others
    agent_burst = reserved = 0
    for route in AGENT_ROUTES:
        calls = fleet.calls_per_lifecycle(route.handler)
        limits = settings[f"{route.method} {route.path}"]
        concurrency = functions[route.handler]["ReservedConcurrentExecutions"]
        # Then each route's limits are the documented ones, per call a lifecycle makes of it
        assert limits["ThrottlingRateLimit"] == fleet.AGENT_RATE_PER_CALL * calls, route.handler
        assert limits["ThrottlingBurstLimit"] == fleet.AGENT_BURST_PER_CALL * calls, route.handler
        assert concurrency == fleet.AGENT_CONCURRENCY_PER_CALL * calls, route.handler
        # And the steady rate is at least twice what the goal needs
        assert limits["ThrottlingRateLimit"] >= fleet.HEADROOM * fleet.needed_rate(route.handler), route.handler
        # And the function can run the steady rate at the p99 duration, and a whole burst at once,
        # so the gateway answers 429 (retried) before Lambda would throttle (a 500, not retried)
        assert concurrency >= limits["ThrottlingRateLimit"] * fleet.HANDLER_P99_SECONDS, route.handler
        assert limits["ThrottlingBurstLimit"] <= concurrency, route.handler
        total_rate += limits["ThrottlingRateLimit"]
        agent_burst += limits["ThrottlingBurstLimit"]
        reserved += concurrency
    # And every route at its limit fits the region's API Gateway account rate, and the
    # agent routes' bursts together fit its burst
    assert total_rate <= fleet.ACCOUNT_API_RPS and agent_burst <= fleet.ACCOUNT_API_BURST
    # And the reservations leave Lambda's unreserved minimum in a default account
    assert reserved <= fleet.ACCOUNT_LAMBDA_CONCURRENCY - fleet.LAMBDA_UNRESERVED_MINIMUM


def test_the_deploy_guide_shows_the_same_numbers() -> None:
    # Given the "Fleet scale" section of docs/DEPLOY.md
    text = DEPLOY_MD.read_text()
    section = re.split(r"^## (?:\d+\. )?Fleet scale$", text, flags=re.M)[1].split("\n## ", 1)[0]
    feedback = fleet.FEEDBACK_POSTS_PER_RUN
    # Then it states the numbers infra/fleet.py computes (formatted as written there)
    for number in (
        fleet.FLEET_MACHINES,
        fleet.LIFECYCLES_PER_SECOND,
        fleet.AGENT_RATE_PER_CALL,
        fleet.AGENT_RATE_PER_CALL * feedback,
        fleet.AGENT_CONCURRENCY_PER_CALL,
        fleet.AGENT_CONCURRENCY_PER_CALL * feedback,
        fleet.ACCOUNT_API_RPS,
        fleet.WAF_AGENT_REQUESTS_PER_5MIN,
        fleet.WAF_REQUESTS_PER_5MIN,
    ):
        written = f"{number:,.1f}" if isinstance(number, float) else f"{number:,}"
        assert written in section, f"docs/DEPLOY.md, Fleet scale, does not state {written}"


# --- the web ACL ---


def _waf_template(synth: Any) -> tuple[dict[str, Any], Any]:
    from infra.waf import WafStack

    (companion,) = [s for s in synth.app.node.children if isinstance(s, WafStack)]
    return json.loads((synth.outdir / companion.template_file).read_text()), companion


def _assert_rate_rules(template: dict[str, Any], config: Any) -> None:
    from infra.waf import AGENT_PATH_PREFIX

    (acl,) = _of_type(template, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT" and "Allow" in props["DefaultAction"]
    rules = {r["Statement"]["RateBasedStatement"]["Limit"]: r for r in props["Rules"]}
    agent = rules[config.waf.agent_requests_per_5min]["Statement"]["RateBasedStatement"]
    everything = rules[config.waf.requests_per_5min]["Statement"]["RateBasedStatement"]
    # Per source IP, the agent rule scoped to the agent paths, the other to every request
    assert agent["AggregateKeyType"] == everything["AggregateKeyType"] == "IP"
    match = agent["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["SearchString"] == AGENT_PATH_PREFIX and match["PositionalConstraint"] == "STARTS_WITH"
    assert "ScopeDownStatement" not in everything
    # And a blocked source is answered like the throttle (429), which the agents retry
    for rule in props["Rules"]:
        assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429


def test_by_default_a_us_east_1_web_acl_rate_limits_each_source(synth: Any) -> None:
    # Given the default installation (us-west-2) and its companion stack
    template, companion = _waf_template(synth)
    config = synth.stack.config
    # Then the companion is in us-east-1 (CLOUDFRONT scope) and holds the two rate rules
    assert companion.region == "us-east-1" and config.region != "us-east-1"
    assert companion.stack_name == f"{config.stack_name}-{config.region}-Waf"
    assert config.waf.agent_requests_per_5min == fleet.WAF_AGENT_REQUESTS_PER_5MIN
    assert config.waf.requests_per_5min == fleet.WAF_REQUESTS_PER_5MIN
    _assert_rate_rules(template, config)
    # And the distribution is attached to it, through CDK's cross-region reference
    (acl_id,) = _of_type(template, "AWS::WAFv2::WebACL")
    web_acl = _distribution_config(synth.template_json)["WebACLId"]
    assert acl_id in json.dumps(web_acl), web_acl


def test_in_us_east_1_the_web_acl_is_in_the_stack_itself(alternate: Any) -> None:
    from infra.waf import WafStack

    app, stack, template = alternate
    # Given an installation in us-east-1
    # Then no companion stack exists and the web ACL is the stack's own
    assert not [s for s in app.node.children if isinstance(s, WafStack)]
    _assert_rate_rules(template, stack.config)
    (acl_id,) = _of_type(template, "AWS::WAFv2::WebACL")
    assert _distribution_config(template)["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_switched_off_there_is_no_web_acl(waf_off: Any) -> None:
    from infra.waf import WafStack

    app, stack, template = waf_off
    # Given context waf.enabled=false
    assert stack.config.waf.enabled is False
    # Then no web ACL is created anywhere and the distribution has none
    assert not [s for s in app.node.children if isinstance(s, WafStack)]
    assert not _of_type(template, "AWS::WAFv2::WebACL")
    assert "WebACLId" not in _distribution_config(template)


# --- keeping the API behind CloudFront ---


def test_cloudfront_proves_itself_to_the_agent_functions_with_a_generated_secret(synth: Any) -> None:
    template = synth.template_json
    # Given the API origin of the distribution and the origin secret
    headers = {h["HeaderName"]: h["HeaderValue"] for h in _api_origin(template).get("OriginCustomHeaders", [])}
    (secret_id,) = _of_type(template, "AWS::SecretsManager::Secret")
    generated = template["Resources"][secret_id]["Properties"]["GenerateSecretString"]
    # Then the secret is generated at deploy (never in the template) and long enough
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    # And CloudFront sends it in the origin header, as a dynamic reference resolved at deploy
    value = json.dumps(headers[c.ORIGIN_HEADER])
    assert "{{resolve:secretsmanager:" in value and secret_id in value
    # And every agent function gets the same reference to compare with
    for handler, props in _agent_functions(template).items():
        assert json.dumps(props["Environment"]["Variables"][c.ORIGIN_ENV]) == value, handler


def test_without_an_api_domain_the_default_endpoint_stays_for_cloudfront(synth: Any) -> None:
    # Given the default installation (no apiDomain)
    (api,) = synth.resources("AWS::ApiGatewayV2::Api").values()
    # Then CloudFront's origin is the execute-api endpoint, which therefore stays on
    assert not api["Properties"].get("DisableExecuteApiEndpoint", False)
    assert "execute-api" in json.dumps(_api_origin(synth.template_json)["DomainName"])
    assert not synth.resources("AWS::ApiGatewayV2::DomainName")


def test_with_an_api_domain_the_execute_api_endpoint_is_disabled(alternate: Any) -> None:
    _, _, template = alternate
    # Given an installation with apiDomain set
    (api,) = _of_type(template, "AWS::ApiGatewayV2::Api").values()
    (domain,) = _of_type(template, "AWS::ApiGatewayV2::DomainName").values()
    (mapping,) = _of_type(template, "AWS::ApiGatewayV2::ApiMapping").values()
    # Then the default endpoint is off and the API is reached only by its domain, over TLS 1.2
    assert api["Properties"]["DisableExecuteApiEndpoint"] is True
    assert domain["Properties"]["DomainName"] == API_DOMAIN
    assert domain["Properties"]["DomainNameConfigurations"][0]["SecurityPolicy"] == "TLS_1_2"
    assert mapping["Properties"]["Stage"]
    # And CloudFront's origin for the API is that domain, still with the origin proof header
    origin = _api_origin(template)
    assert origin["DomainName"] == API_DOMAIN
    assert c.ORIGIN_HEADER in {h["HeaderName"] for h in origin["OriginCustomHeaders"]}
    # And the domain's DNS alias is created in the configured zone
    aliases = [
        r["Properties"]["Name"]
        for r in _of_type(template, "AWS::Route53::RecordSet").values()
        if r["Properties"]["Name"].rstrip(".") == API_DOMAIN
    ]
    assert aliases


# --- configuration ---


@pytest.mark.parametrize(
    "context",
    [
        {"waf": {"agentRequestsPer5Min": 5}},  # below AWS WAF's minimum of 10
        {"waf": {"agentRequestsPer5Min": 30_000, "requestsPer5Min": 20_000}},  # the looser rule is tighter
        {"waf": {"enabled": "maybe"}},
        {"waf": {"perSecond": 5}},
        {"apiDomain": {"domainName": API_DOMAIN}},  # without its certificate
        {"apiDomain": {"domainName": API_DOMAIN, "certificateArn": "not-an-arn"}},
        {"agentConcurrency": 50},  # below the default burst (105): a storm would meet Lambda's 500s
    ],
    ids=repr,
)
def test_bad_fleet_settings_stop_the_synth(context: dict[str, Any]) -> None:
    from aws_cdk import App

    from infra.config import ConfigError, load_config

    # Given a context value that cannot be deployed
    # When it is loaded, Then the synth stops with the key named
    with pytest.raises(ConfigError):
        load_config(App(context=context).node)


# --- the other templates pass the same checks as the default one (tests/infra/test_nag.py) ---


def _lint_errors(template_file: Path, region: str) -> list[str]:
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(template_file, ManualArgs(regions=[region]))
    return [f"{m.rule.id} {m.message} at {m.path}" for m in matches if m.rule.id.startswith("E")]


def test_the_web_acl_stack_and_the_other_variants_lint_clean(synth: Any, alternate: Any, waf_off: Any) -> None:
    from cdk_nag import AwsSolutionsChecks

    # Given the us-east-1 companion of the default installation and the apiDomain installation
    _, companion = _waf_template(synth)
    app, stack, _ = alternate
    # Then cfn-lint finds no error in either
    assert not _lint_errors(synth.outdir / companion.template_file, companion.region)
    assert not _lint_errors(Path(app.outdir) / stack.template_file, stack.region)
    # And cdk-nag finds nothing unacknowledged in the apiDomain installation nor without the web ACL
    for variant in (app, waf_off[0]):
        report = AwsSolutionsChecks().validate_scope(variant)
        assert report.success, [v.rule_name for v in report.violations]
