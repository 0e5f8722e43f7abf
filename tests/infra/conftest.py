"""Infra fixtures: build the layer assets and synthesize the app once per session.

CDK synth takes seconds and the deps layer build touches PyPI, so both are
session-scoped; every infra test reads the same cloud assembly. The infra tests
run in one xdist group (``make test`` uses ``--dist loadgroup``) so two workers
never build the same folders at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii prints Node 20 warnings on start; silence them before aws_cdk is imported.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Synth:
    """The synthesized app: the stack object, its template and the assembly folder."""

    app: Any
    stack: Any
    template: Any  # aws_cdk.assertions.Template
    template_json: dict[str, Any]
    outdir: Path

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template_json["Resources"].items() if v["Type"] == cfn_type}

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)

    def asset_dir(self, logical_id: str) -> Path:
        """The staged asset folder a Lambda function or layer of the template points at."""
        path = self.template_json["Resources"][logical_id]["Metadata"]["aws:asset:path"]
        return self.outdir / path


@pytest.fixture(scope="session")
def built_assets() -> dict[str, Path]:
    """The arm64 deps layer and the dashboard (what synth packages), and the host folders for import tests."""
    from infra import build_assets

    return {
        "dashboard": build_assets.build_dashboard(),
        "deps": build_assets.build(build_assets.lambda_deps_layer()),
        "deps_host": build_assets.build(build_assets.host_deps_layer()),
        "runtime_host": build_assets.build(build_assets.host_runtime_layer()),
    }


@pytest.fixture(scope="session")
def synth(built_assets: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    from aws_cdk.assertions import Template

    from infra.application import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    # cdk-nag runs as a separate test (test_nag.py) so one finding does not hide
    # every other result behind a failed synth.
    # Asset metadata (as the cdk CLI enables it) tells which staged folder each function uses.
    app, stack = build_app({"aws:cdk:enable-asset-metadata": True}, outdir=str(outdir), nag=False)
    app.synth()
    template_json = json.loads((outdir / stack.template_file).read_text())
    yield Synth(app, stack, Template.from_json(template_json), template_json, outdir)
