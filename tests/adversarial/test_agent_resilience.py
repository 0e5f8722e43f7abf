"""Agent resilience: the real one-liner in real bash, behind a proxy that misbehaves.

A small fault-injecting HTTP proxy on 127.0.0.1 sits in front of a local server whose
public URL is the proxy, so the one-liner, the bootstrapper and the wrapper all talk
through it. Following a script of faults it answers 503 without forwarding, closes
the connection without forwarding, forwards and then drops the answer (the server did
the work, the agent never hears), holds a request a while before forwarding, or
forwards and flips one byte of the answer, of its content (a substituted answer) or of
its bytes on the wire (a corrupted one). The machine must still run its script once,
retry, and the final status must arrive; a flipped byte of the installer's or of the
payload's content must run nothing at all.
"""

from __future__ import annotations

import gzip
import http.client
import socket
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adversarial.conftest import free_port, kill_server, start_server
from tests.conftest import LocalServer

pytestmark = pytest.mark.slow

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "upgrade"}


class FaultProxy(socketserver.ThreadingTCPServer):
    """Forwards HTTP/1.1 requests to ``upstream``; the Nth request to a path may instead
    meet the fault its plan names: "503", "429" / "429-after" (the gateway's throttle,
    without / with Retry-After), "drop", "lost-reply", "delay", "flip" (the answer
    arrives whole, one byte in the middle of its content changed and its encoding kept
    valid: a substituted response) or "corrupt" (one byte of a gzip-encoded answer
    changed as sent: what a faulty link does)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, upstream: int, plans: dict[str, list[str]]) -> None:
        super().__init__(("127.0.0.1", port), _ProxyHandler)
        self.upstream = upstream
        self.plans = {path: list(plan) for path, plan in plans.items()}
        self.seen: Counter[str] = Counter()
        self.applied: list[tuple[str, int, str]] = []
        self.lock = threading.Lock()

    def arm(self, plans: dict[str, list[str]]) -> None:
        with self.lock:
            self.plans = {path: list(plan) for path, plan in plans.items()}
            self.seen.clear()
            self.applied.clear()

    def action_for(self, method: str, path: str) -> str:
        route = path.split("?")[0]
        with self.lock:
            self.seen[f"{method} {route}"] += 1
            plan = self.plans.get(f"{method} {route}", [])
            action = plan.pop(0) if plan else "ok"
            if action != "ok":
                self.applied.append((f"{method} {route}", self.seen[f"{method} {route}"], action))
            return action


class _ProxyHandler(socketserver.StreamRequestHandler):
    server: FaultProxy

    def handle(self) -> None:
        request_line = self.rfile.readline(65537).decode("latin-1").rstrip("\r\n")
        if not request_line:
            return
        method, path, _ = request_line.split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            line = self.rfile.readline(65537).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
        lowered = {k.lower(): v for k, v in headers}
        if lowered.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self.rfile.read(int(lowered.get("content-length", "0") or 0))
        action = self.server.action_for(method, path)
        if action == "drop":  # the connection dies before the request reaches the API
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if action == "503":
            payload = b'{"error":{"code":"SERVICE_UNAVAILABLE","message":"proxy says no"}}'
            self.wfile.write(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(payload)).encode() + b"\r\nConnection: close\r\n\r\n" + payload
            )
            return
        if action in ("429", "429-after"):  # API Gateway's throttle: no error code, maybe a Retry-After
            payload = b'{"message":"Too Many Requests"}'
            after = b"Retry-After: 1\r\n" if action == "429-after" else b""
            self.wfile.write(
                b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                + after
                + b"Content-Length: "
                + str(len(payload)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + payload
            )
            return
        if action == "delay":
            time.sleep(2.0)
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=120)
        try:
            upstream.request(
                method, path, body=body or None, headers={k: v for k, v in headers if k.lower() not in HOP_BY_HOP}
            )
            answer = upstream.getresponse()
            data = answer.read()
            status, reason, answer_headers = answer.status, answer.reason, answer.getheaders()
        finally:
            upstream.close()
        if action == "lost-reply":  # the API did the work; the agent never hears of it
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        gzipped = any(k.lower() == "content-encoding" and v == "gzip" for k, v in answer_headers)
        if action == "flip" and data:
            data = gzip.compress(flip_one_byte(gzip.decompress(data))) if gzipped else flip_one_byte(data)
        if action == "corrupt" and data:
            assert gzipped, "the corrupt fault is for an encoded answer"
            data = flip_one_byte(data)
        head = [f"HTTP/1.1 {status} {reason}"]
        head += [f"{k}: {v}" for k, v in answer_headers if k.lower() not in HOP_BY_HOP | {"content-length"}]
        head += [f"Content-Length: {len(data)}", "Connection: close"]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)


def flip_one_byte(data: bytes) -> bytes:
    """``data`` with the low bit of its middle byte flipped (ASCII stays ASCII)."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[LocalServer, FaultProxy]]:
    """A local server whose public URL (one-liners, bootstrapper, wrapper) is a fault
    proxy in front of it; the proxy forwards everything until a test gives it plans."""
    proxy_port = free_port()
    server = start_server(tmp_path / "state", port=free_port(), public_url=f"http://127.0.0.1:{proxy_port}")
    proxy = FaultProxy(proxy_port, int(server.url.rsplit(":", 1)[1]), {})
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        yield server, proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        kill_server(server)


# Entries ride with the wrapper's reports: with a report every second (EDGEX_HEARTBEAT_SECONDS=1)
# and pauses between the steps, the run makes enough reports for every planned fault.
SCRIPT = """\
_orc_send info "step one" one
sleep 3
_orc_send warning "step two" two
sleep 3
_orc_send info "step three" three
sleep 3
echo "touched" >> "$HOME/ran-once"
"""


def test_the_one_liner_finishes_through_a_flaky_network(proxied: tuple[LocalServer, FaultProxy]) -> None:
    server, proxy = proxied
    # Given a deployment whose one-liner goes through a proxy that fails, in order: the
    # first enroll (connection dropped), the download (503, then its answer lost after
    # the API counted the run), and the reports in every way they can fail (503,
    # dropped, held 2 s, answer lost after the API wrote the entry, 503 twice in a row,
    # dropped again), one report a second
    script = server.create_script(SCRIPT)
    dep = server.create_deployment(script["id"], machines=1)
    assert f"127.0.0.1:{proxy.server_address[1]}" in dep["one_liners"]["bash"]
    plans = {
        "POST /v1/agent/enroll": ["drop"],
        "GET /v1/agent/download": ["503", "lost-reply"],
        "POST /v1/agent/feedback": ["503", "ok", "drop", "delay", "lost-reply", "ok", "503", "503", "ok", "drop"],
    }
    proxy.arm(plans)
    # When the real one-liner runs in a real bash
    run = server.run_one_liner(
        dep["one_liners"]["bash"],
        "flaky-machine",
        "flaky-host",
        extra_env={"EDGEX_RETRY_BASE_DELAY": "1", "EDGEX_HEARTBEAT_SECONDS": "1"},
        timeout=180,
    )
    # Then every planned fault happened, and the machine retried past each of them ...
    assert sorted(a for _, _, a in proxy.applied) == sorted(a for plan in plans.values() for a in plan if a != "ok"), (
        proxy.applied
    )
    # ... the script ran exactly once and the one-liner exited with its status ...
    assert run.returncode == 0, run.stdout + run.stderr
    home = server.state_dir / "machines" / "flaky-machine"
    assert (home / "ran-once").read_text() == "touched\n"
    # ... the run was counted once although its download was answered twice, and the
    # final status arrived with every entry stored exactly once (a retried report
    # carries its request key: the API recognises it)
    (target,) = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    assert target["status"] == "completed" and target["run_count"] == 1 and target["exit_code"] == 0
    logs = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/logs").json()["items"]
    delivered = Counter((e["step"], e["message"]) for e in logs)
    for step, message in (
        ("one", "step one"),
        ("two", "step two"),
        ("three", "step three"),
        ("complete", "Script completed successfully"),
    ):
        assert delivered[(step, message)] == 1, delivered
    assert logs[0]["step"] == "complete" and logs[0]["status"] == "success"  # newest first
    assert proxy.seen["POST /v1/agent/feedback"] >= len(plans["POST /v1/agent/feedback"])


def test_a_failing_script_still_reports_failure_through_faults(proxied: tuple[LocalServer, FaultProxy]) -> None:
    server, proxy = proxied
    # Given a failing script, and a proxy that drops, refuses and holds its final report
    # (its only one: the run is shorter than a report interval)
    script = server.create_script("_orc_send info 'about to fail' work\nexit 5\n")
    dep = server.create_deployment(script["id"], machines=1)
    proxy.arm({"POST /v1/agent/feedback": ["drop", "503", "delay"]})
    # When the one-liner runs
    run = server.run_one_liner(
        dep["one_liners"]["bash"],
        "failing-machine",
        "failing-host",
        extra_env={"EDGEX_RETRY_BASE_DELAY": "1"},
        timeout=180,
    )
    # Then the script's exit code comes back, and so does the failed status with that code
    assert run.returncode == 5, run.stderr
    assert len(proxy.applied) == 3
    (target,) = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets").json()["items"]
    assert target["status"] == "failed" and target["exit_code"] == 5
    assert proxy.seen["POST /v1/agent/feedback"] == 3  # one report, delivered (held) at its third try


MARKER_SCRIPT = 'echo "ran" > "$HOME/marker"\n'


def test_a_payload_corrupted_on_the_wire_is_fetched_again_and_runs_once(
    proxied: tuple[LocalServer, FaultProxy],
) -> None:
    server, proxy = proxied
    # Given a proxy that corrupts one byte of the gzip-encoded payload as it passes
    script = server.create_script(MARKER_SCRIPT)
    dep = server.create_deployment(script["id"], machines=1)
    proxy.arm({"GET /v1/agent/download": ["corrupt"]})
    # When the real one-liner runs
    run = server.run_one_liner(dep["one_liners"]["bash"], "corrupt-machine", "corrupt-host", timeout=180)
    # Then curl's failed decoding was taken for a network fault: the download was fetched
    # again, the script ran, and the run was counted once
    assert proxy.applied == [("GET /v1/agent/download", 1, "corrupt")], proxy.applied
    assert proxy.seen["GET /v1/agent/download"] == 2
    assert run.returncode == 0, run.stdout + run.stderr
    assert (server.state_dir / "machines" / "corrupt-machine" / "marker").exists()
    target, _ = target_and_logs(server, dep["id"])
    assert target["status"] == "completed" and target["run_count"] == 1, target


def target_and_logs(server: LocalServer, deployment_id: int) -> tuple[dict, list[dict]]:
    (target,) = server.admin("GET", f"/v1/admin/deployments/{deployment_id}/targets").json()["items"]
    logs = server.admin("GET", f"/v1/admin/deployments/{deployment_id}/targets/{target['id']}/logs").json()["items"]
    return target, logs


def test_a_flipped_byte_of_the_payload_runs_nothing_and_is_recorded(proxied: tuple[LocalServer, FaultProxy]) -> None:
    server, proxy = proxied
    # Given a deployment of a script that leaves a marker, and a proxy that flips one
    # byte of the payload's answer (the installer and everything else pass untouched)
    script = server.create_script(MARKER_SCRIPT)
    dep = server.create_deployment(script["id"], machines=1)
    assert dep["payload_sha256"]
    proxy.arm({"GET /v1/agent/download": ["flip"]})
    # When the real one-liner runs in a real bash
    run = server.run_one_liner(dep["one_liners"]["bash"], "flip-payload-machine", "flip-payload-host", timeout=180)
    # Then the flip happened, and the bootstrapper refused the payload: exit 94, one clear line
    assert proxy.applied == [("GET /v1/agent/download", 1, "flip")], proxy.applied
    assert run.returncode == 94, run.stdout + run.stderr
    assert "does not match the one pinned for this deployment" in run.stderr
    assert dep["payload_sha256"] in run.stderr
    # And nothing of the script ran on the machine
    assert not (server.state_dir / "machines" / "flip-payload-machine" / "marker").exists()
    # And the platform recorded it: the target failed with 94, its log holds the integrity entry
    target, logs = target_and_logs(server, dep["id"])
    assert target["status"] == "failed" and target["exit_code"] == 94, target
    integrity = [e for e in logs if e["step"] == "integrity"]
    assert len(integrity) == 1 and integrity[0]["status"] == "error"
    assert "SHA-256" in integrity[0]["message"] and dep["payload_sha256"] in integrity[0]["message"]
    (final,) = [e for e in logs if e["step"] == "complete"]
    assert final["status"] == "error" and "integrity" in final["message"]


def test_a_flipped_byte_of_the_installer_runs_nothing(proxied: tuple[LocalServer, FaultProxy]) -> None:
    server, proxy = proxied
    # Given a deployment of a script that leaves a marker, and a proxy that flips one
    # byte of the installer's answer
    script = server.create_script(MARKER_SCRIPT)
    dep = server.create_deployment(script["id"], machines=1)
    proxy.arm({"GET /v1/agent/installer": ["flip"]})
    # When the real one-liner runs in a real bash
    run = server.run_one_liner(dep["one_liners"]["bash"], "flip-boot-machine", "flip-boot-host", timeout=180)
    # Then the flip happened, and the one-liner refused the installer: exit 95, one clear line
    assert proxy.applied == [("GET /v1/agent/installer", 1, "flip")], proxy.applied
    assert run.returncode == 95, run.stdout + run.stderr
    assert "the installer does not match the SHA-256 in this one-liner" in run.stderr
    # And nothing ran: no marker, no enroll or download reached the proxy nor the server
    assert not (server.state_dir / "machines" / "flip-boot-machine" / "marker").exists()
    assert proxy.seen["POST /v1/agent/enroll"] == 0 and proxy.seen["GET /v1/agent/download"] == 0, proxy.seen
    assert "/v1/agent/enroll" not in server.log_text()
    shown = server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()
    assert shown["counts"]["enrolled"] == 0


def test_the_same_one_liner_runs_through_a_faithful_proxy(proxied: tuple[LocalServer, FaultProxy]) -> None:
    server, proxy = proxied
    # Given the same kind of deployment and a proxy that changes nothing
    script = server.create_script(MARKER_SCRIPT)
    dep = server.create_deployment(script["id"], machines=1)
    proxy.arm({})
    # When the one-liner runs / Then the pinned installer and payload matched and the script ran
    run = server.run_one_liner(dep["one_liners"]["bash"], "faithful-machine", "faithful-host", timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (server.state_dir / "machines" / "faithful-machine" / "marker").read_text() == "ran\n"
    target, _ = target_and_logs(server, dep["id"])
    assert target["status"] == "completed"
