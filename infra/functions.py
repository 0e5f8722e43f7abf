"""One Lambda function per manifest route, with IAM and environment derived from it.

``Endpoints`` walks ``lambdas/manifest.ROUTES`` once. For each route it creates a
function with its own role and log group, grants exactly the IAM actions the route
declares per table and bucket (``tables``/``buckets``: GetItem, Query, PutItem,
UpdateItem ..., s3:GetObjectVersion, s3:PutObject; never a read/write bundle; the
audit table is read and appended to, never updated or deleted; ``bedrock`` -> invoke
the configured model) and sets only
the environment variables of those resources. Nothing is hand-listed per route:
a new manifest entry gets its function, least-privilege role and variables here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from edgex import resources
from infra import build_assets
from infra import constants as c
from infra.ai import Ai
from infra.config import EdgexConfig
from infra.nag import acknowledge, arn_ref
from infra.storage import Storage
from manifest import QUERY, S3_LIST, Auth, Route

# The runtime follows the Python that builds (and compiles) the assets: see infra.constants.
RUNTIME = {
    "3.11": lambda_.Runtime.PYTHON_3_11,
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
}[c.LAMBDA_PYTHON_VERSION]
ARCHITECTURE = lambda_.Architecture.ARM_64
TIMEOUT = Duration.seconds(10)
# API Gateway HTTP APIs end an integration after 30 s: a model call gets just under that.
BEDROCK_TIMEOUT = Duration.seconds(29)


def powertools_env() -> dict[str, str]:
    """Powertools logging and metrics settings shared by every function.

    Events carry bearer tokens: they are never logged.
    """
    return {
        "POWERTOOLS_SERVICE_NAME": c.SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
    }


def route_env(
    route: Route,
    *,
    tables: Mapping[str, dynamodb.ITable],
    buckets: Mapping[str, s3.IBucket],
    public_url: str,
    oidc_env: Mapping[str, str],
    model_id: str,
) -> dict[str, str]:
    """Environment of one route's function: its own resources and settings, nothing else."""
    env = {resources.table_env(name): tables[name].table_name for name in route.tables}
    env |= {resources.bucket_env(name): buckets[name].bucket_name for name in route.buckets}
    env[resources.ENV_PUBLIC_URL] = public_url
    if route.auth is Auth.ADMIN:
        env |= oidc_env
    if route.bedrock or "config" in route.tables:
        # The platform settings show (and the assistant calls) the deployed model.
        env[resources.ENV_AI_MODEL_ID] = model_id
    return env


class Endpoints(Construct):
    """The functions of the manifest, keyed by handler name, and their two layers."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: Iterable[Route],
        config: EdgexConfig,
        storage: Storage,
        ai: Ai,
        public_url: str,
        oidc_env: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config, self._storage, self._ai = config, storage, ai
        self._public_url, self._oidc_env = public_url, oidc_env
        self.layers = (
            lambda_.LayerVersion(
                self,
                "EdgexLayer",
                code=lambda_.Code.from_asset(str(build_assets.edgex_layer_asset())),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description="The edgex domain package (layers/edgex)",
                removal_policy=config.removal_policy,
            ),
            lambda_.LayerVersion(
                self,
                "DepsLayer",
                code=lambda_.Code.from_asset(str(c.DEPS_LAYER_DIR)),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description="Third-party dependencies (requirements/runtime.txt), arm64 wheels",
                removal_policy=config.removal_policy,
            ),
        )
        self._code = lambda_.Code.from_asset(str(build_assets.code_asset()))
        self.code = self._code  # shared with the scheduled jobs (infra/sweep.py)
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for route in routes:
            if route.function_name in self.functions:
                raise ValueError(f"two routes share the handler {route.function_name}")
            self.functions[route.function_name] = self._endpoint(route)

    def _endpoint(self, route: Route) -> lambda_.Function:
        scope = Construct(self, route.function_name)
        log_group = logs.LogGroup(
            scope,
            "Logs",
            retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
        )
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{route.method} {route.path}: only what lambdas/manifest.py declares for {route.handler}",
        )
        function = lambda_.Function(
            scope,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=self._code,
            handler=f"{c.HANDLER_MODULE_PREFIX}.{route.handler}.{c.HANDLER_FUNCTION}",
            layers=list(self.layers),
            memory_size=self._config.lambda_memory_mb,
            timeout=BEDROCK_TIMEOUT if route.bedrock else TIMEOUT,
            role=role,
            log_group=log_group,
            # No active tracing: no handler uses a tracer (a bare service segment says nothing
            # the API's latency metrics do not), and the Powertools tracer would add its
            # aws-xray-sdk import to every agent cold start, whose budget is tight.
            tracing=lambda_.Tracing.DISABLED,
            # Agent functions get a reserved share (agentConcurrency, times the calls a
            # lifecycle makes of the route: infra/fleet.py) that also caps them: a fleet
            # of machines cannot take the concurrency the admin API needs.
            reserved_concurrent_executions=self._config.agent_reserved_concurrency(route.handler)
            if route.is_agent
            else None,
            description=f"{route.method} {route.path}: {route.summary}",
            environment={
                **powertools_env(),
                **route_env(
                    route,
                    tables=self._storage.tables,
                    buckets=self._storage.buckets,
                    public_url=self._public_url,
                    oidc_env=self._oidc_env,
                    model_id=self._ai.model_id,
                ),
            },
        )
        log_group.grant_write(role)
        findings = {
            "AwsSolutions-L1": f"Python {c.LAMBDA_PYTHON_VERSION}, the version that built the assets: their bytecode and "
            "the deps layer's compiled wheels (cffi) are tied to it; build with a newer Python to move all together.",
        }
        findings |= self._grant_storage(route, function)
        if route.bedrock:
            self._ai.grant_invoke(function)
            findings |= self._ai.nag_findings()
        acknowledge(scope, findings)
        self.log_groups[route.function_name] = log_group
        return function

    def _grant_storage(self, route: Route, function: lambda_.Function) -> dict[str, str]:
        """Grant each declared table and bucket exactly the actions the route declares
        (lambdas/manifest.py), nothing bundled; return the nag findings it causes."""
        findings: dict[str, str] = {}
        for name, actions in route.tables.items():
            table = self._storage.tables[name]
            arns = [table.table_arn]
            if QUERY in actions and self._storage.specs[name].indexes:
                arns.append(f"{table.table_arn}/index/*")
                findings[f"AwsSolutions-IAM5[Resource::{arn_ref(table)}/index/*]"] = (
                    f"Queries of the {name} table's own GSIs (scoped to this table)."
                )
            function.add_to_role_policy(iam.PolicyStatement(actions=sorted(actions), resources=arns))
        for name, actions in route.buckets.items():
            bucket = self._storage.buckets[name]
            on_objects = sorted(actions - {S3_LIST})
            if on_objects:
                function.add_to_role_policy(
                    iam.PolicyStatement(actions=on_objects, resources=[bucket.arn_for_objects("*")])
                )
            if S3_LIST in actions:  # ListBucket applies to the bucket, not to its objects
                function.add_to_role_policy(iam.PolicyStatement(actions=[S3_LIST], resources=[bucket.bucket_arn]))
            findings[f"AwsSolutions-IAM5[Resource::{arn_ref(bucket)}/*]"] = (
                f"Objects of the {name} bucket (one object per script version); scoped to this bucket."
            )
        return findings
