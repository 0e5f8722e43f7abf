"""Final-status rules, cancellation, settling and master token rotation (issue 15),
on moto in-process: the wrapper's final report decides a run, not the first error."""

from __future__ import annotations

from typing import Any

import pytest

from edgex import agents, deployments, enrollment, execution, feedback, scripts
from edgex.audit import Actor
from edgex.errors import Gone, Unauthenticated, ValidationFailed
from edgex.store.tables import DeploymentModel
from edgex.vocabulary import DeploymentStatus, TargetStatus

ADMIN = Actor(username="alice", role="admin")


def new_deployment(machines: int = 2, **extra: Any) -> dict[str, Any]:
    script = scripts.create({"name": "s", "type": "bash", "content": "echo hi\n"}, ADMIN)
    body = {"script_id": script["id"], "name": "d", "expected_machines": machines, **extra}
    return deployments.create(body, ADMIN)


def running_machine(dep: dict[str, Any], name: str) -> str:
    """Enrols a machine and starts its run; returns its agent token."""
    master = enrollment.authenticate_master(dep["master_token"])
    agent, _ = enrollment.enroll(master, {"hostname": name, "machine_id": name}, {})
    execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
    return str(agent["agent_token"])


def report(token: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return feedback.record(agents.authenticate(token), {"entries": list(entries)})


def test_an_error_entry_during_a_run_is_only_logged_and_the_final_report_decides(aws: None) -> None:
    # Given a running machine
    dep = new_deployment()
    token = running_machine(dep, "h1")
    # When its script reports a non-fatal error, then the wrapper reports success
    assert report(token, {"status": "error", "message": "disk nearly full", "step": "check"})["target_status"] == (
        TargetStatus.RUNNING
    )
    answer = report(token, {"status": "success", "message": "Script completed successfully", "step": "complete"})
    # Then the machine completed with exit code 0
    assert answer["target_status"] == TargetStatus.COMPLETED
    target = deployments.targets_page(DeploymentModel.get(dep["id"]), 10, None)[0][0]
    assert target["status"] == TargetStatus.COMPLETED and target["exit_code"] == 0


@pytest.mark.parametrize(
    ("entry", "status", "exit_code"),
    [
        ({"status": "error", "message": "Script failed with exit code 2", "step": "complete"}, "failed", 2),
        ({"status": "error", "message": "failed", "step": "complete", "exit_code": 3}, "failed", 3),
        (
            {"status": "error", "message": "t", "step": "complete", "exit_code": 124, "outcome": "timed_out"},
            "timed_out",
            124,
        ),
        (
            {"status": "success", "message": "done", "step": "complete", "exit_code": 0, "outcome": "failed"},
            "failed",
            0,
        ),
        ({"status": "error", "message": "no code", "step": "complete"}, "failed", None),
    ],
)
def test_the_final_report_carries_the_exit_code_and_may_name_the_outcome(
    entry: dict[str, Any], status: str, exit_code: int | None
) -> None:
    # Given a running machine, when the final report arrives, then it decides status and exit code
    assert feedback.next_status(TargetStatus.RUNNING, [entry]) == (status, exit_code)


def test_fail_on_error_keeps_the_seed_rule_per_deployment() -> None:
    # Given a deployment created with fail_on_error, when a run reports an error before its end
    entries = [
        {"status": "error", "message": "step failed (exit code 5)", "step": "install"},
        {"status": "success", "message": "done", "step": "complete"},
    ]
    # Then the first error fails the run (with the code it names); without the option it completes
    assert feedback.next_status(TargetStatus.RUNNING, entries, fail_on_error=True) == ("failed", 5)
    assert feedback.next_status(TargetStatus.RUNNING, entries) == ("completed", 0)


def test_fail_on_error_is_stored_and_shown(aws: None) -> None:
    dep = new_deployment(fail_on_error=True)
    token = running_machine(dep, "h1")
    assert dep["fail_on_error"] is True
    assert report(token, {"status": "error", "message": "boom", "step": "x"})["target_status"] == "failed"


def test_bad_final_fields_are_refused_naming_the_field(aws: None) -> None:
    # Given the request schemas the routes validate their bodies with, at the edge
    from edgex import validators

    with pytest.raises(ValidationFailed) as refused:
        validators.validate(
            "FeedbackRequest", {"status": "error", "message": "x", "step": "complete", "exit_code": 2**32}
        )
    assert refused.value.code == "VALIDATION_ERROR"
    with pytest.raises(ValidationFailed) as refused:
        validators.validate("DeploymentCreateRequest", {"script_id": 1, "name": "d", "expected_machines": 0})
    assert refused.value.field == "expected_machines" and "bigger than or equal to 1" in refused.value.message
    with pytest.raises(ValidationFailed) as refused:
        validators.validate("DeploymentCreateRequest", {"script_id": 1, "name": "a\tb", "expected_machines": 1})
    assert refused.value.field == "name" and refused.value.message == (
        "name must not contain control characters (such as a tab or a line break)"
    )


def test_cancelling_a_target_records_who_and_when_and_counts_cancelled(aws: None) -> None:
    # Given a running machine
    dep = new_deployment()
    token = running_machine(dep, "h1")
    target_id = agents.authenticate(token).target.target_id
    # When an operator cancels it
    view = deployments.cancel_target(dep["id"], target_id, ADMIN)
    # Then it reads cancelled, has its own count, and its log says who cancelled and when
    assert view["status"] == TargetStatus.CANCELLED
    counts = deployments.view(DeploymentModel.get(dep["id"]))["counts"]
    assert counts["cancelled"] == 1 and counts["running"] == 0 and counts["expired"] == 0
    logs, _ = feedback.target_logs(dep["id"], target_id, 10, None)
    assert logs[0]["step"] == "cancelled" and "alice" in logs[0]["message"] and logs[0]["run"] == 1
    # and the machine is refused from then on
    with pytest.raises(Gone):
        agents.authenticate(token)


def test_cancelling_the_deployment_reads_cancelled_with_actor(aws: None) -> None:
    dep = new_deployment()
    running_machine(dep, "h1")
    view = deployments.cancel(dep["id"], ADMIN)
    assert view["status"] == DeploymentStatus.CANCELLED and view["cancelled_by"] == "alice"
    assert view["counts"]["cancelled"] == 1 and view["counts"]["expired"] == 0
    targets, _ = deployments.targets_page(DeploymentModel.get(dep["id"]), 10, None)
    assert [t["status"] for t in targets] == [TargetStatus.CANCELLED]


def test_a_deployment_settles_when_every_expected_machine_has_an_outcome(aws: None) -> None:
    # Given a deployment of two machines
    dep = new_deployment(machines=2)
    first, second = running_machine(dep, "h1"), running_machine(dep, "h2")
    # When one completes it is still active
    report(first, {"status": "success", "message": "ok", "step": "complete"})
    assert deployments.view(DeploymentModel.get(dep["id"]))["status"] == DeploymentStatus.ACTIVE
    # When the other fails, it reads completed_with_failures, and the list filters so
    report(second, {"status": "error", "message": "Script failed with exit code 2", "step": "complete"})
    assert deployments.view(DeploymentModel.get(dep["id"]))["status"] == DeploymentStatus.COMPLETED_WITH_FAILURES
    assert [d["id"] for d in deployments.list_page(50, None, "completed_with_failures")[0]] == [dep["id"]]
    assert deployments.list_page(50, None, "active")[0] == []
    # and a re-run is still accepted (the machine runs again: active again)
    running_again = execution.download(agents.authenticate(second, with_wrapper=True))
    assert running_again
    assert deployments.view(DeploymentModel.get(dep["id"]))["status"] == DeploymentStatus.ACTIVE


def test_rotating_the_master_token_retires_the_old_one_at_once(aws: None) -> None:
    # Given a deployment and its master token
    dep = new_deployment()
    # When an operator issues a new master token
    rotated = deployments.rotate_master(dep["id"])
    # Then the old token is refused, the new one works, and the one-liners carry it
    with pytest.raises(Unauthenticated):
        enrollment.authenticate_master(dep["master_token"])
    assert enrollment.authenticate_master(rotated["master_token"])
    assert all(rotated["master_token"] in line for line in rotated["one_liners"].values())
