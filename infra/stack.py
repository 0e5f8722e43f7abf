"""The Edgex stack: composes one construct per concern and nothing else.

Order matters only where one concern needs another's value: the edge needs the
API, the dashboard bucket and the login domain; the dashboard client's callback
and the functions' ``EDGEX_PUBLIC_URL`` need the edge's URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra import constants as c
from infra.ai import Ai
from infra.api import Api
from infra.config import EdgexConfig
from infra.dashboard import DashboardHosting
from infra.edge import Edge
from infra.functions import Endpoints
from infra.identity import Identity
from infra.nag import acknowledge_cdk_internals
from infra.observability import Observability
from infra.storage import Storage
from infra.sweep import LostSweep
from manifest import Route


class EdgexStack(Stack):
    """Storage, identity, API, edge, dashboard hosting, AI and observability."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EdgexConfig, routes: Sequence[Route], **kwargs: Any
    ) -> None:
        # The edge's web ACL lives in us-east-1 (infra/waf.py): its ARN crosses regions.
        super().__init__(scope, construct_id, cross_region_references=True, **kwargs)
        storage = Storage(self, "Storage", config=config)
        dashboard = DashboardHosting(self, "Dashboard", config=config, access_logs=storage.access_logs)
        identity = Identity(self, "Identity", config=config)
        api = Api(self, "Api", config=config)
        ai = Ai(self, "Ai", config=config)
        edge = Edge(
            self,
            "Edge",
            config=config,
            api=api.http_api,
            dashboard_bucket=dashboard.bucket,
            log_bucket=storage.access_logs,
            login_origins=identity.browser_origins,
        )
        identity.add_dashboard_client(edge.public_url)
        endpoints = Endpoints(
            self,
            "Endpoints",
            routes=routes,
            config=config,
            storage=storage,
            ai=ai,
            public_url=edge.public_url,
            oidc_env=identity.function_env(),
        )
        LostSweep(self, "LostSweep", config=config, storage=storage, endpoints=endpoints)
        # The agent functions check that a request passed CloudFront (infra/edge.py).
        for route in routes:
            if route.is_agent:
                endpoints.functions[route.function_name].add_environment(c.ORIGIN_ENV, edge.origin_secret_value)
        api.add_routes(routes, endpoints.functions, jwt_issuer=identity.issuer, jwt_audience=identity.audience)
        dashboard.publish(
            edge.distribution,
            {
                "apiBase": "",
                "region": self.region,
                "oidc": identity.dashboard_settings(edge.public_url),
            },
            log_retention=config.log_retention,
        )
        observability = Observability(
            self,
            "Observability",
            config=config,
            http_api=api.http_api,
            functions=endpoints.functions,
            log_groups=endpoints.log_groups,
            agent_functions=tuple(r.function_name for r in routes if r.is_agent),
            tables=storage.tables,
        )
        CfnOutput(self, "PublicUrl", value=edge.public_url, description="Dashboard and API (agents use this URL)")
        CfnOutput(
            self,
            "DistributionDomain",
            value=edge.distribution.distribution_domain_name,
            description="CNAME target for a custom domain",
        )
        CfnOutput(self, "OidcIssuer", value=identity.issuer)
        CfnOutput(self, "DashboardClientId", value=identity.client_id)
        if identity.user_pool is not None:
            CfnOutput(
                self,
                "UserPoolId",
                value=identity.user_pool.user_pool_id,
                description="Create the first admin user in this pool (docs/DEPLOY.md)",
            )
        CfnOutput(self, "ScriptsBucket", value=storage.buckets["scripts"].bucket_name)
        acknowledge_cdk_internals(self)
        # Kept for the infra tests, which map manifest entries to resources through them.
        self.config, self.storage, self.identity, self.api, self.ai = config, storage, identity, api, ai
        self.edge, self.endpoints, self.observability = edge, endpoints, observability
