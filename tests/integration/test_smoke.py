"""``python -m tools.smoke`` (``make smoke``) against the real local server."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, LocalServer
from tools import smoke

pytestmark = pytest.mark.slow


def _assert_deleted(server: LocalServer, output: str) -> None:
    """The script and deployment the run reported creating answer 404 now."""
    created = re.search(r"script (\d+) and deployment (\d+) created", output)
    assert created, output
    script_id, deployment_id = created.groups()
    assert server.admin("GET", f"/v1/admin/scripts/{script_id}").status_code == 404
    assert server.admin("GET", f"/v1/admin/deployments/{deployment_id}").status_code == 404


def test_smoke_passes_against_the_local_server_and_leaves_nothing_behind(local_server: LocalServer) -> None:
    # Given the local server
    # When the smoke command runs as a deployer runs it (a process; token from the local issuer)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.smoke",
            "--url",
            local_server.url,
            "--timeout",
            "240",
            "--state-dir",
            str(local_server.state_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # Then it passes, saying what it checked
    assert run.returncode == smoke.EXIT_OK, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1].startswith("smoke: ok")
    assert "audit trail holds both create records" in run.stdout
    # And its script and deployment are gone again
    _assert_deleted(local_server, run.stdout)
    # While the audit trail keeps the deletions
    actions = [e["action"] for e in local_server.admin("GET", "/v1/admin/audit?limit=20").json()["items"]]
    assert "deployments_delete" in actions and "scripts_delete" in actions


def test_smoke_without_a_token_for_a_remote_url_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # Given no token command and no token in the environment, for a URL not on this machine
    # When the smoke command starts
    code = smoke.main(["--url", "https://edgex.invalid"], environ={})
    # Then it stops before any request with exit code 2 and one line naming both sources
    assert code == smoke.EXIT_USAGE
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert "--token-command" in line and smoke.TOKEN_ENV in line


def test_a_failing_check_exits_1_and_still_cleans_up(
    local_server: LocalServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a machine whose bash runs the one-liner but the script fails (exit 7)
    monkeypatch.setattr(smoke, "SCRIPT", "exit 7\n")
    # When the smoke command runs against the local server
    code = smoke.main(["--url", local_server.url, "--state-dir", str(local_server.state_dir)], environ={})
    # Then it reports the failed run with exit code 1, its last line saying why
    assert code == smoke.EXIT_FAILED
    output = capsys.readouterr().out
    assert output.strip().splitlines()[-1].startswith("smoke: FAILED: the one-liner exited 7")
    # And what it created is deleted all the same
    _assert_deleted(local_server, output)
