"""Run control end to end: real bash machines against the local server. What a script
prints reaches the platform (complete, in order, cut with a count past the run's
limit), a hung script is killed at its time limit, a cancel stops a running script,
and a machine that dies is marked lost by the sweep. No timing assertions: every wait
polls with a generous bound."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import LocalServer, start_local_server, stop_local_server

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
FAST = {"EDGEX_HEARTBEAT_SECONDS": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A server of this module's own: its sweep runs every 2 s and one test changes a setting."""
    os.environ["EDGEX_SWEEP_SECONDS"] = "2"
    try:
        started = start_local_server(tmp_path_factory.mktemp("run-control"))
    finally:
        del os.environ["EDGEX_SWEEP_SECONDS"]
    yield started
    stop_local_server(started)


def _poll(check: Callable[[], Any], what: str, bound: float = 120) -> Any:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"not within {bound}s: {what}")


def _unique_sleep(seconds: int) -> str:
    """A ``sleep`` command line no other test or earlier run has in the process table."""
    return f"sleep {seconds}.{secrets.randbelow(10**6):06d}"


def _processes(marker: str) -> list[str]:
    """Processes whose command line holds ``marker`` (the process table, not a pid file)."""
    found = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in found.splitlines() if marker in line and "ps -eo" not in line]


def _target(server: LocalServer, dep: dict[str, Any]) -> dict[str, Any]:
    (target,) = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    return dict(target)


def _output(server: LocalServer, dep: dict[str, Any], target_id: str) -> dict[str, Any]:
    """Every page of the target's latest run's output, items joined."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"?limit=100&cursor={cursor}" if cursor else "?limit=100"
        answer = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets/{target_id}/output{query}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return {**page, "items": items}


def _start(server: LocalServer, one_liner: str, machine: str, env: dict[str, str]) -> subprocess.Popen[str]:
    home = server.state_dir / "machines" / machine
    home.mkdir(parents=True, exist_ok=True)
    (home / ".curlrc").write_text("\n")
    full = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CURL_HOME": str(home),
        "EDGEX_MACHINE_ID": machine,
        "EDGEX_HOSTNAME": machine,
        "EDGEX_RETRY_BASE_DELAY": "0.2",
        "TMPDIR": str(home),
        **env,
    }
    return subprocess.Popen(
        ["bash", "-c", one_liner],
        env=full,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # its own process group: the test can kill the machine whole
    )


LINE = 1000  # bytes per printed line, newline included


def _interleaved_script(lines_per_stream: int) -> str:
    pad = "x" * (LINE - 12)
    return (
        f"i=0\nwhile [ $i -lt {lines_per_stream} ]; do\n"
        f"    printf 'out %06d {pad}\\n' $i\n"
        f"    printf 'err %06d {pad}\\n' $i >&2\n"
        "    i=$((i + 1))\ndone\n"
    )


def _expected(stream: str, lines: int) -> str:
    pad = "x" * (LINE - 12)
    return "".join(f"{stream} {i:06d} {pad}\n" for i in range(lines))


def test_five_mib_interleaved_is_stored_complete_and_in_order(server: LocalServer) -> None:
    # Given a script printing 5 MiB, stdout and stderr lines interleaved
    lines = 5 * MIB // LINE // 2
    script = server.create_script(_interleaved_script(lines))
    dep = server.create_deployment(script["id"], machines=1)
    # When a real machine runs it
    run = server.run_one_liner(dep["one_liners"]["bash"], "out-machine", "out-host", timeout=600, extra_env=FAST)
    assert run.returncode == 0, run.stderr[-2000:]
    # Then the stored output of each stream is exactly what it printed, in order
    target = _target(server, dep)
    output = _output(server, dep, target["id"])
    by_stream = {s: "".join(i["text"] for i in output["items"] if i["stream"] == s) for s in ("stdout", "stderr")}
    assert by_stream["stdout"] == _expected("out", lines)
    assert by_stream["stderr"] == _expected("err", lines)
    # And nothing was cut: the counts say so
    assert output["truncated"] is False and output["dropped_bytes"] == 0
    assert output["total_bytes"] == 2 * lines * LINE
    # And the script's output still reached the machine's terminal
    assert run.stdout.count("\n") >= lines


def test_past_the_limit_head_and_tail_are_kept_and_the_cut_is_counted(server: LocalServer) -> None:
    # Given a run output limit of 1 MiB (a setting, pinned at creation) and a script
    # printing 5 MiB (the 50 MiB against 10 MiB, scaled down tenfold)
    settings = server.admin("PUT", "/v1/admin/settings", json={"run_output_bytes": MIB})
    assert settings.status_code == 200, settings.text
    try:
        script = server.create_script(
            f"i=0\nwhile [ $i -lt {5 * MIB // LINE} ]; do\n"
            f"    printf 'line %06d {'y' * (LINE - 13)}\\n' $i\n    i=$((i + 1))\ndone\n"
        )
        dep = server.create_deployment(script["id"], machines=1)
    finally:
        server.admin("PUT", "/v1/admin/settings", json={"run_output_bytes": 10 * MIB})
    printed = [f"line {i:06d} {'y' * (LINE - 13)}\n" for i in range(5 * MIB // LINE)]
    # When a machine runs it
    run = server.run_one_liner(dep["one_liners"]["bash"], "cut-machine", "cut-host", timeout=600, extra_env=FAST)
    assert run.returncode == 0, run.stderr[-2000:]
    target = _target(server, dep)
    output = _output(server, dep, target["id"])
    # Then the run is marked truncated, with every byte accounted for
    assert output["truncated"] is True
    assert output["total_bytes"] == len(printed) * LINE
    url = f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/output/download"
    parts, cursor = [], None
    while True:
        download = server.admin("GET", url, params={"cursor": cursor} if cursor else None)
        assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/plain")
        parts.append(download.content)
        cursor = download.headers.get("Edgex-Next-Cursor")
        if cursor is None:
            break
    marker = f"\n[... {output['dropped_bytes']} bytes dropped ...]\n"
    head, tail = b"".join(parts).decode().split(marker)
    assert len(head) + len(tail) + output["dropped_bytes"] == output["total_bytes"]
    # And the head is the start of what it printed, the tail its end, each about half the limit
    everything = "".join(printed)
    assert everything.startswith(head) and everything.endswith(tail)
    assert MIB // 4 <= len(head) <= MIB and MIB // 4 <= len(tail) <= MIB
    # And the target's own counters agree
    assert target["output_dropped"] == output["dropped_bytes"] and target["output_bytes"] == output["total_bytes"]


def test_a_hung_script_is_killed_at_its_time_limit(server: LocalServer) -> None:
    # Given a deployment with timeout_seconds 5 and a script that sleeps for 10 minutes
    marker = _unique_sleep(6007)
    script = server.create_script(f"echo before the hang\n{marker}\necho never\n")
    dep = server.create_deployment(script["id"], machines=1, timeout_seconds=5)
    # When a machine runs it
    run = server.run_one_liner(dep["one_liners"]["bash"], "hung-machine", "hung-host", timeout=300, extra_env=FAST)
    # Then the wrapper killed it and reported timed_out, with the output so far
    assert run.returncode != 0
    target = _target(server, dep)
    assert target["status"] == "timed_out"
    detail = server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
    assert detail["counts"]["timed_out"] == 1 and detail["counts"]["running"] == 0
    text = "".join(i["text"] for i in _output(server, dep, target["id"])["items"])
    assert "before the hang" in text and "never" not in text
    # And nothing of the script is left running
    assert _processes(marker) == []


def test_a_timeout_above_the_platform_cap_is_refused(server: LocalServer) -> None:
    # Given the platform's cap on timeouts
    cap = server.admin("GET", "/v1/admin/settings").json()["timeout_max_seconds"]
    script = server.create_script("true\n")
    # When a deployment asks for more
    answer = server.admin(
        "POST",
        "/v1/admin/deployments",
        json={"script_id": script["id"], "name": "too long", "expected_machines": 1, "timeout_seconds": cap + 1},
    )
    # Then it is refused with a code
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "TIMEOUT_TOO_LONG"


def test_a_cancel_stops_the_running_script(server: LocalServer) -> None:
    # Given a machine running a script that sleeps for 10 minutes, reporting every second
    marker = _unique_sleep(6011)
    script = server.create_script(f"echo started\n{marker}\n")
    dep = server.create_deployment(script["id"], machines=1)
    machine = _start(server, dep["one_liners"]["bash"], "cancel-machine", FAST)
    try:
        _poll(lambda: _processes(marker), "the script runs")
        target = _poll(lambda: [t for t in [_target(server, dep)] if t["status"] == "running"], "target running")[0]
        # When an operator cancels the target
        cancelled = server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        # Then the script's processes are gone and the wrapper ends
        _poll(lambda: not _processes(marker), "the script is stopped")
        _poll(lambda: machine.poll() is not None, "the wrapper ends")
        # And the target reads cancelled
        assert _target(server, dep)["status"] == "cancelled"
    finally:
        if machine.poll() is None:
            os.killpg(machine.pid, signal.SIGKILL)
        for line in _processes(marker):
            os.kill(int(line.split()[0]), signal.SIGKILL)


def test_a_machine_killed_mid_run_is_lost_after_the_grace(server: LocalServer) -> None:
    # Given a deployment whose runs count as lost after 10 s of silence (a setting, pinned)
    settings = server.admin("PUT", "/v1/admin/settings", json={"lost_after_seconds": 10})
    assert settings.status_code == 200, settings.text
    try:
        marker = _unique_sleep(6013)
        script = server.create_script(f"{marker}\n")
        dep = server.create_deployment(script["id"], machines=1)
    finally:
        server.admin("PUT", "/v1/admin/settings", json={"lost_after_seconds": 120})
    machine = _start(server, dep["one_liners"]["bash"], "lost-machine", FAST)
    try:
        _poll(lambda: _processes(marker), "the script runs")
        _poll(lambda: _target(server, dep)["status"] == "running", "target running")
        # When the machine dies: its wrapper's whole process group killed with SIGKILL
        os.killpg(machine.pid, signal.SIGKILL)
        machine.wait(timeout=60)
        # Then the sweep marks the silent target lost, and the deployment counts it
        # (a generous bound: the sweep's tick and a loaded machine both add to the 10 s)
        _poll(lambda: _target(server, dep)["status"] == "lost", "target lost", bound=360)
        counts = server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()["counts"]
        assert counts["lost"] == 1 and counts["running"] == 0
    finally:
        if machine.poll() is None:
            os.killpg(machine.pid, signal.SIGKILL)
        for line in _processes(marker):  # the script ran in a process group of its own
            os.kill(int(line.split()[0]), signal.SIGKILL)
