"""Fleet-scale agent rules (issue 13), on moto in-process: a retried request is
recognised, a token cannot flood the log, a re-enrollment cannot take a run over, a
run may finish after its deployment stopped, and no deployment shares a partition."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest

from edgex import agents, clock, deployments, enrollment, execution, feedback, output, platform_settings, scripts
from edgex.audit import Actor
from edgex.errors import (
    DeploymentCancelled,
    DeploymentExpired,
    HostnameMismatch,
    LogQuotaExceeded,
    StaleRun,
    TargetBusy,
    TargetNotRunning,
    Unauthenticated,
)
from edgex.store import keys
from edgex.store import targets as target_store
from edgex.store.tables import DeploymentModel, LogModel, TargetModel
from edgex.vocabulary import TargetStatus

ADMIN = Actor(username="alice", role="admin")
RUN = "run-0123456789abcdef"
FINAL = {"status": "success", "message": "Script completed successfully", "step": "complete", "exit_code": 0}


def new_deployment(machines: int = 3) -> dict[str, Any]:
    script = scripts.create({"name": "s", "type": "bash", "content": "echo hi\n"}, ADMIN)
    return deployments.create({"script_id": script["id"], "name": "d", "expected_machines": machines}, ADMIN)


def enroll(dep: dict[str, Any], name: str, hostname: str | None = None) -> dict[str, Any]:
    master = enrollment.authenticate_master(dep["master_token"])
    answer, _ = enrollment.enroll(master, {"hostname": hostname or name, "machine_id": name}, {})
    return answer


def download(token: str, run_id: str | None = RUN) -> str:
    return execution.download(agents.authenticate(token, with_wrapper=True), run_id)


def post(token: str, entries: list[dict[str, Any]], request: str | None = None, run_id: str | None = RUN) -> Any:
    return feedback.record(agents.authenticate(token, reporting=True), {"entries": entries}, run_id, request)


def stored_entries(deployment_id: int, target_id: str) -> list[dict[str, Any]]:
    return [e for item in LogModel.query(keys.log_partition(deployment_id, target_id)) for e in item.entries]


def target(deployment_id: int, target_id: str) -> TargetModel:
    found = target_store.get(deployment_id, target_id)
    assert found is not None
    return found


def test_a_retried_download_of_the_same_run_is_not_another_run(aws: None) -> None:
    # Given a machine whose download reply was lost after the run was counted
    dep = new_deployment()
    machine = enroll(dep, "m1")
    first = download(machine["agent_token"])
    # When it asks again with the same run id (twice, as a flaky network would)
    again = download(machine["agent_token"])
    download(machine["agent_token"])
    # Then it gets the very same payload and the run is counted once
    assert again == first
    assert int(target(dep["id"], machine["target_id"]).run_count) == 1
    assert deployments.view(DeploymentModel.get(dep["id"]))["counts"]["running"] == 1
    # And a new run id is a new run (a re-run), counted
    download(machine["agent_token"], run_id="run-fedcba9876543210")
    assert int(target(dep["id"], machine["target_id"]).run_count) == 2


def test_a_retried_report_is_stored_once_and_counted_once(aws: None) -> None:
    # Given a running machine
    dep = new_deployment()
    machine = enroll(dep, "m1")
    download(machine["agent_token"])
    # When its final report is sent, and sent again with the same request key (the reply was lost)
    first = post(machine["agent_token"], [{"status": "info", "message": "done"}, FINAL], request="0000000001-1-1")
    again = post(machine["agent_token"], [{"status": "info", "message": "done"}, FINAL], request="0000000001-1-1")
    # Then both answers say completed, the second says it was a duplicate, and every
    # entry is stored once and the counters moved once
    assert first["target_status"] == again["target_status"] == TargetStatus.COMPLETED
    assert again.get("duplicate") is True and "duplicate" not in first
    assert [e["message"] for e in stored_entries(dep["id"], machine["target_id"])] == [
        "done",
        "Script completed successfully",
    ]
    counts = deployments.view(DeploymentModel.get(dep["id"]))["counts"]
    assert (counts["completed"], counts["running"]) == (1, 0)


def test_reports_of_another_run_are_refused(aws: None) -> None:
    dep = new_deployment()
    machine = enroll(dep, "m1")
    download(machine["agent_token"])
    with pytest.raises(StaleRun):
        post(machine["agent_token"], [{"status": "info", "message": "late"}], run_id="run-of-yesterday-000")
    assert stored_entries(dep["id"], machine["target_id"]) == []


def test_a_flood_is_refused_from_an_enrolled_a_finished_and_an_over_quota_target(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a small log quota: 5 entries per run
    monkeypatch.setattr(platform_settings, "defaults", _with(platform_settings.defaults, run_log_entries=5))
    dep = new_deployment()
    enrolled, finished, running = enroll(dep, "e1"), enroll(dep, "f1"), enroll(dep, "r1")
    # When an enrolled machine (no run yet) posts entries
    with pytest.raises(TargetNotRunning):
        post(enrolled["agent_token"], [{"status": "info", "message": "x"}], run_id=None)
    # ... and a machine whose run ended long ago posts entries
    download(finished["agent_token"])
    post(finished["agent_token"], [FINAL])
    done = target(dep["id"], finished["target_id"])
    done.update(actions=[TargetModel.completed_at.set(clock.iso(clock.now() - timedelta(hours=1)))])
    with pytest.raises(TargetNotRunning):
        post(finished["agent_token"], [{"status": "info", "message": "x" * 4096}] * 50)
    # ... and a running machine posts past its quota, again and again
    download(running["agent_token"])
    post(running["agent_token"], [{"status": "info", "message": f"line {n}"} for n in range(4)])
    for _ in range(3):
        with pytest.raises(LogQuotaExceeded):
            post(running["agent_token"], [{"status": "info", "message": "flood"}] * 50)
    # Then nothing was stored for the first two, the third holds its quota and one
    # "log truncated" marker; its final report is still taken
    assert stored_entries(dep["id"], enrolled["target_id"]) == []
    assert [e["step"] for e in stored_entries(dep["id"], finished["target_id"])] == ["complete"]
    kept = stored_entries(dep["id"], running["target_id"])
    assert [e["message"] for e in kept[:4]] == [f"line {n}" for n in range(4)]
    assert [e["step"] for e in kept[4:]] == ["log-truncated"] and "50 entries" in kept[4]["message"]
    assert post(running["agent_token"], [FINAL])["target_status"] == TargetStatus.COMPLETED
    assert stored_entries(dep["id"], running["target_id"])[-1]["step"] == "complete"


def test_a_full_log_refuses_entries_but_keeps_the_output_riding_with_them(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a running machine whose log is full (5 entries per run) and already marked
    monkeypatch.setattr(platform_settings, "defaults", _with(platform_settings.defaults, run_log_entries=5))
    dep = new_deployment()
    machine = enroll(dep, "m1")
    download(machine["agent_token"])
    session = agents.authenticate(machine["agent_token"], reporting=True)
    feedback.record(session, {"entries": [{"status": "info", "message": f"line {n}"} for n in range(5)]}, RUN, "1-a")

    def report(request: str, text: str) -> None:
        body = {
            "entries": [{"status": "info", "message": "more"}],
            "output": [{"stream": "stdout", "at": "2026-12-02T10:00:00Z", "text": text}],
        }
        with pytest.raises(LogQuotaExceeded):
            feedback.record(agents.authenticate(machine["agent_token"], reporting=True), body, RUN, request)

    # When the wrapper's reports carry entries with the script's output, once the log is
    # full (the first one writes the marker) and after
    report("2-a", "first\n")
    report("3-a", "second\n")
    # Then the entries were refused but the output of both reports was kept, in order
    page = output.page(dep["id"], machine["target_id"], None, None, 10)
    assert "".join(item["text"] for item in page["items"]) == "first\nsecond\n"
    assert stored_entries(dep["id"], machine["target_id"])[-1]["step"] == "log-truncated"


def test_a_re_enrollment_cannot_take_a_running_machine_over(aws: None) -> None:
    # Given a machine in the middle of its run
    dep = new_deployment()
    victim = enroll(dep, "victim-id", "victim")
    download(victim["agent_token"])
    # When someone with the master token enrolls its machine id, under its hostname or another
    with pytest.raises(TargetBusy):
        enroll(dep, "victim-id", "victim")
    with pytest.raises(HostnameMismatch):
        enroll(dep, "victim-id", "attacker")
    # Then the victim's token still works: its run completes and reports
    assert post(victim["agent_token"], [FINAL])["target_status"] == TargetStatus.COMPLETED


def test_a_machine_whose_run_went_silent_can_enroll_again(aws: None) -> None:
    dep = new_deployment()
    machine = enroll(dep, "m1")
    download(machine["agent_token"])
    stale = clock.iso(clock.now() - timedelta(hours=1))
    target(dep["id"], machine["target_id"]).update(actions=[TargetModel.last_seen_at.set(stale)])
    again = enroll(dep, "m1")
    assert again["target_id"] == machine["target_id"]
    with pytest.raises(Unauthenticated):
        agents.authenticate(machine["agent_token"])


def test_a_run_in_progress_may_report_after_its_deployment_is_cancelled(aws: None) -> None:
    # Given two running machines
    dep = new_deployment()
    first, second = enroll(dep, "m1"), enroll(dep, "m2")
    download(first["agent_token"])
    download(second["agent_token"])
    # When the deployment is cancelled during their runs
    deployments.cancel(dep["id"], ADMIN)
    # Then a new download is refused, but each run's final report is stored and counted
    with pytest.raises(DeploymentCancelled):
        download(first["agent_token"], run_id="run-after-the-cancel")
    assert post(first["agent_token"], [FINAL])["target_status"] == TargetStatus.COMPLETED
    failed = {"status": "error", "message": "exit code 3", "step": "complete", "exit_code": 3}
    assert post(second["agent_token"], [failed])["target_status"] == TargetStatus.FAILED
    counts = deployments.view(DeploymentModel.get(dep["id"]))["counts"]
    assert (counts["completed"], counts["failed"], counts["running"]) == (1, 1, 0)


def test_a_run_in_progress_may_report_after_its_deployment_expires(aws: None) -> None:
    # Given a running machine
    dep = new_deployment()
    machine = enroll(dep, "m1")
    download(machine["agent_token"])
    # When its deployment expires during the run (just after it started)
    started = clock.parse(str(target(dep["id"], machine["target_id"]).started_at))
    time.sleep(0.01)
    expired_at = clock.iso(started + timedelta(milliseconds=1))
    DeploymentModel.get(dep["id"]).update(actions=[DeploymentModel.expires_at.set(expired_at)])
    # Then new runs are refused, but this run's final report is stored and counted
    with pytest.raises(DeploymentExpired):
        enroll(dep, "m2")
    assert post(machine["agent_token"], [FINAL])["target_status"] == TargetStatus.COMPLETED
    counts = deployments.view(DeploymentModel.get(dep["id"]))["counts"]
    assert (counts["completed"], counts["running"]) == (1, 0)


def test_after_the_report_grace_a_stopped_run_reports_no_more(aws: None) -> None:
    dep = new_deployment()
    machine = enroll(dep, "m1")
    download(machine["agent_token"])
    deployments.cancel(dep["id"], ADMIN)
    long_ago = clock.iso(clock.now() - timedelta(hours=2))
    DeploymentModel.get(dep["id"]).update(actions=[DeploymentModel.updated_at.set(long_ago)])
    with pytest.raises(DeploymentCancelled):
        post(machine["agent_token"], [FINAL])


def test_a_deployments_machines_never_share_a_partition(aws: None) -> None:
    # Given machines of one deployment
    dep = new_deployment(machines=20)
    machines = [enroll(dep, f"m{n}") for n in range(20)]
    # Then each target, each hostname claim and each machine's log have partitions of their own
    pks = [target(dep["id"], m["target_id"]).pk for m in machines]
    assert len(set(pks)) == len(pks)
    claims = [pk for member, pk in target_store.members(dep["id"]) if member.startswith(keys.CLAIM_MEMBER)]
    assert len(set(claims)) == 20 and not set(claims) & set(pks)
    # And the listing index spreads them over its shards
    shards = {target(dep["id"], m["target_id"]).list_shard for m in machines}
    assert len(shards) > 1


def _with(defaults: Any, **overrides: Any) -> Any:
    def patched() -> dict[str, Any]:
        return {**defaults(), **overrides}

    return patched
