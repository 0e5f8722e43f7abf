"""Throttling at fleet scale: the real bash agent behind a proxy answering API Gateway's
429 (no error code; with and without Retry-After) must finish every lifecycle, while the
API's own coded 429 (RERUN_LIMIT_EXCEEDED) stops it at once.

The fault-injecting proxy of test_agent_resilience sits between the agents and a local
server whose public URL is the proxy, so the one-liner, the bootstrapper and the wrapper
all meet the throttle.
"""

from __future__ import annotations

import pytest

from tests.adversarial.test_agent_resilience import FaultProxy, proxied  # noqa: F401  (fixture)
from tests.conftest import LocalServer

pytestmark = pytest.mark.slow

SCRIPT = """\
_orc_send info "working" work
echo "ran" >> "$HOME/runs"
"""


def test_every_lifecycle_completes_through_gateway_throttling(proxied: tuple[LocalServer, FaultProxy]) -> None:  # noqa: F811
    server, proxy = proxied
    # Given a deployment for 3 machines and a gateway that throttles every agent route
    # for a while: installer, enroll, download and feedback, with and without Retry-After
    script = server.create_script(SCRIPT)
    dep = server.create_deployment(script["id"], machines=3)
    plans = {
        "GET /v1/agent/installer": ["429", "429-after", "429"],
        "POST /v1/agent/enroll": ["429-after", "429", "429", "429-after"],
        "GET /v1/agent/download": ["429", "429-after", "429"],
        "POST /v1/agent/feedback": ["429", "429", "429-after", "429", "ok", "429-after", "429", "ok", "429"],
    }
    proxy.arm(plans)
    # When three machines run the real one-liner, one after the other
    runs = [
        server.run_one_liner(
            dep["one_liners"]["bash"],
            f"throttled-{n}",
            f"throttled-host-{n}",
            extra_env={"EDGEX_RETRY_BASE_DELAY": "0.2"},
            timeout=240,
        )
        for n in range(3)
    ]
    # Then every throttle was met, and every machine still finished its lifecycle
    assert len(proxy.applied) == sum(1 for plan in plans.values() for a in plan if a != "ok"), proxy.applied
    for n, run in enumerate(runs):
        assert run.returncode == 0, run.stdout + run.stderr
        assert (server.state_dir / "machines" / f"throttled-{n}" / "runs").read_text() == "ran\n"
    targets = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    assert sorted(t["hostname"] for t in targets) == [f"throttled-host-{n}" for n in range(3)]
    assert {(t["status"], t["run_count"], t["exit_code"]) for t in targets} == {("completed", 1, 0)}
    for target in targets:
        logs = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/logs").json()["items"]
        steps = {(e["step"], e["status"]) for e in logs}
        assert {("start", "info"), ("work", "info"), ("complete", "success")} <= steps


def test_a_coded_rerun_limit_stops_the_agent_at_once(proxied: tuple[LocalServer, FaultProxy]) -> None:  # noqa: F811
    server, proxy = proxied
    # Given one machine that has used up its reruns (the seed allows 3 runs)
    script = server.create_script(SCRIPT)
    dep = server.create_deployment(script["id"], machines=1)
    for _ in range(3):
        done = server.run_one_liner(dep["one_liners"]["bash"], "rerun-machine", "rerun-host")
        assert done.returncode == 0, done.stderr
    proxy.arm({})
    # When it runs once more through the proxy (which throttles nothing now)
    done = server.run_one_liner(dep["one_liners"]["bash"], "rerun-machine", "rerun-host", timeout=120)
    # Then the API's coded 429 ended the run after a single download request, with exit 92
    assert done.returncode == 92, done.stderr
    assert "HTTP 429 RERUN_LIMIT_EXCEEDED" in done.stderr and "after 1 attempt(s)" in done.stderr
    assert proxy.seen["GET /v1/agent/download"] == 1
    assert proxy.seen["POST /v1/agent/feedback"] == 0
