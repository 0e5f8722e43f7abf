"""Rollout control end to end: real bash machines run the one-liner against the real
local server, all started at once; each script leaves marks under its machine's own
HOME, so what ran and when is read from the machines, not from the platform."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import LocalServer

pytestmark = pytest.mark.slow

# Each machine's script writes when it started and when it ended (nanoseconds).
TIMED_SCRIPT = """\
date +%s%N > "$HOME/started"
sleep 2
date +%s%N > "$HOME/ended"
"""
FAILING_SCRIPT = """\
touch "$HOME/ran"
echo "failing on purpose" >&2
exit 3
"""
MACHINE_TIMEOUT = 600  # generous: waiting machines poll every few seconds on a loaded host


def machine_home(server: LocalServer, machine_id: str) -> Path:
    return server.state_dir / "machines" / machine_id  # where run_one_liner puts its HOME


def most_at_once(intervals: list[tuple[int, int]]) -> int:
    """The most intervals that overlap at any instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = now = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def test_max_concurrency_2_runs_6_machines_never_more_than_2_at_once(local_server: LocalServer) -> None:
    # Given a deployment for 6 machines with max_concurrency 2
    script = local_server.create_script(TIMED_SCRIPT)
    dep = local_server.create_deployment(script["id"], machines=6, max_concurrency=2)
    assert dep["max_concurrency"] == 2
    one_liner = dep["one_liners"]["bash"]
    ids = [f"wave-{dep['id']}-{n}" for n in range(6)]
    # When six real bash machines run the one-liner at the same time
    with ThreadPoolExecutor(6) as pool:
        runs = list(
            pool.map(lambda m: local_server.run_one_liner(one_liner, m, f"host-{m}", timeout=MACHINE_TIMEOUT), ids)
        )
    # Then all six completed
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
    detail = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
    assert detail["counts"]["completed"] == 6 and detail["counts"]["waiting"] == 0
    assert {t["status"] for t in detail["targets"]} == {"completed"}
    # And, from the times the scripts themselves wrote, never more than two ran at once
    intervals = []
    for machine in ids:
        home = machine_home(local_server, machine)
        intervals.append((int((home / "started").read_text()), int((home / "ended").read_text())))
    assert most_at_once(intervals) <= 2


def test_error_threshold_2_pauses_after_the_second_failure(local_server: LocalServer) -> None:
    # Given a failing script deployed to 8 machines, one at a time, pausing after 2 failures
    script = local_server.create_script(FAILING_SCRIPT)
    dep = local_server.create_deployment(script["id"], machines=8, max_concurrency=1, error_threshold=2)
    one_liner = dep["one_liners"]["bash"]
    ids = [f"fail-{dep['id']}-{n}" for n in range(8)]
    # When eight real bash machines run the one-liner at the same time
    with ThreadPoolExecutor(8) as pool:
        runs = list(
            pool.map(lambda m: local_server.run_one_liner(one_liner, m, f"host-{m}", timeout=MACHINE_TIMEOUT), ids)
        )
    # Then exactly two machines ran the script (their marker files), each failing
    ran = [m for m in ids if (machine_home(local_server, m) / "ran").exists()]
    assert len(ran) == 2
    assert sorted(run.returncode for run in runs) == [3, 3, 92, 92, 92, 92, 92, 92]
    # And every other machine stopped without running, told the deployment is paused
    for run in runs:
        if run.returncode == 92:
            assert "DEPLOYMENT_PAUSED" in run.stderr, run.stderr
    # And the deployment paused itself, saying why
    detail = local_server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
    assert detail["status"] == "paused" and detail["paused_by"] == "error threshold" and detail["paused_at"]
    assert detail["counts"]["failed"] == 2 and detail["counts"]["running"] == 0
    # When an operator resumes it, Then it is active again with nothing reset
    resumed = local_server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/resume", role="operator").json()
    assert resumed["status"] == "active" and resumed["counts"]["failed"] == 2
    # And a viewer may not pause it
    refused = local_server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/pause", role="viewer")
    assert refused.status_code == 403
