"""Optional AWS WAF web ACL for the CloudFront distribution: per-source-IP rate rules.

Why: the API Gateway throttle (infra/api.py) is per route, for all callers at once,
and counts a request before any token check. One source sending junk bearer tokens
could take a route's whole rate from a real fleet. A rate-based rule counts requests
per client IP at the edge and blocks a source over its limit before it reaches the
API, so one source gets at most its share (infra/fleet.py: 6,000 agent requests per
5 minutes = 20/s against a route's 350/s).

Blocked requests are answered 429 with no error code, as the API Gateway throttle
answers: the agents back off and retry them (a site behind one NAT over the limit
slows down; it does not fail).

A web ACL for CloudFront (scope CLOUDFRONT) can only be created in us-east-1. A
stack deployed there holds it itself; in any other region a small companion stack
in us-east-1 holds it and CDK's cross-region references hand its ARN to the main
stack (docs/DEPLOY.md, "Fleet scale").
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Environment, Stack, Token
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import EdgexConfig

WAF_REGION = "us-east-1"  # where CLOUDFRONT-scope web ACLs live
AGENT_PATH_PREFIX = "/v1/agent/"
THROTTLED_STATUS = 429  # what API Gateway's throttle answers: the agents retry it
AGENT_RULE = "AgentRequestsPerSourceIp"
ALL_RULE = "RequestsPerSourceIp"


def web_acl_name(config: EdgexConfig) -> str:
    """Web ACL names are unique per account in the CLOUDFRONT scope: stack and region in it."""
    return f"{config.stack_name}-{config.region}-edge"


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def _rate_rule(name: str, priority: int, limit: int, scope_down: Any = None) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP", limit=limit, scope_down_statement=scope_down
            )
        ),
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=THROTTLED_STATUS)
            )
        ),
        visibility_config=_visibility(name),
    )


def _agent_paths() -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string=AGENT_PATH_PREFIX,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


class EdgeWebAcl(Construct):
    """The web ACL: allow by default, two per-source-IP rate rules (agent paths, everything)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=web_acl_name(config),
            description="Edgex: per-source-IP rate limits in front of the API throttle",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(web_acl_name(config)),
            rules=[
                _rate_rule(AGENT_RULE, 0, config.waf.agent_requests_per_5min, _agent_paths()),
                _rate_rule(ALL_RULE, 1, config.waf.requests_per_5min),
            ],
        )
        self.arn = self.web_acl.attr_arn


class WafStack(Stack):
    """The companion stack in us-east-1 holding the web ACL of a stack deployed elsewhere."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, cross_region_references=True, **kwargs)
        self.waf_config = config  # the installation it serves
        self.acl = EdgeWebAcl(self, "Edge", config=config)


def waf_stack_name(config: EdgexConfig) -> str:
    """Unique per account in us-east-1, where the companion stacks of every region meet."""
    return f"{config.stack_name}-{config.region}-Waf"


def web_acl_arn(scope: Construct, config: EdgexConfig) -> str | None:
    """The ARN of the distribution's web ACL, creating it (here or in us-east-1); None when switched off."""
    if not config.waf.enabled:
        return None
    stack = Stack.of(scope)
    if config.region == WAF_REGION:
        return EdgeWebAcl(scope, "WebAcl", config=config).arn
    app = stack.node.scope
    if app is None:
        raise ValueError("the Edgex stack must belong to an app to get a companion stack")
    account = None if Token.is_unresolved(stack.account) else stack.account
    companion = WafStack(
        app, waf_stack_name(config), config=config, env=Environment(account=account, region=WAF_REGION)
    )
    return companion.acl.arn
