"""The synthesized template against the manifest, the models and the security brief.

Expectations are derived from ``lambdas/manifest.py`` and ``edgex.store.tables``, never
listed by hand, so a new route or table is checked the day it is added.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from edgex import resources
from infra import constants as c
from manifest import ROUTES, Auth, Route

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

# CDK's singleton that reads the web ACL's ARN across regions (infra/waf.py).
CDK_CROSS_REGION_PROVIDER = "CustomCrossRegionExportReaderCustomResourceProvider"


def _function_by_handler(synth: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """handler name -> (logical id, properties) of the manifest's functions."""
    found = {}
    for logical_id, res in synth.resources("AWS::Lambda::Function").items():
        handler = res["Properties"].get("Handler", "")
        if handler.startswith(f"{c.HANDLER_MODULE_PREFIX}."):
            found[handler.split(".")[1]] = (logical_id, res["Properties"])
    return found


def _integration_function(synth: Any, route_res: dict[str, Any]) -> str:
    """Logical id of the function behind an API Gateway route."""
    integration_id = route_res["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
    uri = synth.template_json["Resources"][integration_id]["Properties"]["IntegrationUri"]
    return uri["Fn::GetAtt"][0]


def test_every_route_exists_with_its_authorizer_and_function(synth: Any) -> None:
    # Given the synthesized routes, keyed "METHOD /path"
    routes = {r["Properties"]["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route").values()}
    functions = _function_by_handler(synth)
    # Then each manifest entry has exactly one route, behind the right authorizer and function
    assert set(routes) == {f"{r.method} {r.path}" for r in ROUTES}
    for route in ROUTES:
        res = routes[f"{route.method} {route.path}"]
        expected_auth = "JWT" if route.auth is Auth.ADMIN else "NONE"
        assert res["Properties"].get("AuthorizationType", "NONE") == expected_auth, route.handler
        assert _integration_function(synth, res) == functions[route.handler][0], route.handler


def test_one_function_per_route_on_arm64_python(synth: Any) -> None:
    functions = _function_by_handler(synth)
    assert sorted(functions) == sorted(r.handler for r in ROUTES)
    for handler, (_, props) in functions.items():
        assert props["Handler"] == f"handlers.{handler}.handler"
        assert props["Runtime"] == f"python{c.LAMBDA_PYTHON_VERSION}"
        assert props["Architectures"] == ["arm64"]
        assert props.get("TracingConfig", {}).get("Mode") != "Active", "no code uses a tracer (infra/functions.py)"
        assert len(props["Layers"]) == 2
    roles = {json.dumps(props["Role"]) for _, props in functions.values()}
    assert len(roles) == len(functions), "every function has its own role"


def test_jwt_authorizer_uses_the_configured_issuer_and_client(synth: Any) -> None:
    synth.template.has_resource_properties(
        "AWS::ApiGatewayV2::Authorizer",
        {
            "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"],
            "JwtConfiguration": {"Audience": [{"Ref": Match.any_value()}], "Issuer": Match.any_value()},
        },
    )


def test_agent_routes_are_throttled_and_access_is_logged(synth: Any) -> None:
    (stage,) = synth.resources("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    agent_keys = {f"{r.method} {r.path}" for r in ROUTES if r.is_agent}
    assert set(props["RouteSettings"]) == agent_keys
    for settings in props["RouteSettings"].values():
        assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert props["AccessLogSettings"]["DestinationArn"]
    log_format = json.loads(props["AccessLogSettings"]["Format"])
    assert "$context.requestId" in log_format.values()
    assert not any("header" in v.lower() for v in log_format.values()), "access logs never carry headers (tokens)"


def test_cors_never_allows_any_origin(synth: Any) -> None:
    (api,) = synth.resources("AWS::ApiGatewayV2::Api").values()
    origins = api["Properties"].get("CorsConfiguration", {}).get("AllowOrigins", [])
    assert "*" not in origins


def test_tables_follow_the_models_with_pitr_ttl_and_on_demand(synth: Any) -> None:
    from infra.storage import table_specs

    for spec in table_specs():
        props = synth.template_json["Resources"][synth.logical_id(synth.stack.storage.tables[spec.name])]["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["DeletionProtectionEnabled"] is True
        assert props["KeySchema"][0] == {"AttributeName": spec.keys.partition[0], "KeyType": "HASH"}
        assert {g["IndexName"] for g in props.get("GlobalSecondaryIndexes", [])} == {i.name for i in spec.indexes}
    logs_table = synth.logical_id(synth.stack.storage.tables["logs"])
    logs_props = synth.template_json["Resources"][logs_table]["Properties"]
    assert logs_props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert "by_deployment" in {g["IndexName"] for g in logs_props["GlobalSecondaryIndexes"]}


def test_every_bucket_is_private_encrypted_and_denies_plain_http(synth: Any) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    policies = {json.dumps(p["Properties"]["Bucket"]): p for p in synth.resources("AWS::S3::BucketPolicy").values()}
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        statements = policies[json.dumps({"Ref": logical_id})]["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ), f"{logical_id} accepts plain HTTP"
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any(r.get("AbortIncompleteMultipartUpload") for r in rules), f"{logical_id} keeps unfinished uploads"
    scripts = buckets[synth.logical_id(synth.stack.storage.buckets["scripts"])]["Properties"]
    assert scripts["VersioningConfiguration"] == {"Status": "Enabled"}
    scripts_rules = scripts["LifecycleConfiguration"]["Rules"]
    assert not any("NoncurrentVersionExpiration" in r or "ExpirationInDays" in r for r in scripts_rules), (
        "deployments pin script versions: none may expire"
    )


def _distribution(synth: Any) -> dict[str, Any]:
    (dist,) = synth.resources("AWS::CloudFront::Distribution").values()
    return dist["Properties"]["DistributionConfig"]


def _policy(synth: Any, ref: dict[str, Any], key: str) -> dict[str, Any]:
    return synth.template_json["Resources"][ref["Ref"]]["Properties"][key]


def test_cloudfront_forwards_geo_headers_and_authorization_but_not_host(synth: Any) -> None:
    # Given the /v1/* behavior
    (behavior,) = [b for b in _distribution(synth)["CacheBehaviors"] if b["PathPattern"] == c.API_PATH_PATTERN]
    headers = _policy(synth, behavior["OriginRequestPolicyId"], "OriginRequestPolicyConfig")["HeadersConfig"]
    cache = _policy(synth, behavior["CachePolicyId"], "CachePolicyConfig")
    # Then the viewer location headers reach the API, Host does not, Authorization does
    assert headers["HeaderBehavior"] == "whitelist"
    assert set(c.GEO_HEADERS) <= set(headers["Headers"])
    assert "host" not in {h.lower() for h in headers["Headers"]}
    assert set(c.GEO_HEADERS) == {
        "CloudFront-Viewer-Country",
        "CloudFront-Viewer-City",
        "CloudFront-Viewer-Latitude",
        "CloudFront-Viewer-Longitude",
        "CloudFront-Viewer-Country-Region",
        "CloudFront-Viewer-Time-Zone",
    }
    # and so does every header a route declares (a retried agent request is recognised by them)
    declared = {h.lower() for route in ROUTES for h in route.headers}
    assert declared and declared <= {h.lower() for h in headers["Headers"]}
    key = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["Authorization"]}
    # and the viewer's Accept-Encoding (the API gzips large answers; CloudFront passes them through)
    assert key["EnableAcceptEncodingGzip"] is True
    assert cache["DefaultTTL"] == 0 and cache["MinTTL"] == 0 and cache["MaxTTL"] <= 1
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert len(headers["Headers"]) <= 10  # CloudFront quota per origin request policy


def test_dashboard_is_served_through_oac_with_security_headers_and_strict_csp(synth: Any) -> None:
    dist = _distribution(synth)
    (s3_origin,) = [o for o in dist["Origins"] if "S3OriginConfig" in o]
    assert s3_origin["OriginAccessControlId"]
    default = dist["DefaultCacheBehavior"]
    config = _policy(synth, default["ResponseHeadersPolicyId"], "ResponseHeadersPolicyConfig")
    security = config["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 63_072_000
    assert security["StrictTransportSecurity"]["IncludeSubdomains"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    assert "ContentTypeOptions" in security
    custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
    assert custom["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    csp = _text(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";")}
    assert directives["script-src"] == "script-src 'self'"  # no inline or eval'd script
    assert directives["default-src"] == "default-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-eval" not in csp
    assert "basemaps.cartocdn.com" in directives["img-src"]  # map tiles (mapTileHosts default)
    assert "amazoncognito.com" in directives["connect-src"]  # the hosted UI's token endpoint


def _text(value: Any) -> str:
    """A template string with its deploy-time parts (Ref, GetAtt) shown as <token>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_text(p) for p in parts)
    return "<token>"


def test_dashboard_config_json_is_generated(synth: Any) -> None:
    (deployment,) = synth.resources("Custom::CDKBucketDeployment").values()
    assert deployment["Properties"]["DistributionPaths"] == ["/*"]
    markers = json.dumps(deployment["Properties"])
    assert "SourceMarkers" in markers  # json_data with deploy-time values (client id, domain)
    # And the staged config.json has what dashboard_static/src/core/config.js reads
    (config_file,) = synth.outdir.glob(f"asset.*/{c.DASHBOARD_CONFIG_FILE}")
    # Deploy-time values are markers the BucketDeployment replaces with JSON strings.
    config = json.loads(re.sub(r"<<marker:0x[0-9a-f]+:\d+>>", '"<deploy-time>"', config_file.read_text()))
    assert config["apiBase"] == ""
    assert config["region"] == synth.stack.region
    for key in ("authorizeUrl", "tokenUrl", "logoutUrl", "clientId", "redirectUri"):
        assert config["oidc"][key], key  # deploy-time markers, filled in by the BucketDeployment
    assert config["oidc"]["scopes"] == "openid email profile"


def _policy_statements(synth: Any, role_logical_id: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def _granted(synth: Any, route: Route) -> dict[str, set[str]]:
    """resource logical id (or 'bedrock' / '*') -> actions the route's role may use on it."""
    _logical_id, props = _function_by_handler(synth)[route.handler]
    role_id = props["Role"]["Fn::GetAtt"][0]
    granted: dict[str, set[str]] = {}
    for statement in _policy_statements(synth, role_id):
        assert statement["Effect"] == "Allow"
        resources_ = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources_:
            text = json.dumps(resource)
            if "bedrock" in text:
                key = "bedrock"
            elif resource == "*":
                key = "*"
            else:
                key = next((k for k in synth.template_json["Resources"] if f'"{k}"' in text), text)
            granted.setdefault(key, set()).update(_actions(statement))
    return granted


WRITE_TABLE = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_each_function_gets_exactly_what_its_route_declares(synth: Any, route: Route) -> None:
    # Given what the role of this route's function may do
    granted = _granted(synth, route)
    storage = synth.stack.storage
    own_log_group = synth.logical_id(synth.stack.endpoints.log_groups[route.handler])
    # Then each table and bucket: exactly the declared actions (no bundle, no wildcard); undeclared: nothing
    for name, table in storage.tables.items():
        actions = granted.pop(synth.logical_id(table), set())
        assert actions == set(route.tables.get(name, ())), f"{route.handler} on table {name}: {sorted(actions)}"
    for name, bucket in storage.buckets.items():
        actions = granted.pop(synth.logical_id(bucket), set())
        assert actions == set(route.buckets.get(name, ())), f"{route.handler} on bucket {name}: {sorted(actions)}"
    # Bedrock only where declared, on the configured model only
    bedrock = granted.pop("bedrock", set())
    assert bedrock == ({"bedrock:InvokeModel"} if route.bedrock else set())
    # And beyond that: its own log group and X-Ray, nothing else
    assert granted.pop(own_log_group, set()) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert granted.pop("*", set()) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    assert not granted, f"{route.handler} has unexpected grants: {granted}"


def test_an_agent_function_cannot_write_the_config_table(synth: Any) -> None:
    config_table = synth.logical_id(synth.stack.storage.tables["config"])
    for route in (r for r in ROUTES if r.is_agent):
        assert not (_granted(synth, route).get(config_table, set()) & WRITE_TABLE), route.handler


def test_bedrock_grant_names_the_configured_model_only(synth: Any) -> None:
    for route in (r for r in ROUTES if r.bedrock):
        _, props = _function_by_handler(synth)[route.handler]
        (statement,) = [
            s for s in _policy_statements(synth, props["Role"]["Fn::GetAtt"][0]) if "bedrock:InvokeModel" in _actions(s)
        ]
        text = json.dumps(statement["Resource"])
        assert synth.stack.ai.model_id in text and "*" not in text.replace(":*:", "")


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_each_function_gets_only_its_own_environment(synth: Any, route: Route) -> None:
    _, props = _function_by_handler(synth)[route.handler]
    env = props["Environment"]["Variables"]
    edgex_env = {k for k in env if k.startswith("EDGEX_")}
    expected = {resources.table_env(t) for t in route.tables} | {resources.bucket_env(b) for b in route.buckets}
    expected.add(resources.ENV_PUBLIC_URL)
    if route.auth is Auth.ADMIN:
        expected |= {resources.ENV_OIDC_ISSUER, resources.ENV_OIDC_AUDIENCE}
    if route.bedrock or "config" in route.tables:
        expected.add(resources.ENV_AI_MODEL_ID)
    if route.is_agent:
        expected.add(c.ORIGIN_ENV)  # the proof a request passed CloudFront (infra/edge.py)
    assert edgex_env == expected
    assert env["POWERTOOLS_SERVICE_NAME"] == c.SERVICE_NAME
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == c.METRICS_NAMESPACE
    assert env["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"  # events carry bearer tokens


def test_integrity_violations_become_a_metric_with_an_alarm(synth: Any) -> None:
    download_logs = synth.logical_id(synth.stack.endpoints.log_groups[c.INTEGRITY_HANDLER])
    synth.template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "LogGroupName": {"Ref": download_logs},
            "FilterPattern": '{ $.kill_reason = "INTEGRITY_VIOLATION" }',
            "MetricTransformations": [
                Match.object_like({"MetricNamespace": "Edgex", "MetricName": "IntegrityViolation"})
            ],
        },
    )
    synth.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "IntegrityViolation",
            "Namespace": "Edgex",
            "Threshold": 1,
        },
    )


def test_payloads_refused_by_machines_become_a_metric_with_an_alarm(synth: Any) -> None:
    # Given the feedback function's log group, where a machine's integrity report is logged
    feedback_logs = synth.logical_id(synth.stack.endpoints.log_groups[c.PAYLOAD_MISMATCH_HANDLER])
    # Then a metric filter counts those lines and an alarm fires on the first one
    synth.template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "LogGroupName": {"Ref": feedback_logs},
            "FilterPattern": '{ $.integrity = "payload_mismatch" }',
            "MetricTransformations": [Match.object_like({"MetricNamespace": "Edgex", "MetricName": "PayloadMismatch"})],
        },
    )
    synth.template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "PayloadMismatch", "Namespace": "Edgex", "Threshold": 1}
    )


def _alarm_metric_names(alarm: dict[str, Any]) -> set[str]:
    props = alarm["Properties"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in props.get("Metrics", []) if "MetricStat" in m}
    return names | ({props["MetricName"]} if "MetricName" in props else set())


def test_alarms_cover_api_rates_lambda_errors_throttles_and_dynamodb(synth: Any) -> None:
    # Given every alarm of the stack and the metrics it watches
    alarms = list(synth.resources("AWS::CloudWatch::Alarm").values())
    watched = [_alarm_metric_names(a) for a in alarms]
    # Then API 5xx and 4xx (429 included) rates are watched
    assert any({"5xx", "Count"} <= names for names in watched)
    assert any({"4xx", "Count"} <= names for names in watched)
    # And every function's errors, split over alarms of at most 10 metrics (CloudWatch's limit)
    function_errors = [
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        for m in a["Properties"].get("Metrics", [])
        if m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "Errors"
    ]
    assert sorted(function_errors) == sorted(logical_id for logical_id, _ in _function_by_handler(synth).values())
    assert all(len([m for m in a["Properties"].get("Metrics", []) if "MetricStat" in m]) <= 10 for a in alarms)
    # And agent throttles, one alarm per agent function, and DynamoDB throttle events of every table
    throttled = [a for a in alarms if a["Properties"].get("MetricName") == "Throttles"]
    assert len(throttled) == sum(1 for r in ROUTES if r.is_agent)
    table_throttles = [
        json.dumps(m["MetricStat"]["Metric"]["Dimensions"])
        for a in alarms
        for m in a["Properties"].get("Metrics", [])
        if m.get("MetricStat", {}).get("Metric", {}).get("MetricName") in ("ReadThrottleEvents", "WriteThrottleEvents")
    ]
    assert len(table_throttles) == 2 * len(synth.resources("AWS::DynamoDB::Table"))
    # And each alarm notifies the topic
    assert all(a["Properties"]["AlarmActions"] for a in alarms)


def test_alarm_topic_lets_cloudwatch_of_this_account_publish_over_tls_only(synth: Any) -> None:
    (policy,) = synth.resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == [
        {
            "Sid": "CloudWatchAlarmsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": {"Ref": synth.logical_id(synth.stack.observability.topic)},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_dashboard_shows_the_agent_funnel_from_the_request_log_lines(synth: Any) -> None:
    # Given the metric filters on the agent functions' log groups
    agent_routes = [r.handler for r in ROUTES if r.is_agent]
    filters = synth.resources("AWS::Logs::MetricFilter").values()
    funnel = {
        (f["Properties"]["LogGroupName"]["Ref"], f["Properties"]["MetricTransformations"][0]["MetricName"]): f
        for f in filters
        if f["Properties"]["MetricTransformations"][0]["MetricName"] in (c.AGENT_OK_METRIC, c.AGENT_FAILED_METRIC)
    }
    # Then each agent route counts its answered and its refused requests, by route
    for route in agent_routes:
        group = synth.logical_id(synth.stack.endpoints.log_groups[route])
        for metric, comparison in ((c.AGENT_OK_METRIC, "< 400"), (c.AGENT_FAILED_METRIC, ">= 400")):
            props = funnel[(group, metric)]["Properties"]
            assert f'$.message = "{c.REQUEST_LOG_MESSAGE}"' in props["FilterPattern"]
            assert f"$.status {comparison}" in props["FilterPattern"]
            assert props["MetricTransformations"][0]["Dimensions"] == [{"Key": "Route", "Value": "$.route"}]
    # And the dashboard graphs them with latency
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for route in agent_routes:
        assert route in body
    assert "Latency" in body and "Duration" in body


def test_only_agent_functions_have_reserved_concurrency(synth: Any) -> None:
    functions = _function_by_handler(synth)
    agents = {r.handler for r in ROUTES if r.is_agent}
    for handler, (_, props) in functions.items():
        # agentConcurrency times the calls one lifecycle makes of the route (infra/fleet.py)
        expected = synth.stack.config.agent_reserved_concurrency(handler) if handler in agents else None
        assert props.get("ReservedConcurrentExecutions") == expected, handler


def test_every_function_logs_to_a_log_group_with_retention(synth: Any) -> None:
    # Given every log group and every function, the dashboard's BucketDeployment included
    groups = synth.resources("AWS::Logs::LogGroup")
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] > 0
    for logical_id, function in synth.resources("AWS::Lambda::Function").items():
        if logical_id.startswith(CDK_CROSS_REGION_PROVIDER):
            continue  # CDK's own handler, run only at deploy; its logging is not configurable
        # Then each function writes to one of them
        target = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert target in groups, logical_id
