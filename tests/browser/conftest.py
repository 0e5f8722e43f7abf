"""Browser test harness: Debian's Chromium driven by Playwright against the real local server.

Every page a test opens is watched:
- a console error or an uncaught exception fails the test (CSP violations are console errors);
- a request to any host but the server's own fails the test, except map tiles from the tile host
  configured in settings, which are answered here with a small dark PNG (no network in tests).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "dashboard_static"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("EDGEX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
DEFAULT_TIMEOUT_MS = 20_000


def _png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (14, 18, 32)) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


TILE_PNG = _png()


def _sources_newer_than(target: Path) -> bool:
    if not target.exists():
        return True
    built = target.stat().st_mtime
    for path in [*(DASHBOARD / "src").rglob("*"), DASHBOARD / "package.json", DASHBOARD / "build.mjs"]:
        if path.is_file() and path.stat().st_mtime > built:
            return True
    return False


def ensure_dashboard_built() -> None:
    """make test builds the dashboard first; a bare pytest run builds it here when it is stale."""
    index = DASHBOARD / "dist" / "index.html"
    if not _sources_newer_than(index):
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("dashboard_static/dist is missing or stale and npm is not installed (Node 20 + npm needed)")
    if not (DASHBOARD / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=DASHBOARD, check=True)
    subprocess.run([npm, "run", "build"], cwd=DASHBOARD, check=True)


def tile_host_pattern(template: str) -> re.Pattern[str]:
    """Hosts a tile URL template can produce ({s} is a subdomain letter)."""
    host = urlsplit(template.replace("{s}", "SUBDOMAIN")).netloc
    return re.compile("^" + re.escape(host).replace("SUBDOMAIN", "[a-z0-9-]+") + "$")


@dataclass
class Watch:
    """What the pages of one browser context did that a test must not allow."""

    own_host: str
    tile_host: re.Pattern[str]
    block_tiles: bool = False
    console_errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    tile_requests: list[str] = field(default_factory=list)
    allow_console: list[re.Pattern[str]] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = f"{message.text} @ {message.location.get('url', '')}"
        if any(p.search(text) for p in self.allow_console):
            return
        self.console_errors.append(text)

    def on_page_error(self, error: Any) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.own_host:
            route.continue_()
        elif self.tile_host.match(parts.netloc):
            self.tile_requests.append(url)
            if self.block_tiles:
                route.abort("internetdisconnected")
            else:
                route.fulfill(status=200, content_type="image/png", body=TILE_PNG)
        else:
            self.foreign.append(url)
            route.abort("blockedbyclient")

    def assert_clean(self) -> None:
        assert not self.foreign, f"resources from other hosts: {self.foreign}"
        assert not self.console_errors, "console errors:\n" + "\n".join(self.console_errors)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install -y chromium (make setup does it)")
    ensure_dashboard_built()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def tile_template(local_server: Any) -> str:
    answer = local_server.admin("GET", "/v1/admin/settings")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["map_tiles"]["url"])


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class Dashboard:
    """One browser context (its own session storage) on the local server's dashboard."""

    def __init__(self, browser: Any, server: Any, watch: Watch, viewport: dict[str, int]) -> None:
        self.server = server
        self.watch = watch
        self.context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/Warsaw")
        self.context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        self.context.route("**/*", watch.route)
        self.page = self.context.new_page()
        self.page.on("console", watch.on_console)
        self.page.on("pageerror", watch.on_page_error)

    @property
    def base(self) -> str:
        return f"{self.server.url}/dashboard/"

    def open(self, hash_route: str = "") -> None:
        self.page.goto(self.base + hash_route)

    def sign_in(self, role: str) -> None:
        self.open()
        self.page.get_by_test_id("sign-in").click()
        self.page.locator("input[name=password]").fill(self.server.password(role))
        self.page.locator(f"button[name=username][value={role}]").click()
        self.page.wait_for_url(re.compile(r"/dashboard/#/deployments$"))
        self.page.get_by_test_id("user-name").filter(has_text=role).wait_for()

    def go(self, hash_route: str) -> None:
        self.page.evaluate("h => { location.hash = h; }", hash_route)

    def sign_out(self) -> None:
        self.page.get_by_test_id("sign-out").click()
        self.page.get_by_test_id("sign-in").wait_for()

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        path = ARTIFACTS / name
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_dashboard(chromium: Any, local_server: Any, tile_template: str) -> Iterator[Any]:
    """open_dashboard(viewport=..., block_tiles=...) -> Dashboard; checked for console errors and
    foreign hosts when the test ends."""
    opened: list[Dashboard] = []

    def factory(
        viewport: dict[str, int] | None = None, block_tiles: bool = False, allow_console: list[str] | None = None
    ) -> Dashboard:
        watch = Watch(
            own_host=urlsplit(local_server.url).netloc,
            tile_host=tile_host_pattern(tile_template),
            block_tiles=block_tiles,
            allow_console=[re.compile(p) for p in allow_console or []],
        )
        dash = Dashboard(chromium, local_server, watch, viewport or {"width": 1280, "height": 900})
        opened.append(dash)
        return dash

    yield factory
    try:
        for dash in opened:
            dash.watch.assert_clean()
    finally:
        for dash in opened:
            dash.close()
