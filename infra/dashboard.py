"""Dashboard hosting: a private bucket served only through CloudFront, and its content.

The bucket is created first (the distribution needs it as origin); the files are
published once the distribution and the login settings exist, together with a
generated ``config.json`` that tells the single-page app where to log in. The
app reads it at start, so one build of the dashboard fits every deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import DefaultStackSynthesizer, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import constants as c
from infra.config import EdgexConfig
from infra.nag import acknowledge, arn_ref

BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"


def dashboard_source_dir() -> Path:
    """The built dashboard (``dist``) if there is one, else the static folder itself."""
    return c.DASHBOARD_DIST_DIR if c.DASHBOARD_DIST_DIR.is_dir() else c.DASHBOARD_DIR


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() and "node_modules" not in p.parts for p in folder.rglob("*"))


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
            removal_policy=config.removal_policy,
            auto_delete_objects=config.destroy_on_removal,
        )

    def publish(self, distribution: cloudfront.IDistribution, settings: dict[str, Any]) -> s3deploy.BucketDeployment:
        """Upload the dashboard and its ``config.json``, then invalidate the distribution."""
        source_dir = dashboard_source_dir()
        sources = [s3deploy.Source.json_data(c.DASHBOARD_CONFIG_FILE, settings)]
        if _has_files(source_dir):
            sources.insert(0, s3deploy.Source.asset(str(source_dir), exclude=list(c.DASHBOARD_EXCLUDES)))
        deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=distribution,
            distribution_paths=["/*"],
            prune=True,
            memory_limit=256,
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
