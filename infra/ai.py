"""AI: the one Bedrock model the assistant may call, and the grant to call it.

The Converse API is authorized by ``bedrock:InvokeModel`` on the model's ARN, so
the grant names exactly the configured model: a function cannot switch to another
(more expensive, or unapproved) model by changing a setting at run time. A
cross-region inference profile id (``us.``/``eu.``/``apac.``/``global.`` prefix)
needs the profile ARN and the foundation model in the regions it routes to.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import EdgexConfig

_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.")
INVOKE_ACTIONS = ("bedrock:InvokeModel",)  # covers Converse (ConverseStream would need ...WithResponseStream)


class Ai(Construct):
    """Holds the configured model id and grants invoking it."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EdgexConfig) -> None:
        super().__init__(scope, construct_id)
        self.model_id = config.bedrock_model_id
        partition, region = Aws.PARTITION, Stack.of(self).region
        profile = self.model_id.startswith(_PROFILE_PREFIXES)
        if profile:
            base_model = self.model_id.split(".", 1)[1]
            self.resource_arns: tuple[str, ...] = (
                f"arn:{partition}:bedrock:{region}:{Aws.ACCOUNT_ID}:inference-profile/{self.model_id}",
                f"arn:{partition}:bedrock:*::foundation-model/{base_model}",
            )
        else:
            self.resource_arns = (f"arn:{partition}:bedrock:{region}::foundation-model/{self.model_id}",)
        self.uses_inference_profile = profile

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call Converse / InvokeModel on the configured model only."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(INVOKE_ACTIONS), resource_arns=list(self.resource_arns)
        )

    def nag_findings(self) -> dict[str, str]:
        """Acknowledgements a grantee's policy needs (only for inference profiles)."""
        if not self.uses_inference_profile:
            return {}
        base_model = self.model_id.split(".", 1)[1]
        return {
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/{base_model}]": "A cross-region inference profile routes to the same model in several regions; the model id is fixed.",
        }
