"""The one-liner on the platforms a fleet has: the real local server, the real one-liner,
real shells (bash, dash, busybox sh), a C locale, signals, CRLF scripts, minimal PATHs."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalServer, start_local_server, stop_local_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A server of this module's own: its request log is read by the tests."""
    started = start_local_server(tmp_path_factory.mktemp("platforms"))
    yield started
    stop_local_server(started)


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll with a generous bound (a loaded 2-core machine is slow, never wrong)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def target_of(server: LocalServer, dep_id: int) -> dict[str, Any] | None:
    items = server.admin("GET", f"/v1/admin/deployments/{dep_id}/targets").json()["items"]
    return items[0] if items else None


def logs_of(server: LocalServer, dep_id: int) -> list[dict[str, Any]]:
    return server.admin("GET", f"/v1/admin/deployments/{dep_id}/logs").json()["items"]


def test_a_refused_token_makes_the_one_liner_fail(server: LocalServer) -> None:
    # Given a one-liner whose master token the API does not know
    script = server.create_script("echo must-not-run\n")
    dep = server.create_deployment(script["id"], machines=1)
    forged = dep["one_liners"]["bash"].replace(dep["master_token"], dep["master_token"][:-4] + "AAAA")
    # When it runs
    run = server.run_one_liner(forged, "refused-machine", "refused-host")
    # Then it exits non-zero with curl's one-line reason, and nothing ran
    assert run.returncode != 0
    assert "401" in run.stderr and "must-not-run" not in run.stdout
    assert server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()["counts"]["enrolled"] == 0


def test_a_cancelled_deployment_makes_the_one_liner_fail(server: LocalServer) -> None:
    # Given a deployment cancelled before any machine ran it
    script = server.create_script("echo must-not-run\n")
    dep = server.create_deployment(script["id"], machines=1)
    assert server.admin("PUT", f"/v1/admin/deployments/{dep['id']}/cancel").status_code == 200
    # When its one-liner runs / Then it exits non-zero with the refusal's status on one line
    run = server.run_one_liner(dep["one_liners"]["bash"], "late-machine", "late-host")
    assert run.returncode != 0
    assert "must-not-run" not in run.stdout
    assert [line for line in run.stderr.splitlines() if "curl" in line and "error" in line], run.stderr


@pytest.mark.parametrize("shell", ["dash", "busybox sh"])
def test_piping_into_another_shell_stops_with_90_before_any_request(server: LocalServer, shell: str) -> None:
    # Given an admin who ends the one-liner with `| dash` or `| busybox sh`
    script = server.create_script("echo must-not-run\n")
    dep = server.create_deployment(script["id"], machines=1)
    line = dep["one_liners"]["bash"]
    assert line.count("| bash ;;") == 1
    line = line.replace("| bash ;;", f"| {shell} ;;")
    log_start = len(server.log_text())
    # When it runs
    run = server.run_one_liner(line, f"{shell}-machine".replace(" ", "-"), "sh-host")
    # Then that shell exits 90 with the fix, and the server saw the installer fetch and nothing after it
    assert run.returncode == 90, run.stderr
    assert "| bash" in run.stderr and "apk add bash curl" in run.stderr
    seen = server.log_text()[log_start:]
    assert "/v1/agent/installer" in seen, seen
    assert "/v1/agent/enroll" not in seen and "/v1/agent/download" not in seen
    assert server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()["counts"]["enrolled"] == 0


def test_sigterm_mid_run_yields_a_final_report(server: LocalServer) -> None:
    # Given a machine running a long script, the one-liner in its own process group
    script = server.create_script('_orc_send info "sleeping" nap\nsleep 120\n_orc_send info "woke" late\n')
    dep = server.create_deployment(script["id"], machines=1)
    home = server.state_dir / "machines" / "term-machine"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CURL_HOME": str(home),
        "EDGEX_MACHINE_ID": "term-machine",
        "EDGEX_HOSTNAME": "term-host",
    }
    proc = subprocess.Popen(
        ["bash", "-c", dep["one_liners"]["bash"]],
        env=env,
        cwd=home,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: any(e["step"] == "nap" for e in logs_of(server, dep["id"])))
        # When the whole process group gets SIGTERM (a service stop, a closed session)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        # Then the target ends failed with exit code 143 (128 + 15), reported by the wrapper
        target = wait_for(lambda: (t := target_of(server, dep["id"])) and t["status"] != "running" and t)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert target["status"] == "failed" and target["exit_code"] == 143
    final = [e for e in logs_of(server, dep["id"]) if e["step"] == "complete"]
    assert len(final) == 1 and "SIGTERM" in final[0]["message"] and "exit code 143" in final[0]["message"]
    assert not any(e["step"] == "late" for e in logs_of(server, dep["id"]))


def test_a_6kb_utf8_message_under_lc_all_c_is_stored(server: LocalServer) -> None:
    # Given a script that sends 6 kB of UTF-8 (3,000 two-byte characters) from a C-locale shell
    script = server.create_script(
        "m=$(for i in $(seq 3000); do printf '\\305\\274'; done)\n_orc_send info \"$m\" big\n"
    )
    dep = server.create_deployment(script["id"], machines=1)
    # When the one-liner runs with LC_ALL=C (cron, containers, ssh without LANG)
    run = server.run_one_liner(dep["one_liners"]["bash"], "c-machine", "c-host", extra_env={"LC_ALL": "C", "LANG": "C"})
    # Then the entry is stored whole
    assert run.returncode == 0, run.stderr
    (entry,) = [e for e in logs_of(server, dep["id"]) if e["step"] == "big"]
    assert entry["message"] == "\u017c" * 3000


def test_a_body_whose_last_utf8_sequence_is_cut_keeps_its_entry(server: LocalServer) -> None:
    # Given a running machine whose client cut a message by bytes, mid-character
    script = server.create_script("true\n")
    dep = server.create_deployment(script["id"], machines=1)
    agent = server.enroll(dep["master_token"], "cut-machine", "cut-host")["agent_token"]
    assert server.agent("GET", "/v1/agent/download", agent).status_code == 200  # its run is on: it may report
    body = b'{"status":"info","step":"cut","message":"ab' + "\u017c".encode()[:1] + b'"}'
    # When it posts that body
    answer = server.agent("POST", "/v1/agent/feedback", agent, data=body, headers={"Content-Type": "application/json"})
    # Then the entry is stored, the cut character replaced by U+FFFD
    assert answer.status_code in (200, 201, 202), answer.text
    (entry,) = [e for e in logs_of(server, dep["id"]) if e["step"] == "cut"]
    assert entry["message"] == "ab\ufffd"


def test_a_script_printing_latin1_still_reports_everything(server: LocalServer) -> None:
    # Given a script whose output and log entry hold Latin-1 bytes (not UTF-8), as a
    # German Windows tool or an old file would print them
    script = server.create_script(
        "printf 'Gr\\374\\337e aus K\\366ln\\n'\n_orc_send info \"$(printf 'Gr\\374\\337e')\" latin1\n"
    )
    dep = server.create_deployment(script["id"], machines=1)
    # When the real one-liner runs it
    run = server.run_one_liner(dep["one_liners"]["bash"], "latin1-machine", "latin1-host")
    # Then the machine printed the bytes as they were, and the API took the run's one
    # report: each byte that is not UTF-8 became U+FFFD, the rest arrived
    assert run.returncode == 0, run.stderr
    assert "Gr\udcfc\udcdfe aus K\udcf6ln\n" in run.stdout
    target = target_of(server, dep["id"])
    assert target is not None and target["status"] == "completed"
    assert {e["message"] for e in logs_of(server, dep["id"]) if e["step"] == "latin1"} == {"Gr\ufffd\ufffde"}
    text = server.admin("GET", f"/v1/admin/deployments/{dep['id']}/targets/{target['id']}/output/download").text
    assert text == "Gr\ufffd\ufffde aus K\ufffdln\n"


def test_a_crlf_script_uploaded_through_the_api_runs(server: LocalServer) -> None:
    # Given a script saved on Windows, uploaded as is
    script = server.create_script(
        'x=1\r\nif [ "$x" = 1 ]; then\r\n  _orc_send info "crlf ran" check\r\nfi\r\nexit 0\r\n'
    )
    dep = server.create_deployment(script["id"], machines=1)
    # When a machine runs it
    run = server.run_one_liner(dep["one_liners"]["bash"], "crlf-machine", "crlf-host")
    # Then it ran with LF line endings and completed
    assert run.returncode == 0, run.stderr
    assert "$'\\r'" not in run.stderr
    steps = {(e["step"], e["message"]) for e in logs_of(server, dep["id"])}
    assert ("check", "crlf ran") in steps
    assert target_of(server, dep["id"])["status"] == "completed"


def test_a_strict_mode_script_calling_system_info_without_ip_completes(server: LocalServer, tmp_path: Path) -> None:
    # Given a PATH without `ip` or `ifconfig`, and a `hostname` without -I (macOS, FreeBSD, busybox)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in os.environ["PATH"].split(os.pathsep):
        if os.path.isdir(d):
            for entry in os.scandir(d):
                target = bin_dir / entry.name
                if entry.name not in {"ip", "ifconfig", "hostname"} and not target.exists():
                    target.symlink_to(entry.path)
    (bin_dir / "hostname").write_text('#!/bin/sh\n[ "$1" = -I ] && exit 1\necho strict-host\n')
    (bin_dir / "hostname").chmod(0o755)
    script = server.create_script(
        'set -euo pipefail\n_orc_system_info\ninfo=$(_orc_system_info)\n_orc_send info "$info" facts\necho done\n'
    )
    dep = server.create_deployment(script["id"], machines=1)
    # When it runs
    run = server.run_one_liner(
        dep["one_liners"]["bash"], "strict-machine", "strict-host", extra_env={"PATH": str(bin_dir)}
    )
    # Then it completed, and its system info says the IP is unknown
    assert run.returncode == 0, run.stderr
    (facts,) = [e for e in logs_of(server, dep["id"]) if e["step"] == "facts"]
    assert facts["message"].startswith("strict-host | ") and " | unknown | " in facts["message"]
    target = target_of(server, dep["id"])
    assert target["status"] == "completed" and target["exit_code"] == 0


def _curl_in_front(tmp_path: Path, *, zlib: bool) -> tuple[Path, Path]:
    """A `curl` before the real one on PATH that logs each call's arguments. Without
    zlib it answers -V as such a build does and fails --compressed as it would."""
    real = shutil.which("curl")
    assert real is not None
    bin_dir, calls = tmp_path / "bin", tmp_path / "curl-calls"
    bin_dir.mkdir()
    no_zlib = (
        'if [ "$1" = -V ]; then printf "curl 8.5.0 libcurl/8.5.0 OpenSSL/3.0.13\\nFeatures: HTTPS IPv6 SSL\\n"; exit 0; fi\n'
        'case " $* " in *" --compressed "*) echo "curl: option --compressed: the installed libcurl version '
        "doesn't support this\" >&2; exit 2 ;; esac\n"
    )
    (bin_dir / "curl").write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$*" >> {calls}\n{"" if zlib else no_zlib}exec {real} "$@"\n'
    )
    (bin_dir / "curl").chmod(0o755)
    return bin_dir, calls


@pytest.mark.parametrize("zlib", [True, False], ids=["curl-with-zlib", "curl-without-zlib"])
def test_the_payload_comes_gzipped_when_curl_can_decode_it(server: LocalServer, tmp_path: Path, zlib: bool) -> None:
    # Given a curl that can decode gzip, or one built without zlib
    bin_dir, calls = _curl_in_front(tmp_path, zlib=zlib)
    script = server.create_script('echo "compressed run"\n')
    dep = server.create_deployment(script["id"], machines=1)
    # When the real one-liner runs with it
    machine = f"gzip-{zlib}"
    run = server.run_one_liner(
        dep["one_liners"]["bash"], machine, machine, extra_env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    )
    # Then the run completed either way, and only a curl that can decode asked for gzip
    assert run.returncode == 0, run.stderr
    assert "compressed run" in run.stdout
    target = target_of(server, dep["id"])
    assert target is not None and target["status"] == "completed"
    (download,) = [line for line in calls.read_text().splitlines() if "/v1/agent/download" in line]
    assert ("--compressed" in download.split()) is zlib


def test_the_download_answer_is_gzip_for_who_asks_and_the_same_payload_once_decoded(server: LocalServer) -> None:
    # Given a machine whose run is on
    script = server.create_script("echo same bytes\n" * 50)
    dep = server.create_deployment(script["id"], machines=1)
    agent = server.enroll(dep["master_token"], "gzip-pair", "gzip-pair")["agent_token"]
    run = {"X-Edgex-Run": "gzip-pair-run-1"}
    # When it downloads asking for gzip, then retries the same run asking for none
    encoded = server.agent("GET", "/v1/agent/download", agent, headers={**run, "Accept-Encoding": "gzip"}, stream=True)
    wire = encoded.raw.read(decode_content=False)
    plain = server.agent("GET", "/v1/agent/download", agent, headers={**run, "Accept-Encoding": "identity"})
    # Then the first came gzip-encoded and smaller, the second as it is, and both are
    # the payload whose SHA-256 the deployment pinned
    assert encoded.status_code == plain.status_code == 200
    assert encoded.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert len(wire) < len(plain.content) / 2
    assert gzip.decompress(wire) == plain.content
    pinned = server.admin("GET", f"/v1/admin/deployments/{dep['id']}").json()["payload_sha256"]
    assert hashlib.sha256(plain.content).hexdigest() == pinned
