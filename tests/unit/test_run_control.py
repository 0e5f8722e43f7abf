"""Run control in-process (moto): heartbeats, the control answer, output kept past the
run's limit with every dropped byte counted, and the lost sweep's conditions."""

from __future__ import annotations

from typing import Any

import pytest

from edgex import agents, deployments, execution, feedback, output, sweep
from edgex.errors import StaleRun, StorageUnavailable
from edgex.store import keys
from edgex.store import targets as target_store
from edgex.store.tables import DeploymentModel, LogModel, TargetModel
from tests.unit.test_agent_rules import ADMIN, enroll, new_deployment


def running(dep: dict[str, Any], machine: str) -> str:
    """A machine that enrolled and downloaded: its agent token."""
    agent, _ = enroll(dep, machine, f"host-{machine}")
    execution.download(agents.authenticate(agent["agent_token"], with_wrapper=True))
    return str(agent["agent_token"])


def whole_output(deployment_id: int, target_id: str) -> str:
    """Every part of a run's download, joined: what a client following the cursor saves."""
    parts, cursor = [], None
    while True:
        data, cursor = output.download(deployment_id, target_id, None, cursor)
        parts.append(data.decode())
        if cursor is None:
            return "".join(parts)


def target_of(token: str) -> TargetModel:
    session = agents.authenticate(token, reporting=True)
    return session.target


def test_a_heartbeat_moves_last_seen_only_and_answers_control(aws: None) -> None:
    # Given a running machine
    dep = new_deployment(1)
    token = running(dep, "m-hb")
    before = target_of(token)
    # When it reports nothing (a heartbeat)
    answer = feedback.record(agents.authenticate(token, reporting=True), {"entries": []}, request="0000000001-1-1")
    # Then it is told to continue, no log row is written, and it counts as seen
    assert answer == {"accepted": 0, "target_status": "running", "control": "continue"}
    assert list(LogModel.query(keys.log_partition(int(dep["id"]), before.target_id))) == []
    assert target_of(token).last_seen_at >= before.last_seen_at
    # And once the deployment is cancelled, the next heartbeat says stop
    deployments.cancel(dep["id"], ADMIN)
    answer = feedback.record(agents.authenticate(token, reporting=True), {"entries": []}, request="0000000002-1-1")
    assert answer["control"] == "stop"


def test_output_past_the_limit_keeps_head_and_tail_and_counts_every_dropped_byte(aws: None) -> None:
    # Given a running machine of a deployment keeping 256 KiB of output per run
    dep = new_deployment(1)
    DeploymentModel(dep["id"]).update(actions=[DeploymentModel.run_output_bytes.set(256 * 1024)])
    token = running(dep, "m-out")
    # When it reports 40 reports of 16 KiB each (640 KiB)
    sent = []
    for n in range(40):
        text = f"{n:04d}" + "z" * (16 * 1024 - 5) + "\n"
        sent.append(text)
        chunks = [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": text}]
        feedback.record(
            agents.authenticate(token, reporting=True), {"entries": [], "output": chunks}, request=f"{n:010d}-1-1"
        )
    # Then the kept text is a head and a tail of what was sent, the cut marked with its size
    target = target_of(token)
    page = output.page(int(dep["id"]), target.target_id, None, None, 100)
    assert page["truncated"] and page["total_bytes"] == sum(len(t) for t in sent)
    text = whole_output(int(dep["id"]), target.target_id)
    marker = f"\n[... {page['dropped_bytes']} bytes dropped ...]\n"
    head, tail = text.split(marker)
    everything = "".join(sent)
    assert everything.startswith(head) and everything.endswith(tail)
    assert len(head) + len(tail) + page["dropped_bytes"] == page["total_bytes"]
    assert len(head) + len(tail) <= 256 * 1024 + 16 * 1024  # the limit, give or take one report
    # And a retried report, of the head or of the tail, is counted once
    for n in (0, 39):
        again = [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": sent[n]}]
        feedback.record(
            agents.authenticate(token, reporting=True), {"entries": [], "output": again}, request=f"{n:010d}-1-1"
        )
    assert target_of(token).output_bytes == page["total_bytes"]
    assert whole_output(int(dep["id"]), target.target_id) == text


def test_a_retried_head_report_is_stored_and_counted_once_with_no_head_request(aws: None) -> None:
    from bench.metering import Recorder
    from local.server import REGION

    # Given a running machine whose run's output is still in its head
    dep = new_deployment(1)
    token = running(dep, "m-retry")
    text = "hello\n" * 100
    body = {"entries": [], "output": [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": text}]}
    with Recorder(REGION).installed() as recorder:
        # When it reports output, and the same report comes again (its answer was lost)
        with recorder.window() as first:
            feedback.record(agents.authenticate(token, reporting=True), body, request="0000000001-1-1")
        with recorder.window() as retry:
            feedback.record(agents.authenticate(token, reporting=True), body, request="0000000001-1-1")
    # Then the report was counted and stored with one conditional put, and no HeadObject
    assert [c.name for c in first.calls if c.service == "s3"] == ["s3.PutObject"]
    assert not [c for c in first.calls + retry.calls if c.operation == "HeadObject"]
    # And the retry found its key taken and gave its count back: stored once, counted once
    assert [(c.name, c.failed) for c in retry.calls if c.service == "s3"] == [("s3.PutObject", True)]
    target = target_of(token)
    assert target.output_bytes == len(text)
    assert whole_output(int(dep["id"]), target.target_id) == text


def test_output_stored_after_a_failed_put_is_counted_on_the_strict_side(aws: None) -> None:
    from tests.adversarial.conftest import Fault, StorageFaults

    # Given a running machine whose output report is counted, then refused by S3
    dep = new_deployment(1)
    token = running(dep, "m-fault")
    text = "once\n"
    body = {"entries": [], "output": [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": text}]}
    put_fails = StorageFaults(lambda _n, op: Fault("SlowDown", 503) if op == "PutObject" else None)
    with put_fails, pytest.raises(StorageUnavailable):
        feedback.record(agents.authenticate(token, reporting=True), body, request="0000000001-1-1")
    # When the agent sends the report again
    feedback.record(agents.authenticate(token, reporting=True), body, request="0000000001-1-1")
    # Then it is stored once, and counted twice: the count errs on the strict side, never under
    target = target_of(token)
    assert whole_output(int(dep["id"]), target.target_id) == text
    assert target.output_bytes == 2 * len(text)


def test_a_reports_own_write_counts_its_output(aws: None) -> None:
    from bench.metering import Recorder
    from local.server import REGION

    # Given a running machine
    dep = new_deployment(1)
    token = running(dep, "m-fold")
    chunk = {"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": "hello\n"}
    with Recorder(REGION).installed() as recorder:
        # When it sends a report with entries and output, a heartbeat with output, and its final report with output
        with recorder.window() as progress:
            feedback.record(
                agents.authenticate(token, reporting=True),
                {"entries": [{"status": "info", "message": "working"}], "output": [chunk]},
                request="0000000001-1-1",
            )
        with recorder.window() as beat:
            feedback.record(
                agents.authenticate(token, reporting=True), {"entries": [], "output": [chunk]}, request="0000000002-1-1"
            )
        with recorder.window() as final:
            feedback.record(
                agents.authenticate(token, reporting=True),
                {"entries": [{"status": "success", "message": "done", "step": "complete"}], "output": [chunk]},
                request="0000000003-1-1",
            )
    # Then each counted its output in the one write of the target it makes anyway
    # (progress: UpdateItem, heartbeat: UpdateItem, final: the transaction), none in a write of its own
    assert [c.name for c in progress.calls if c.name == "dynamodb.UpdateItem"] == ["dynamodb.UpdateItem"]
    assert [c.name for c in beat.calls if c.name == "dynamodb.UpdateItem"] == ["dynamodb.UpdateItem"]
    assert not [c for c in final.calls if c.name == "dynamodb.UpdateItem"]
    target = target_of(token)
    assert target.output_bytes == 3 * len("hello\n")
    assert whole_output(int(dep["id"]), target.target_id) == "hello\n" * 3


def test_a_retried_report_stores_the_output_its_first_try_lost(aws: None) -> None:
    from tests.adversarial.conftest import Fault, StorageFaults

    # Given a running machine whose report's entries are stored, then its output refused by S3
    dep = new_deployment(1)
    token = running(dep, "m-heal")
    body = {
        "entries": [{"status": "info", "message": "working"}],
        "output": [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": "kept\n"}],
    }
    put_fails = StorageFaults(lambda _n, op: Fault("SlowDown", 503) if op == "PutObject" else None)
    with put_fails, pytest.raises(StorageUnavailable):
        feedback.record(agents.authenticate(token, reporting=True), body, request="0000000001-1-1")
    # When the agent sends the report again
    answer = feedback.record(agents.authenticate(token, reporting=True), body, request="0000000001-1-1")
    # Then the entries stay stored once (a duplicate) and the output is stored now
    assert answer.get("duplicate") is True
    target = target_of(token)
    assert whole_output(int(dep["id"]), target.target_id) == "kept\n"
    rows = list(LogModel.query(keys.log_partition(int(dep["id"]), target.target_id)))
    assert [e["message"] for row in rows for e in row.entries] == ["working"]


def test_output_of_a_run_that_moved_on_is_a_stale_run_not_a_crash(aws: None) -> None:
    # Given a running machine as read, whose run then moved on (a new download)
    dep = new_deployment(1)
    token = running(dep, "m-moved")
    seen = target_of(token)
    target_of(token).update(actions=[TargetModel.run_count.add(1)])
    # When output is counted against the run as read / Then it is refused as a stale run
    with pytest.raises(StaleRun):
        target_store.add_output(seen, 10, tail=False)


def test_a_large_output_downloads_in_parts_that_fit_a_lambda_answer(aws: None) -> None:
    # Given a running machine that reported 100 reports of 40 KiB (4 MB of kept output)
    dep = new_deployment(1)
    token = running(dep, "m-parts")
    sent = []
    for n in range(100):
        text = f"{n:04d}" + "ż" * (20 * 1024 - 3) + "\n"  # 2-byte characters: sizes count bytes
        sent.append(text)
        chunks = [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": text}]
        feedback.record(
            agents.authenticate(token, reporting=True), {"entries": [], "output": chunks}, request=f"{n:010d}-1-1"
        )
    target = target_of(token)
    # When the whole output is downloaded part by part
    parts, cursor = [], None
    while True:
        data, cursor = output.download(int(dep["id"]), target.target_id, None, cursor)
        parts.append(data)
        if cursor is None:
            break
    # Then it came in several parts, each within 3 MiB (4 MiB base64, under Lambda's 6 MB),
    # and together they are exactly what was printed, in order
    assert len(parts) == 3
    assert all(len(p) <= 3 * 1024 * 1024 for p in parts)
    assert b"".join(parts).decode() == "".join(sent)


def test_the_sweep_marks_only_silent_runs_lost(aws: None) -> None:
    # Given two running machines, one silent past its deployment's grace
    dep = new_deployment(2)
    silent, alive = running(dep, "m-silent"), running(dep, "m-alive")
    old = "2000-01-01T00:00:00.000Z"
    target_of(silent).update(actions=[TargetModel.last_seen_at.set(old)])
    # When the sweep runs
    result = sweep.sweep()
    # Then only the silent one is lost, the counts say so, and it leaves the running index
    assert result["lost"] == 1
    assert target_of(silent).status == "lost" and target_of(alive).status == "running"
    view = deployments.view(DeploymentModel.get(dep["id"]))
    assert view["counts"]["lost"] == 1 and view["counts"]["running"] == 1
    assert (int(dep["id"]), target_of(silent).target_id) not in target_store.running_keys()
    # And a run that reported after the sweep read it is not marked lost (a late heartbeat wins)
    stale = target_of(alive)
    stale_copy = TargetModel.from_raw_data(stale.serialize())
    stale_copy.last_seen_at = old  # what a slow sweep read before the heartbeat
    assert target_store.mark_lost(stale_copy, "2026-01-01T00:00:00.000Z") is False
