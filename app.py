#!/usr/bin/env python3
"""CDK app entry point, run by the cdk CLI (``make synth`` / ``make deploy``, see cdk.json).

Synthesizes offline into cdk.out. The deps layer is built first when its stamp is
stale (``infra.build_assets``: pip, no Docker); when it is current nothing touches
the network. The dashboard is built by make (npm); without that build, or with a
context value that cannot be deployed, the synth stops with one line saying why.
"""

from __future__ import annotations

import os
import sys

# jsii warns on every start under Node 20 (deprecated, then end-of-life); silence both
# before aws_cdk starts the jsii runtime.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra import build_assets
from infra.application import build_app
from infra.config import ConfigError
from infra.dashboard import DashboardNotBuilt

if __name__ == "__main__":
    build_assets.build(build_assets.lambda_deps_layer())
    try:
        app, _stack = build_app()
    except (ConfigError, DashboardNotBuilt) as err:
        sys.exit(f"edgex: {err}")
    app.synth()
