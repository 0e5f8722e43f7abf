"""Fault injection: storage errors at every step of enroll, download and feedback.

botocore's ``BaseClient._make_api_call`` is patched in this process (the in-process
stack's request threads included) to raise what AWS raises when it throttles, is
unavailable or cannot be reached, at the Nth DynamoDB / S3 call of a request, for
every N the request makes. Each time:

- the agent gets a clear, retryable answer: 503 STORAGE_UNAVAILABLE with Retry-After,
  and nothing of the injected error in the body;
- no partial state is left: every target has its hostname claim and every claim its
  target, the deployment's counters equal what its targets say, run counts and logs
  moved all or nothing, and a storage hiccup never trips the kill switch;
- the same request, retried once storage is back, succeeds and leaves the same
  consistent state.

Lost races are injected too (a conditional transaction cancelled once): the domain
re-reads and retries, and the counters still move exactly once.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from edgex.store import counters
from tests.adversarial.conftest import Fault, Stack, StorageFaults, error_code

DYNAMO_FAULTS = [
    Fault("ProvisionedThroughputExceededException"),
    Fault("ThrottlingException"),
    Fault("RequestLimitExceeded"),
    Fault("InternalServerError", 500),
    Fault("ServiceUnavailable", 503),
]
TRANSACTION_FAULTS = [
    Fault("TransactionCanceledException", cancellation=("ThrottlingError", "None", "None")),
    Fault("TransactionCanceledException", cancellation=("None", "TransactionConflict", "None")),
    Fault("TransactionInProgressException"),
]
S3_FAULTS = [Fault("SlowDown", 503), Fault("ServiceUnavailable", 503), Fault("InternalError", 500)]
# a conditional PutObject (If-None-Match) while another one of the same key is under way
PUT_FAULTS = [*S3_FAULTS, Fault("ConditionalRequestConflict", 409)]
RUN_COUNTS = counters.RUN_COUNTS
UNREACHABLE = Fault("EndpointConnectionError")  # no HTTP answer at all (see Fault.error)


def faults_for(operation: str) -> list[Fault]:
    if operation == "GetObject":
        return [*S3_FAULTS, UNREACHABLE]
    if operation == "PutObject":
        return [*PUT_FAULTS, UNREACHABLE]
    if operation == "TransactWriteItems":
        return [*DYNAMO_FAULTS, *TRANSACTION_FAULTS, UNREACHABLE]
    return [*DYNAMO_FAULTS, UNREACHABLE]


@pytest.fixture(scope="module")
def script_id(stack: Stack) -> int:
    stack.token("admin")  # fetch the admin token before any fault is armed
    return int(stack.create_script("echo faults\n")["id"])


def new_deployment(stack: Stack, script_id: int, machines: int = 5) -> dict[str, Any]:
    return stack.create_deployment(script_id, machines=machines)


# --- the state a deployment must be in, read straight from moto --------------------------------------------


def deployment_state(stack: Stack, deployment_id: int) -> dict[str, Any]:
    from local.server import physical_table

    ddb = stack.boto("dynamodb")
    dep = ddb.get_item(
        TableName=physical_table("deployments"), Key={"deployment_id": {"N": str(deployment_id)}}, ConsistentRead=True
    )["Item"]
    mine = f"#{deployment_id}#"
    rows = [r for r in stack.table_items("targets") if r["pk"]["S"][1:].startswith(mine)]
    targets = {r["target_id"]["S"]: r for r in rows if r["pk"]["S"].startswith("t#")}
    claims = {"h#" + r["pk"]["S"].split("#", 2)[2]: r["target_id"]["S"] for r in rows if r["pk"]["S"].startswith("h#")}
    logs = {}
    for target_id in targets:
        reports = ddb.query(
            TableName=physical_table("logs"),
            KeyConditionExpression="target_key = :k",
            ExpressionAttributeValues={":k": {"S": f"{deployment_id}#{target_id}"}},
            ConsistentRead=True,
        )["Items"]
        logs[target_id] = sum(len(r["entries"]["S"] and json.loads(r["entries"]["S"])) for r in reports)
    runs = dict.fromkeys(RUN_COUNTS, 0)  # the run counters live in shards (edgex.counters)
    for shard in stack.table_items("counters"):
        if shard["shard_key"]["S"].split("#")[0] == str(deployment_id):
            for name in RUN_COUNTS:
                runs[name] += int(shard.get(name, {"N": "0"})["N"])
    return {"dep": dep, "targets": targets, "claims": claims, "logs": logs, "runs": runs}


def assert_consistent(state: dict[str, Any]) -> None:
    """ARCHITECTURE.md section 3 on one deployment: TOFU pairs, counters, limits."""
    dep, targets, claims = state["dep"], state["targets"], state["claims"]
    # every target has its hostname claim, and every claim its target
    assert {f"h#{t['hostname']['S'].lower()}": tid for tid, t in targets.items()} == claims
    # the counters are what the targets say
    statuses = [t["status"]["S"] for t in targets.values()]
    assert int(dep["enrolled_count"]["N"]) == len(targets)
    assert int(dep["enrolled_count"]["N"]) <= int(dep["expected_machines"]["N"])
    for name in RUN_COUNTS:
        assert state["runs"][name] == statuses.count(name), (name, state["runs"], statuses)
    for target in targets.values():
        assert int(target["run_count"]["N"]) <= int(dep["max_runs"]["N"])
    # a storage fault is never an integrity violation
    assert dep["status"]["S"] == "active" and "S" not in dep.get("kill_reason", {}), dep


def absorbed(fault: Fault) -> bool:
    """A transaction cancelled for no failed condition (a conflict, a throttled item):
    the store runs it again in-process, so the request succeeds with the same outcome."""
    return fault.code == "TransactionCanceledException"


def assert_retryable(answer: requests.Response) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text)
    assert error_code(answer.status_code, answer.headers, answer.content) == "STORAGE_UNAVAILABLE"
    assert answer.headers.get("Retry-After", "").isdigit()
    assert "injected" not in answer.text


def running_probe(stack: Stack, script_id: int) -> str:
    """The agent token of a machine that is running, on a deployment of its own."""
    dep = new_deployment(stack, script_id, machines=1)
    token = stack.enroll(dep["master_token"], "probe", "probe")["agent_token"]
    assert stack.agent("GET", "/v1/agent/download", token).status_code == 200
    return str(token)


def storage_calls(action: Callable[[], requests.Response]) -> list[str]:
    """The DynamoDB / S3 operations one successful request makes, in order."""
    with StorageFaults() as counting:
        answer = action()
    assert answer.status_code < 300, answer.text
    return counting.calls


def fail_once_at(step: int, fault: Fault) -> Callable[[int, str], Fault | None]:
    return lambda n, _op: fault if n == step else None


def plan(calls: list[str]) -> list[tuple[int, str, Fault]]:
    """Every (step, operation, fault) a request's calls allow."""
    return [(step, op, fault) for step, op in enumerate(calls, 1) for fault in faults_for(op)]


def _id(item: tuple[int, str, Fault]) -> str:
    return f"{item[0]}-{item[1]}-{item[2].code}"


# --- enroll ----------------------------------------------------------------------------------------------


def test_enroll_fails_cleanly_at_every_step(stack: Stack, script_id: int) -> None:
    # Given the storage calls of one successful enrollment
    probe = new_deployment(stack, script_id)
    calls = storage_calls(
        lambda: stack.agent(
            "POST", "/v1/agent/enroll", probe["master_token"], json={"hostname": "probe", "machine_id": "probe"}
        )
    )
    assert "TransactWriteItems" in calls
    for step, operation, fault in plan(calls):
        dep = new_deployment(stack, script_id)
        body = {"hostname": f"h-{step}", "machine_id": f"m-{step}-{fault.code}"}
        # When the enrollment meets the fault at that step
        with StorageFaults(fail_once_at(step, fault)) as faults:
            answer = stack.agent("POST", "/v1/agent/enroll", dep["master_token"], json=body)
        assert faults.injected == [(step, operation, fault.code)]
        if absorbed(fault):  # the store tried the transaction again: enrolled once
            assert answer.status_code == 201, answer.text
            assert_consistent(deployment_state(stack, dep["id"]))
            continue
        # Then it is a retryable 503 and nothing was written
        assert_retryable(answer)
        state = deployment_state(stack, dep["id"])
        assert state["targets"] == {} and state["claims"] == {}
        assert_consistent(state)
        # And the retry succeeds into the one consistent target
        again = stack.agent("POST", "/v1/agent/enroll", dep["master_token"], json=body)
        assert again.status_code == 201, again.text
        state = deployment_state(stack, dep["id"])
        assert list(state["targets"]) == [again.json()["target_id"]]
        assert_consistent(state)


def test_re_enroll_fails_cleanly_at_every_step(stack: Stack, script_id: int) -> None:
    # Given an enrolled machine and the storage calls of its re-enrollment
    dep = new_deployment(stack, script_id)
    body = {"hostname": "again-host", "machine_id": "again-machine"}
    first = stack.enroll(dep["master_token"], body["machine_id"], body["hostname"])
    calls = storage_calls(lambda: stack.agent("POST", "/v1/agent/enroll", dep["master_token"], json=body))
    token = stack.enroll(dep["master_token"], body["machine_id"], body["hostname"])["agent_token"]
    for step, operation, fault in plan(calls):
        # When a re-enrollment meets the fault at that step
        with StorageFaults(fail_once_at(step, fault)) as faults:
            answer = stack.agent("POST", "/v1/agent/enroll", dep["master_token"], json=body)
        assert faults.injected == [(step, operation, fault.code)]
        if absorbed(fault):  # the store tried the transaction again: a normal re-enrollment
            assert answer.status_code == 200, answer.text
            token = answer.json()["agent_token"]
            continue
        # Then it is a retryable 503, the token in hand still opens the machine (it was
        # not rotated: the answer is the coded refusal of a machine with no run, not 401)
        # and the deployment still has exactly the one target
        assert_retryable(answer)
        check = stack.agent("POST", "/v1/agent/feedback", token, json={"status": "info", "message": "ok"})
        assert check.status_code == 409 and check.json()["error"]["code"] == "TARGET_NOT_RUNNING", check.text
        state = deployment_state(stack, dep["id"])
        assert list(state["targets"]) == [first["target_id"]]
        assert_consistent(state)
    # And once storage is back, re-enrolling rotates the token as usual
    rotated = stack.enroll(dep["master_token"], body["machine_id"], body["hostname"])
    assert rotated["target_id"] == first["target_id"]
    assert stack.agent("GET", "/v1/agent/download", token).status_code == 401


# --- download --------------------------------------------------------------------------------------------


def cold_function() -> None:
    """What a fresh Lambda environment has: no client, and nothing kept of a deployment
    (its snapshots, its script's verified bytes), so a download makes every call it can."""
    from edgex.store import base

    base.reset()


@pytest.mark.parametrize("cold", [True, False], ids=["cold", "warm"])
def test_download_fails_cleanly_at_every_step(stack: Stack, script_id: int, cold: bool) -> None:
    # Given the storage calls of one successful download, by a function that has read
    # nothing of the deployment yet (cold) or has served it before (warm)
    probe = new_deployment(stack, script_id)
    probe_token = stack.enroll(probe["master_token"], "probe", "probe")["agent_token"]
    warm_up = stack.enroll(probe["master_token"], "warm-up", "warm-up")["agent_token"]
    cold_function()
    if not cold:
        assert stack.agent("GET", "/v1/agent/download", warm_up).status_code == 200
    calls = storage_calls(lambda: stack.agent("GET", "/v1/agent/download", probe_token))
    assert calls.count("GetObject") == (1 if cold else 0) and "TransactWriteItems" in calls
    dep = new_deployment(stack, script_id, machines=len(plan(calls)) + 1)
    warm_up = stack.enroll(dep["master_token"], "warm-up", "warm-up")["agent_token"]
    cold_function()
    if not cold:
        assert stack.agent("GET", "/v1/agent/download", warm_up).status_code == 200
    for n, (step, operation, fault) in enumerate(plan(calls)):
        token = stack.enroll(dep["master_token"], f"dl-{n}", f"dl-{n}")["agent_token"]
        before = deployment_state(stack, dep["id"])
        if cold:
            cold_function()
        # When the download meets the fault at that step
        with StorageFaults(fail_once_at(step, fault)) as faults:
            answer = stack.agent("GET", "/v1/agent/download", token)
        assert faults.injected == [(step, operation, fault.code)]
        if absorbed(fault):  # the store tried the transaction again: served, one run
            again = answer
        else:
            # Then it is a retryable 503, no run was counted and the deployment lives on
            assert_retryable(answer)
            after = deployment_state(stack, dep["id"])
            assert after == before
            assert_consistent(after)
            # And the retry serves the payload and counts exactly one run
            again = stack.agent("GET", "/v1/agent/download", token)
        assert again.status_code == 200 and "_orc_main" in again.text
        state = deployment_state(stack, dep["id"])
        (target,) = [t for t in state["targets"].values() if t["machine_id"]["S"] == f"dl-{n}"]
        assert int(target["run_count"]["N"]) == 1 and target["status"]["S"] == "running"
        assert_consistent(state)


# --- feedback --------------------------------------------------------------------------------------------


def test_feedback_fails_cleanly_at_every_step(stack: Stack, script_id: int) -> None:
    # Given a running machine that reported 5 lines, and the storage calls of a final
    # report (measured on a probe machine: a final report can only be made once)
    final = {
        "entries": [
            {"status": "info", "message": "last words"},
            {"status": "success", "message": "done", "step": "complete"},
        ]
    }
    probe = running_probe(stack, script_id)
    calls = storage_calls(lambda: stack.agent("POST", "/v1/agent/feedback", probe, json=final))
    dep = new_deployment(stack, script_id, machines=2)
    token = stack.enroll(dep["master_token"], "fb", "fb")["agent_token"]
    assert stack.agent("GET", "/v1/agent/download", token).status_code == 200
    info = {"entries": [{"status": "info", "message": f"line {n}", "step": "work"} for n in range(5)]}
    assert stack.agent("POST", "/v1/agent/feedback", token, json=info).status_code == 200
    for step, operation, fault in [p for p in plan(calls) if not absorbed(p[2])]:
        before = deployment_state(stack, dep["id"])
        # When the final report meets the fault at that step
        with StorageFaults(fail_once_at(step, fault)) as faults:
            answer = stack.agent("POST", "/v1/agent/feedback", token, json=final)
        assert faults.injected == [(step, operation, fault.code)]
        # Then it is a retryable 503: no log entry, no status change, no counter moved
        assert_retryable(answer)
        assert deployment_state(stack, dep["id"]) == before
    # And the retry lands the whole batch and the status once
    done = stack.agent("POST", "/v1/agent/feedback", token, json=final)
    assert done.status_code == 200 and done.json() == {"accepted": 2, "target_status": "completed", "control": "stop"}
    state = deployment_state(stack, dep["id"])
    assert list(state["logs"].values()) == [5 + 2]
    assert_consistent(state)
    # And a final report whose transaction is cancelled by a conflict is run again in-process: stored once
    other = stack.start_run(dep["master_token"], "fb2", "fb2")["agent_token"]
    step = calls.index("TransactWriteItems") + 1
    conflict = next(f for f in TRANSACTION_FAULTS if absorbed(f))
    with StorageFaults(fail_once_at(step, conflict)):
        answer = stack.agent("POST", "/v1/agent/feedback", other, json=final)
    assert answer.status_code == 200 and answer.json()["target_status"] == "completed", answer.text
    state = deployment_state(stack, dep["id"])
    assert sorted(state["logs"].values()) == [2, 5 + 2]
    assert_consistent(state)


def test_output_report_fails_cleanly_at_every_step(stack: Stack, script_id: int) -> None:
    # Given the storage calls of one report of a run's output (the head: one conditional put)
    def report(token: str, n: int) -> requests.Response:
        chunks = [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": f"line {n}\n"}]
        headers = {"X-Edgex-Request": f"{n:010d}-1-1"}
        return stack.agent("POST", "/v1/agent/feedback", token, json={"entries": [], "output": chunks}, headers=headers)

    probe = running_probe(stack, script_id)
    calls = storage_calls(lambda: report(probe, 0))
    assert "PutObject" in calls and "HeadObject" not in calls
    token = running_probe(stack, script_id)
    counted_twice = 0
    for n, (step, operation, fault) in enumerate(plan(calls), 1):
        # When the report meets the fault at that step
        with StorageFaults(fail_once_at(step, fault)) as faults:
            answer = report(token, n)
        assert faults.injected == [(step, operation, fault.code)]
        # Then it is a retryable 503, and its retries are answered as stored
        assert_retryable(answer)
        for _ in range(2):
            assert report(token, n).status_code == 200
        counted_twice += len(f"line {n}\n") if operation == "PutObject" else 0
    # And every report's output is stored exactly once, in order; counted once, or twice
    # when S3 refused its put after the count (the count errs on the strict side)
    from edgex import agents, output

    session = agents.authenticate(token, reporting=True)
    sent = "".join(f"line {n}\n" for n in range(1, len(plan(calls)) + 1))
    target = session.target
    assert output.download(int(target.deployment_id), target.target_id, None, None) == (sent.encode(), None)
    assert int(target.output_bytes) == len(sent) + counted_twice


# --- lost races: a conditional transaction cancelled once --------------------------------------------------


def lost_race(calls: list[str], reasons: tuple[str, ...]) -> Callable[[int, str], Fault | None]:
    """Cancel the first TransactWriteItems with a ConditionalCheckFailed, as a concurrent
    writer would; let every other call through."""
    step = calls.index("TransactWriteItems") + 1
    return fail_once_at(step, Fault("TransactionCanceledException", cancellation=reasons))


@pytest.mark.parametrize(
    "reasons",
    [("ConditionalCheckFailed", "None"), ("None", "ConditionalCheckFailed")],
    ids=["target-moved", "deployment-moved"],
)
def test_download_after_a_lost_race_counts_one_run(stack: Stack, script_id: int, reasons: tuple[str, ...]) -> None:
    # Given an enrolled machine
    dep = new_deployment(stack, script_id)
    token = stack.enroll(dep["master_token"], "race", "race")["agent_token"]
    probe_dep = new_deployment(stack, script_id)
    probe = stack.enroll(probe_dep["master_token"], "p", "p")["agent_token"]
    calls = storage_calls(lambda: stack.agent("GET", "/v1/agent/download", probe))
    # When its download transaction is cancelled once by a (simulated) concurrent writer
    with StorageFaults(lost_race(calls, reasons)) as faults:
        answer = stack.agent("GET", "/v1/agent/download", token)
    assert len(faults.injected) == 1
    # Then the domain re-reads and retries: one payload, exactly one run counted
    assert answer.status_code == 200, answer.text
    state = deployment_state(stack, dep["id"])
    (target,) = state["targets"].values()
    assert int(target["run_count"]["N"]) == 1
    assert_consistent(state)


def test_feedback_after_a_lost_race_writes_once(stack: Stack, script_id: int) -> None:
    # Given a running machine
    dep = new_deployment(stack, script_id)
    token = stack.enroll(dep["master_token"], "fr", "fr")["agent_token"]
    assert stack.agent("GET", "/v1/agent/download", token).status_code == 200
    assert stack.agent("POST", "/v1/agent/feedback", token, json={"status": "info", "message": "hi"}).status_code == 200
    final = {"status": "error", "message": "exit code 3", "step": "complete"}
    probe = running_probe(stack, script_id)
    calls = storage_calls(lambda: stack.agent("POST", "/v1/agent/feedback", probe, json=final))
    # When its final report's transaction is cancelled once on the target item
    reasons = ("None", "ConditionalCheckFailed", "None")  # log entry, target, deployment
    with StorageFaults(lost_race(calls, reasons)) as faults:
        answer = stack.agent("POST", "/v1/agent/feedback", token, json=final)
    assert len(faults.injected) == 1
    # Then the entry is written once and the status moves once
    assert answer.status_code == 200 and answer.json()["target_status"] == "failed", answer.text
    state = deployment_state(stack, dep["id"])
    assert list(state["logs"].values()) == [2]
    assert_consistent(state)


def test_fault_kinds_cover_every_retryable_code() -> None:
    """Each AWS code the storage boundary calls retryable is injected somewhere above."""
    from edgex.store import base

    injected = {f.code for f in itertools.chain(DYNAMO_FAULTS, TRANSACTION_FAULTS, PUT_FAULTS)}
    assert base._RETRYABLE <= injected


# --- admin mutations: a 503 must mean "nothing happened, retry" -------------------------------------------


def visible_state(stack: Stack) -> dict[str, Any]:
    """What admins and agents can see: scripts, versions, deployments, targets (not the
    id counters, not unreferenced S3 versions, not the audit trail)."""
    return {
        name: sorted(json.dumps(item, sort_keys=True) for item in stack.table_items(name))
        for name in ("scripts", "script_versions", "deployments", "targets", "logs")
    }


# Not idempotent: a retry after a 503 repeats the change, so a 503 must mean it did not happen.
ADMIN_MUTATIONS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "scripts_create": ("POST", "/v1/admin/scripts", {"name": "f", "type": "bash", "content": "echo f\n"}),
    "scripts_update": ("PUT", "/v1/admin/scripts/{script}", {"content": "echo changed\n"}),
    "deployments_create": (
        "POST",
        "/v1/admin/deployments",
        {"script_id": "{script}", "name": "f", "expected_machines": 1},
    ),
}
# Idempotent: a 503 may come after the change, as long as the retry converges.
IDEMPOTENT_MUTATIONS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "deployments_cancel": ("PUT", "/v1/admin/deployments/{dep}/cancel", None),
    "deployments_pause": ("PUT", "/v1/admin/deployments/{dep}/pause", None),
    "target_cancel": ("PUT", "/v1/admin/deployments/{dep}/targets/{tid}/cancel", None),
    "settings_update": ("PUT", "/v1/admin/settings", {"log_retention_days": 31}),
}


def prepare(stack: Stack, handler: str) -> tuple[str, str, dict[str, Any] | None]:
    """A fresh script, deployment and machine for one attempt of ``handler``: method, path, body."""
    method, template, body = {**ADMIN_MUTATIONS, **IDEMPOTENT_MUTATIONS}[handler]
    script = stack.create_script("echo admin faults\n")
    dep = stack.create_deployment(script["id"], machines=1)
    tid = stack.enroll(dep["master_token"], "adm", "adm")["target_id"]
    payload = None if body is None else {k: script["id"] if v == "{script}" else v for k, v in body.items()}
    return method, template.format(script=script["id"], dep=dep["id"], tid=tid), payload


@pytest.mark.parametrize("handler", sorted(ADMIN_MUTATIONS))
def test_admin_mutation_answers_503_only_when_nothing_happened(stack: Stack, script_id: int, handler: str) -> None:
    """A 503 invites a retry: answering it after the change was made would create a second
    script or version, or a deployment whose master token (shown once) nobody received."""
    # Given the storage calls of the mutation when all goes well
    method, path, payload = prepare(stack, handler)
    calls = storage_calls(lambda: stack.admin(method, path, json=payload))
    for step, operation in enumerate(calls, 1):
        method, path, payload = prepare(stack, handler)
        before = visible_state(stack)
        # When the mutation meets a throttling error at that step
        with StorageFaults(fail_once_at(step, Fault("ThrottlingException"))) as faults:
            answer = stack.admin(method, path, json=payload)
        assert faults.injected == [(step, operation, "ThrottlingException")]
        # Then either it happened (2xx), or it answers a retryable 503 and nothing visible changed
        if answer.status_code == 503:
            assert_retryable(answer)
            assert visible_state(stack) == before, (handler, step, operation)
        else:
            assert answer.status_code < 300, (handler, step, operation, answer.text)
            assert visible_state(stack) != before, (handler, step, operation)


@pytest.mark.parametrize("handler", sorted(IDEMPOTENT_MUTATIONS))
def test_idempotent_admin_mutation_converges_after_a_fault(stack: Stack, script_id: int, handler: str) -> None:
    # Given the storage calls of the mutation when all goes well
    method, path, payload = prepare(stack, handler)
    calls = storage_calls(lambda: stack.admin(method, path, json=payload))
    for step, operation in enumerate(calls, 1):
        method, path, payload = prepare(stack, handler)
        # When the mutation meets a throttling error at that step
        with StorageFaults(fail_once_at(step, Fault("ThrottlingException"))) as faults:
            answer = stack.admin(method, path, json=payload)
        assert faults.injected == [(step, operation, "ThrottlingException")]
        assert answer.status_code < 300 or answer.status_code == 503, answer.text
        if answer.status_code == 503:
            assert_retryable(answer)
        # Then a clean retry succeeds and ends where a clean first attempt ends
        again = stack.admin(method, path, json=payload)
        assert again.status_code < 300, again.text
        if handler == "deployments_cancel":
            assert again.json()["status"] == "cancelled"
        if handler == "deployments_pause":
            assert again.json()["status"] == "paused"
        if handler == "target_cancel":
            assert again.json()["status"] == "cancelled"
            assert_consistent(deployment_state(stack, int(path.split("/")[4])))
        if handler == "settings_update":
            assert stack.admin("GET", "/v1/admin/settings").json()["log_retention_days"] == 31
