"""Rollout control: waves (max_concurrency), the error threshold that pauses a
deployment by itself, and an operator's pause and resume; exact under races."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from edgex import agents, deployments, enrollment, execution, feedback, rollout, scripts
from edgex.audit import Actor
from edgex.errors import DeploymentPaused, TargetChanged, WaitForSlot
from edgex.store import rollout as rollout_store
from edgex.store.tables import DeploymentModel
from edgex.validators import validator
from edgex.validators._errors import JsonSchemaValueException
from edgex.vocabulary import DeploymentStatus, TargetStatus

ADMIN = Actor(username="admin", role="admin")
THREADS = 24


def new_deployment(machines: int, **limits: Any) -> dict[str, Any]:
    script = scripts.create({"name": "s", "type": "bash", "content": "echo hi\n"}, ADMIN)
    body = {"script_id": script["id"], "name": "d", "expected_machines": machines, **limits}
    return deployments.create(body, ADMIN)


def enrolled(dep: dict[str, Any], n: int) -> str:
    deployment = enrollment.authenticate_master(dep["master_token"])
    answer, _ = enrollment.enroll(deployment, {"hostname": f"h-{n}", "machine_id": f"m-{n}"}, {})
    return str(answer["agent_token"])


def download(token: str, run: str | None = None) -> str:
    execution.download(agents.authenticate(token, with_wrapper=True), run)
    return "ran"


def finish(token: str, outcome: str) -> dict[str, Any]:
    level = "success" if outcome == TargetStatus.COMPLETED else "error"
    entry = {"status": level, "message": outcome, "step": "complete", "outcome": outcome}
    return feedback.record(agents.authenticate(token, reporting=True), entry)


def view(dep: dict[str, Any]) -> dict[str, Any]:
    return deployments.view(DeploymentModel.get(dep["id"]))


def test_limits_are_pinned_from_numbers_and_percentages(aws: None) -> None:
    # Given deployments created with a number, a percentage, and nothing
    by_number = new_deployment(50, max_concurrency=3, error_threshold=2)
    by_percent = new_deployment(50, max_concurrency="10%", error_threshold="5%")
    plain = new_deployment(50)
    # Then the view shows the numbers pinned (percentages of expected_machines, rounded up)
    assert (by_number["max_concurrency"], by_number["error_threshold"]) == (3, 2)
    assert (view(by_percent)["max_concurrency"], view(by_percent)["error_threshold"]) == (5, 3)
    assert (plain["max_concurrency"], plain["error_threshold"]) == (None, None)
    # And only deployments with limits have a slot item
    assert rollout_store.read(plain["id"]) is None and rollout_store.read(by_number["id"]) is not None


@pytest.mark.parametrize("bad", [0, -1, "0%", "101%", "10", "ten%", 1.5, None, True])
def test_bad_limits_are_refused_at_the_edge(bad: Any) -> None:
    # Given a create request with a malformed limit, Then the schema refuses it
    for name in ("max_concurrency", "error_threshold"):
        with pytest.raises(JsonSchemaValueException):
            validator("DeploymentCreateRequest")({"script_id": 1, "name": "d", "expected_machines": 5, name: bad})


def test_a_machine_past_max_concurrency_waits_then_runs_when_a_slot_frees(aws: None) -> None:
    # Given max_concurrency 1 and two enrolled machines, the first running
    dep = new_deployment(2, max_concurrency=1)
    first, second = enrolled(dep, 1), enrolled(dep, 2)
    download(first)
    # When the second asks for its payload, Then it is told to wait and reads waiting
    with pytest.raises(WaitForSlot) as waited:
        download(second, "run-2")
    assert waited.value.retry_after and view(dep)["counts"]["waiting"] == 1
    # When the first finishes, Then the second gets its slot with the same run id
    finish(first, TargetStatus.COMPLETED)
    assert download(second, "run-2") == "ran"
    counts = view(dep)["counts"]
    assert (counts["waiting"], counts["running"], counts["completed"]) == (0, 1, 1)
    assert int(rollout_store.read(dep["id"]).in_flight) == 1  # type: ignore[union-attr]


def test_race_never_more_than_max_concurrency_in_flight(aws: None) -> None:
    # Given max_concurrency 3 and many machines asking at once, each finishing when it runs
    limit, machines = 3, 12
    dep = new_deployment(machines, max_concurrency=limit)
    tokens = [enrolled(dep, n) for n in range(machines)]
    lock, running, peak, done = threading.Lock(), [0], [0], [0]

    def machine(token: str) -> None:
        for _ in range(400):  # bounded: waits until every machine has had its turn
            try:
                download(token, f"run-{token[-8:]}")
            except (WaitForSlot, TargetChanged):
                continue
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            with lock:
                running[0] -= 1  # counted down before the report frees the slot
            finish(token, TargetStatus.COMPLETED)
            with lock:
                done[0] += 1
            return

    # When they all run through
    with ThreadPoolExecutor(machines) as pool:
        list(pool.map(machine, tokens))
    # Then never more than the limit were in flight, and every machine completed
    slot = rollout_store.read(dep["id"])
    assert slot is not None and int(slot.in_flight) == 0
    assert peak[0] <= limit and done[0] == machines
    assert view(dep)["counts"]["completed"] == machines


def test_race_in_flight_count_is_exact(aws: None) -> None:
    # Given max_concurrency 4 and 24 machines asking at the same moment
    dep = new_deployment(THREADS, max_concurrency=4)
    tokens = [enrolled(dep, n) for n in range(THREADS)]

    def ask(token: str) -> str:
        try:
            return download(token, "r")
        except WaitForSlot:
            return "wait"
        except TargetChanged:
            return "raced"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(ask, tokens))
    # Then exactly four run, the slot says four, and the rest wait
    counts = view(dep)["counts"]
    assert outcomes.count("ran") == 4 and counts["running"] == 4
    assert int(rollout_store.read(dep["id"]).in_flight) == 4  # type: ignore[union-attr]
    assert counts["waiting"] == outcomes.count("wait")


def test_error_threshold_pauses_and_waiting_machines_stop(aws: None) -> None:
    # Given error_threshold 2 and max_concurrency 2, and four machines
    dep = new_deployment(4, max_concurrency=2, error_threshold=2)
    a, b, c, d = (enrolled(dep, n) for n in range(4))
    download(a)
    download(b)
    with pytest.raises(WaitForSlot):
        download(c)
    # When both running machines fail
    finish(a, TargetStatus.FAILED)
    finish(b, TargetStatus.FAILED)
    # Then the waiting machine is refused for good and the deployment is paused by the threshold
    with pytest.raises(DeploymentPaused):
        download(c)
    shown = view(dep)
    assert shown["status"] == DeploymentStatus.PAUSED and shown["paused_by"] == rollout_store.THRESHOLD_PAUSER
    assert shown["paused_at"] and int(rollout_store.read(dep["id"]).failures) == 2  # type: ignore[union-attr]
    # And another machine is refused too, at enrollment
    with pytest.raises(DeploymentPaused):
        enrolled(dep, 9)
    # When an operator resumes, Then machines run again (nothing reset: failures stay 2)
    rollout.resume(dep["id"])
    assert view(dep)["status"] == DeploymentStatus.ACTIVE and download(c) == "ran"
    # And the next failure pauses it again
    finish(c, TargetStatus.FAILED)
    with pytest.raises(DeploymentPaused):
        download(d)
    assert view(dep)["status"] == DeploymentStatus.PAUSED


def test_race_failures_past_the_threshold_start_no_run(aws: None) -> None:
    # Given error_threshold 3, twelve running machines that all fail at once, and twelve more waiting to run
    dep = new_deployment(24, error_threshold=3)
    runners = [enrolled(dep, n) for n in range(12)]
    others = [enrolled(dep, n) for n in range(12, 24)]
    for token in runners:
        download(token)

    def fail(token: str) -> None:
        finish(token, TargetStatus.FAILED)

    def ask(token: str) -> str:
        try:
            return download(token)
        except (DeploymentPaused, TargetChanged):
            return "refused"

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(fail, runners))
        outcomes = list(pool.map(ask, others))
    # Then every failure is counted once, and no further machine ran
    assert int(rollout_store.read(dep["id"]).failures) == 12  # type: ignore[union-attr]
    assert outcomes.count("ran") == 0 and view(dep)["status"] == DeploymentStatus.PAUSED


def test_an_operator_pause_stops_new_runs_and_lets_running_ones_report(aws: None) -> None:
    # Given a deployment without limits, one machine running and one enrolled
    dep = new_deployment(2)
    running, idle = enrolled(dep, 1), enrolled(dep, 2)
    download(running)
    # When an operator pauses it
    paused = deployments.view(rollout.pause(dep["id"], ADMIN))
    assert paused["status"] == DeploymentStatus.PAUSED and paused["paused_by"] == "admin"
    # Then the idle machine may not start, the running one still reports its result
    with pytest.raises(DeploymentPaused):
        download(idle)
    assert finish(running, TargetStatus.COMPLETED)["target_status"] == TargetStatus.COMPLETED
    # And a cancel still stops a paused deployment
    assert deployments.cancel(dep["id"], ADMIN)["status"] == DeploymentStatus.CANCELLED


def test_the_wait_answer_is_a_coded_503_with_retry_after() -> None:
    # Given the wait and the paused errors, When the HTTP layer answers them
    from http_api.errors import from_error

    wait, paused = from_error(WaitForSlot()), from_error(DeploymentPaused())
    # Then the wait is a retryable 503 saying how long to wait, the pause a final 409
    assert wait["statusCode"] == 503 and wait["headers"]["Retry-After"] == str(WaitForSlot.retry_after)
    assert '"WAIT_FOR_SLOT"' in wait["body"]
    assert paused["statusCode"] == 409 and '"DEPLOYMENT_PAUSED"' in paused["body"]
