#!/usr/bin/env python3
"""CDK app entry point: ``python app.py`` (``make synth``) or ``cdk synth`` / ``cdk deploy``.

Synthesizes offline into cdk.out. Build the deps layer first with
``python -m infra.build_assets`` (``make synth`` does both).
"""

from __future__ import annotations

import os

# jsii warns on every start under Node 20 (deprecated, then end-of-life); silence both
# before aws_cdk starts the jsii runtime.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.application import build_app

if __name__ == "__main__":
    app, _stack = build_app()
    app.synth()
