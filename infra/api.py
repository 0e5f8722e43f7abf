"""API: the HTTP API, its stage (access logs, throttling) and a route per manifest entry.

Routes come only from ``lambdas/manifest.ROUTES``. Admin routes get the JWT
authorizer (checked at the edge; the handler verifies the token again, with the
role); agent and public routes have no gateway authorizer because their bearer
tokens are deployment tokens the handler checks against DynamoDB. Agent routes
get their own throttle, sized for 100,000 machines in 10 minutes (infra/fleet.py);
the per-source limit in front of it is the edge's web ACL (infra/waf.py).

Without ``apiDomain`` the default execute-api endpoint stays on: it is CloudFront's
only way to the API. With it, the API gets that custom domain and the default
endpoint is disabled.

CORS: the dashboard calls the API on its own origin (CloudFront serves both), so
no CORS is configured unless a custom domain or ``corsOrigins`` names the
dashboard's origin explicitly; it never allows ``*``. (The CloudFront URL itself
cannot be listed here without a dependency cycle: the distribution's origin is
this API.)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import jsii
from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from infra.config import EdgexConfig
from infra.nag import acknowledge
from manifest import Auth, Route

# What a request leaves in the access log: no headers, so no token ever lands there.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
}
CORS_HEADERS = ("Authorization", "Content-Type")
CORS_EXPOSED_HEADERS = ("Edgex-Next-Cursor",)  # the output download's next part


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    """JSON access logs into a log group (IAccessLogSettings is an interface, not a struct)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FORMAT))


def route_key(route: Route) -> str:
    """API Gateway's key of a route: ``METHOD /path``."""
    return f"{route.method} {route.path}"


class Api(Construct):
    """The HTTP API with its ``$default`` stage; routes are added by ``add_routes``."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        origins = [*config.cors_origins, *((f"https://{config.domain_name}",) if config.domain_name else ())]
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="Edgex API (routes from lambdas/manifest.py)",
            create_default_stage=False,
            # With its own domain the API is reached only by that name (CloudFront's origin);
            # the default execute-api endpoint, which bypasses CloudFront, is switched off.
            disable_execute_api_endpoint=config.api_domain.enabled,
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=origins,
                allow_methods=[apigwv2.CorsHttpMethod.ANY],
                allow_headers=list(CORS_HEADERS),
                expose_headers=list(CORS_EXPOSED_HEADERS),
                max_age=Duration.hours(1),
            )
            if origins
            else None,
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_throttle.rate_limit, burst_limit=config.api_throttle.burst_limit
            ),
            access_log_settings=_AccessLogSettings(self.access_logs),
        )
        self.routes: dict[str, apigwv2.HttpRoute] = {}
        if config.api_domain.enabled:
            self._add_domain(config)

    def _add_domain(self, config: EdgexConfig) -> None:
        """The API's custom domain (apiDomain): a regional name mapped to the stage, with its DNS if a zone is given."""
        name, arn = config.api_domain.domain_name, config.api_domain.certificate_arn
        assert name and arn  # load_config requires both together
        self.domain = apigwv2.DomainName(
            self,
            "Domain",
            domain_name=name,
            certificate=acm.Certificate.from_certificate_arn(self, "DomainCertificate", arn),
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        apigwv2.ApiMapping(self, "Mapping", api=self.http_api, domain_name=self.domain, stage=self.stage)
        zone_name = (config.hosted_zone_name or "").rstrip(".")
        if config.hosted_zone_id and zone_name and (name == zone_name or name.endswith(f".{zone_name}")):
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=zone_name
            )
            target = route53.RecordTarget.from_alias(
                targets.ApiGatewayv2DomainProperties(
                    self.domain.regional_domain_name, self.domain.regional_hosted_zone_id
                )
            )
            route53.ARecord(self, "DomainAlias", zone=zone, record_name=name, target=target)
        else:
            CfnOutput(
                self,
                "ApiDomainTarget",
                value=self.domain.regional_domain_name,
                description=f"CNAME target for {name} (CloudFront's origin for /v1/*)",
            )

    def add_routes(
        self,
        routes: Iterable[Route],
        functions: Mapping[str, lambda_.IFunction],
        *,
        jwt_issuer: str,
        jwt_audience: str,
    ) -> None:
        """One route per manifest entry, integrated with that entry's function."""
        jwt = authorizers.HttpJwtAuthorizer(
            "AdminJwt", jwt_issuer, jwt_audience=[jwt_audience], identity_source=["$request.header.Authorization"]
        )
        throttled: dict[str, dict[str, int]] = {}
        for route in routes:
            integration = integrations.HttpLambdaIntegration(
                f"{route.function_name}-integration", functions[route.function_name]
            )
            (http_route,) = self.http_api.add_routes(
                path=route.path,
                methods=[apigwv2.HttpMethod(route.method)],
                integration=integration,
                authorizer=jwt if route.auth is Auth.ADMIN else apigwv2.HttpNoneAuthorizer(),
            )
            self.routes[route_key(route)] = http_route
            if route.auth is not Auth.ADMIN:
                acknowledge(
                    http_route,
                    {
                        "AwsSolutions-APIG4": "No gateway authorizer by design: agent routes carry deployment tokens the "
                        "handler checks (hash, constant time) in DynamoDB; the OpenAPI document is public.",
                    },
                )
            if route.is_agent:
                # Sized for the fleet goal (infra/fleet.py, docs/DEPLOY.md "Fleet scale"):
                # agentThrottle times the calls one lifecycle makes of this route.
                throttle = self._config.agent_route_throttle(route.handler)
                throttled[route_key(route)] = {
                    "ThrottlingRateLimit": throttle.rate_limit,
                    "ThrottlingBurstLimit": throttle.burst_limit,
                }
                # Route settings name routes by key: the stage must come after them.
                self.stage.node.add_dependency(http_route)
        cfn_stage = self.stage.node.default_child
        cfn_stage.add_property_override("RouteSettings", throttled)  # type: ignore[union-attr]
