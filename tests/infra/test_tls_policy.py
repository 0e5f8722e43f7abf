"""The viewer TLS policy on a custom domain: Windows Server 2012 R2 / 8.1 must connect.

With an RSA certificate, TLSv1.2_2021 leaves only ECDHE-RSA with AES-GCM or ChaCha20,
which the Schannel of Windows Server 2012 R2 and Windows 8.1 does not offer with RSA
(it has ECDHE-RSA only with AES-CBC-SHA256/384 at TLS 1.2): the handshake fails.
TLSv1.2_2019 keeps TLS 1.2 as the minimum and forward secrecy (ECDHE only), and adds
ECDHE-RSA-AES128-SHA256 / ECDHE-RSA-AES256-SHA384, which that Schannel negotiates.

The Edge construct is synthesized on its own (no Lambda assets to build) with a
custom domain configured, and the distribution's viewer certificate is read back.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# What CloudFront's policies offer with an RSA certificate at TLS 1.2 (AWS documentation,
# "Supported protocols and ciphers between viewers and CloudFront"), and what the
# Schannel of Windows Server 2012 R2 / 8.1 offers with ECDHE and RSA at TLS 1.2.
CLOUDFRONT_RSA_TLS12_CIPHERS = {
    "TLSv1.2_2018": {
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA256",
    },
    "TLSv1.2_2019": {
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-SHA384",
        "ECDHE-RSA-CHACHA20-POLY1305",
    },
    "TLSv1.2_2021": {
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-CHACHA20-POLY1305",
    },
}
WINDOWS_2012R2_ECDHE_RSA_TLS12 = {"ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384"}


def synth_edge(context: dict[str, Any]) -> dict[str, Any]:
    from aws_cdk import App, Environment, Stack
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Template

    from infra.config import load_config
    from infra.edge import Edge

    app = App(context=context)
    config = load_config(app.node)
    stack = Stack(app, "TlsProbe", env=Environment(account="123456789012", region="eu-central-1"))
    Edge(
        stack,
        "Edge",
        config=config,
        api=apigwv2.HttpApi.from_http_api_attributes(stack, "Api", http_api_id="abc123"),
        dashboard_bucket=s3.Bucket(stack, "Dashboard"),
        log_bucket=s3.Bucket(stack, "Logs", object_ownership=s3.ObjectOwnership.OBJECT_WRITER),
        login_origins=[],
    )
    return Template.from_stack(stack).to_json()


def viewer_certificate(template: dict[str, Any]) -> dict[str, Any]:
    (dist,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::Distribution"]
    return dist["Properties"]["DistributionConfig"]["ViewerCertificate"]


@pytest.fixture(scope="module")
def custom_domain_template() -> dict[str, Any]:
    return synth_edge(
        {
            "domainName": "edgex.example.com",
            "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555",
        }
    )


def test_the_custom_domain_policy_is_tls_1_2_that_windows_2012_r2_can_negotiate(
    custom_domain_template: dict[str, Any],
) -> None:
    # Given the distribution synthesized with a custom domain and its ACM certificate
    cert = viewer_certificate(custom_domain_template)
    # When its viewer policy is read
    policy = cert["MinimumProtocolVersion"]
    # Then it is a TLS 1.2 policy (SNI only) ...
    assert cert["SslSupportMethod"] == "sni-only"
    assert policy.startswith("TLSv1.2_")
    # ... whose RSA ciphers include one Windows Server 2012 R2's Schannel offers ...
    assert CLOUDFRONT_RSA_TLS12_CIPHERS[policy] & WINDOWS_2012R2_ECDHE_RSA_TLS12
    # ... and every one of them keeps forward secrecy (ECDHE)
    assert all(c.startswith("ECDHE-") for c in CLOUDFRONT_RSA_TLS12_CIPHERS[policy])


def test_the_previous_policy_would_have_locked_windows_2012_r2_out() -> None:
    # Given the cipher tables this test relies on / Then they tell the 2021 policy apart
    assert not CLOUDFRONT_RSA_TLS12_CIPHERS["TLSv1.2_2021"] & WINDOWS_2012R2_ECDHE_RSA_TLS12
    assert CLOUDFRONT_RSA_TLS12_CIPHERS["TLSv1.2_2019"] & WINDOWS_2012R2_ECDHE_RSA_TLS12
