#!/usr/bin/env python3
"""CDK app entry point: ``python app.py`` (``make synth``) or ``cdk synth`` / ``cdk deploy``.

Synthesizes offline into cdk.out. The deps layer is built first when its stamp is
stale (``infra.build_assets``: pip, no Docker); when it is current nothing touches
the network, so ``cdk deploy`` works without a separate build step.
"""

from __future__ import annotations

import os

# jsii warns on every start under Node 20 (deprecated, then end-of-life); silence both
# before aws_cdk starts the jsii runtime.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra import build_assets
from infra.application import build_app

if __name__ == "__main__":
    build_assets.build(build_assets.lambda_deps_layer())
    app, _stack = build_app()
    app.synth()
