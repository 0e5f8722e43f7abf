"""Edge: one CloudFront distribution for the dashboard (``/``) and the API (``/v1/*``).

Serving both from one origin keeps the dashboard same-origin with its API (no
CORS) and lets the API see where a machine is: CloudFront adds the viewer
location headers to each origin request (ARCHITECTURE.md section 6).

API behavior. CloudFront refuses ``Authorization`` in an origin request policy,
and the managed CachingDisabled policy forwards no header at all, so the API gets:
- an origin request policy with an explicit allow-list: the six viewer location
  headers plus the few viewer headers the API reads; never ``Host`` (API Gateway
  routes on its own host name);
- a cache policy whose only header is ``Authorization`` with a default TTL of 0:
  it exists to forward the bearer token. Every API response is ``no-store``
  (docs/CONTRACTS.md), so nothing is cached; the 1-second max TTL is the smallest
  CloudFront accepts with a header in the key, and the key includes the token, so
  even a misbehaving response could never be served to another caller.

Dashboard behavior: the S3 bucket through origin access control only, with the
security headers of the seed and a strict CSP (no inline script).

Every API origin request also carries ``X-Edgex-Origin``, a per-installation secret
(Secrets Manager, resolved by CloudFormation at deploy) the agent functions get as
``EDGEX_ORIGIN_SECRET``: the API stays publicly reachable without CloudFront, so
this is how a function tells a request that passed CloudFront (whose location
headers it may trust). The optional web ACL (infra/waf.py) is attached here.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import constants as c
from infra.config import EdgexConfig
from infra.nag import acknowledge
from infra.waf import web_acl_arn
from manifest import ROUTES


def policy_name(config: EdgexConfig, purpose: str) -> str:
    """``<stack>-<region>-<purpose>``: CloudFront policy names are global to the account,
    so the same stack name deployed in two regions needs the region in them."""
    return f"{config.stack_name}-{config.region}-{purpose}"


def route_headers() -> list[str]:
    """The request headers routes declare (the agent's run id and request key): without
    them in the origin request policy CloudFront drops them, and a retried report or
    download is no longer recognised as the same one."""
    return sorted({header.title() for route in ROUTES for header in route.headers})


def dashboard_csp(connect_origins: Sequence[str], image_hosts: Sequence[str]) -> str:
    """The dashboard's Content-Security-Policy: its own files, the login domain, map tiles."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Leaflet and CodeMirror set inline styles; scripts stay strictly 'self'
        # (the dashboard's local server sends the same style-src).
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *image_hosts],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect_origins],
        "form-action": ["'self'", *connect_origins],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _security_headers(csp: str | None, *, override: bool) -> cloudfront.ResponseSecurityHeadersBehavior:
    return cloudfront.ResponseSecurityHeadersBehavior(
        strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=Duration.seconds(c.HSTS_MAX_AGE_SECONDS), include_subdomains=True, override=override
        ),
        content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=override),
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption.DENY, override=override
        ),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=override
        ),
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=csp, override=override
        )
        if csp
        else None,
    )


def _permissions_policy(*, override: bool) -> cloudfront.ResponseCustomHeadersBehavior:
    return cloudfront.ResponseCustomHeadersBehavior(
        custom_headers=[
            cloudfront.ResponseCustomHeader(header="Permissions-Policy", value=c.PERMISSIONS_POLICY, override=override)
        ]
    )


class Edge(Construct):
    """The distribution, its policies and (optionally) the custom domain's DNS record."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EdgexConfig,
        api: apigwv2.IHttpApi,
        dashboard_bucket: s3.IBucket,
        log_bucket: s3.IBucket,
        login_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.dashboard_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "DashboardHeaders",
            response_headers_policy_name=policy_name(config, "DashboardHeaders"),
            comment="Edgex dashboard: seed security headers + strict CSP",
            security_headers_behavior=_security_headers(
                dashboard_csp(login_origins, config.map_tile_hosts), override=True
            ),
            custom_headers_behavior=_permissions_policy(override=True),
        )
        # The API sets its own headers (lambdas/http_api); these only fill gaps.
        self.api_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "ApiHeaders",
            response_headers_policy_name=policy_name(config, "ApiHeaders"),
            comment="Edgex API: seed security headers where the API set none",
            security_headers_behavior=_security_headers(None, override=False),
            custom_headers_behavior=_permissions_policy(override=False),
        )
        self.api_origin_request = cloudfront.OriginRequestPolicy(
            self,
            "ApiOriginRequest",
            origin_request_policy_name=policy_name(config, "ApiOriginRequest"),
            comment="Edgex API: viewer location headers + what the API reads; never Host",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(
                *c.GEO_HEADERS, *c.API_VIEWER_HEADERS, *route_headers()
            ),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.all(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        self.api_cache = cloudfront.CachePolicy(
            self,
            "ApiNoCache",
            cache_policy_name=policy_name(config, "ApiNoCache"),
            comment="Edgex API: forwards Authorization; default TTL 0 and no-store responses: nothing is cached",
            header_behavior=cloudfront.CacheHeaderBehavior.allow_list(*c.API_CACHE_KEY_HEADERS),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.all(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            min_ttl=Duration.seconds(0),
            default_ttl=Duration.seconds(0),
            max_ttl=Duration.seconds(1),
            # Forwards the viewer's Accept-Encoding: the API gzips what is worth it
            # (http_api.responses.negotiated) and CloudFront passes that through.
            enable_accept_encoding_gzip=True,
        )
        # With an API custom domain the execute-api endpoint is disabled (infra/api.py) and
        # CloudFront reaches the API by that name; otherwise by the default endpoint.
        api_domain = config.api_domain.domain_name or f"{api.api_id}.execute-api.{stack.region}.{stack.url_suffix}"
        # The API stays reachable without CloudFront (the default endpoint, or the custom
        # domain's public name), so CloudFront proves itself with a per-installation secret
        # header the agent functions compare (EDGEX_ORIGIN_SECRET; docs/SECURITY.md).
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginSecret",
            description="Edgex: header CloudFront adds to API requests (X-Edgex-Origin), compared by the agent functions",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=c.ORIGIN_VALUE_LENGTH, exclude_punctuation=True, include_space=False
            ),
            # Nothing to keep: a redeploy generates a new one and hands it to CloudFront and the functions.
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.origin_secret,
            {
                "AwsSolutions-SMG4": "CloudFormation resolves the value into the CloudFront origin header and the "
                "agent functions' environment at deploy time; a rotation Lambda could not update them. Rotate by "
                "putting a new value and redeploying (docs/DEPLOY.md, Fleet scale).",
            },
        )
        # A CloudFormation dynamic reference: the value is resolved at deploy, never in the template.
        self.origin_secret_value = self.origin_secret.secret_value.unsafe_unwrap()
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            if config.certificate_arn
            else None
        )
        # Per-source-IP rate rules before the API throttle (infra/waf.py); None when switched off.
        self.web_acl_arn = web_acl_arn(self, config)
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Edgex: dashboard and API",
            default_root_object=c.DASHBOARD_INDEX,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(dashboard_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.dashboard_headers,
                compress=True,
            ),
            additional_behaviors={
                c.API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin(
                        api_domain,
                        protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                        origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                        custom_headers={c.ORIGIN_HEADER: self.origin_secret_value},
                    ),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=self.api_cache,
                    origin_request_policy=self.api_origin_request,
                    response_headers_policy=self.api_headers,
                    compress=True,
                ),
            },
            domain_names=[config.domain_name] if config.domain_name else None,
            certificate=certificate,
            # TLSv1.2_2019, not _2021: with an RSA certificate _2021 offers only ECDHE-RSA-GCM/ChaCha,
            # which Windows Server 2012 R2 / 8.1 (Schannel) cannot negotiate; _2019 adds
            # ECDHE-RSA-AES-CBC-SHA256/384 (still TLS 1.2 only, still forward secret).
            # Only a custom certificate can set the viewer policy (CFR4 is acknowledged without one).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2019 if certificate else None,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,  # agents are anywhere
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/",
            web_acl_id=self.web_acl_arn,
        )
        findings = {
            "AwsSolutions-CFR1": "No geo restriction: agent machines run in any country; access is by token.",
        }
        if self.web_acl_arn is None:
            findings["AwsSolutions-CFR2"] = (
                "The web ACL is switched off in this installation (context waf.enabled=false); agent routes "
                "stay throttled at the API stage and every API call needs a token or a JWT."
            )
        if certificate is None:
            findings["AwsSolutions-CFR4"] = (
                "Without a custom domain CloudFront serves its default *.cloudfront.net "
                "certificate, whose minimum TLS version cannot be raised; set domainName."
            )
        acknowledge(self.distribution, findings)
        self.public_url = (
            f"https://{config.domain_name}"
            if config.domain_name
            else f"https://{self.distribution.distribution_domain_name}"
        )
        if config.hosted_zone_id and config.domain_name:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name or ""
            )
            target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
            route53.ARecord(self, "Alias", zone=zone, record_name=config.domain_name, target=target)
            route53.AaaaRecord(self, "AliasV6", zone=zone, record_name=config.domain_name, target=target)
