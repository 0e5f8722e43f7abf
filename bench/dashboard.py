"""Dashboard figures for ``make bench``: what a first visit transfers (gzip) and how long a
deployment with 2,000 machines takes to render (``python -m bench.dashboard`` prints them).

Both are measured in Debian's headless Chromium (Playwright, ``executable_path``) on the built SPA
(``dashboard_static/dist``), served by a small threaded HTTP server on 127.0.0.1 together with an
in-memory admin API answering the documented shapes. The API answers at once, so the render time is
the dashboard's own: from the detail view's mount to the first paint after its table of 2,000 targets
(21 paged requests of 100 targets, the API's largest page, JSON parsing, DOM building, layout).

- first load: every response of a first, signed-in visit to the deployments view (index.html, the
  entry script and its shared chunk, the stylesheet, the favicon, config.json), each gzip-compressed
  at level 6 as a CDN would send it; the chunks loaded later on demand (editor, map, diff) are
  reported apart.
- render: median of several cold visits (new browser context each), with the synchronous DOM build
  of the table reported on its own.
"""

from __future__ import annotations

import gzip
import json
import mimetypes
import shutil
import statistics
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "dashboard_static"
DIST = DASHBOARD / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
TARGETS = 2000
PAGE = 100
RUNS = 5
GZIP_LEVEL = 6
STATUSES = ("completed", "completed", "completed", "running", "failed", "enrolled")
CITIES = [
    ("Warsaw", "PL", 52.23, 21.01),
    ("Berlin", "DE", 52.52, 13.40),
    ("Lisbon", "PT", 38.72, -9.14),
    ("Dublin", "IE", 53.35, -6.26),
    ("Virginia", "US", 38.95, -77.45),
    ("Tokyo", "JP", 35.68, 139.69),
]


def ensure_built() -> None:
    if (DIST / "index.html").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("dashboard_static/dist is missing and npm is not installed")
    if not (DASHBOARD / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=DASHBOARD, check=True)
    subprocess.run([npm, "run", "build"], cwd=DASHBOARD, check=True)


def _target(i: int) -> dict[str, Any]:
    city, country, lat, lng = CITIES[i % len(CITIES)]
    status = STATUSES[i % len(STATUSES)]
    return {
        "id": f"{i:032x}",
        "hostname": f"host-{i:05d}.fleet.example",
        "machine_id": f"machine-{i:05d}-4c4c4544",
        "status": status,
        "run_count": 1,
        "exit_code": 0 if status == "completed" else (1 if status == "failed" else None),
        "geo": {"country": country, "city": city, "latitude": lat + (i % 50) / 100, "longitude": lng + (i % 37) / 100},
        "enrolled_at": "2026-01-01T10:00:00Z",
        "started_at": "2026-01-01T10:00:01Z",
        "completed_at": "2026-01-01T10:00:09Z" if status in ("completed", "failed") else None,
        "last_seen_at": "2026-01-01T10:00:09Z",
    }


class FakeAdminApi:
    """The admin API's documented shapes, in memory: one deployment of TARGETS machines."""

    def __init__(self, targets: int = TARGETS) -> None:
        self.targets = [_target(i) for i in range(targets)]
        counts = {s: sum(1 for t in self.targets if t["status"] == s) for s in ("running", "completed", "failed")}
        self.deployment = {
            "id": 1,
            "script_id": 1,
            "script_name": "patch-fleet",
            "script_type": "bash",
            "name": "fleet rollout",
            "description": "bench",
            "status": "active",
            "kill_reason": None,
            "expires_at": None,
            "expected_machines": targets,
            "max_runs": 3,
            "script_version": "1.0.4",
            "script_checksum": "ab" * 32,
            "counts": {"enrolled": targets, "expired": 0, **counts},
            "created_by": "admin",
            "created_at": "2026-01-01T09:59:00Z",
            "updated_at": "2026-01-01T10:00:09Z",
        }
        self.logs = [
            {
                "id": f"log-{i}",
                "target_id": self.targets[i]["id"],
                "hostname": self.targets[i]["hostname"],
                "status": "info",
                "message": f"step {i} done",
                "step": "run",
                "timestamp": "2026-01-01T10:00:05Z",
            }
            for i in range(min(PAGE, targets))
        ]

    def _page(self, items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
        start = int(query.get("cursor", ["0"])[0] or 0)
        limit = min(int(query.get("limit", [str(PAGE)])[0]), PAGE)
        end = start + limit
        return {"items": items[start:end], "next_cursor": str(end) if end < len(items) else None}

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if method != "GET":
            return 405, {"error": {"code": "METHOD_NOT_ALLOWED", "message": "read only"}}
        if path == "/v1/admin/me":
            return 200, {"username": "admin", "email": None, "role": "admin", "groups": ["admin"]}
        if path == "/v1/admin/deployments":
            return 200, self._page([self.deployment], query)
        if path == "/v1/admin/deployments/1":
            first = self._page(self.targets, {"limit": [str(PAGE)]})
            return 200, {**self.deployment, "targets": first["items"], "next_cursor": first["next_cursor"]}
        if path == "/v1/admin/deployments/1/targets":
            return 200, self._page(self.targets, query)
        if path == "/v1/admin/deployments/1/installer":
            line = "curl -fsSL -H 'Authorization: Bearer <MASTER_TOKEN>' 'https://edgex.example/v1/agent/installer?type=bash' | bash"
            return 200, {
                "deployment_id": 1,
                "token_placeholder": "<MASTER_TOKEN>",
                "one_liners": {"bash": line, "powershell": "irm ... <MASTER_TOKEN> ... | iex"},
            }
        if path == "/v1/admin/deployments/1/logs":
            return 200, self._page(self.logs, query)
        return 404, {"error": {"code": "ROUTE_NOT_FOUND", "message": "No such route"}}


class BenchOrigin:
    """A threaded HTTP server on 127.0.0.1 (a secure context for Web Crypto) serving dist/ under
    /dashboard/, the fake API under /v1/, and an issuer that signs the bench user in at once."""

    def __init__(self, api: FakeAdminApi) -> None:
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.api = api
        self.responses: list[tuple[str, bytes]] = []
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)

    def config(self) -> dict[str, Any]:
        return {
            "apiBase": "",
            "region": "eu-central-1",
            "local": False,
            "oidc": {
                "authorizeUrl": f"{self.url}/idp/authorize",
                "tokenUrl": f"{self.url}/idp/token",
                "logoutUrl": f"{self.url}/idp/logout",
                "clientId": "bench",
                "scopes": "openid",
                "redirectUri": f"{self.url}/dashboard/",
            },
        }

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        path, query = request.path, parse_qs(request.query_string.decode())
        if path == "/idp/authorize":  # the issuer signs the user in at once
            target = f"{query['redirect_uri'][0]}?{urlencode({'code': 'bench', 'state': query['state'][0]})}"
            response = Response(status=302, headers={"Location": target})
        elif path == "/idp/token":
            response = self._json(
                200,
                {"access_token": "bench-token", "id_token": "bench-token", "token_type": "Bearer", "expires_in": 3600},
            )
        elif path.startswith("/v1/"):
            status, body = self.api.answer(request.method, path, query)
            response = self._json(status, body)
        elif path == "/dashboard/config.json":
            response = self._json(200, self.config(), record=True)
        else:
            rel = path.removeprefix("/dashboard").lstrip("/") or "index.html"
            file = (DIST / rel).resolve()
            if not file.is_relative_to(DIST.resolve()) or not file.is_file():
                rel, file = "index.html", DIST / "index.html"
            body = file.read_bytes()
            self.responses.append((rel, body))
            response = Response(
                body,
                content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream",
                headers={"Cache-Control": "no-store"},
            )
        return response(environ, start_response)

    def _json(self, status: int, data: Any, record: bool = False) -> Any:
        from werkzeug.wrappers import Response

        body = json.dumps(data).encode()
        if record:
            self.responses.append(("config.json", body))
        return Response(body, status=status, content_type="application/json", headers={"Cache-Control": "no-store"})


def _gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def _context(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 1440, "height": 900})


def _sign_in(page: Any, origin: BenchOrigin) -> None:
    page.goto(f"{origin.url}/dashboard/")
    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("deployments-table").locator("[data-testid=deployment-row]").first.wait_for(timeout=30_000)


def measure_first_load(browser: Any) -> dict[str, Any]:
    origin = BenchOrigin(FakeAdminApi(targets=10))
    context = _context(browser)
    try:
        page = context.new_page()
        _sign_in(page, origin)
        # The first visit proper: a signed-in load of the deployments view (no-store: nothing cached).
        origin.responses.clear()
        page.reload()
        page.get_by_test_id("deployments-table").locator("[data-testid=deployment-row]").first.wait_for()
        page.wait_for_timeout(300)
        first = list(origin.responses)
        loaded = {name for name, _ in first}
        lazy = {}
        for path in sorted((DIST / "assets").glob("*.js")):
            rel = f"assets/{path.name}"
            if rel not in loaded:
                lazy[path.name] = _gz(path.read_bytes())
        by_file: dict[str, int] = {}
        for name, body in first:
            by_file[name] = by_file.get(name, 0) + _gz(body)
        return {
            "dashboard_first_load_gzip_bytes": sum(by_file.values()),
            "dashboard_first_load_raw_bytes": sum(len(body) for _, body in first),
            "dashboard_first_load_requests": len(first),
            "dashboard_first_load_files_gzip_bytes": by_file,
            "dashboard_lazy_chunks_gzip_bytes": lazy,
        }
    finally:
        context.close()
        origin.close()


def measure_render(browser: Any, runs: int = RUNS, targets: int = TARGETS) -> dict[str, Any]:
    totals: list[float] = []
    dom: list[float] = []
    origin = BenchOrigin(FakeAdminApi(targets=targets))
    for _ in range(runs):
        context = _context(browser)
        try:
            page = context.new_page()
            _sign_in(page, origin)
            page.evaluate("() => { location.hash = '#/deployments/1'; }")
            page.locator("main[data-rendered=true], main [data-rendered=true]").first.wait_for(timeout=120_000)
            rows = page.get_by_test_id("targets-table").get_attribute("aria-rowcount")
            if rows != str(targets + 1):
                raise RuntimeError(f"the table has {rows} rows (with its header), expected {targets + 1}")
            marks = page.evaluate(
                """() => {
                    const at = (n) => performance.getEntriesByName(n).at(-1).startTime;
                    return { total: at('edgex:deployment-rendered') - at('edgex:deployment-mount'),
                             dom: at('edgex:targets-render-end') - at('edgex:targets-render-start') };
                }"""
            )
            totals.append(round(marks["total"], 1))
            dom.append(round(marks["dom"], 1))
        finally:
            context.close()
    origin.close()
    return {
        "deployment_2000_targets_render_ms": statistics.median(totals),
        "deployment_2000_targets_render_ms_runs": totals,
        "deployment_2000_targets_dom_build_ms": statistics.median(dom),
        "deployment_targets": targets,
    }


def run() -> dict[str, Any]:
    """The dashboard's figures for make bench."""
    from playwright.sync_api import sync_playwright

    ensure_built()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            result = measure_first_load(browser)
            result.update(measure_render(browser))
        finally:
            browser.close()
    result["method"] = (
        "headless Chromium on dashboard_static/dist served from 127.0.0.1 with an in-memory admin API; "
        f"first load = every response of a signed-in first visit, gzip level {GZIP_LEVEL}; render = detail view "
        f"mount to first paint with {TARGETS} targets fetched in pages of {PAGE}, median of {RUNS} cold visits"
    )
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
