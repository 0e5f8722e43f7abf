"""Domain rules of ARCHITECTURE.md section 3, on moto in-process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from edgex import agents, deployments, enrollment, execution, feedback, scripts, tokens
from edgex.audit import Actor
from edgex.errors import (
    EnrollmentCapReached,
    Gone,
    HostnameConflict,
    IntegrityViolation,
    RerunLimitExceeded,
    Unauthenticated,
)
from edgex.store import keys
from edgex.store.tables import DeploymentModel, TargetModel

ADMIN = Actor(username="admin", role="admin")
THREADS = 32


def new_deployment(machines: int = 3, content: str = "echo hi\n") -> dict[str, Any]:
    script = scripts.create({"name": "s", "type": "bash", "content": content}, ADMIN)
    return deployments.create({"script_id": script["id"], "name": "d", "expected_machines": machines}, ADMIN)


def enroll(dep: dict[str, Any], machine_id: str, hostname: str) -> tuple[dict[str, Any], bool]:
    deployment = enrollment.authenticate_master(dep["master_token"])
    return enrollment.enroll(deployment, {"hostname": hostname, "machine_id": machine_id}, {})


def targets_of(deployment_id: int) -> list[TargetModel]:
    from edgex.store import targets

    return [t for t in targets.page(deployment_id, 100, None)[0]]


def test_same_machine_gets_same_target_and_a_fresh_token(aws: None) -> None:
    # Given a deployment and an enrolled machine
    dep = new_deployment()
    first, created = enroll(dep, "m-1", "host-1")
    assert created
    # When the same machine enrolls again
    second, created_again = enroll(dep, "m-1", "host-1")
    # Then it is the same target, a new token works and the old one no longer does
    assert not created_again and second["target_id"] == first["target_id"]
    assert agents.authenticate(second["agent_token"])
    with pytest.raises(Unauthenticated):
        agents.authenticate(first["agent_token"])
    assert len(targets_of(dep["id"])) == 1


def test_hostname_taken_by_another_machine_is_409(aws: None) -> None:
    dep = new_deployment()
    enroll(dep, "m-1", "shared-name")
    # When another machine claims the same hostname (case differs)
    with pytest.raises(HostnameConflict):
        enroll(dep, "m-2", "SHARED-NAME")
    # Then nothing was written for it and the counter did not move
    assert len(targets_of(dep["id"])) == 1
    assert DeploymentModel.get(dep["id"]).enrolled_count == 1


def test_cap_refuses_the_machine_past_expected(aws: None) -> None:
    dep = new_deployment(machines=2)
    enroll(dep, "m-1", "h1")
    enroll(dep, "m-2", "h2")
    with pytest.raises(EnrollmentCapReached):
        enroll(dep, "m-3", "h3")
    # the refused machine left no hostname claim behind
    from edgex.store import targets

    assert sorted(m for m, _ in targets.members(dep["id"]) if m.startswith(keys.CLAIM_MEMBER)) == [
        keys.claim_member("h1"),
        keys.claim_member("h2"),
    ]


def test_cancelled_deployment_refuses_agents_with_410(aws: None) -> None:
    dep = new_deployment()
    agent, _ = enroll(dep, "m-1", "h1")
    deployments.cancel(dep["id"])
    with pytest.raises(Gone) as refused:
        enroll(dep, "m-2", "h2")
    assert refused.value.code == "DEPLOYMENT_CANCELLED"
    with pytest.raises(Gone):
        agents.authenticate(agent["agent_token"])


def test_master_token_of_a_and_forged_tokens_do_not_open_b(aws: None) -> None:
    a, b = new_deployment(), new_deployment()
    forged = a["master_token"].replace(f"exm_{a['id']}_", f"exm_{b['id']}_")
    with pytest.raises(Unauthenticated):
        enrollment.authenticate_master(forged)
    agent, _ = enroll(a, "m-1", "h1")
    with pytest.raises(Unauthenticated):
        agents.authenticate(agent["agent_token"].replace(f"exa_{a['id']}_", f"exa_{b['id']}_"))
    with pytest.raises(Unauthenticated):
        enrollment.authenticate_master(agent["agent_token"])  # agent token cannot enroll
    with pytest.raises(Unauthenticated):
        agents.authenticate(a["master_token"])  # master token cannot download


def test_tokens_are_stored_only_as_hashes(aws: None) -> None:
    dep = new_deployment()
    agent, _ = enroll(dep, "m-1", "h1")
    stored = DeploymentModel.get(dep["id"]).master_token_hash
    target = targets_of(dep["id"])[0]
    assert stored == tokens.digest(dep["master_token"]) and dep["master_token"] not in str(
        DeploymentModel.get(dep["id"]).to_simple_dict()
    )
    assert agent["agent_token"] not in str(target.to_simple_dict())


def test_download_counts_runs_and_refuses_past_the_limit(aws: None) -> None:
    dep = new_deployment()
    agent, _ = enroll(dep, "m-1", "h1")
    for _ in range(3):  # default max_runs for bash is 3
        payload = execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
        feedback.record(
            agents.authenticate(agent["agent_token"]), {"status": "success", "message": "ok", "step": "complete"}
        )
    assert "echo hi" not in payload  # the script travels encoded
    with pytest.raises(RerunLimitExceeded):
        execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
    view = deployments.view(DeploymentModel.get(dep["id"]))
    assert view["counts"] == {
        "enrolled": 1,
        "running": 0,
        "completed": 1,
        "failed": 0,
        "expired": 0,
        "cancelled": 0,
        "waiting": 0,
        "timed_out": 0,
        "lost": 0,
    }
    assert targets_of(dep["id"])[0].run_count == 3


def test_feedback_moves_status_and_counters_once(aws: None) -> None:
    # Given a running machine whose batch holds a final error report, then a late final success
    dep = new_deployment()
    agent, _ = enroll(dep, "m-1", "h1")
    execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
    answer = feedback.record(
        agents.authenticate(agent["agent_token"]),
        {
            "entries": [
                {"status": "info", "message": "step one", "step": "one"},
                {"status": "error", "message": "script failed with exit code 7", "step": "complete"},
                {"status": "success", "message": "late success", "step": "complete"},
            ]
        },
    )
    # Then the first final report decides (later ones are only logged) and the counter moves once
    assert answer == {"accepted": 3, "target_status": "failed", "control": "stop"}
    target = targets_of(dep["id"])[0]
    assert target.status == "failed" and target.exit_code == 7
    assert deployments.view(DeploymentModel.get(dep["id"]))["counts"]["failed"] == 1
    logs, _ = feedback.target_logs(dep["id"], target.target_id, 50, None)
    # (a machine's log is newest first, like the deployment's feed; every entry names its run)
    assert [entry["message"] for entry in logs] == ["late success", "script failed with exit code 7", "step one"]
    assert {entry["run"] for entry in logs} == {1}


@pytest.mark.parametrize(
    "body",
    [
        {"hostname": "a\r\nb", "machine_id": "m"},
        {"hostname": "h", "machine_id": "m\x00"},
        {"hostname": "h" * 254, "machine_id": "m"},
        {"hostname": "h", "machine_id": "m" * 301},
        {"hostname": "h\u202e", "machine_id": "m"},
        {"hostname": "h", "machine_id": "m", "extra": 1},
        {"hostname": "h"},
        [],
    ],
)
def test_bad_enrollment_input_is_refused_and_changes_nothing(aws: None, body: Any) -> None:
    import json

    from handlers.agent_enroll import handler

    # Given a deployment
    dep = new_deployment()
    # When the enroll handler gets a body its schema refuses
    event = {
        "version": "2.0",
        "rawPath": "/v1/agent/enroll",
        "headers": {"content-type": "application/json", "authorization": f"Bearer {dep['master_token']}"},
        "requestContext": {"http": {"method": "POST", "path": "/v1/agent/enroll"}, "requestId": "bad-input"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
    answer = handler(event, None)
    # Then it is a coded 400 naming the rule, and nothing was written
    assert answer["statusCode"] == 400 and json.loads(answer["body"])["error"]["code"] == "VALIDATION_ERROR"
    assert targets_of(dep["id"]) == [] and DeploymentModel.get(dep["id"]).enrolled_count == 0


def test_kill_switch_on_a_changed_byte(aws: None) -> None:
    # Given a deployment whose pinned S3 object version is then altered in storage
    dep = new_deployment(content="echo safe\n")
    agent, _ = enroll(dep, "m-1", "h1")
    tamper_pinned_object(dep["id"])
    # When the machine downloads
    with pytest.raises(IntegrityViolation) as killed:
        execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
    # Then the error says nothing, and the deployment is expired with the reason
    assert killed.value.message == "Internal error"
    stored = DeploymentModel.get(dep["id"])
    assert stored.status == "expired" and stored.kill_reason == "INTEGRITY_VIOLATION"
    assert targets_of(dep["id"])[0].run_count == 0  # no run was counted
    with pytest.raises(Gone):
        agents.authenticate(agent["agent_token"])


def tamper_pinned_object(deployment_id: int) -> None:
    """Flip one byte of the pinned version inside moto's S3 (real S3 versions are
    immutable; this stands for corruption or a compromised storage layer)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    dep = DeploymentModel.get(deployment_id)
    bucket = next(iter(s3_backends[DEFAULT_ACCOUNT_ID]["global"].buckets.values()))
    for key in bucket.keys.getlist(dep.s3_key):
        if key.version_id == dep.s3_version_id:
            data = bytearray(key.value)
            data[0] ^= 0x01
            key.value = bytes(data)
            return
    raise AssertionError("pinned version not found")


# --- races: real threads against moto's conditional writes ---------------------


def test_race_same_machine_id_gives_exactly_one_target(aws: None) -> None:
    dep = new_deployment(machines=THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda _: enroll(dep, "same-machine", "same-host"), range(THREADS)))
    assert len({a["target_id"] for a, _ in answers}) == 1
    assert sum(created for _, created in answers) == 1
    assert len(targets_of(dep["id"])) == 1 and DeploymentModel.get(dep["id"]).enrolled_count == 1


def test_race_cap_n_with_3n_machines_gives_exactly_n(aws: None) -> None:
    cap = 11
    dep = new_deployment(machines=cap)

    def attempt(n: int) -> str:
        try:
            enroll(dep, f"m-{n}", f"h-{n}")
            return "ok"
        except EnrollmentCapReached:
            return "cap"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(attempt, range(3 * cap)))
    assert outcomes.count("ok") == cap and outcomes.count("cap") == 2 * cap
    assert len(targets_of(dep["id"])) == cap and DeploymentModel.get(dep["id"]).enrolled_count == cap


def test_race_rerun_limit_is_never_exceeded(aws: None) -> None:
    dep = new_deployment()
    agent, _ = enroll(dep, "m-1", "h1")

    def attempt(_: int) -> str:
        try:
            execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
            return "ran"
        except RerunLimitExceeded:
            return "limit"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(attempt, range(THREADS)))
    assert outcomes.count("ran") == 3 and outcomes.count("limit") == THREADS - 3
    assert targets_of(dep["id"])[0].run_count == 3
    assert deployments.view(DeploymentModel.get(dep["id"]))["counts"]["running"] == 1


def test_progress_reports_count_against_the_runs_log_quota(aws: None) -> None:
    # Given a machine that just started its run
    dep = new_deployment()
    agent, _ = enroll(dep, "m-1", "h1")
    execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
    # When it reports progress that changes no status
    feedback.record(agents.authenticate(agent["agent_token"]), {"status": "info", "message": "50%", "step": "copy"})
    # Then the log is stored and counted against the run's quota on the target (in the
    # target's own partition: no deployment-wide partition takes a write per report)
    target = targets_of(dep["id"])[0]
    assert target.status == "running" and (target.log_entries, target.log_bytes) == (1, len("50%") + len("copy"))
    logs, _ = feedback.target_logs(dep["id"], target.target_id, 10, None)
    assert [entry["message"] for entry in logs] == ["50%"]
    # And a final report still moves the status at once
    feedback.record(
        agents.authenticate(agent["agent_token"]), {"status": "success", "message": "ok", "step": "complete"}
    )
    assert targets_of(dep["id"])[0].status == "completed"
