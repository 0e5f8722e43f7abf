"""Forged cursors on every paged route answer 400 INVALID_CURSOR, never a DynamoDB error.

Each paged route is called for real (its handler, in-process, on moto) with limit=1
over at least two items, so it hands out a genuine cursor; that cursor is then forged
in every way a client could: not base64, not JSON, the wrong JSON type, a key left
out or added, each attribute given the wrong type, a number that is no number, an
over-long or badly shaped value, and a key of another partition. The genuine cursor
must still work, so the test fails if the checks refuse too much as well.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from edgex import resources
from manifest import ROUTES, Auth, Route
from tests.unit.test_route_isolation import REGION, event

PAGED = [r for r in ROUTES if r.response.endswith("Page") or r.response == "DeploymentDetail"]


@pytest.fixture
def paged_world(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Two of everything a paged route lists."""
    from edgex import audit, deployments, enrollment, execution, feedback, identity, platform_settings, scripts
    from edgex.agents import authenticate
    from edgex.audit import Actor
    from edgex.wrappers import default_wrapper
    from local import identity as local_identity

    issuer = local_identity.ensure(REGION)
    monkeypatch.setenv(resources.ENV_OIDC_ISSUER, issuer.issuer)
    monkeypatch.setenv(resources.ENV_OIDC_AUDIENCE, issuer.client_id)
    identity.config.oidc.cache_clear()
    jwks = {k["kid"]: k for k in local_identity.jwks()["keys"]}
    monkeypatch.setattr(identity, "_fetch_keys", lambda url: jwks)
    actor = Actor(username="admin", role="admin")
    script = scripts.create({"name": "s", "type": "bash", "content": "echo one\n"}, actor)
    scripts.update(script["id"], {"content": "echo two\n"}, actor)
    scripts.create({"name": "t", "type": "bash", "content": "echo other\n"}, actor)
    first = deployments.create({"script_id": script["id"], "name": "a", "expected_machines": 5}, actor)
    dep = deployments.create({"script_id": script["id"], "name": "b", "expected_machines": 5}, actor)
    machines = []
    for n in range(2):
        enrolled, _ = enrollment.enroll(
            enrollment.authenticate_master(dep["master_token"]), {"hostname": f"h{n}", "machine_id": f"m{n}"}, {}
        )
        machines.append(enrolled)
        execution.download(authenticate(enrolled["agent_token"], with_wrapper=True))
        for k in range(2):
            report = {
                "entries": [{"status": "info", "message": f"entry {k}"}],
                "output": [{"stream": "stdout", "text": f"line {k}\n"}],
            }
            feedback.record(authenticate(enrolled["agent_token"]), report, request=f"0000000001-1-{k}")
    for _ in range(2):
        platform_settings.set_wrapper("bash", default_wrapper("bash") + "\n", actor.username)
        audit.record(actor, "test", "ok", {})
    yield {
        "deployment_id": dep["id"],
        "other_deployment_id": first["id"],
        "script_id": script["id"],
        "target_id": machines[0]["target_id"],
        "admin": issuer.token_for("admin"),
    }
    identity.config.oidc.cache_clear()


def _path(route: Route, world: dict[str, Any]) -> str:
    by_deployment = "/deployments/" in route.path
    return (
        route.path.replace("{id}", str(world["deployment_id"] if by_deployment else world["script_id"]))
        .replace("{tid}", world["target_id"])
        .replace("{type}", "bash")
    )


def _call(route: Route, world: dict[str, Any], query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    import importlib

    assert route.auth is Auth.ADMIN
    handler = importlib.import_module(f"handlers.{route.handler}").handler
    built = event(route, _path(route, world), None, world["admin"])
    built["queryStringParameters"] = query
    answer = handler(built, None)
    return answer["statusCode"], json.loads(answer["body"])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _forgeries(genuine: str, world: dict[str, Any], scoped: bool) -> dict[str, str]:
    """Every forgery of ``genuine``; ``scoped``: the route lists inside one deployment."""
    key = json.loads(base64.urlsafe_b64decode(genuine + "=" * (-len(genuine) % 4)))
    forged = {
        "not base64": "%%%not-base64%%%",
        "base64 of no JSON": _b64(b"\xff\xfe not json"),
        "a JSON list": _b64(json.dumps([key]).encode()),
        "a JSON string": _b64(b'"cursor"'),
        "a deep JSON bomb": _b64(b"[" * 100_000 + b"]" * 100_000),
        "an extra attribute": _b64(json.dumps({**key, "extra": {"S": "x"}}).encode()),
    }
    for name, value in key.items():
        ((kind, inner),) = value.items()
        others = {k: v for k, v in key.items() if k != name}
        forged[f"{name} left out"] = _b64(json.dumps(others).encode())
        forged[f"{name} of the other type"] = _b64(
            json.dumps({**key, name: {"N" if kind == "S" else "S": inner}}).encode()
        )
        forged[f"{name} as a bare value"] = _b64(json.dumps({**key, name: inner}).encode())
        forged[f"{name} no number"] = _b64(json.dumps({**key, name: {"N": "abc"}}).encode())
        forged[f"{name} over-long"] = _b64(json.dumps({**key, name: {kind: "9" * 2000}}).encode())
        forged[f"{name} badly shaped"] = _b64(json.dumps({**key, name: {kind: inner + "#junk"}}).encode())
        mine, theirs = str(world["deployment_id"]), str(world["other_deployment_id"])
        if scoped and name in ("deployment_id", "target_key") and inner.startswith(mine):
            other = {kind: theirs + inner[len(mine) :]}
            forged[f"{name} of another deployment"] = _b64(json.dumps({**key, name: other}).encode())
    return forged


@pytest.mark.parametrize("route", PAGED, ids=lambda r: r.handler)
def test_forged_cursors_are_400_invalid_cursor(route: Route, paged_world: dict[str, Any]) -> None:
    # Given a genuine cursor handed out by the route itself
    status, body = _call(route, paged_world, {"limit": "1"})
    assert status == 200, body
    genuine = body["next_cursor"]
    assert genuine, f"{route.handler} handed out no cursor over two items"
    # When the genuine cursor comes back, it pages on
    status, body = _call(route, paged_world, {"limit": "1", "cursor": genuine})
    assert status == 200, body
    # Then every forgery of it is refused with the coded 400, and nothing else
    for what, cursor in _forgeries(genuine, paged_world, "/deployments/{id}" in route.path).items():
        status, body = _call(route, paged_world, {"limit": "1", "cursor": cursor})
        assert (status, body.get("error", {}).get("code")) == (400, "INVALID_CURSOR"), (route.handler, what, body)
