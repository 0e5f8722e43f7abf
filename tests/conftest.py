"""Shared fixtures: an in-process moto platform for domain tests, and the real local
HTTP server (a subprocess, as `make dev` runs it) for integration and browser tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto with every table and the bucket created, environment as CDK would set it."""
    from moto import mock_aws

    from edgex import identity
    from edgex.store import base
    from local import moto_atomic, server

    server.configure_environment("http://127.0.0.1:9")
    moto_atomic.install()
    with mock_aws():
        base.reset()
        identity.reset_cache()
        server.create_resources()
        yield
    base.reset()


@dataclass
class ApiClient:
    """A client of a running Edgex API: real tokens from its local issuer, admin and agent calls."""

    url: str
    _tokens: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    def password(self, role: str) -> str:
        """The local user's password (the sign-in page asks for it)."""
        return self.passwords[role]

    def token(self, role: str) -> str:
        if role not in self._tokens:
            from local.token import fetch

            self._tokens[role] = fetch(self.url, role, password=self.password(role))
        return self._tokens[role]

    def admin(self, method: str, path: str, role: str = "admin", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(role)}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)

    def agent(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=60, **kwargs)

    def create_script(self, content: str, script_type: str = "bash", name: str = "test script") -> dict[str, Any]:
        answer = self.admin("POST", "/v1/admin/scripts", json={"name": name, "type": script_type, "content": content})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def create_deployment(self, script_id: int, machines: int, **extra: Any) -> dict[str, Any]:
        body = {"script_id": script_id, "name": "test deployment", "expected_machines": machines, **extra}
        answer = self.admin("POST", "/v1/admin/deployments", json=body)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def enroll(self, master_token: str, machine_id: str, hostname: str) -> dict[str, Any]:
        answer = self.agent(
            "POST", "/v1/agent/enroll", master_token, json={"hostname": hostname, "machine_id": machine_id}
        )
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def start_run(self, master_token: str, machine_id: str, hostname: str) -> dict[str, Any]:
        """Enroll a machine and download its payload, as the bootstrapper does: its run is
        on, so it may report. Returns the enrollment answer (agent_token, target_id)."""
        enrolled = self.enroll(master_token, machine_id, hostname)
        answer = self.agent("GET", "/v1/agent/download", enrolled["agent_token"])
        assert answer.status_code == 200, answer.text
        return enrolled


@dataclass(kw_only=True)
class LocalServer(ApiClient):
    """The real local server process, and a client for it."""

    process: subprocess.Popen[str]
    state_dir: Path
    output: list[str] = field(default_factory=list)

    def run_one_liner(
        self,
        one_liner: str,
        machine_id: str,
        hostname: str,
        geo: dict[str, str] | None = None,
        timeout: float = 120,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """The real one-liner in a real bash, as one simulated machine. CloudFront's
        viewer headers are simulated the client-side way: a .curlrc in CURL_HOME."""
        home = self.state_dir / "machines" / machine_id.replace("/", "_")
        home.mkdir(parents=True, exist_ok=True)
        lines = [f'header = "CloudFront-Viewer-{k}: {v}"' for k, v in (geo or {}).items()]
        (home / ".curlrc").write_text("\n".join(lines) + "\n")
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "CURL_HOME": str(home),
            "EDGEX_MACHINE_ID": machine_id,
            "EDGEX_HOSTNAME": hostname,
            "EDGEX_RETRY_BASE_DELAY": "0.2",
            "TMPDIR": str(home),
            **(extra_env or {}),
        }
        # A script may print bytes that are not UTF-8: kept as surrogates, never a decode error.
        return subprocess.run(
            ["bash", "-c", one_liner],
            env=env,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=timeout,
            cwd=home,
            check=False,
        )

    def log_text(self) -> str:
        return "".join(self.output)

    def password(self, role: str) -> str:
        """As the server wrote it into its state directory (and printed it at start)."""
        from local.token import password_of

        return password_of(role, self.state_dir)


START_TIMEOUT_S = 180  # the local server prints READY within seconds; far past that it is stuck


def start_local_server(state_dir: Path, *, port: int = 0, public_url: str | None = None) -> LocalServer:
    """``python -m local.server`` as a subprocess, its stdout and stderr kept whole in
    ``.output``. A fixed ``port`` and a ``public_url`` serve tests that put a proxy in front.

    A start that prints nothing for START_TIMEOUT_S (seen once in hundreds of starts on
    a loaded machine) is stopped with every thread's stack printed (faulthandler), kept
    in test-artifacts/ for whoever finds out why, and tried once more."""
    for attempt in (1, 2):
        server = _start_once(
            state_dir if attempt == 1 else state_dir.with_name(state_dir.name + "-again"), port, public_url
        )
        if server is not None:
            return server
    raise RuntimeError("local server did not start twice in a row (see test-artifacts/local-server-start-*.log)")


def _start_once(state_dir: Path, port: int, public_url: str | None) -> LocalServer | None:
    args = [sys.executable, "-m", "local.server", "--port", str(port), "--state-dir", str(state_dir)]
    if public_url:
        args += ["--public-url", public_url]
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    output: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("READY "):
                ready.set()
        ready.set()  # the process ended: no more lines will come

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(START_TIMEOUT_S):
        process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack, then the process ends
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / f"local-server-start-{os.getpid()}-{int(time.time())}.log").write_text("".join(output))
        return None
    line = next((line for line in output if line.startswith("READY ")), None)
    if line is None:
        raise RuntimeError("local server did not start:\n" + "".join(output))
    url = f"http://127.0.0.1:{port}" if port else line.split()[1]
    return LocalServer(url, process=process, state_dir=state_dir, output=output)


def stop_local_server(server: LocalServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    server = start_local_server(tmp_path_factory.mktemp("local-state"))
    yield server
    stop_local_server(server)
