"""Load: hundreds of simulated machines through the real local HTTP server.

The server is the one ``make dev`` runs (a subprocess: werkzeug, the manifest's
handlers, moto), started the way the integration tests start it. Admin objects are
created through the admin API with a real token from the local issuer. Each
simulated machine then speaks the agent protocol over HTTP exactly as the
bootstrapper and the wrapper do: installer, enroll, download, five feedback
entries. Many machines run at once (a thread pool, one keep-alive session per
worker: real agents open a connection per request, but a cheap client leaves the
two cores to the server, which is what is measured).

Latency is measured by the client (what an agent waits for); the server's own
per-request log line gives the handler time, so queueing can be told apart.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.roundtrips import ENDPOINTS, GEO, ROUTE_OF, SCRIPT, reports

EXPECTED = {"installer": 200, "enroll": 201, "download": 200, "feedback": 200}
AGENT_ROUTES = {
    "agent_installer": "installer",
    "agent_enroll": "enroll",
    "agent_download": "download",
    "agent_feedback": "feedback",
}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    agents: int
    concurrency: int
    seconds: float
    lifecycles: int
    errors: int
    error_samples: list[str]
    latencies: dict[str, list[float]]  # client-side seconds per endpoint
    server_ms: dict[str, list[float]]  # handler time the server logged per endpoint
    counts: dict[str, int] = field(default_factory=dict)  # the deployment's counters afterwards
    server_start_s: float = 0.0
    server_peak_rss_mb: float | None = None
    first_fifth_per_second: float = 0.0  # lifecycles/s while the tables are small ...
    last_fifth_per_second: float = 0.0  # ... and at the end (moto copies whole tables per transaction)

    @property
    def per_second(self) -> float:
        return self.lifecycles / self.seconds if self.seconds else 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class _Fleet:
    def __init__(self, url: str, master_token: str) -> None:
        import requests

        self.url, self.master = url, master_token
        self._requests = requests
        self._local = threading.local()
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {e: [] for e in ENDPOINTS if e not in ROUTE_OF}
        self.errors: list[str] = []
        self.lifecycles = 0
        self.finished: list[float] = []  # perf_counter at each completed lifecycle

    def _session(self) -> Any:
        if getattr(self._local, "session", None) is None:
            self._local.session = self._requests.Session()
        return self._local.session

    def _send(self, endpoint: str, method: str, path: str, token: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        started = time.perf_counter()
        try:
            answer = self._session().request(method, f"{self.url}{path}", headers=headers, timeout=120, **kwargs)
        except Exception as exc:
            with self.lock:
                self.errors.append(f"{endpoint}: {type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[endpoint].append(elapsed)
            if answer.status_code != EXPECTED[endpoint]:
                self.errors.append(f"{endpoint}: HTTP {answer.status_code} {answer.text[:200]}")
                return None
        return answer

    def machine(self, n: int) -> None:
        """One machine's whole life; a failed step ends it (as it ends the real bootstrapper)."""
        hostname, machine_id = f"load-{n:05d}", f"load-machine-{n:05d}"
        if self._send("installer", "GET", "/v1/agent/installer?type=bash", self.master) is None:
            return
        enrolled = self._send(
            "enroll",
            "POST",
            "/v1/agent/enroll",
            self.master,
            json={"hostname": hostname, "machine_id": machine_id},
            headers=GEO,
        )
        if enrolled is None:
            return
        token = enrolled.json()["agent_token"]
        payload = self._send("download", "GET", "/v1/agent/download", token)
        if payload is None:
            return
        if not payload.text.startswith("#!"):
            with self.lock:
                self.errors.append("download: the payload is not a script")
            return
        for body in reports(hostname):
            if self._send("feedback", "POST", "/v1/agent/feedback", token, json=body) is None:
                return
        with self.lock:
            self.lifecycles += 1
            self.finished.append(time.perf_counter())


def _server_times(log_lines: list[str]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {e: [] for e in ENDPOINTS if e not in ROUTE_OF}
    for line in log_lines:
        if not line.startswith("{") or '"route"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        endpoint = AGENT_ROUTES.get(record.get("route", ""))
        if endpoint and "ms" in record:
            found[endpoint].append(float(record["ms"]))
    return found


def _peak_rss_mb(pid: int) -> float | None:
    """The server process's high-water mark of resident memory (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _fifths(began: float, finished: list[float]) -> tuple[float, float]:
    """Lifecycles/s over the first and the last fifth of the completed lifecycles."""
    done = sorted(finished)
    if len(done) < 10:
        return 0.0, 0.0
    k = len(done) // 5
    first = k / (done[k - 1] - began) if done[k - 1] > began else 0.0
    last = k / (done[-1] - done[-k - 1]) if done[-1] > done[-k - 1] else 0.0
    return first, last


def measure(agents: int = 500, concurrency: int = 8, progress: Callable[[str], None] | None = None) -> LoadResult:
    from tests.conftest import start_local_server, stop_local_server

    with tempfile.TemporaryDirectory(prefix="edgex-bench-load-") as state_dir:
        started = time.perf_counter()
        server = start_local_server(Path(state_dir))
        start_s = time.perf_counter() - started
        try:
            script = server.create_script(SCRIPT, name="bench load")
            dep = server.create_deployment(int(script["id"]), agents, name="bench load")
            fleet = _Fleet(server.url, dep["master_token"])
            mark = len(server.output)
            if progress:
                progress(f"load: {agents} machines, {concurrency} at once, against {server.url}")
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                list(pool.map(fleet.machine, range(agents)))
            seconds = time.perf_counter() - began
            time.sleep(0.3)  # the server's last log lines
            after = server.admin("GET", f"/v1/admin/deployments/{dep['id']}")
            counts = dict(after.json().get("counts", {})) if after.status_code == 200 else {}
            server_ms = _server_times(server.output[mark:])
            peak = _peak_rss_mb(server.process.pid)
        finally:
            stop_local_server(server)
    first, last = _fifths(began, fleet.finished)
    return LoadResult(
        agents,
        concurrency,
        seconds,
        fleet.lifecycles,
        len(fleet.errors),
        fleet.errors[:5],
        fleet.latencies,
        server_ms,
        counts,
        start_s,
        peak,
        first,
        last,
    )
