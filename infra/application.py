"""Build the CDK app: context from cdk.json, the stack, and cdk-nag as a validation plugin.

Shared by ``app.py`` (``make synth`` / ``cdk synth``) and the infra tests, so the
tests check exactly what gets deployed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra import constants as c
from infra.config import load_config, read_cdk_json_context
from infra.stack import EdgexStack
from manifest import ROUTES


def build_app(
    context: Mapping[str, Any] | None = None, *, outdir: str | None = None, nag: bool = True
) -> tuple[App, EdgexStack]:
    """The app with its one stack; ``context`` overrides cdk.json (tests, other environments).

    With ``nag`` the AWS Solutions checks run at synth and an unacknowledged
    finding stops it. The cdk CLI passes cdk.json's context itself (CDK_CONTEXT_JSON,
    which App merges over ``context``); ``python app.py`` gets it from here.
    """
    app = App(
        context={**read_cdk_json_context(), **(context or {})},
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(c.CDK_OUT),
    )
    config = load_config(app.node)
    env = Environment(account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region)
    stack = EdgexStack(app, config.stack_name, config=config, routes=ROUTES, env=env)
    if nag:
        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
