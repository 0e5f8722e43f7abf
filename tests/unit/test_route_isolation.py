"""Each handler works with only the resources its manifest entry declares.

The local server gives every handler every table; Lambda gives each function only
its route's variables (infra/functions.py) and IAM. Here every route runs with the
environment and bindings of its own function, so a handler reaching an undeclared
table or bucket fails this test instead of failing in AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from edgex import resources
from manifest import ROUTES, Auth, Route
from tests.route_examples import Ids, example

REGION = "eu-central-1"


@pytest.fixture
def world(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with a script, a deployment, an enrolled machine and a real local issuer."""
    from edgex import agents, deployments, enrollment, execution, identity, scripts
    from edgex.audit import Actor
    from local import identity as local_identity

    issuer = local_identity.ensure(REGION)
    monkeypatch.setenv(resources.ENV_OIDC_ISSUER, issuer.issuer)
    monkeypatch.setenv(resources.ENV_OIDC_AUDIENCE, issuer.client_id)
    identity.config.oidc.cache_clear()
    keys = {k["kid"]: k for k in local_identity.jwks()["keys"]}
    monkeypatch.setattr(identity, "_fetch_keys", lambda url: keys)  # no HTTP server in-process
    actor = Actor(username="admin", role="admin")
    script = scripts.create({"name": "s", "type": "bash", "content": "echo isolated\n"}, actor)
    free = scripts.create({"name": "f", "type": "bash", "content": "echo free\n"}, actor)
    dep = deployments.create({"script_id": script["id"], "name": "d", "expected_machines": 5}, actor)
    enrolled, _ = enrollment.enroll(
        enrollment.authenticate_master(dep["master_token"]), {"hostname": "iso-host", "machine_id": "iso-machine"}, {}
    )
    execution.download(agents.authenticate(enrolled["agent_token"], with_wrapper=True))  # a run on: it may report
    yield {
        "ids": Ids(script["id"], free["id"], dep["id"], enrolled["target_id"]),
        "master": dep["master_token"],
        "agent": enrolled["agent_token"],
        "admin": issuer.token_for("admin"),
    }
    identity.config.oidc.cache_clear()


def only_route_resources(route: Route, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function's environment: its own tables and buckets, nothing else bound."""
    from edgex.store import base

    for name in resources.TABLES:
        if name not in route.tables:
            monkeypatch.delenv(resources.table_env(name))
    for name in resources.BUCKETS:
        if name not in route.buckets:
            monkeypatch.delenv(resources.bucket_env(name))
    base.reset()  # every model unbound: only what the route binds can be reached


def event(route: Route, path: str, body: dict[str, Any] | None, token: str | None) -> dict[str, Any]:
    import json

    raw_path, _, query = path.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&")) if query else None
    path_params = {}
    template, actual = route.path.split("/"), raw_path.split("/")
    for part, value in zip(template, actual, strict=True):
        if part.startswith("{"):
            path_params[part[1:-1]] = value
    return {
        "version": "2.0",
        "rawPath": raw_path,
        "queryStringParameters": params,
        "pathParameters": path_params or None,
        "headers": {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
        "requestContext": {"http": {"method": route.method, "path": raw_path}, "requestId": "iso"},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_handler_needs_only_its_declared_resources(
    route: Route, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    # Given the function's own environment only
    path, body = example(route, world["ids"])
    token = {Auth.MASTER: world["master"], Auth.AGENT: world["agent"], Auth.ADMIN: world["admin"]}.get(route.auth)
    only_route_resources(route, monkeypatch)
    # When the handler serves a request that succeeds in the full environment
    handler = importlib.import_module(f"handlers.{route.handler}").handler
    answer = handler(event(route, path, body, token), None)
    # Then it succeeds here too (the AI route answers its documented local 503)
    if route.handler == "ai_process":
        assert answer["statusCode"] == 503 and "AI_UNAVAILABLE" in answer["body"]
    else:
        assert 200 <= answer["statusCode"] < 300, (route.handler, answer["statusCode"], answer["body"])
