"""Races through HTTP: 64 threads at once against the real local server, 20 rounds each.

The unit suite races the domain functions (32 threads, in process); these go through
the whole stack (HTTP, werkzeug threads, handlers, pynamodb, moto) the way a fleet of
machines and a busy admin would. Each round releases its 64 requests together from a
barrier, then checks ARCHITECTURE.md section 3 on what came back and on what the API
shows afterwards. Zero violations allowed.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.adversarial.conftest import kill_server, start_server
from tests.conftest import LocalServer

pytestmark = pytest.mark.slow

THREADS = 64
ROUNDS = 20


@dataclass
class Answer:
    status: int
    body: Any
    sent_at: float
    answered_at: float

    @property
    def code(self) -> str | None:
        return self.body.get("error", {}).get("code") if isinstance(self.body, dict) else None


def call(method: str, url: str, token: str, **kwargs: Any) -> Answer:
    sent = time.monotonic()
    answer = requests.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=120, **kwargs)
    done = time.monotonic()
    try:
        body: Any = answer.json()
    except ValueError:
        body = answer.text
    return Answer(answer.status_code, body, sent, done)


def burst(jobs: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the jobs on as many threads, released together."""
    gate = threading.Barrier(len(jobs))

    def run(job: Callable[[], Answer]) -> Answer:
        gate.wait(timeout=60)
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def targets(server: LocalServer, deployment_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = server.admin("GET", f"/v1/admin/deployments/{deployment_id}/targets?limit=100{cursor}").json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        cursor = f"&cursor={page['next_cursor']}"


def deployment(server: LocalServer, deployment_id: int) -> dict[str, Any]:
    answer = server.admin("GET", f"/v1/admin/deployments/{deployment_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A local server per race test (overrides the shared one): its tables hold only this
    test's rounds, so a round's cost does not grow with what other tests stored."""
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        kill_server(server)


@pytest.fixture
def race_script(local_server: LocalServer) -> dict[str, Any]:
    return local_server.create_script("echo race\n")


def enroll_job(server: LocalServer, master: str, machine_id: str, hostname: str) -> Callable[[], Answer]:
    return lambda: call(
        "POST", f"{server.url}/v1/agent/enroll", master, json={"hostname": hostname, "machine_id": machine_id}
    )


def test_tofu_same_machine_64_at_once(local_server: LocalServer, race_script: dict[str, Any]) -> None:
    for round_no in range(ROUNDS):
        # Given a fresh deployment
        dep = local_server.create_deployment(race_script["id"], machines=THREADS)
        # When the same machine enrolls 64 times at once
        answers = burst(
            [enroll_job(local_server, dep["master_token"], f"same-{round_no}", f"same-{round_no}")] * THREADS
        )
        # Then one enrollment created the target and the 63 others got that same target
        assert sorted(a.status for a in answers) == [200] * (THREADS - 1) + [201], Counter(a.status for a in answers)
        assert len({a.body["target_id"] for a in answers}) == 1
        assert len(targets(local_server, dep["id"])) == 1
        assert deployment(local_server, dep["id"])["counts"]["enrolled"] == 1
        # And of the 64 tokens handed out exactly one still opens the machine: each
        # re-enrollment replaced the one before, whatever order they landed in
        checks = burst(
            [lambda a=a: call("GET", f"{local_server.url}/v1/agent/download", a.body["agent_token"]) for a in answers]
        )
        assert sorted(c.status for c in checks) == [200] + [401] * (THREADS - 1)


def test_tofu_one_hostname_64_machines_at_once(local_server: LocalServer, race_script: dict[str, Any]) -> None:
    for round_no in range(ROUNDS):
        dep = local_server.create_deployment(race_script["id"], machines=THREADS)
        # When 64 different machines claim one hostname at once (in any letter case)
        name = f"contested-{round_no}"
        jobs = [
            enroll_job(local_server, dep["master_token"], f"claim-{round_no}-{n}", name.upper() if n % 2 else name)
            for n in range(THREADS)
        ]
        answers = burst(jobs)
        # Then exactly one machine has it and the 63 others got 409 HOSTNAME_CONFLICT
        assert sorted(a.status for a in answers) == [201] + [409] * (THREADS - 1)
        assert {a.code for a in answers if a.status == 409} == {"HOSTNAME_CONFLICT"}
        (winner,) = [a for a in answers if a.status == 201]
        (target,) = targets(local_server, dep["id"])
        assert target["id"] == winner.body["target_id"]
        assert deployment(local_server, dep["id"])["counts"]["enrolled"] == 1


def test_enrollment_cap_64_machines_at_once(local_server: LocalServer, race_script: dict[str, Any]) -> None:
    for round_no in range(ROUNDS):
        # Given a deployment for a few machines (1 to 20, varying per round)
        cap = 1 + (round_no * 7) % 20
        dep = local_server.create_deployment(race_script["id"], machines=cap)
        # When 64 distinct machines enroll at once
        answers = burst(
            [
                enroll_job(local_server, dep["master_token"], f"cap-{round_no}-{n}", f"cap-{round_no}-{n}")
                for n in range(THREADS)
            ]
        )
        # Then exactly `cap` got in, the others got 409 ENROLLMENT_CAP_REACHED, never one more
        statuses = Counter(a.status for a in answers)
        assert statuses == Counter({201: cap, 409: THREADS - cap}), statuses
        assert {a.code for a in answers if a.status == 409} == {"ENROLLMENT_CAP_REACHED"}
        found = targets(local_server, dep["id"])
        assert len(found) == cap
        assert {t["id"] for t in found} == {a.body["target_id"] for a in answers if a.status == 201}
        assert deployment(local_server, dep["id"])["counts"]["enrolled"] == cap


def test_rerun_limit_64_downloads_at_once(local_server: LocalServer, race_script: dict[str, Any]) -> None:
    for round_no in range(ROUNDS):
        # Given one enrolled machine and the deployment's pinned re-run limit
        dep = local_server.create_deployment(race_script["id"], machines=1)
        limit = int(dep["max_runs"])
        agent = local_server.agent(
            "POST",
            "/v1/agent/enroll",
            dep["master_token"],
            json={"hostname": f"rr-{round_no}", "machine_id": f"rr-{round_no}"},
        ).json()
        # When it downloads 64 times at once
        answers = burst(
            [lambda t=agent["agent_token"]: call("GET", f"{local_server.url}/v1/agent/download", t)] * THREADS
        )
        # Then exactly `limit` runs were served (the same bytes) and the rest got 429
        statuses = Counter(a.status for a in answers)
        assert statuses == Counter({200: limit, 429: THREADS - limit}), statuses
        assert {a.code for a in answers if a.status == 429} == {"RERUN_LIMIT_EXCEEDED"}
        assert len({a.body for a in answers if a.status == 200}) == 1
        (target,) = targets(local_server, dep["id"])
        assert target["run_count"] == limit and target["status"] == "running"
        counts = deployment(local_server, dep["id"])["counts"]
        assert counts["running"] == 1 and counts["enrolled"] == 1


def test_max_concurrency_64_downloads_at_once(local_server: LocalServer, race_script: dict[str, Any]) -> None:
    limit = 5
    for round_no in range(ROUNDS // 4):  # each round enrolls 64 machines first
        # Given 64 enrolled machines in a deployment that runs at most 5 at a time
        dep = local_server.create_deployment(race_script["id"], machines=THREADS, max_concurrency=limit)
        enrolled = burst(
            [
                enroll_job(local_server, dep["master_token"], f"mc-{round_no}-{n}", f"mc-{round_no}-{n}")
                for n in range(THREADS)
            ]
        )
        assert Counter(a.status for a in enrolled) == Counter({201: THREADS})
        # When all 64 ask for their payload at once
        answers = burst(
            [lambda t=a.body["agent_token"]: call("GET", f"{local_server.url}/v1/agent/download", t) for a in enrolled]
        )
        # Then exactly 5 were served and the others told to wait, and the counts agree
        statuses = Counter(a.status for a in answers)
        assert statuses == Counter({200: limit, 503: THREADS - limit}), statuses
        assert {a.code for a in answers if a.status == 503} == {"WAIT_FOR_SLOT"}
        counts = deployment(local_server, dep["id"])["counts"]
        assert counts["running"] == limit and counts["waiting"] == THREADS - limit


def _jittered(job: Callable[[], Answer], delay: float) -> Callable[[], Answer]:
    def run() -> Answer:
        time.sleep(delay)
        return job()

    return run


def _cancel_round(server: LocalServer, script: dict[str, Any], round_no: int, rng: random.Random) -> None:
    # Given a deployment with room for everyone
    dep = server.create_deployment(script["id"], machines=THREADS)
    cancel = _jittered(
        lambda: call("PUT", f"{server.url}/v1/admin/deployments/{dep['id']}/cancel", server.token("operator")),
        rng.uniform(0.0, 0.05),
    )
    jobs = [
        _jittered(
            enroll_job(server, dep["master_token"], f"cx-{round_no}-{n}", f"cx-{round_no}-{n}"), rng.uniform(0.0, 0.1)
        )
        for n in range(THREADS - 1)
    ]
    # When 63 machines enroll while an operator cancels, all at once
    answers = burst([cancel, *jobs])
    cancelled, enrolls = answers[0], answers[1:]
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    # Then every enrollment either got in (201) or was refused as cancelled (410) ...
    statuses = Counter(a.status for a in enrolls)
    assert set(statuses) <= {201, 410}, statuses
    assert {a.code for a in enrolls if a.status == 410} <= {"DEPLOYMENT_CANCELLED"}
    # ... none sent after the cancel was answered got in ...
    assert all(a.status == 410 for a in enrolls if a.sent_at > cancelled.answered_at)
    # ... the targets are exactly the 201s, the counter agrees, and none of them runs
    admitted = [a for a in enrolls if a.status == 201]
    found = targets(server, dep["id"])
    assert {t["id"] for t in found} == {a.body["target_id"] for a in admitted}
    detail = deployment(server, dep["id"])
    assert detail["status"] == "cancelled" and detail["counts"]["enrolled"] == len(admitted)
    assert {t["status"] for t in found} <= {"cancelled"}  # unfinished machines of a cancelled deployment
    for admitted_one in admitted[:8]:
        late = call("GET", f"{server.url}/v1/agent/download", admitted_one.body["agent_token"])
        assert late.status == 410 and late.code == "DEPLOYMENT_CANCELLED"


def test_cancel_while_63_machines_enroll(local_server: LocalServer, race_script: dict[str, Any]) -> None:
    rng = random.Random(7)  # jitter, not security
    for round_no in range(ROUNDS):
        _cancel_round(local_server, race_script, round_no, rng)


def _decoded_script(payload: str) -> bytes:
    """The script inside a bash download payload (the base64 block the wrapper decodes)."""
    found = re.search(r"printf '%s' '([A-Za-z0-9+/=\n]+)' \| _orc_b64decode", payload)
    assert found, "no script in the payload"
    return base64.b64decode(found.group(1))


UPDATERS, CREATORS = 8, 24  # the other 32 threads read the script while it changes


def _read_head_and_its_version(server: LocalServer, script_id: int, token: str) -> Answer:
    """Read the script's head, then the content of the version it names: the two are
    written in one transaction, so the version must exist and hash to the head's checksum."""
    head = call("GET", f"{server.url}/v1/admin/scripts/{script_id}", token)
    if head.status != 200:
        return head
    content = requests.get(
        f"{server.url}/v1/admin/scripts/{script_id}/versions/{head.body['version']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    intact = content.status_code == 200 and hashlib.sha256(content.content).hexdigest() == head.body["checksum"]
    return Answer(
        200 if intact else 599,
        {"version": head.body["version"], "content_status": content.status_code},
        head.sent_at,
        time.monotonic(),
    )


def _update_during_create_round(server: LocalServer, round_no: int) -> None:
    # Given a script at 1.0.0
    script = server.create_script(f"echo round {round_no} v0\n")
    operator, viewer = server.token("operator"), server.token("viewer")
    update_url, create_url = f"{server.url}/v1/admin/scripts/{script['id']}", f"{server.url}/v1/admin/deployments"
    jobs: list[Callable[[], Answer]] = [
        lambda n=n: call("PUT", update_url, operator, json={"content": f"echo round {round_no} v{n + 1}\n"})
        for n in range(UPDATERS)
    ]
    create_body = {"script_id": script["id"], "name": f"race {round_no}", "expected_machines": 1}
    jobs += [lambda: call("POST", create_url, operator, json=create_body)] * CREATORS
    jobs += [lambda: _read_head_and_its_version(server, script["id"], viewer)] * (THREADS - UPDATERS - CREATORS)
    # When 8 updates of it, 24 deployments of it and 32 reads of it run at once
    answers = burst(jobs)
    updates, creates = answers[:UPDATERS], answers[UPDATERS : UPDATERS + CREATORS]
    reads = answers[UPDATERS + CREATORS :]
    # Then each update made a version of its own or was told to retry (409 SCRIPT_CHANGED) ...
    assert {(a.status, a.code) for a in updates} <= {(200, None), (409, "SCRIPT_CHANGED")}, updates
    made = [a.body["version"] for a in updates if a.status == 200]
    assert len(made) == len(set(made)) >= 1
    versions = server.admin("GET", f"/v1/admin/scripts/{script['id']}/versions?limit=100").json()["items"]
    assert sorted(v["version_no"] for v in versions) == list(range(1, len(made) + 2))
    checksums = {v["version"]: v["checksum"] for v in versions}
    # ... no reader ever saw a head whose version was missing or had other bytes ...
    assert {a.status for a in reads} == {200}, [a.body for a in reads if a.status != 200]
    # ... every deployment was created and pins one real version, checksum and all ...
    assert {a.status for a in creates} == {201}, [a.body for a in creates if a.status != 201]
    for created in creates:
        assert checksums[created.body["script_version"]] == created.body["script_checksum"]
    # ... and a machine of one deployment per pinned version gets exactly the pinned
    # bytes: no legitimate update ever trips the kill switch
    one_per_version = {c.body["script_version"]: c.body for c in creates}
    for pinned in one_per_version.values():
        agent = call(
            "POST", f"{server.url}/v1/agent/enroll", pinned["master_token"], json={"hostname": "h", "machine_id": "m"}
        )
        payload = call("GET", f"{server.url}/v1/agent/download", agent.body["agent_token"])
        assert payload.status == 200, payload.body
        assert hashlib.sha256(_decoded_script(payload.body)).hexdigest() == pinned["script_checksum"]
        assert deployment(server, pinned["id"])["kill_reason"] is None


def test_script_updates_while_deployments_are_created(local_server: LocalServer) -> None:
    for round_no in range(ROUNDS):
        _update_during_create_round(local_server, round_no)
