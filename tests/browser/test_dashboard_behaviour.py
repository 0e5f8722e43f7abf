"""Dashboard behaviour in headless Chromium against the local server: Polish everywhere, session
expiry never silent (and no lost editor text), errors in words, the map without tiles, the kill
reason, keyboard use, CSP, and layouts from a 1280px laptop to a wide screen."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.test_dashboard_flow import type_into_editor, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

I18N = Path(__file__).resolve().parents[2] / "dashboard_static" / "src" / "i18n"
HTTP_ERROR = r"Failed to load resource: the server responded with a status of {}"


def flat(catalogue: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in catalogue.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and "other" not in value:
            out.update(flat(value, name))
        elif isinstance(value, str):
            out[name] = value
    return out


def deployment_with_machines(
    server: Any, machines: list[tuple[str, dict[str, str]]], expected: int = 3
) -> dict[str, Any]:
    script = server.create_script('#!/usr/bin/env bash\necho "fixture"\n', name=f"fixture-{uuid.uuid4().hex[:6]}")
    deployment = server.create_deployment(script["id"], expected, expires_hours=24)
    for hostname, geo in machines:
        headers = {f"CloudFront-Viewer-{k}": v for k, v in geo.items()}
        answer = server.agent(
            "POST",
            "/v1/agent/enroll",
            deployment["master_token"],
            headers=headers,
            json={"hostname": hostname, "machine_id": f"id-{hostname}"},
        )
        assert answer.status_code in (200, 201), answer.text
    return {**deployment, "script": script}


def test_polish_leaves_no_english_label_on_any_view(open_dashboard: Any, local_server: Any) -> None:
    dep = deployment_with_machines(local_server, [("pl-check-host", {"Country": "PL", "City": "Gdansk"})])
    en = flat(json.loads((I18N / "en.json").read_text()))
    pl = flat(json.loads((I18N / "pl.json").read_text()))
    english_only = {v for k, v in en.items() if "{" not in v and v != pl.get(k) and len(v) >= 4}

    dash = open_dashboard()
    page = dash.page
    dash.sign_in("admin")
    page.locator("button[data-lang=pl]").click()
    views = [
        "#/deployments",
        "#/deployments/new",
        f"#/deployments/{dep['id']}",
        "#/scripts",
        f"#/scripts/{dep['script']['id']}",
        "#/scripts/new",
        "#/map",
        "#/wrapper/bash",
        "#/wrapper/ps1",
        "#/settings",
        "#/audit",
    ]
    for view in views:
        dash.go(view)
        page.wait_for_timeout(400)
        page.locator("main .loading").first.wait_for(state="detached", timeout=15_000)
        page.wait_for_timeout(300)
        texts = page.evaluate(
            """() => {
                const out = [];
                const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                    const node = walker.currentNode;
                    const el = node.parentElement;
                    if (!el || el.closest('.cm-content, .code-block, .leaflet-control-attribution, noscript')) continue;
                    const t = node.textContent.trim();
                    if (t) out.push(t);
                }
                for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]'))
                    for (const a of ['placeholder', 'aria-label', 'title'])
                        if (el.getAttribute(a)) out.push(el.getAttribute(a).trim());
                out.push(document.title.replace(/ · Edgex$/, ''));
                return out;
            }"""
        )
        leftovers = sorted({t for t in texts if t in english_only})
        assert not leftovers, f"English left on {view} in Polish mode: {leftovers}"
    assert page.evaluate("localStorage.getItem('edgex.lang')") == "pl"


def set_expiry(page: Any, ms_from_now: int) -> None:
    page.evaluate(
        """ms => { const s = JSON.parse(sessionStorage.getItem('edgex.session'));
                             s.expiresAt = Date.now() + ms; sessionStorage.setItem('edgex.session', JSON.stringify(s)); }""",
        ms_from_now,
    )


def test_session_expiry_is_announced_and_sign_in_returns_to_the_route(open_dashboard: Any) -> None:
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("operator")
    dash.go("#/scripts")
    page.get_by_test_id("scripts-table").wait_for()

    # Shortly before the end: a banner with a sign-in button.
    set_expiry(page, 90_000)
    page.reload()
    banner = page.get_by_test_id("session-banner")
    banner.wait_for()
    assert re.search(r"Your session ends in [12] minutes?", banner.inner_text())
    assert banner.get_by_role("button", name="Sign in again").is_visible()

    # At the end: a modal prompt, which Escape does not dismiss into a broken page.
    set_expiry(page, 2_500)
    page.reload()
    dialog = page.get_by_test_id("session-expired")
    dialog.wait_for(timeout=10_000)
    assert "Your session has ended" in dialog.inner_text()
    page.keyboard.press("Escape")
    assert dialog.is_visible()
    dialog.get_by_test_id("sign-in-again").click()
    page.locator("input[name=password]").fill(dash.server.password("operator"))
    page.locator("button[name=username][value=operator]").click()
    page.wait_for_url(re.compile(r"#/scripts$"))
    page.get_by_test_id("scripts-table").wait_for()
    assert page.get_by_test_id("session-expired").count() == 0


def test_draft_survives_a_rejected_token(open_dashboard: Any) -> None:
    dash = open_dashboard(allow_console=[HTTP_ERROR.format(401)])
    page = dash.page
    dash.sign_in("operator")
    dash.go("#/scripts/new")
    page.get_by_test_id("script-editor").locator(".cm-content").wait_for()
    name = f"draft-{uuid.uuid4().hex[:6]}"
    page.get_by_test_id("script-name").fill(name)
    draft = '#!/usr/bin/env bash\necho "keep me"\n'
    type_into_editor(page, draft)
    # The API rejects the token from now on (as after a key rotation or a revoked session).
    page.route(
        "**/v1/admin/**",
        lambda route: route.fulfill(
            status=401,
            content_type="application/json",
            body=json.dumps({"error": {"code": "UNAUTHORIZED", "message": "token rejected"}}),
        ),
    )
    page.get_by_test_id("save-script").click()
    page.get_by_test_id("session-expired").wait_for()
    page.unroute("**/v1/admin/**")
    page.get_by_test_id("sign-in-again").click()
    page.locator("input[name=password]").fill(dash.server.password("operator"))
    page.locator("button[name=username][value=operator]").click()
    page.wait_for_url(re.compile(r"#/scripts/new$"))
    page.get_by_text("Your unsaved changes from before signing in again were restored.").wait_for()
    assert page.get_by_test_id("script-name").input_value() == name
    wait_until(
        page, "() => document.querySelector('[data-testid=script-editor] .cm-content')?.innerText.includes('keep me')"
    )


def test_errors_are_shown_in_words(open_dashboard: Any, local_server: Any) -> None:
    dep = deployment_with_machines(local_server, [("words-host", {})])
    dash = open_dashboard(allow_console=[HTTP_ERROR.format(503), HTTP_ERROR.format(409), HTTP_ERROR.format(400)])
    page = dash.page
    dash.sign_in("operator")

    # The AI assistant is not available locally: it says so.
    dash.go(f"#/scripts/{dep['script']['id']}")
    page.get_by_test_id("ai-panel").wait_for()
    page.get_by_test_id("ai-mode").select_option("explain")
    page.get_by_test_id("ai-run").click()
    error = page.get_by_test_id("ai-panel").get_by_test_id("error-box")
    error.wait_for()
    assert "AI assistant is not available" in error.inner_text()
    assert "AI_UNAVAILABLE" in error.inner_text()

    # A script that a live deployment pins cannot be deleted: the reason is given.
    page.get_by_test_id("delete-script").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    box = page.get_by_test_id("editor-card").get_by_test_id("error-box")
    box.wait_for()
    assert "SCRIPT_IN_USE" in box.inner_text()
    assert "used by live deployments" in box.inner_text()

    # Client-side validation in words too.
    dash.go("#/deployments/new")
    page.get_by_test_id("deployment-form").wait_for()
    page.get_by_test_id("create-deployment").click()
    assert (
        "Choose a script to deploy." in page.get_by_test_id("deployment-form").get_by_test_id("error-box").inner_text()
    )


def test_cancel_a_target_then_the_deployment(open_dashboard: Any, local_server: Any) -> None:
    dep = deployment_with_machines(local_server, [("cancel-a", {}), ("cancel-b", {})])
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("admin")
    dash.go(f"#/deployments/{dep['id']}")
    row = page.locator("[data-testid=target-row]", has_text="cancel-a")
    row.wait_for()
    row.get_by_test_id("cancel-target").click()
    # (the dialog's buttons say what they do: "Cancel this machine" / "Keep running")
    page.get_by_role("dialog").get_by_role("button", name="Cancel this machine").click()
    wait_until(
        page,
        """() => { const r = [...document.querySelectorAll('[data-testid=target-row]')]
                                 .find(r => r.textContent.includes('cancel-a'));
                                 return r && r.dataset.status !== 'enrolled'; }""",
    )
    assert row.get_attribute("data-status") == "cancelled"  # its own status, no longer "expired"
    assert row.locator(".badge").inner_text() == "Cancelled"
    page.get_by_test_id("cancel-deployment").click()
    page.get_by_role("dialog").get_by_role("button", name="Stop the deployment").click()
    page.locator(".page-header .badge", has_text="Cancelled").wait_for()
    assert page.get_by_test_id("cancel-deployment").is_hidden()
    assert (
        page.get_by_test_id("cancel-target").filter(has_text="Cancel").evaluate_all("els => els.every(e => e.hidden)")
    )


def test_kill_reason_is_shown_prominently(open_dashboard: Any, local_server: Any) -> None:
    dep = deployment_with_machines(local_server, [("killed-host", {})])
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("viewer")

    def killed(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        data.update(status="expired", kill_reason="INTEGRITY_VIOLATION")
        route.fulfill(response=response, json=data)

    page.route(re.compile(rf".*/v1/admin/deployments/{dep['id']}$"), killed)
    dash.go(f"#/deployments/{dep['id']}")
    alert = page.get_by_test_id("kill-reason")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert "INTEGRITY_VIOLATION" in alert.inner_text()
    assert "Deployment killed" in alert.inner_text()
    assert "checksum" in alert.inner_text()
    box = alert.bounding_box()
    assert box is not None and box["y"] < 300  # above the fold, under the title


def test_map_keeps_markers_when_tiles_cannot_load(open_dashboard: Any, local_server: Any) -> None:
    dep = deployment_with_machines(
        local_server,
        [
            ("tile-less-1", {"Country": "PL", "City": "Poznan", "Latitude": "52.41", "Longitude": "16.93"}),
            ("tile-less-2", {"Country": "US", "City": "Ashburn", "Latitude": "39.04", "Longitude": "-77.49"}),
            ("no-geo-host", {}),
        ],
    )
    dash = open_dashboard(block_tiles=True, allow_console=[r"net::ERR_INTERNET_DISCONNECTED"])
    page = dash.page
    dash.sign_in("viewer")
    dash.go(f"#/map?deployment={dep['id']}")
    notice = page.get_by_test_id("tiles-notice")
    notice.wait_for()
    assert "could not be loaded" in notice.inner_text()
    wait_until(page, "() => document.querySelectorAll('path.machine-marker').length === 2")
    assert page.locator("path.machine-marker--enrolled").count() == 2
    assert page.get_by_test_id("map-machine-row").count() == 3  # the one without a location is listed
    assert "1 without a location" in page.get_by_test_id("map-counts").inner_text()
    dash.screenshot("dashboard-map-no-tiles.png")


def test_keyboard_reaches_everything(open_dashboard: Any) -> None:
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("admin")
    page.get_by_test_id("deployments-table").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Walk to the Scripts link with the keyboard and follow it.
    page.locator(".skip-link").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "#/scripts":
            break
    else:
        pytest.fail("the Scripts link is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#/scripts$"))
    # Language buttons say which one is on.
    assert page.locator("button[data-lang=en]").get_attribute("aria-pressed") == "true"


def test_page_has_no_inline_script_and_a_strict_csp(local_server: Any) -> None:
    answer = requests.get(f"{local_server.url}/dashboard/", timeout=10)
    assert answer.status_code == 200
    html = answer.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> in index.html"
    assert "<style" not in html and "style=" not in html
    assert 'src="./assets/' in html and 'href="./assets/' in html  # relative: works under / and /dashboard/
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert meta and "script-src 'self'" in meta.group(1) and "unsafe" not in meta.group(1)
    header = answer.headers.get("Content-Security-Policy", "")
    script_src = re.search(r"script-src ([^;]*)", header)
    if script_src:
        assert "'unsafe-inline'" not in script_src.group(1)
    for path in re.findall(r'(?:src|href)="\./([^"]+)"', html):
        assert requests.get(f"{local_server.url}/dashboard/{path}", timeout=10).status_code == 200


@pytest.mark.parametrize("width", [1280, 2560])
def test_layout_fits_laptop_and_wide_screens(open_dashboard: Any, local_server: Any, width: int) -> None:
    dep = deployment_with_machines(
        local_server,
        [("layout-host", {"Country": "DE", "City": "Frankfurt", "Latitude": "50.11", "Longitude": "8.68"})],
    )
    dash = open_dashboard(viewport={"width": width, "height": 900})
    page = dash.page
    dash.sign_in("admin")
    for view, ready in [
        ("#/deployments", "deployments-table"),
        (f"#/deployments/{dep['id']}", "targets-table"),
        (f"#/scripts/{dep['script']['id']}", "script-editor"),
        ("#/map", "map"),
        ("#/settings", "settings-form"),
    ]:
        dash.go(view)
        page.get_by_test_id(ready).wait_for()
        page.wait_for_timeout(300)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{view} overflows by {overflow}px at {width}px"
    dash.go(f"#/deployments/{dep['id']}")
    page.get_by_test_id("targets-table").wait_for()
    time.sleep(0.3)
    dash.screenshot(f"dashboard-deployment-detail-{width}.png")


def test_admin_edits_wrapper_and_settings_and_sees_the_audit_trail(open_dashboard: Any) -> None:
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("admin")

    # Wrapper: a harmless edit (a comment line), saved, logged, then reset to the default.
    dash.go("#/wrapper/bash")
    editor = page.get_by_test_id("wrapper-editor").locator(".cm-content")
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text("\n# edited by the browser test\n")
    page.get_by_test_id("save-wrapper").click()
    page.get_by_text("Wrapper saved. New deployments will use it.").wait_for()
    page.get_by_test_id("wrapper-log").locator("tbody tr", has_text="Updated").first.wait_for()
    assert "Customised" in page.get_by_test_id("wrapper-info").inner_text()
    page.get_by_test_id("reset-wrapper").click()
    page.get_by_role("dialog").get_by_role("button", name="Reset to default").click()
    page.get_by_test_id("wrapper-log").locator("tbody tr", has_text="Reset to default").first.wait_for()
    page.get_by_test_id("wrapper-info").get_by_text("Default").wait_for()
    assert "edited by the browser test" not in page.get_by_test_id("wrapper-editor").inner_text()

    # Settings: change and restore the log retention.
    dash.go("#/settings")
    field = page.get_by_test_id("setting-log_retention_days")
    field.wait_for()
    before = field.input_value()
    field.fill(str(int(before) + 1))
    page.get_by_test_id("save-settings").click()
    page.get_by_text("Settings saved.").first.wait_for()
    page.reload()
    page.get_by_test_id("setting-log_retention_days").wait_for()
    assert page.get_by_test_id("setting-log_retention_days").input_value() == str(int(before) + 1)
    page.get_by_test_id("setting-log_retention_days").fill(before)
    page.get_by_test_id("setting-tiles-url").fill("http://tiles.example/{z}/{x}/{y}.png")
    page.get_by_test_id("save-settings").click()
    assert "https://" in page.locator("main").get_by_test_id("error-box").first.inner_text()
    page.reload()
    page.get_by_test_id("setting-log_retention_days").fill(before)
    page.get_by_test_id("save-settings").click()
    page.get_by_text("Settings saved.").first.wait_for()

    # The audit trail lists those mutations, newest first.
    dash.go("#/audit")
    rows = page.get_by_test_id("audit-row")
    rows.first.wait_for()
    assert rows.count() >= 4
    assert "admin" in rows.first.inner_text()


def test_machine_output_shows_a_live_tail_and_a_download(open_dashboard: Any, local_server: Any) -> None:
    # Given a machine running a script that prints, waits, then prints more (stdout and stderr)
    import threading

    script = local_server.create_script(
        "echo first-output-line\necho warn-on-stderr >&2\nsleep 6\necho later-tail-line\nsleep 3\n",
        name=f"tail-{uuid.uuid4().hex[:6]}",
    )
    dep = local_server.create_deployment(script["id"], 1)
    runs: list[Any] = []
    machine = threading.Thread(
        target=lambda: runs.append(
            local_server.run_one_liner(
                dep["one_liners"]["bash"], "tail-machine", "tail-host", extra_env={"EDGEX_HEARTBEAT_SECONDS": "1"}
            )
        )
    )
    machine.start()
    try:
        # When an operator opens the deployment and the machine's panel while it runs
        dash = open_dashboard()
        page = dash.page
        dash.sign_in("admin")
        dash.go(f"#/deployments/{dep['id']}")
        row = page.locator("[data-testid=target-row]", has_text="tail-host")
        row.wait_for(timeout=60_000)
        row.get_by_test_id("machine-open").click()
        output = page.get_by_test_id("machine-output-text")
        # Then the output appears as the machine prints it, stderr marked, the later line included
        wait_until(
            page,
            "() => document.querySelector('[data-testid=machine-output-text]').textContent.includes('first-output-line')",
            timeout=60,
        )
        wait_until(
            page,
            "() => document.querySelector('[data-testid=machine-output-text]').textContent.includes('later-tail-line')",
            timeout=60,
        )
        assert output.locator(".output-stderr", has_text="warn-on-stderr").count() == 1
        # And nothing was cut, and the whole output can be downloaded
        assert page.get_by_test_id("machine-output-truncated").is_hidden()
        with page.expect_download() as download:
            page.get_by_test_id("machine-output-download").click()
        saved = Path(download.value.path()).read_text()
        assert "first-output-line" in saved and "later-tail-line" in saved
    finally:
        machine.join(timeout=120)
    assert runs and runs[0].returncode == 0, runs[0].stderr if runs else "the machine did not finish"
