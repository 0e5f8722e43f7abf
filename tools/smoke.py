"""End-to-end check of a running Edgex: ``python -m tools.smoke --url URL``.

Against a deployed stack (its PublicUrl) or the local server, as a deployer would
after ``make deploy``: create a script and a one-machine deployment through the
admin API, run the deployment's bash one-liner on this machine (real bash, real
curl), then check that the target completed with its log, and that the audit
trail holds both create records. The script and the deployment are deleted at the
end whatever happened.

The admin token comes from ``--token-command`` (its stdout), else the
``EDGEX_ADMIN_TOKEN`` environment variable, else, for a server on this machine,
the local identity provider (``local.token``).

Exit codes: 0 passed; 1 a check failed; 2 unusable arguments or no token;
3 the checks passed but the clean-up did not. One line on stdout says why.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from edgex.vocabulary import LogLevel, ScriptType, TargetStatus

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CLEANUP = 0, 1, 2, 3
TOKEN_ENV = "EDGEX_ADMIN_TOKEN"  # noqa: S105 - the variable's name, not a token
# Audit actions are the handler names of the admin routes (lambdas/manifest.py).
AUDITED_CREATES = ("scripts_create", "deployments_create")
SMOKE_STEP = "smoke"
# The wrapper's helper (edgex/templates/wrapper.sh) logs one entry for the dashboard.
SCRIPT = f'_orc_send {LogLevel.INFO} "edgex smoke {{nonce}}" {SMOKE_STEP}\necho "edgex smoke {{nonce}} ran"\n'
REQUEST_TIMEOUT = 60


class SmokeFailed(Exception):
    """A check did not hold; the message is the one-line reason."""


@dataclass
class Api:
    """The admin API of one installation, with an admin bearer token."""

    url: str
    token: str
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method: str, path: str, *, expect: int | tuple[int, ...] = 200, **kwargs: Any) -> Any:
        expected = (expect,) if isinstance(expect, int) else expect
        try:
            answer = self.session.request(
                method,
                f"{self.url}{path}",
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=REQUEST_TIMEOUT,
                **kwargs,
            )
        except requests.RequestException as err:
            raise SmokeFailed(f"{method} {path}: {err.__class__.__name__}: {err}") from err
        if answer.status_code not in expected:
            raise SmokeFailed(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json() if answer.content else None


def _is_local(url: str) -> bool:
    return urllib.parse.urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")


def admin_token(url: str, token_command: str | None, environ: dict[str, str], state_dir: str | None = None) -> str:
    """The bearer token to use, from the first source that has one (see the module doc)."""
    if token_command:
        # The deployer's own command line, pipes included: run by their bash.
        done = subprocess.run(["bash", "-c", token_command], capture_output=True, text=True, check=False)  # noqa: S603, S607
        if done.returncode != 0 or not done.stdout.strip():
            raise ValueError(f"--token-command exited {done.returncode} without a token: {done.stderr.strip()[:200]}")
        return done.stdout.strip()
    if environ.get(TOKEN_ENV):
        return environ[TOKEN_ENV]
    if _is_local(url):
        from local.token import DEFAULT_STATE_DIR, fetch

        # the local server's passwords are in its state folder (local/identity.py)
        return fetch(url, "admin", state_dir=Path(state_dir) if state_dir else DEFAULT_STATE_DIR)
    raise ValueError(f"no admin token: pass --token-command or set {TOKEN_ENV} (docs/DEPLOY.md, Smoke check)")


def run_one_liner(one_liner: str, machine_id: str, hostname: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """The one-liner in a real bash, in a scratch HOME, named so it collides with no real machine."""
    with tempfile.TemporaryDirectory(prefix="edgex-smoke-") as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "TMPDIR": home,
            "EDGEX_MACHINE_ID": machine_id,
            "EDGEX_HOSTNAME": hostname,
        }
        try:
            return subprocess.run(  # noqa: S603 - the one-liner this run's deployment answered
                ["bash", "-c", one_liner],  # noqa: S607 - the user's bash, as on any machine
                env=env,
                cwd=home,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise SmokeFailed(f"the one-liner did not finish within {timeout:.0f} s") from err


def wait_for(check: Callable[[], Any], what: str, timeout: float) -> Any:
    """Poll ``check`` until it returns something truthy (the API may lag the agent's last call)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SmokeFailed(f"{what} (waited {timeout:.0f} s)")
        time.sleep(1)


@dataclass
class Smoke:
    api: Api
    timeout: float
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: list[str] = field(default_factory=list)  # paths to DELETE, newest last
    say: Callable[[str], None] = print

    @contextmanager
    def cleaning_up(self) -> Iterator[list[str]]:
        """Delete what the run created (deployment before script), and collect what could not be."""
        problems: list[str] = []
        try:
            yield problems
        finally:
            for path in reversed(self.created):
                try:
                    self.api.call("DELETE", path)
                except SmokeFailed as err:
                    problems.append(str(err))

    def run(self) -> None:
        me = self.api.call("GET", "/v1/admin/me")
        self.say(f"signed in as {me.get('username')} ({me.get('role')})")
        script = self.api.call(
            "POST",
            "/v1/admin/scripts",
            expect=201,
            json={
                "name": f"edgex smoke {self.nonce}",
                "type": ScriptType.BASH,
                "content": SCRIPT.format(nonce=self.nonce),
            },
        )
        self.created.append(f"/v1/admin/scripts/{script['id']}")
        deployment = self.api.call(
            "POST",
            "/v1/admin/deployments",
            expect=201,
            json={"script_id": script["id"], "name": f"edgex smoke {self.nonce}", "expected_machines": 1},
        )
        self.created.append(f"/v1/admin/deployments/{deployment['id']}")
        self.say(f"script {script['id']} and deployment {deployment['id']} created")

        hostname = f"edgex-smoke-{self.nonce}"
        run = run_one_liner(deployment["one_liners"]["bash"], f"edgex-smoke-{self.nonce}", hostname, self.timeout)
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise SmokeFailed(f"the one-liner exited {run.returncode}: {last}")
        self.say("one-liner ran in bash on this machine")

        def completed() -> dict[str, Any] | None:
            detail = self.api.call("GET", f"/v1/admin/deployments/{deployment['id']}")
            targets = detail["targets"]
            return targets[0] if len(targets) == 1 and targets[0]["status"] == TargetStatus.COMPLETED else None

        target = wait_for(completed, "the machine did not end completed", self.timeout)
        if target["hostname"] != hostname:
            raise SmokeFailed(f"the target is {target['hostname']!r}, not this run's {hostname!r}")
        logs = self.api.call("GET", f"/v1/admin/deployments/{deployment['id']}/targets/{target['id']}/logs")
        steps = {(entry["step"], entry["status"], self.nonce in entry["message"]) for entry in logs["items"]}
        if (SMOKE_STEP, LogLevel.INFO, True) not in steps:
            raise SmokeFailed("the target's log lacks the script's own entry")
        self.say(f"target {target['id']} completed with its log")

        def audited() -> bool:
            entries = self.api.call("GET", "/v1/admin/audit", params={"limit": 100})["items"]
            found = {
                (entry["action"], entry["outcome"])
                for entry in entries
                if entry["ids"].get("script_id") == str(script["id"])
                or entry["ids"].get("deployment_id") == str(deployment["id"])
            }
            return all((action, "ok") in found for action in AUDITED_CREATES)

        wait_for(audited, "the audit trail lacks the create records", self.timeout)
        self.say("audit trail holds both create records")


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="PublicUrl of the stack, or the local server's URL")
    parser.add_argument("--token-command", help=f"prints an admin access token (default: ${TOKEN_ENV})")
    parser.add_argument("--timeout", type=float, default=180, help="seconds for the one-liner and each wait")
    parser.add_argument("--quiet", action="store_true", help="only the final line")
    parser.add_argument("--state-dir", help="local server only: its state folder, for the admin's password")
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    if urllib.parse.urlparse(url).scheme not in ("http", "https"):
        print(f"smoke: FAILED: --url must be an http(s) URL, got {args.url!r}")
        return EXIT_USAGE
    try:
        token = admin_token(url, args.token_command, dict(os.environ if environ is None else environ), args.state_dir)
    except (ValueError, OSError, requests.RequestException) as err:
        print(f"smoke: FAILED: {err}")
        return EXIT_USAGE
    smoke = Smoke(Api(url, token), args.timeout, say=(lambda _: None) if args.quiet else print)
    try:
        with smoke.cleaning_up() as cleanup_problems:
            smoke.run()
    except SmokeFailed as err:
        print(f"smoke: FAILED: {err}")
        return EXIT_FAILED
    if cleanup_problems:
        print(f"smoke: FAILED to clean up: {'; '.join(cleanup_problems)}")
        return EXIT_CLEANUP
    print(f"smoke: ok ({url}: script, deployment, one-liner, completion, log and audit checked; cleaned up)")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
