"""The dashboard at 2 a.m. (issue 15), in headless Chromium against the real local server with real
bash machines: a failure shows its exit code and its reason, a non-fatal error does not fail a
machine, a finished deployment reads settled and filters so, a new master token retires the old
one-liner, an outage shows how stale the page is and recovers with "Retry now", and every view fits
a phone (390x844) and a laptop (1440x900) in English and Polish, with screenshots kept."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

from tests.browser.test_dashboard_flow import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

# One script, two behaviours by host: one machine fails with a reason and exit code 2, the other
# reports a non-fatal error and then exits 0.
SCRIPT = """#!/usr/bin/env bash
if [ "$_ORC_HOSTNAME" = "night-fail" ]; then
  _orc_send info "checking free space" check
  _orc_send error "disk /var is full" check
  exit 2
fi
_orc_send error "cache miss, continuing" warmup
_orc_send info "work done" work
"""

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}


def wait_for(condition: Any, what: str, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def run_in_background(server: Any, one_liner: str, machines: list[tuple[str, str]]) -> dict[str, Any]:
    """Runs the one-liner as each (machine_id, hostname) in threads; returns their results when joined."""
    results: dict[str, Any] = {}

    def run(machine_id: str, hostname: str) -> None:
        results[hostname] = server.run_one_liner(
            one_liner, machine_id, hostname, geo={"Country": "JP", "City": "Tokyo"}
        )

    threads = [threading.Thread(target=run, args=m) for m in machines]
    for thread in threads:
        thread.start()
    results["_threads"] = threads
    return results


def join(results: dict[str, Any]) -> None:
    for thread in results.pop("_threads"):
        thread.join(timeout=150)


def test_failure_reason_exit_code_non_fatal_error_and_settled_filter(open_dashboard: Any, local_server: Any) -> None:
    # Given a deployment of two machines, open in the browser
    script = local_server.create_script(SCRIPT, name="night-shift")
    dep = local_server.create_deployment(script["id"], 2, expires_hours=24)
    dash = open_dashboard(viewport=LAPTOP)
    page = dash.page
    dash.sign_in("admin")
    dash.go(f"#/deployments/{dep['id']}")
    page.get_by_test_id("targets-table").wait_for()

    # When one machine fails (a reason in its log, exit 2) and one logs an error but exits 0
    results = run_in_background(
        local_server, dep["one_liners"]["bash"], [("night-m1", "night-fail"), ("night-m2", "night-noisy")]
    )
    join(results)
    assert results["night-fail"].returncode != 0
    assert results["night-noisy"].returncode == 0, results["night-noisy"].stderr

    # Then, without a reload, the failed machine is listed first with its exit code ...
    rows = page.get_by_test_id("target-row")
    wait_until(
        page, "() => document.querySelectorAll('[data-testid=target-row][data-status=failed]').length === 1", timeout=60
    )
    wait_until(
        page,
        "() => document.querySelectorAll('[data-testid=target-row][data-status=completed]').length === 1",
        timeout=60,
    )
    first = rows.first
    assert "night-fail" in first.inner_text() and first.get_attribute("data-status") == "failed"
    assert first.get_by_test_id("target-exit-code").inner_text() == "2"
    assert first.get_by_test_id("target-runs").inner_text().startswith("1 /")
    assert first.get_by_test_id("target-duration").inner_text() != "—"
    assert "Japan" in first.inner_text()  # the region's name, not "JP"
    # ... the machine that logged a non-fatal error completed with exit code 0 ...
    noisy = page.locator("[data-testid=target-row]", has_text="night-noisy")
    assert noisy.get_attribute("data-status") == "completed"
    assert noisy.get_by_test_id("target-exit-code").inner_text() == "0"
    # ... the status filter counts them ...
    options = page.get_by_test_id("status-filter").locator("option").all_inner_texts()
    assert "Failed (1)" in options and "Completed (1)" in options
    # ... and the failed machine's panel gives the reason from its log, run by run
    first.get_by_test_id("machine-open").click()
    page.get_by_test_id("machine-reason").wait_for()
    assert "disk /var is full" in page.get_by_test_id("machine-reason").inner_text()
    assert page.get_by_test_id("machine-exit-code").inner_text() == "2"
    page.get_by_test_id("machine-run").first.get_by_text("Run 1").wait_for()
    assert page.get_by_test_id("machine-output").is_visible()  # the labelled place for output capture
    dash.screenshot("issue15-machine-panel-1440-en.png", full_page=True)

    # And the deployment reads settled, and the list filters so
    page.locator(".page-header .badge", has_text="Completed with failures").wait_for()
    dash.go("#/deployments")
    page.get_by_test_id("deployments-table").wait_for()
    page.get_by_test_id("deployment-status-filter").select_option("completed_with_failures")
    page.locator("[data-testid=deployment-row]", has_text="night-shift").wait_for()
    page.get_by_test_id("deployment-status-filter").select_option("active")
    page.locator("[data-testid=deployment-row]", has_text="night-shift").wait_for(state="detached")
    listed = local_server.admin("GET", "/v1/admin/deployments", params={"status": "completed_with_failures"}).json()
    assert dep["id"] in [d["id"] for d in listed["items"]]


def test_rotating_the_master_token_retires_the_old_one_liner(open_dashboard: Any, local_server: Any) -> None:
    # Given a deployment whose one-liner was handed out (and lost) at creation
    script = local_server.create_script("#!/usr/bin/env bash\necho rotated\n", name="rotate-me")
    dep = local_server.create_deployment(script["id"], 2, expires_hours=24)
    old_line = dep["one_liners"]["bash"]
    dash = open_dashboard(viewport=LAPTOP)
    page = dash.page
    dash.sign_in("operator")
    dash.go(f"#/deployments/{dep['id']}")
    page.get_by_test_id("targets-table").wait_for()

    # When an operator issues a new master token from the detail page
    page.get_by_test_id("rotate-token").click()
    page.get_by_role("dialog").get_by_role("button", name="Issue new token").click()
    fresh = page.get_by_test_id("one-liner-bash").filter(has_text="exm_")
    fresh.wait_for()
    new_line = fresh.inner_text()
    assert "exm_" in new_line and new_line != old_line

    # Then the old one-liner is refused with 401 ...
    old_master = re.search(r"exm_[A-Za-z0-9_-]+", old_line)
    assert old_master
    refused = local_server.agent(
        "POST", "/v1/agent/enroll", old_master.group(0), json={"hostname": "late", "machine_id": "late"}
    )
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"
    old_run = local_server.run_one_liner(old_line, "rot-old", "rot-old")
    assert "401" in old_run.stderr  # curl -f refuses the installer: nothing runs (the pipe's bash gets nothing)
    # ... and the new one runs a machine, which the page shows completed
    new_run = local_server.run_one_liner(new_line, "rot-new", "rot-new")
    assert new_run.returncode == 0, new_run.stderr
    page.locator("[data-testid=target-row][data-status=completed]", has_text="rot-new").wait_for(timeout=30_000)
    assert page.locator("[data-testid=target-row]", has_text="rot-old").count() == 0
    # ... and the audit trail names it in words, with a link to the deployment
    audit = local_server.admin("GET", "/v1/admin/audit").json()["items"]
    assert any(e["action"] == "deployments_master_token" for e in audit)


def test_outage_shows_stale_age_and_recovers_with_retry_now(open_dashboard: Any, local_server: Any) -> None:
    script = local_server.create_script("#!/usr/bin/env bash\necho hi\n", name="outage")
    dep = local_server.create_deployment(script["id"], 1, expires_hours=24)
    dash = open_dashboard(viewport=LAPTOP, allow_console=[r"Failed to load resource"])
    page = dash.page
    dash.sign_in("admin")
    dash.go(f"#/deployments/{dep['id']}")
    page.get_by_test_id("targets-table").wait_for()
    page.locator("[data-testid=live-indicator].live--ok").wait_for()

    # Given the API starts failing
    def outage(route: Any) -> None:
        route.fulfill(
            status=503,
            content_type="application/json",
            body='{"error":{"code":"STORAGE_UNAVAILABLE","message":"down"}}',
        )

    page.route(re.compile(r".*/v1/admin/deployments/.*"), outage)
    # Then the live indicator says how old the numbers are and offers "Retry now"
    page.locator("[data-testid=live-indicator].live--error").wait_for(timeout=30_000)
    age = page.get_by_test_id("live-age")
    age.wait_for()
    wait_until(
        page, "() => /last updated [1-9]\\d* s ago/.test(document.querySelector('[data-testid=live-age]').textContent)"
    )
    assert page.get_by_test_id("retry-now").is_visible()
    dash.screenshot("issue15-outage-1440-en.png")

    # When the API is back and the user retries now, the page is live again at once
    page.unroute(re.compile(r".*/v1/admin/deployments/.*"))
    page.get_by_test_id("retry-now").click()
    page.locator("[data-testid=live-indicator].live--ok").wait_for(timeout=10_000)
    assert page.get_by_test_id("retry-now").is_hidden() and age.is_hidden()

    # And the deployments list, another live view, does the same
    dash.go("#/deployments")
    page.locator("[data-testid=live-indicator].live--ok").wait_for()
    page.route(re.compile(r".*/v1/admin/deployments(\?.*)?$"), outage)
    page.locator("[data-testid=live-indicator].live--error").wait_for(timeout=30_000)
    wait_until(
        page, "() => /last updated \\d+ s ago/.test(document.querySelector('[data-testid=live-age]').textContent)"
    )
    page.unroute(re.compile(r".*/v1/admin/deployments(\?.*)?$"))
    page.get_by_test_id("retry-now").click()
    page.locator("[data-testid=live-indicator].live--ok").wait_for(timeout=10_000)


CUT_LABELS = """() => {
  const cut = [];
  for (const el of document.querySelectorAll('th, .btn, .tile-label, label, .nav-link, .badge, legend, h1, h2, .sort-btn')) {
    if (!el.offsetParent) continue;
    const style = getComputedStyle(el);
    if (style.overflow !== 'hidden' && style.textOverflow !== 'ellipsis' && style.overflowX !== 'hidden') continue;
    if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent.trim());
  }
  return cut;
}"""


@pytest.mark.parametrize(("size", "label"), [(PHONE, "390"), (LAPTOP, "1440")])
def test_every_view_fits_in_both_languages(
    open_dashboard: Any, local_server: Any, size: dict[str, int], label: str
) -> None:
    script = local_server.create_script("#!/usr/bin/env bash\necho fits\n", name="fits")
    dep = local_server.create_deployment(script["id"], 3, expires_hours=24)
    for n, (country, city) in enumerate([("JP", "Tokyo"), ("PL", "Gdansk")]):
        headers = {
            "CloudFront-Viewer-Country": country,
            "CloudFront-Viewer-City": city,
            "CloudFront-Viewer-Country-Region": "13",
        }
        answer = local_server.agent(
            "POST",
            "/v1/agent/enroll",
            dep["master_token"],
            headers=headers,
            json={"hostname": f"fit-{n}", "machine_id": f"fit-{n}"},
        )
        assert answer.status_code == 201, answer.text
    # (the server's refusal of the bad form below is an expected 400 in the console)
    dash = open_dashboard(viewport=size, allow_console=[r"status of 400 .*/v1/admin/deployments$"])
    page = dash.page
    dash.sign_in("admin")
    views = [
        ("deployments", "#/deployments", "deployments-table"),
        ("create", "#/deployments/new", "deployment-form"),
        ("detail", f"#/deployments/{dep['id']}", "targets-table"),
        ("scripts", "#/scripts", "scripts-table"),
        ("map", f"#/map?deployment={dep['id']}", "map"),
        ("settings", "#/settings", "settings-form"),
        ("audit", "#/audit", "audit-table"),
    ]
    for lang in ("en", "pl"):
        page.locator(f"button[data-lang={lang}]").click()
        for name, route, ready in views:
            dash.go(route)
            page.get_by_test_id(ready).wait_for()
            page.locator("main .loading").first.wait_for(state="detached", timeout=15_000)
            page.wait_for_timeout(400)
            # no horizontal page scroll
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} overflows by {overflow}px at {label} px in {lang}"
            # no label cut short (an ellipsis or hidden overflow on a label is a cut label)
            cut = page.evaluate(CUT_LABELS)
            assert not cut, f"cut labels on {name} at {label} px in {lang}: {cut}"
            # Sign out is reachable: on screen, inside the viewport
            box = page.get_by_test_id("sign-out").bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= size["width"], f"sign out off-screen on {name}"
            dash.screenshot(f"issue15-{name}-{label}-{lang}.png", full_page=True)
        # the detail page: machines above the fold, every action on screen width, locations in words
        dash.go(f"#/deployments/{dep['id']}")
        page.get_by_test_id("target-row").first.wait_for()
        if size is LAPTOP:
            top = page.get_by_test_id("target-row").first.bounding_box()
            assert top and top["y"] + top["height"] <= size["height"], "the machines table starts below the fold"
        for testid in ("cancel-deployment", "delete-deployment", "rotate-token", "deployment-map-link", "machine-open"):
            target = page.get_by_test_id(testid).first
            target.scroll_into_view_if_needed()
            box = target.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= size["width"], f"{testid} not reachable"
        country = "Japan" if lang == "en" else "Japonia"
        assert country in page.get_by_test_id("targets-table").inner_text()
        assert ", 13," not in page.get_by_test_id("targets-table").inner_text()
        checksum = page.get_by_test_id("deployment-checksum").locator(".checksum")
        checksum.scroll_into_view_if_needed()
        line_box = checksum.bounding_box()
        assert line_box and line_box["width"] > 100, "the checksum wraps one character a line"
        # and the payload SHA-256 every machine checks, whole
        assert dep["payload_sha256"] in page.get_by_test_id("deployment-payload-sha").inner_text()
    # Field-level errors: the server's rule under the field it is about
    page.locator("button[data-lang=en]").click()
    dash.go("#/deployments/new")
    page.get_by_test_id("deployment-form").wait_for()
    page.get_by_test_id("script-select").select_option(str(script["id"]))
    page.get_by_test_id("deployment-name").fill("bad\tname")
    page.get_by_test_id("expected-machines").fill("2")
    page.get_by_test_id("create-deployment").click()
    error = page.get_by_test_id("deployment-form").get_by_test_id("field-error")
    error.wait_for()
    assert "name must not contain control characters" in error.inner_text()
    assert page.get_by_test_id("deployment-name").get_attribute("aria-invalid") == "true"
    # and the machine count explains the cap
    assert "cap" in page.get_by_test_id("deployment-form").inner_text()
    dash.screenshot(f"issue15-create-error-{label}-en.png", full_page=True)
