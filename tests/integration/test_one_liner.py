"""End to end: the real local server, the real one-liner, real bash processes."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import LocalServer, start_local_server, stop_local_server

pytestmark = pytest.mark.slow

STEPPED_SCRIPT = """\
_orc_send info "preparing" prepare
echo "running on $_ORC_HOSTNAME"
_orc_send success "all steps done" work
"""


def test_three_machines_complete_and_a_fourth_is_capped(local_server: LocalServer) -> None:
    # Given a script and a deployment for 3 machines
    script = local_server.create_script(STEPPED_SCRIPT)
    dep = local_server.create_deployment(script["id"], machines=3)
    one_liner = dep["one_liners"]["bash"]
    # When three real bash processes run the one-liner as three machines, at once
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda n: local_server.run_one_liner(one_liner, f"machine-{n}", f"host-{n}"), range(3)))
    # Then each run succeeded and each machine ended completed with its step logs stored
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    detail = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
    assert sorted(t["hostname"] for t in detail["targets"]) == ["host-0", "host-1", "host-2"]
    assert {t["status"] for t in detail["targets"]} == {"completed"}
    assert detail["counts"] == {
        "enrolled": 3,
        "running": 0,
        "completed": 3,
        "failed": 0,
        "expired": 0,
        "cancelled": 0,
        "waiting": 0,
        "timed_out": 0,
        "lost": 0,
    }
    assert detail["status"] == "completed"  # every expected machine finished: the deployment settled
    for target in detail["targets"]:
        logs = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/logs").json()
        steps = [(entry["step"], entry["status"]) for entry in logs["items"]]
        assert ("prepare", "info") in steps and ("work", "success") in steps and ("complete", "success") in steps
    # And a fourth machine is refused with the cap error
    fourth = local_server.run_one_liner(one_liner, "machine-3", "host-3")
    assert fourth.returncode != 0
    assert "ENROLLMENT_CAP_REACHED" in fourth.stderr


def test_failing_script_ends_failed_with_its_exit_code(local_server: LocalServer) -> None:
    script = local_server.create_script("echo about to fail\nexit 7\n")
    dep = local_server.create_deployment(script["id"], machines=1)
    run = local_server.run_one_liner(dep["one_liners"]["bash"], "fail-machine", "fail-host")
    assert run.returncode == 7, run.stderr
    detail = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
    (target,) = detail["targets"]
    assert target["status"] == "failed" and target["exit_code"] == 7
    feed = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/logs").json()["items"]
    assert any(entry["status"] == "error" and "7" in entry["message"] for entry in feed)


def test_rerun_gets_the_same_target_then_429(local_server: LocalServer) -> None:
    script = local_server.create_script("echo again\n")
    dep = local_server.create_deployment(script["id"], machines=1)
    runs = [local_server.run_one_liner(dep["one_liners"]["bash"], "rerun-machine", "rerun-host") for _ in range(4)]
    assert [r.returncode == 0 for r in runs] == [True, True, True, False]
    assert "RERUN_LIMIT_EXCEEDED" in runs[3].stderr
    targets = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    assert len(targets) == 1 and targets[0]["run_count"] == 3 and targets[0]["status"] == "completed"


def test_geo_headers_reach_the_target(local_server: LocalServer) -> None:
    script = local_server.create_script("true\n")
    dep = local_server.create_deployment(script["id"], machines=1)
    geo = {"Country": "PL", "City": "Krakow", "Latitude": "50.06", "Longitude": "19.94"}
    run = local_server.run_one_liner(dep["one_liners"]["bash"], "geo-machine", "geo-host", geo=geo)
    assert run.returncode == 0, run.stderr
    (target,) = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    assert target["geo"] == {"country": "PL", "city": "Krakow", "latitude": 50.06, "longitude": 19.94}


def test_token_isolation_over_http(local_server: LocalServer) -> None:
    script = local_server.create_script("true\n")
    a = local_server.create_deployment(script["id"], machines=2)
    b = local_server.create_deployment(script["id"], machines=2)
    enrolled = local_server.agent(
        "POST", "/v1/agent/enroll", a["master_token"], json={"hostname": "iso-host", "machine_id": "iso-machine"}
    )
    assert enrolled.status_code == 201
    agent_token = enrolled.json()["agent_token"]
    # master token: installs and enrolls only
    for method, path in (("GET", "/v1/agent/download"), ("POST", "/v1/agent/feedback")):
        refused = local_server.agent(method, path, a["master_token"], json={"status": "info", "message": "x"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"
    # agent token: cannot enroll, cannot reach deployment B
    refused = local_server.agent("POST", "/v1/agent/enroll", agent_token, json={"hostname": "x", "machine_id": "y"})
    assert refused.status_code == 401
    forged = agent_token.replace(f"exa_{a['id']}_", f"exa_{b['id']}_")
    assert local_server.agent("GET", "/v1/agent/download", forged).status_code == 401
    assert local_server.agent("GET", "/v1/agent/installer?type=bash", agent_token).status_code == 401
    # and no token ever reached the server's logs
    logs = local_server.log_text()
    for secret in (a["master_token"], b["master_token"], agent_token):
        assert secret not in logs


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hostname", "h" * 254),
        ("hostname", "bad\r\nhost"),
        ("hostname", "nul\x00"),
        ("machine_id", "m" * 301),
        ("machine_id", "line\nbreak"),
    ],
)
def test_seed_validation_table_on_enroll(local_server: LocalServer, field: str, value: str) -> None:
    script = local_server.create_script("true\n")
    dep = local_server.create_deployment(script["id"], machines=1)
    body = {"hostname": "ok-host", "machine_id": "ok-machine", field: value}
    answer = local_server.agent("POST", "/v1/agent/enroll", dep["master_token"], json=body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR"
    assert local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()["counts"]["enrolled"] == 0


@pytest.mark.parametrize(("field", "size"), [("step", 101), ("message", 4097)])
def test_seed_validation_table_on_feedback(local_server: LocalServer, field: str, size: int) -> None:
    script = local_server.create_script("true\n")
    dep = local_server.create_deployment(script["id"], machines=1)
    agent = local_server.agent(
        "POST", "/v1/agent/enroll", dep["master_token"], json={"hostname": f"fb-{field}", "machine_id": f"fb-{field}"}
    ).json()["agent_token"]
    body = {"status": "info", "message": "m", "step": "s", field: "x" * size}
    answer = local_server.agent("POST", "/v1/agent/feedback", agent, json=body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR"
    target = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"][0]
    assert (
        local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/logs").json()["items"]
        == []
    )


def test_oversize_script_is_refused(local_server: LocalServer) -> None:
    answer = local_server.admin(
        "POST", "/v1/admin/scripts", json={"name": "big", "type": "bash", "content": "x" * (1024 * 1024 + 1)}
    )
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_every_error_is_json_with_a_code_and_headers(local_server: LocalServer) -> None:
    for method, path in (
        ("GET", "/v1/agent/download"),
        ("GET", "/v1/nope"),
        ("GET", "/v1/admin/scripts/0"),
        ("GET", "/v1/admin/scripts/abc"),
        ("POST", "/v1/agent/enroll"),
    ):
        answer = requests.request(method, f"{local_server.url}{path}", timeout=10)
        assert 400 <= answer.status_code < 500
        assert set(answer.json()["error"]) == {"code", "message"}
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


def test_tamper_kills_the_deployment_and_state_survives_restart(tmp_path: Path) -> None:
    # Given a server of its own with a deployment and an enrolled machine
    server = start_local_server(tmp_path)
    try:
        script = server.create_script("echo original\n")
        dep = server.create_deployment(script["id"], machines=2)
        agent = server.agent(
            "POST", "/v1/agent/enroll", dep["master_token"], json={"hostname": "t-host", "machine_id": "t-machine"}
        ).json()["agent_token"]
    finally:
        stop_local_server(server)
    # When one byte of the pinned S3 object version changes while the server is down
    flip_byte_in_saved_state(tmp_path / "moto.pickle", dep["s3_key"] if "s3_key" in dep else f"scripts/{script['id']}")
    server = start_local_server(tmp_path)
    try:
        # Then the state survived the restart (the deployment is there) ...
        assert server.admin("GET", f"/v1/admin/deployments/{dep['id']}").status_code == 200
        # ... and the next download gets a generic 500 with no script bytes
        answer = server.agent("GET", "/v1/agent/download", agent)
        assert answer.status_code == 500
        assert answer.json() == {"error": {"code": "INTERNAL_ERROR", "message": "Internal error"}}
        assert "original" not in answer.text and "b3JpZ2luYWw" not in answer.text
        detail = server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
        assert detail["status"] == "expired" and detail["kill_reason"] == "INTEGRITY_VIOLATION"
        assert server.agent("GET", "/v1/agent/download", agent).status_code == 410
    finally:
        stop_local_server(server)


def flip_byte_in_saved_state(state_file: Path, key_name: str) -> None:
    saved = pickle.loads(state_file.read_bytes())
    for regions in saved["s3"].values():
        for bucket in regions["global"].buckets.values():
            for key in bucket.keys.getlist(key_name, []):
                data = bytearray(key.value)
                data[0] ^= 0x01
                key.value = bytes(data)
    state_file.write_bytes(pickle.dumps(saved))
