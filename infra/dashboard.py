"""Dashboard hosting: a private bucket served only through CloudFront, and its content.

The bucket is created first (the distribution needs it as origin); the files are
published once the distribution and the login settings exist, together with a
generated ``config.json`` that tells the single-page app where to log in. The
app reads it at start, so one build of the dashboard fits every deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import DefaultStackSynthesizer, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import constants as c
from infra.config import EdgexConfig
from infra.nag import acknowledge, arn_ref
from infra.storage import ABORT_UPLOADS_AFTER

BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"


class DashboardNotBuilt(RuntimeError):
    """Synth without the dashboard build would publish a site that answers AccessDenied."""


def dashboard_build_dir() -> Path:
    """The built dashboard (``dashboard_static/dist``); stops the synth when it is missing."""
    dist = c.DASHBOARD_DIST_DIR
    if not (dist / c.DASHBOARD_INDEX).is_file():
        raise DashboardNotBuilt(
            f"{dist} has no {c.DASHBOARD_INDEX}: build the dashboard first "
            "(`make synth` / `make deploy` do, or `cd dashboard_static && npm ci && npm run build`)"
        )
    return dist


class DashboardHosting(Construct):
    """Private, TLS-only bucket for the dashboard's files."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig, access_logs: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="s3/dashboard/",
            lifecycle_rules=[s3.LifecycleRule(abort_incomplete_multipart_upload_after=ABORT_UPLOADS_AFTER)],
            removal_policy=config.removal_policy,
            auto_delete_objects=config.destroy_on_removal,
        )

    def publish(
        self, distribution: cloudfront.IDistribution, settings: dict[str, Any], *, log_retention: logs.RetentionDays
    ) -> s3deploy.BucketDeployment:
        """Upload the dashboard and its ``config.json``, then invalidate the distribution."""
        sources = [
            # Source maps stay on the build machine: they would publish the unminified source.
            s3deploy.Source.asset(str(dashboard_build_dir()), exclude=list(c.DASHBOARD_EXCLUDES)),
            s3deploy.Source.json_data(c.DASHBOARD_CONFIG_FILE, settings),
        ]
        deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=256,
            log_group=logs.LogGroup(self, "DeployLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY),
        )
        stack = Stack.of(self)
        qualifier = self.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
        acknowledge(
            deployment.handler_role,
            {
                f"AwsSolutions-IAM5[Resource::{arn_ref(self.bucket)}/*]": "CDK's BucketDeployment writes and prunes the "
                "dashboard files: every object of the dashboard bucket, and only those.",
                f"AwsSolutions-IAM5[Resource::arn:{stack.partition}:s3:::cdk-{qualifier}-assets-<AWS::AccountId>-{stack.region}/*]": "CDK's BucketDeployment reads the staged dashboard asset from the CDK bootstrap assets bucket.",
            },
        )
        return deployment
