"""API: the HTTP API, its stage (access logs, throttling) and a route per manifest entry.

Routes come only from ``lambdas/manifest.ROUTES``. Admin routes get the JWT
authorizer (checked at the edge; the handler verifies the token again, with the
role); agent and public routes have no gateway authorizer because their bearer
tokens are deployment tokens the handler checks against DynamoDB. Agent routes
get their own throttle, tighter than the rest, as they are reachable by anyone
holding a one-liner.

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
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
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
            cors_preflight=apigwv2.CorsPreflightOptions(
                allow_origins=origins,
                allow_methods=[apigwv2.CorsHttpMethod.ANY],
                allow_headers=list(CORS_HEADERS),
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
                throttled[route_key(route)] = {
                    "ThrottlingRateLimit": self._config.agent_throttle.rate_limit,
                    "ThrottlingBurstLimit": self._config.agent_throttle.burst_limit,
                }
                # Route settings name routes by key: the stage must come after them.
                self.stage.node.add_dependency(http_route)
        cfn_stage = self.stage.node.default_child
        cfn_stage.add_property_override("RouteSettings", throttled)  # type: ignore[union-attr]
