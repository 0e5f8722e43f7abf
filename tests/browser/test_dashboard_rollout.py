"""Rollout control in the dashboard, in headless Chromium against the real local server: an
operator creates a deployment with waves and an error threshold in the form, three real bash
machines start at once, the detail page shows one running and two waiting (tiles, progress bar,
waves), the operator pauses it (a banner says who and why), the running machine still finishes
while the waiting ones stop without running, and the operator resumes it; in English and Polish."""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

# Holds its slot until the test drops a "go" file into the machine's HOME (bounded: 10 minutes).
SCRIPT = """#!/usr/bin/env bash
touch "$HOME/ran"
for _ in $(seq 3000); do
    [ -e "$HOME/go" ] && exit 0
    sleep 0.2
done
exit 1
"""
MACHINES = [f"roll-{uuid.uuid4().hex[:6]}-{n}" for n in range(3)]


def home(server: Any, machine_id: str) -> Path:
    return Path(server.state_dir) / "machines" / machine_id


def wait_for(check: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_operator_sees_waves_pauses_and_resumes_in_both_languages(open_dashboard: Any, local_server: Any) -> None:
    # Given a script and an operator on the create form, who sets waves of 1 and a threshold of 2
    script = local_server.create_script(SCRIPT, name=f"rollout-{uuid.uuid4().hex[:6]}")
    dash = open_dashboard()
    page = dash.page
    dash.sign_in("operator")
    dash.go(f"#/deployments/new?script={script['id']}")
    page.get_by_test_id("deployment-create").wait_for()
    page.get_by_test_id("deployment-name").fill("waves")
    page.get_by_test_id("expected-machines").fill("3")
    page.get_by_test_id("max-concurrency").fill("34%")  # of 3 machines: 2 at a time (rounded up)
    page.get_by_test_id("error-threshold").fill("2")
    assert page.get_by_test_id("rollout-fields").get_by_text(re.compile("percentage of the expected")).count() == 1
    page.get_by_test_id("create-deployment").click()
    page.wait_for_url(re.compile(r"#/deployments/\d+$"))
    deployment_id = int(page.url.rsplit("/", 1)[1])
    bash_line = page.get_by_test_id("one-liner-bash").inner_text()
    assert page.get_by_test_id("fact-max-concurrency").inner_text() == "2"  # 34% of 3, rounded up
    assert page.get_by_test_id("fact-error-threshold").inner_text() == "2"

    # When three real bash machines run the one-liner at once
    results: dict[str, Any] = {}

    def run(machine_id: str) -> None:
        results[machine_id] = local_server.run_one_liner(bash_line, machine_id, machine_id, timeout=600)

    threads = [threading.Thread(target=run, args=(m,)) for m in MACHINES]
    for thread in threads:
        thread.start()
    try:
        # Then the page shows two running and one waiting, in tiles, the progress bar and the waves line
        wait_for(lambda: page.get_by_test_id("count-waiting").inner_text() == "1", "one machine waiting")
        wait_for(lambda: page.get_by_test_id("count-running").inner_text() == "2", "two machines running")
        progress = page.get_by_test_id("progress")
        label = progress.get_attribute("aria-label") or ""
        assert "2 running" in label and "1 waiting" in label and "of 3 expected" in label
        # (the segment's share of the bar: its rendered width may still be in its transition)
        assert page.get_by_test_id("progress-waiting").evaluate("e => parseFloat(e.style.width)") > 0
        assert "at most 2 machines at once, 2 waves" in page.get_by_test_id("rollout-waves").inner_text()
        assert page.get_by_test_id("paused-banner").is_hidden()

        # When the operator pauses it
        page.get_by_test_id("pause-deployment").click()
        page.get_by_role("dialog").get_by_role("button", name="Pause").click()
        # Then a banner says who paused it, and resume replaces pause
        banner = page.get_by_test_id("paused-banner")
        banner.wait_for()
        assert "Paused by operator" in banner.inner_text()
        page.get_by_test_id("resume-deployment").wait_for()
        assert page.get_by_test_id("pause-deployment").is_hidden()
        waiting = [m for m in MACHINES if not (home(local_server, m) / "ran").exists()]
        assert len(waiting) == 1

        # When the running machines are let go
        for machine in MACHINES:
            (home(local_server, machine) / "go").touch()
        for thread in threads:
            thread.join(timeout=600)
        # Then they completed while paused, and the waiting one stopped without running the script
        ran = [m for m in MACHINES if (home(local_server, m) / "ran").exists()]
        assert sorted(ran) == sorted(set(MACHINES) - set(waiting))
        for machine in ran:
            assert results[machine].returncode == 0, results[machine].stderr
        assert "DEPLOYMENT_PAUSED" in results[waiting[0]].stderr
        wait_for(lambda: page.get_by_test_id("count-completed").inner_text() == "2", "two completed")

        # When the page switches to Polish, Then the banner, the progress and the waves speak Polish
        page.locator("button[data-lang=pl]").click()
        wait_for(lambda: "Wdrożenie wstrzymane" in banner.inner_text(), "the Polish banner")
        assert "Wstrzymał: operator" in banner.inner_text()
        assert "zakończonych" in (progress.get_attribute("aria-label") or "")
        assert "najwyżej 2 maszyn naraz" in page.get_by_test_id("rollout-waves").inner_text()
        dash.screenshot("dashboard-rollout-paused-pl.png")

        # When the operator resumes it (in Polish)
        page.get_by_test_id("resume-deployment").click()
        page.get_by_role("dialog").get_by_role("button", name="Wznów").click()
        # Then the banner is gone, pause is offered again, and the API says active
        banner.wait_for(state="hidden")
        page.get_by_test_id("pause-deployment").wait_for()
        detail = local_server.admin("GET", f"/v1/admin/deployments/{deployment_id}").json()
        assert detail["status"] == "active" and detail["paused_by"] is None
        page.locator("button[data-lang=en]").click()
    finally:
        for machine in MACHINES:
            home(local_server, machine).mkdir(parents=True, exist_ok=True)
            (home(local_server, machine) / "go").touch()
        for thread in threads:
            thread.join(timeout=600)
