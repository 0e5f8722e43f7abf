"""The lost sweep's function (lambdas/jobs/sweep_lost.py) on an EventBridge schedule.

Not a route: no API, no manifest entry. Its role holds only what the sweep does: read
the running index and the targets and deployments it names (Query, BatchGetItem), and
mark a silent target lost with its deployment's counters (UpdateItem, in one
TransactWriteItems).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from edgex import resources
from infra import constants as c
from infra.config import EdgexConfig
from infra.functions import ARCHITECTURE, RUNTIME, Endpoints, powertools_env
from infra.nag import acknowledge, arn_ref
from infra.storage import Storage
from manifest import BATCH_GET, QUERY, UPDATE

SWEEP_EVERY = Duration.minutes(5)
# What the sweep does to each table (see edgex.sweep).
SWEEP_ACCESS = {
    "targets": (QUERY, BATCH_GET, UPDATE),
    "deployments": (BATCH_GET,),
    "counters": (UPDATE,),
}


class LostSweep(Construct):
    """One function, its own log group and least-privilege role, and a rule every 5 minutes."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EdgexConfig, storage: Storage, endpoints: Endpoints
    ) -> None:
        super().__init__(scope, construct_id)
        log_group = logs.LogGroup(self, "Logs", retention=config.log_retention, removal_policy=config.removal_policy)
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The lost sweep: reads running targets, marks silent ones lost",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=endpoints.code,
            handler=f"jobs.sweep_lost.{c.HANDLER_FUNCTION}",
            layers=list(endpoints.layers),
            memory_size=config.lambda_memory_mb,
            timeout=Duration.minutes(1),
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.DISABLED,
            description="Marks running targets whose heartbeats stopped as lost (edgex.sweep)",
            environment={
                **powertools_env(),
                **{resources.table_env(name): storage.tables[name].table_name for name in SWEEP_ACCESS},
            },
        )
        log_group.grant_write(role)
        findings: dict[str, str] = {
            "AwsSolutions-L1": f"Python {c.LAMBDA_PYTHON_VERSION}, the version that built the shared assets.",
        }
        for name, actions in SWEEP_ACCESS.items():
            table = storage.tables[name]
            arns = [table.table_arn]
            if QUERY in actions:
                arns.append(f"{table.table_arn}/index/*")
                findings[f"AwsSolutions-IAM5[Resource::{arn_ref(table)}/index/*]"] = (
                    f"Queries of the {name} table's running-targets index (scoped to this table)."
                )
            role.add_to_policy(iam.PolicyStatement(actions=sorted(actions), resources=arns))
        acknowledge(self, findings)
        events.Rule(
            self,
            "Every5Minutes",
            schedule=events.Schedule.rate(SWEEP_EVERY),
            targets=[targets.LambdaFunction(self.function)],
        )
