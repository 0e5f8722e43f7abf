"""What a first deploy from a laptop relies on: the dashboard build is shipped (or the
synth says why not) and two installations never fight over a physical name."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import constants as c

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

# esbuild's [name]-[hash] output names (build.mjs), e.g. main-4GYEJZXM.js, favicon-a5d0ad36.svg.
HASHED = re.compile(r"^[\w.-]+-[A-Za-z0-9]{8}\.[a-z0-9.]+$")


def test_synth_without_the_dashboard_build_stops_with_a_clear_message(
    built_assets: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.application import build_app
    from infra.dashboard import DashboardNotBuilt

    # Given a checkout whose dashboard was never built
    monkeypatch.setattr(c, "DASHBOARD_DIST_DIR", tmp_path / "dist")
    # When the app is synthesized
    with pytest.raises(DashboardNotBuilt) as refused:
        build_app(outdir=str(tmp_path / "cdk.out"), nag=False)
    # Then it stops before anything is deployed, naming the missing build and how to make it
    message = str(refused.value)
    assert str(tmp_path / "dist") in message and "npm run build" in message and "make deploy" in message


def test_dashboard_asset_holds_the_build_without_source_maps(synth: Any) -> None:
    # Given the asset the BucketDeployment uploads (the other source is config.json)
    (deployment,) = synth.resources("Custom::CDKBucketDeployment").values()
    folders = [
        synth.outdir / f"asset.{key.removesuffix('.zip')}" for key in deployment["Properties"]["SourceObjectKeys"]
    ]
    (folder,) = [f for f in folders if f.is_dir() and not (f / c.DASHBOARD_CONFIG_FILE).is_file()]
    files = [p.relative_to(folder) for p in folder.rglob("*") if p.is_file()]
    # Then it is the dashboard build: index.html and hashed assets
    assert (folder / c.DASHBOARD_INDEX).is_file()
    assets = [f for f in files if f.parts[0] == "assets"]
    assert any(f.suffix == ".js" for f in assets) and any(f.suffix == ".css" for f in assets)
    assert all(HASHED.match(f.name) for f in assets if not f.name.endswith(".LEGAL.txt")), assets
    # And no source map is published
    assert not [f for f in files if f.suffix == ".map"]
    # While the build on disk does have them (the exclusion is what keeps them out)
    assert list((c.DASHBOARD_DIST_DIR / "assets").glob("*.map")), "the build writes linked maps"


# Physical names CloudFormation is given, by resource type, and whether they must be
# unique per account (global) or per account and region.
_NAMED: dict[str, tuple[str, bool]] = {
    "AWS::Cognito::UserPoolDomain": ("Domain", False),
    "AWS::CloudFront::CachePolicy": ("CachePolicyConfig.Name", True),
    "AWS::CloudFront::OriginRequestPolicy": ("OriginRequestPolicyConfig.Name", True),
    "AWS::CloudFront::ResponseHeadersPolicy": ("ResponseHeadersPolicyConfig.Name", True),
    "AWS::CloudWatch::Dashboard": ("DashboardName", True),
    "AWS::CloudWatch::Alarm": ("AlarmName", False),
    "AWS::DynamoDB::Table": ("TableName", False),
    "AWS::S3::Bucket": ("BucketName", True),
    "AWS::Lambda::Function": ("FunctionName", False),
    "AWS::Logs::LogGroup": ("LogGroupName", False),
    "AWS::IAM::Role": ("RoleName", True),
    "AWS::SNS::Topic": ("TopicName", False),
    "AWS::WAFv2::WebACL": ("Name", True),  # CLOUDFRONT scope: one namespace per account
}


def _physical_names(template: dict[str, Any], region: str) -> dict[str, str]:
    """``{(scope) name: resource type}`` of every explicitly named resource of a template."""
    names = {}
    for resource in template["Resources"].values():
        if resource["Type"] not in _NAMED:
            continue
        path, is_global = _NAMED[resource["Type"]]
        value: Any = resource["Properties"]
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:  # unnamed: CloudFormation generates a unique name
            names[f"{'global' if is_global else region}:{json.dumps(value, sort_keys=True)}"] = resource["Type"]
    return names


def test_two_installations_and_two_regions_share_no_physical_name(synth: Any, tmp_path: Path) -> None:
    from aws_cdk import App, Environment

    from infra.config import read_cdk_json_context
    from infra.stack import EdgexStack
    from infra.waf import WafStack
    from manifest import ROUTES

    # Given the default installation (the session's synth), a second one in the same
    # account and region, and the default one again in another region
    default = synth.stack.config
    app = App(context=read_cdk_json_context(), outdir=str(tmp_path))
    others = []
    for stack_name, region in ((f"{default.stack_name}-Second", default.region), (default.stack_name, "eu-central-1")):
        assert (stack_name, region) != (default.stack_name, default.region)
        stack = EdgexStack(
            app,
            f"{stack_name}-{region}",
            stack_name=stack_name,
            config=dataclasses.replace(default, stack_name=stack_name, region=region),
            routes=ROUTES,
            env=Environment(region=region),
        )
        others.append((stack, region))
    assembly = app.synth()
    # When their explicitly given physical names are collected, with their web ACL
    # companion stacks in us-east-1 (named after stack and region too)
    companions = {
        s.waf_config.stack_name + s.waf_config.region: s for s in app.node.children if isinstance(s, WafStack)
    }
    (default_companion,) = [s for s in synth.app.node.children if isinstance(s, WafStack)]
    named = [
        _physical_names(synth.template_json, default.region)
        | _physical_names(json.loads((synth.outdir / default_companion.template_file).read_text()), "us-east-1")
    ]
    for stack, region in others:
        companion = companions[stack.config.stack_name + region]
        named.append(
            _physical_names(assembly.get_stack_artifact(stack.artifact_id).template, region)
            | _physical_names(assembly.get_stack_artifact(companion.artifact_id).template, "us-east-1")
        )
    stack_names = [default_companion.stack_name, *(c.stack_name for c in companions.values())]
    assert len(set(stack_names)) == len(stack_names), stack_names
    # Then some names are given (the test checks something) and no two installations share one
    assert all(len(n) >= 6 for n in named), named
    for i, first in enumerate(named):
        for second in named[i + 1 :]:
            assert not set(first) & set(second), sorted(set(first) & set(second))
