"""Least privilege to the action: each route declares the IAM actions it needs per
table and bucket (lambdas/manifest.py), infra/functions.py grants exactly those, and
here every route's handler runs with only its own resources while the AWS calls it
makes are recorded (tests/iam_calls.py). Every call must be declared; a declared
action the examples never use must be named below with the path that needs it, so
a stale declaration fails this test too.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from manifest import (
    AUDIT_APPEND,
    BATCH_GET,
    BATCH_WRITE,
    CHECK,
    DELETE,
    GET,
    PUT,
    ROUTES,
    S3_GET,
    S3_GET_VERSION,
    S3_PUT,
    UPDATE,
    Auth,
    Route,
)
from tests.iam_calls import recording
from tests.route_examples import example
from tests.unit.test_route_isolation import REGION, event, only_route_resources, world  # noqa: F401

# (handler, table or bucket, action): the path that needs it but the success example does not take.
UNEXERCISED: dict[tuple[str, str, str], str] = {
    ("agent_enroll", "targets", GET): "the same machine again reads its target (re-enrollment)",
    ("agent_enroll", "targets", UPDATE): "re-enrollment replaces the agent token",
    ("agent_download", "deployments", UPDATE): "the kill switch expires a deployment whose script changed",
    ("agent_download", "counters", UPDATE): "a run started from a machine not running moves the counters (the "
    "example downloads again during its run)",
    ("agent_feedback", "counters", UPDATE): "a final report moves the deployment's counters",
    ("scripts_delete", "deployments", BATCH_GET): "a script pinned by deployments has them read (the example's is not)",
    ("agent_installer", "deployments", UPDATE): "the kill switch, for a deployment from before the installer pinning",
    ("agent_installer", "scripts", S3_GET_VERSION): "a deployment from before the installer pinning has its payload "
    "hash worked out from the pinned script",
    ("deployments_delete", "logs", BATCH_WRITE): "a deployment whose machines reported has its log entries deleted",
    ("agent_download", "counters", GET): "a rollout slot that refuses a run is read (wait, or paused)",
    ("deployments_create", "counters", PUT): "a deployment with rollout limits gets its slot item",
    ("deployments_pause", "counters", UPDATE): "a deployment with rollout limits pauses its slot too",
    ("deployments_resume", "deployments", UPDATE): "resuming a paused deployment (the example's is active)",
    ("deployments_resume", "counters", GET): "a paused deployment with rollout limits has its slot read",
    ("deployments_resume", "counters", UPDATE): "... and resumed",
    (
        "target_output",
        "output",
        S3_GET,
    ): "a run that printed has its stored reports read (the example's printed nothing)",
    ("target_output_download", "output", S3_GET): "a run that printed has its stored reports read",
    ("agent_feedback", "output", S3_GET): "a report past the head of its run's output checks its keys (a retry) "
    "and reads the tail slot it overwrites (the example's report goes to the head: one conditional put)",
}


@pytest.fixture
def no_role_token(world: dict[str, Any]) -> str:  # noqa: F811 - the imported fixture
    """A valid access token of the local issuer for an account in no role group."""
    import boto3

    from edgex import config

    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = config.oidc().issuer.rsplit("/", 1)[1]
    client_id = config.oidc().audience
    cognito.admin_create_user(UserPoolId=pool_id, Username="nobody", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="nobody", Password="Nobody-local-1", Permanent=True)
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "nobody", "PASSWORD": "Nobody-local-1"},
    )
    return str(answer["AuthenticationResult"]["AccessToken"])


def declared(route: Route) -> set[tuple[str, str, str]]:
    return {("table", name, a) for name, access in route.tables.items() for a in access} | {
        ("bucket", name, a) for name, access in route.buckets.items() for a in access
    }


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_each_route_declares_exactly_the_actions_its_code_uses(
    route: Route,
    world: dict[str, Any],  # noqa: F811 - the imported fixture
    no_role_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the function's own environment only
    path, body = example(route, world["ids"])
    token = {Auth.MASTER: world["master"], Auth.AGENT: world["agent"], Auth.ADMIN: world["admin"]}.get(route.auth)
    only_route_resources(route, monkeypatch)
    handler = importlib.import_module(f"handlers.{route.handler}").handler
    # When it serves its successful example, and (admin routes) a refused, audited request
    with recording() as used:
        answer = handler(event(route, path, body, token), None)
        if route.auth is Auth.ADMIN:
            refused = handler(event(route, path, body, no_role_token), None)
            assert refused["statusCode"] == 403 and "NO_ROLE" in refused["body"]
    assert answer["statusCode"] < 300 or route.handler == "ai_process", answer
    # Then every call it made is declared
    allowed = declared(route)
    assert used <= allowed, f"{route.handler} calls undeclared actions: {sorted(used - allowed)}"
    # And every declared action is used, or named with the path that needs it
    unused = {(name, action) for kind, name, action in allowed - used}
    expected = {(name, action) for handler, name, action in UNEXERCISED if handler == route.handler}
    assert unused == expected, f"{route.handler}: declared but unused {sorted(unused - expected)}"


def test_no_route_may_rewrite_the_audit_trail() -> None:
    # Given every route's declared access to the audit table
    for route in ROUTES:
        # Then it is at most read and append: never update, delete or batch-write
        assert not (route.tables.get("audit", frozenset()) & {UPDATE, DELETE, BATCH_WRITE}), route.handler
        if route.auth is Auth.ADMIN:
            assert AUDIT_APPEND <= route.tables["audit"], route.handler


def test_the_internet_facing_feedback_route_cannot_write_deployments_and_script_writers_cannot_delete() -> None:
    by = {r.handler: r for r in ROUTES}
    # Then feedback only reads the deployment
    assert not (by["agent_feedback"].tables["deployments"] & {PUT, UPDATE, DELETE, BATCH_WRITE, CHECK})
    # And the script writers may put objects, nothing more
    for name in ("scripts_create", "scripts_update"):
        assert by[name].buckets["scripts"] == {S3_PUT}, name
