"""The dashboard's build: i18n catalogues agree (npm test), and the built files name no other host
for anything the page loads (no CDN: scripts, styles, fonts, images all come from our origin)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.browser.conftest import DASHBOARD, ensure_dashboard_built

DIST = DASHBOARD / "dist"


def test_i18n_catalogues_and_keys() -> None:
    node = shutil.which("node")
    assert node, "Node 20 is needed to build the dashboard"
    run = subprocess.run(
        [node, "--test", "test/"], cwd=DASHBOARD, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_built_files_load_nothing_from_other_hosts() -> None:
    ensure_dashboard_built()
    html = (DIST / "index.html").read_text()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    for css in DIST.glob("assets/*.css"):
        text = css.read_text()
        for url in re.findall(r"url\(([^)]+)\)", text):
            url = url.strip("'\"")
            assert not re.match(r"(?:https?:)?//", url), f"{css.name} loads {url}"
    for js in DIST.glob("assets/*.js"):
        text = js.read_text()
        assert 'import("http' not in text and "importScripts(" not in text, js.name
    images = {p.suffix for p in Path(DIST / "assets").iterdir()}
    assert ".png" in images  # Leaflet's images are served by us too
