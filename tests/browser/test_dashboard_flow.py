"""The dashboard end to end in headless Chromium against the real local server: an admin writes a
script in the editor, deploys it, two machines run the real bash one-liner in the background, and
the open detail page shows both completed with their logs without a reload; the map shows both;
Polish labels; a viewer finds no create / edit / cancel control anywhere."""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

SCRIPT = """#!/usr/bin/env bash
set -euo pipefail
_orc_send info "browser test running on $_ORC_HOSTNAME" prepare
echo "second line of output"
"""

MACHINES = [
    (
        "browser-m1",
        "wro-host-1",
        {"Country": "PL", "City": "Wroclaw", "Latitude": "51.11", "Longitude": "17.03", "Time-Zone": "Europe/Warsaw"},
    ),
    (
        "browser-m2",
        "lis-host-2",
        {"Country": "PT", "City": "Lisbon", "Latitude": "38.72", "Longitude": "-9.14", "Time-Zone": "Europe/Lisbon"},
    ),
]


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 20) -> None:
    """Polls page.evaluate (wait_for_function evaluates strings, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        page.wait_for_timeout(200)


def type_into_editor(page: Any, text: str, testid: str = "script-editor") -> None:
    content = page.get_by_test_id(testid).locator(".cm-content")
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def editor_text(page: Any, testid: str = "script-editor") -> str:
    lines = page.get_by_test_id(testid).locator(".cm-line").all_inner_texts()
    return "\n".join(lines)


def test_admin_writes_deploys_and_watches_two_machines(open_dashboard: Any, local_server: Any) -> None:
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("admin")

    # --- a script, written in the in-browser editor ---
    name = f"browser-script-{uuid.uuid4().hex[:6]}"
    dash.go("#/scripts")
    page.get_by_test_id("new-script").click()
    page.get_by_test_id("script-editor").locator(".cm-content").wait_for()
    page.get_by_test_id("script-name").fill(name)
    page.get_by_test_id("script-description").fill("written by the browser test")
    type_into_editor(page, SCRIPT)
    assert page.get_by_test_id("script-editor").locator(".tok-string").count() > 0  # highlighted
    page.get_by_test_id("save-script").click()
    page.get_by_test_id("script-version").filter(has_text="v1.0.0").wait_for()
    page.wait_for_url(re.compile(r"#/scripts/\d+$"))
    script_id = int(page.url.rsplit("/", 1)[1])
    checksum = page.get_by_test_id("script-checksum").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", checksum)
    stored = local_server.admin("GET", f"/v1/admin/scripts/{script_id}/content").text
    assert stored.strip() == SCRIPT.strip()
    meta = local_server.admin("GET", f"/v1/admin/scripts/{script_id}").json()
    assert meta["name"] == name and meta["description"] == "written by the browser test"
    page.get_by_test_id("version-row").first.wait_for()
    assert page.get_by_test_id("version-row").count() == 1

    # --- a deployment for two machines ---
    page.get_by_test_id("deploy-script").click()
    page.get_by_test_id("deployment-create").wait_for()
    assert page.get_by_test_id("script-select").input_value() == str(script_id)
    page.get_by_test_id("deployment-name").fill(f"{name}-rollout")
    page.get_by_test_id("expected-machines").fill("2")
    page.get_by_test_id("expires-hours").fill("24")
    if page.get_by_test_id("ack-findings").is_visible():
        page.get_by_test_id("ack-findings").check()
    page.get_by_test_id("create-deployment").click()
    page.wait_for_url(re.compile(r"#/deployments/\d+$"))
    deployment_id = int(page.url.rsplit("/", 1)[1])
    bash_line = page.get_by_test_id("one-liner-bash").inner_text()
    assert "curl" in bash_line and "exm_" in bash_line
    assert page.get_by_test_id("one-liner-powershell").inner_text()

    # The copy button puts exactly the one-liner on the clipboard.
    page.get_by_test_id("copy-bash").click()
    assert page.evaluate("navigator.clipboard.readText()") == bash_line

    # A marker that a reload would lose: the page must update by itself.
    page.evaluate("window.__edgexNoReload = true")
    page.get_by_test_id("targets-table").get_by_text(re.compile("No machine has enrolled yet")).wait_for()

    # --- two machines run the real one-liner in the background ---
    results: dict[str, Any] = {}

    def run(machine_id: str, hostname: str, geo: dict[str, str]) -> None:
        results[machine_id] = local_server.run_one_liner(bash_line, machine_id, hostname, geo=geo)

    threads = [threading.Thread(target=run, args=m) for m in MACHINES]
    for t in threads:
        t.start()

    rows = page.locator("[data-testid=target-row][data-status=completed]")
    deadline = time.monotonic() + 150
    while rows.count() < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    for t in threads:
        t.join(timeout=60)
    for machine_id, _, _ in MACHINES:
        run_result = results[machine_id]
        assert run_result.returncode == 0, f"{machine_id}: {run_result.stdout}\n{run_result.stderr}"
    assert rows.count() == 2, page.get_by_test_id("targets-table").inner_text()
    assert page.evaluate("window.__edgexNoReload") is True

    table = page.get_by_test_id("targets-table")
    for _, hostname, geo in MACHINES:
        row = table.locator("[data-testid=target-row]", has_text=hostname)
        assert "Completed" in row.inner_text()  # status in words, not only colour
        assert geo["City"] in row.inner_text()
        assert re.search(r"\b1 / \d+\b", row.inner_text())  # run count
    # Whole-deployment live logs carry both machines' output.
    logs = page.get_by_test_id("deployment-logs")
    for _, hostname, _ in MACHINES:
        logs.locator("[data-testid=log-entry]", has_text=hostname).first.wait_for()
    logs.get_by_text("browser test running on").first.wait_for()
    # Counts tiles and progress follow.
    assert page.locator(".tile--enrolled .tile-value").inner_text() == "2 / 2"
    assert page.locator(".tile--completed .tile-value").inner_text() == "2"
    dash.screenshot("dashboard-deployment-detail.png", full_page=True)

    # Per-target logs: only that machine's entries.
    first_host = MACHINES[0][1]
    table.locator("[data-testid=target-row]", has_text=first_host).get_by_role("button", name="Logs").click()
    page.get_by_text(f"Live logs — {first_host}").wait_for()
    # (one machine's log is shown run by run; only its own entries, under "Run 1")
    run = page.get_by_test_id("machine-run")
    run.first.wait_for()
    assert run.count() == 1 and "Run 1" in run.first.inner_text()
    run.first.get_by_text("browser test running on " + first_host).wait_for()
    assert MACHINES[1][1] not in page.get_by_test_id("machine-runs").inner_text()
    page.get_by_test_id("logs-all").click()

    # --- the deployments list shows the counts ---
    dash.go("#/deployments")
    row = page.locator("[data-testid=deployment-row]", has_text=f"{name}-rollout")
    row.wait_for()
    assert "2 / 2" in row.inner_text()
    assert "Completed" in row.inner_text()  # both expected machines finished: the deployment settled
    dash.screenshot("dashboard-deployments.png")

    # --- the live map: both machines as markers, spokes to the hub ---
    dash.go(f"#/map?deployment={deployment_id}")
    wait_until(page, "() => document.querySelectorAll('path.machine-marker').length === 2")
    assert page.locator("path.hub-marker").count() == 1
    assert page.locator("path.spoke").count() == 2
    assert page.locator("path.machine-marker--completed").count() == 2
    assert page.get_by_test_id("map-machine-row").count() == 2
    page.wait_for_timeout(300)
    dash.screenshot("dashboard-map.png")
    assert dash.watch.tile_requests, "the map asked no tile from the configured tile host"
    dash.go("#/map")
    wait_until(page, "() => document.querySelectorAll('path.machine-marker').length >= 2")

    # --- Polish, switched at runtime, remembered ---
    dash.go(f"#/deployments/{deployment_id}")
    page.get_by_test_id("targets-table").wait_for()
    page.locator("button[data-lang=pl]").click()
    nav = page.get_by_role("navigation", name="Nawigacja główna")
    for label in ("Wdrożenia", "Skrypty", "Mapa na żywo", "Ustawienia", "Dziennik audytu"):
        assert nav.get_by_text(label, exact=True).count() == 1
    assert "Zakończona" in page.get_by_test_id("targets-table").inner_text()
    assert page.get_by_test_id("targets-table").get_by_text("Nazwa hosta").count() == 1
    assert page.evaluate("document.documentElement.lang") == "pl"
    assert page.evaluate("window.__edgexNoReload") is True  # switched without a reload
    dash.screenshot("dashboard-deployment-detail-pl.png")
    page.reload()
    page.get_by_test_id("targets-table").wait_for()
    assert page.get_by_role("navigation", name="Nawigacja główna").get_by_text("Wdrożenia").count() == 1
    page.locator("button[data-lang=en]").click()

    # --- history: a second version, then its diff ---
    dash.go(f"#/scripts/{script_id}")
    page.get_by_test_id("script-editor").locator(".cm-content").wait_for()
    type_into_editor(page, SCRIPT + 'echo "added in v2"\n')
    page.get_by_test_id("dirty-flag").wait_for()
    page.keyboard.press("Control+S")
    page.get_by_test_id("script-version").filter(has_text="v1.0.1").wait_for()
    page.get_by_test_id("version-row").nth(1).wait_for()
    assert page.get_by_test_id("version-row").count() == 2
    page.get_by_test_id("version-row").first.get_by_test_id("diff-version").click()
    diff = page.get_by_test_id("diff")
    diff.wait_for()
    assert diff.locator(".diff-line--add", has_text='echo "added in v2"').count() == 1
    page.get_by_test_id("version-tab-view").click()
    page.get_by_test_id("code-viewer").locator(".cm-content").wait_for()
    assert "added in v2" in page.get_by_test_id("code-viewer").inner_text()
    page.keyboard.press("Escape")

    # --- sign out ---
    dash.sign_out()
    assert page.evaluate("sessionStorage.getItem('edgex.session')") is None


def test_viewer_finds_no_create_edit_or_cancel_controls(open_dashboard: Any, local_server: Any) -> None:
    script = local_server.create_script('#!/usr/bin/env bash\necho "viewer fixture"\n', name="viewer-fixture")
    deployment = local_server.create_deployment(script["id"], 3, expires_hours=None)
    enrolled = local_server.agent(
        "POST",
        "/v1/agent/enroll",
        deployment["master_token"],
        json={"hostname": "viewer-target", "machine_id": "viewer-target-id"},
    )
    assert enrolled.status_code in (200, 201), enrolled.text

    dash = open_dashboard()
    page = dash.page
    dash.sign_in("viewer")
    assert "Viewer" in page.locator(".topbar").inner_text()
    forbidden = re.compile(
        r"^(New deployment|New script|Save|Delete|Cancel|Cancel deployment|Pause|Resume|Reset to default|"
        r"Create deployment|Deploy…|Ask the assistant|Load into the editor)$"
    )

    def assert_no_controls() -> None:
        for control in page.locator("main button, main a.btn").all():
            text = control.inner_text().strip()
            assert not forbidden.match(text), f"viewer sees the control {text!r} on {page.url}"

    page.get_by_test_id("deployments-table").wait_for()
    page.locator("[data-testid=deployment-row]").first.wait_for()
    assert page.get_by_test_id("new-deployment").count() == 0
    assert_no_controls()

    dash.go(f"#/deployments/{deployment['id']}")
    page.locator("[data-testid=target-row]", has_text="viewer-target").wait_for()
    for testid in ("cancel-deployment", "delete-deployment", "cancel-target", "pause-deployment", "resume-deployment"):
        assert page.get_by_test_id(testid).count() == 0
    assert_no_controls()

    dash.go("#/scripts")
    page.locator("[data-testid=script-row]").first.wait_for()
    assert page.get_by_test_id("new-script").count() == 0
    assert_no_controls()

    dash.go(f"#/scripts/{script['id']}")
    page.get_by_test_id("script-editor").locator(".cm-content").wait_for()
    assert page.get_by_test_id("script-editor").locator(".cm-content").get_attribute("contenteditable") == "false"
    for testid in ("save-script", "delete-script", "deploy-script", "ai-panel"):
        assert page.get_by_test_id(testid).count() == 0
    assert page.get_by_test_id("script-name").get_attribute("readonly") is not None
    page.get_by_test_id("version-row").first.get_by_test_id("view-version").click()
    page.get_by_test_id("code-viewer").locator(".cm-content").wait_for()
    assert page.get_by_test_id("restore-version").count() == 0
    page.keyboard.press("Escape")
    assert_no_controls()

    dash.go("#/settings")
    page.get_by_test_id("settings-form").wait_for()
    assert page.get_by_test_id("save-settings").count() == 0
    assert page.get_by_test_id("setting-tiles-url").get_attribute("readonly") is not None
    assert_no_controls()

    dash.go("#/wrapper/bash")
    page.get_by_test_id("wrapper-editor").locator(".cm-content").wait_for()
    assert page.get_by_test_id("save-wrapper").count() == 0
    assert page.get_by_test_id("reset-wrapper").count() == 0
    assert_no_controls()

    # The audit trail is for admins: not in the navigation.
    assert page.locator("a.nav-link[href='#/audit']").count() == 0
