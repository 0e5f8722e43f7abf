"""cdk-nag 3 acknowledgements: one helper, and the findings CDK's own constructs raise.

cdk-nag 3 is a policy-validation plugin; a finding is acknowledged with CDK's
``Validations.of(construct).acknowledge`` and each finding id is acknowledged on
its own (``AwsSolutions-IAM5[Resource::...]``), always with a reason. Keeping the
reasons next to the code that causes them (here for CDK internals, in the
construct modules for ours) makes every exception reviewable.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, findings: Mapping[str, str]) -> None:
    """Acknowledge each ``{finding id: reason}`` on ``scope`` and its children (a reason is mandatory).

    Ids are given bare (``AwsSolutions-S1``): CDK files them as ``Annotation::...``,
    which cdk-nag 3.0.2's own check (``NagPack.isAcknowledged``) strips and matches,
    so the finding is dropped both when the plugin runs at synth and when a test
    calls ``validate_scope``. The ``AwsSolutions::`` form cdk-nag prints is honoured
    only by CDK's validation framework, not by ``validate_scope``.
    """
    for finding, reason in findings.items():
        if not reason.strip():
            raise ValueError(f"acknowledging {finding} needs a reason")
    Validations.of(scope).acknowledge(*(Acknowledgment(id=f, reason=r) for f, r in findings.items()))


def arn_ref(scope: IConstruct) -> str:
    """How cdk-nag names the ARN of ``scope``'s CloudFormation resource: ``<LogicalId.Arn>``."""
    resource = scope.node.default_child
    return f"<{Stack.of(scope).get_logical_id(resource)}.Arn>"  # type: ignore[arg-type]


_CDK_MANAGED_ROLE_POLICY = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

# Singleton Lambda functions CDK adds for its own custom resources; their code,
# runtime and role are CDK's, not ours.
_CDK_INTERNALS: dict[str, dict[str, str]] = {
    "Custom::CDKBucketDeployment": {
        f"AwsSolutions-IAM4[{_CDK_MANAGED_ROLE_POLICY}]": "CDK's BucketDeployment handler role: only writes its own logs through the AWS managed basic execution policy.",
        "AwsSolutions-IAM5[Action::s3:GetBucket*]": "BucketDeployment reads its staged asset from the CDK bootstrap bucket (CDK-generated grant).",
        "AwsSolutions-IAM5[Action::s3:GetObject*]": "BucketDeployment reads its staged asset from the CDK bootstrap bucket (CDK-generated grant).",
        "AwsSolutions-IAM5[Action::s3:List*]": "BucketDeployment lists the asset and the dashboard bucket to sync (CDK-generated grant).",
        "AwsSolutions-IAM5[Action::s3:DeleteObject*]": "BucketDeployment prunes stale dashboard files (CDK-generated grant, dashboard bucket only).",
        "AwsSolutions-IAM5[Action::s3:Abort*]": "BucketDeployment uploads the dashboard with multipart uploads (CDK-generated grant, dashboard bucket only).",
        "AwsSolutions-IAM5[Resource::*]": "CloudFront CreateInvalidation/GetInvalidation have no resource-level scoping in CDK's BucketDeployment grant.",
        "AwsSolutions-L1": "Runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, updated with it.",
    },
    "Custom::S3AutoDeleteObjectsCustomResourceProvider": {
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]": "CDK's auto-delete provider (removalPolicy=destroy only) writes only its own logs.",
        "AwsSolutions-L1": "Runtime of CDK's auto-delete provider is chosen by aws-cdk-lib.",
    },
}


def acknowledge_cdk_internals(stack: Stack) -> None:
    """Acknowledge the findings on CDK-generated singletons found directly under ``stack``."""
    for child in stack.node.children:
        for prefix, findings in _CDK_INTERNALS.items():
            if child.node.id.startswith(prefix):
                acknowledge(child, findings)
