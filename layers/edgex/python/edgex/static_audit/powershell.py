"""Edgex's rules for PowerShell, over a tree-sitter-powershell parse tree.

Facts are gathered first (variables only ever assigned literals, holding downloaded
content or a Run key path; variables tested by an ``if`` that throws or exits;
``[ValidateNotNullOrEmpty()]`` parameters); then every named node goes through one
dispatch table: node type -> node rules, and for a ``command`` node, its name (lower
case, path and ``.exe`` removed) -> the one rule for that command, then the rules for
every command. Startup-folder uses are reported last, on the innermost node."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from edgex.static_audit.dispatch import RuleTable
from edgex.static_audit.findings import Findings
from edgex.static_audit.heuristics import (
    EP_BYPASS,
    ROOT_TAIL,
    curl_insecure,
    ep_bypass,
    is_secret_name,
    is_secret_value,
)
from edgex.static_audit.syntax import descendants, innermost, line, unquote, walk

if TYPE_CHECKING:
    from tree_sitter import Node

DOWNLOAD = re.compile(
    r"(?i)(invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b|download(string|data|file)|net\.webclient|"
    r"\bcurl(\.exe)?\b|\bwget(\.exe)?\b|start-bitstransfer|httpclient|getstringasync|getasync|"
    r"msxml2\.xmlhttp|winhttp)"
)
STARTUP = re.compile(
    r"(?i)(\\start menu\\programs\\startup|shell:(common )?startup|getfolderpath\(\s*['\"]?(common)?startup|"
    r"specialfolder\]::(common)?startup)"
)
RUN_KEY = re.compile(r"(?i)\\currentversion\\(run|runonce|runservices|runservicesonce)\b")
WRITE_CMDS = {"set-itemproperty", "new-itemproperty", "new-item", "set-item", "sp", "si", "ni", "reg"}
REMOVE_CMDS = {"remove-item", "ri", "rm", "rmdir", "rd", "del", "erase"}
VALIDATED = re.compile(
    r"ValidateNotNull(?:OrEmpty|OrWhiteSpace)?\(\)\]\s*(?:\[[^\]]+\]\s*)*(\$[A-Za-z_][\w:]*)", re.IGNORECASE
)
EXITS = re.compile(r"(?i)\b(throw|exit|return)\b")
REMOVE_VALUE_PARAMS = ("-fi", "-inc", "-ex", "-cr", "-st")  # Remove-Item parameters taking a non-path value
AUTOMATIC = {"true", "false", "null", "_", "psitem", "args", "input"}
SECRET_PARAMS = {
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
ICACLS_WORLD = re.compile(r"(?i)(everyone|\*?s-1-1-0):(\([a-z]+\))*\(?(f|m|w)\b")


def ps_var(text: str) -> str:
    """``$Dir`` / ``${dir}`` / ``$script:dir`` -> ``dir``; ``$env:X`` keeps ``env:x``."""
    name = text.lstrip("$@").strip("{}").lower()
    for scope in ("script:", "global:", "local:", "private:", "using:"):
        name = name.removeprefix(scope)
    return name


def ps_falsy(text: str) -> bool:
    return unquote(text).strip().lower() in ("$false", "false", "0")


class PsAudit:
    """One script's source, the facts gathered before the rules run, and its findings."""

    def __init__(self, src: bytes, root: Node, out: Findings) -> None:
        self.src, self.root, self.out = src, root, out
        self.nodes = list(walk(root))
        self.literal_vars: dict[str, bool] = {}
        self.tainted: set[str] = set()
        self.run_key_vars: set[str] = set()
        self.exit_guards: dict[str, int] = {}  # variable -> first `if` mentioning it that throws / exits
        self.validated = {  # [ValidateNotNullOrEmpty()] parameters
            ps_var(m.group(1)) for m in VALIDATED.finditer(src.decode("utf-8", "replace"))
        }
        self.startup: list[Node] = []  # nodes using the Startup folder, reported once at the end

    def run(self) -> None:
        self.collect()
        for node in self.nodes:
            NODE_RULES.apply(self, node.type, node)
        for node in innermost(self.startup):
            self.out.add("EX160", line(node), "Uses the Startup folder: the file runs at every logon.")

    def text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def name(self, command: Node) -> str:
        node = command.child_by_field_name("command_name") or next(
            (c for c in command.named_children if c.type == "command_name_expr"), None
        )
        if node is None:
            return ""
        name = re.split(r"[\\/]", unquote(self.text(node)).strip())[-1].lower()
        return name.removesuffix(".exe")

    def is_string_literal(self, node: Node) -> bool:
        """A quoted string with nothing interpolated in it."""
        text = self.text(node).strip()
        strings = [n for n in walk(node) if n.type == "string_literal"]
        return (
            bool(strings)
            and self.text(strings[0]).strip() == text
            and not any(n.type in ("variable", "sub_expression") for n in walk(node))
        )

    def assignment_parts(self, node: Node) -> tuple[str, Node | None]:
        left = node.named_children[0] if node.named_children else None
        value = node.child_by_field_name("value") or (node.named_children[-1] if len(node.named_children) > 1 else None)
        return (self.text(left) if left is not None else ""), value

    def vars_in(self, node: Node) -> set[str]:
        return {ps_var(self.text(v)) for v in descendants(node, ("variable",))} - AUTOMATIC

    # ---- facts gathered before the rules run
    def collect(self) -> None:
        for node in self.nodes:
            if node.type == "if_statement" and EXITS.search(self.text(node)):
                for var in self.vars_in(node):
                    self.exit_guards.setdefault(var, node.start_byte)
            if node.type != "assignment_expression":
                continue
            left, value = self.assignment_parts(node)
            if value is None or not left.startswith("$"):
                continue
            var = ps_var(left)
            value_text = self.text(value)
            ok = self.is_string_literal(value) and bool(unquote(value_text).strip())
            self.literal_vars[var] = self.literal_vars.get(var, True) and ok
            if DOWNLOAD.search(value_text):
                self.tainted.add(var)
            if RUN_KEY.search(value_text):
                self.run_key_vars.add(var)

    def guarded(self, var: str, node: Node) -> bool:
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


@dataclass
class Command:
    """A command as its rules see it: its name, its elements (parameters and arguments)
    with their text, unquoted words, lower-case words and parameters, and its line."""

    node: Node
    name: str
    elements: list[Node]
    texts: list[str]
    line: int
    words: list[str] = field(init=False)
    lowered: list[str] = field(init=False)
    params: list[str] = field(init=False)
    joined: str = field(init=False)

    def __post_init__(self) -> None:
        self.words = [unquote(t).strip() for t in self.texts]
        self.lowered = [w.lower() for w in self.words]
        self.params = [
            t.lower() for e, t in zip(self.elements, self.texts, strict=True) if e.type == "command_parameter"
        ]
        self.joined = " ".join(self.lowered)

    @classmethod
    def of(cls, a: PsAudit, node: Node) -> Command:
        block = node.child_by_field_name("command_elements")
        elements = [] if block is None else [c for c in block.named_children if c.type != "command_argument_sep"]
        return cls(node, a.name(node), elements, [a.text(e) for e in elements], line(node))

    def value_after(self, param_prefix: str) -> str | None:
        """The text given to the first parameter starting with ``param_prefix``;
        ``$true`` for a switch given without a value; None when it is absent."""
        for i, e in enumerate(self.elements):
            if e.type == "command_parameter" and self.texts[i].lower().startswith(param_prefix):
                nxt = self.elements[i + 1] if i + 1 < len(self.elements) else None
                if nxt is None or nxt.type == "command_parameter":
                    return "$true"
                return self.texts[i + 1]
        return None


NODE_RULES: RuleTable[PsAudit, Node] = RuleTable()
COMMAND_RULES: RuleTable[PsAudit, Command] = RuleTable()


def audit(src: bytes, root: Node, out: Findings) -> None:
    PsAudit(src, root, out).run()


# --------------------------------------------------------------------------- node rules


@NODE_RULES.on("command")
def command(a: PsAudit, node: Node) -> None:
    cmd = Command.of(a, node)
    COMMAND_RULES.apply(a, cmd.name, cmd)


@NODE_RULES.on("pipeline_chain")
def pipe(a: PsAudit, node: Node) -> None:
    text = a.text(node)
    if "scriptblock]::create" in text.lower() and DOWNLOAD.search(text):
        a.out.add("EX101", line(node), "A script block is created from downloaded content and run.")
    seen_download = False
    for part in node.named_children:
        if seen_download and part.type == "command" and a.name(part) in ("iex", "invoke-expression"):
            a.out.add("EX101", line(node), "Downloaded content is piped into Invoke-Expression.")
            return
        seen_download = seen_download or bool(DOWNLOAD.search(a.text(part)))


@NODE_RULES.on("assignment_expression")
def assignment(a: PsAudit, node: Node) -> None:
    left, value = a.assignment_parts(node)
    if value is None:
        return
    lowered = left.lower()
    if "servercertificatevalidationcallback" in lowered and "$true" in a.text(value).lower():
        a.out.add("EX170", line(node), "Every TLS certificate is accepted (validation callback returns $true).")
    elif lowered.endswith("]::certificatepolicy"):
        a.out.add("EX170", line(node), "The TLS certificate policy is replaced (usually to trust all).")
    elif left.startswith("$"):
        var = left.strip()
        if (
            is_secret_name(ps_var(var).rsplit(":", 1)[-1])
            and a.is_string_literal(value)
            and is_secret_value(unquote(a.text(value)))
        ):
            a.out.add("EX130", line(node), f"{var} is assigned a literal secret.")


@NODE_RULES.on("command", "assignment_expression")
def startup_folder(a: PsAudit, node: Node) -> None:
    if STARTUP.search(a.text(node)):
        a.startup.append(node)


@NODE_RULES.on("hash_entry")
def hash_entry(a: PsAudit, node: Node) -> None:
    key = node.named_children[0] if node.named_children else None
    value = node.named_children[-1] if len(node.named_children) > 1 else None
    if key is None or value is None:
        return
    name = unquote(a.text(key))
    if is_secret_name(name) and a.is_string_literal(value) and is_secret_value(unquote(a.text(value))):
        a.out.add("EX130", line(node), f"Hashtable key {name} holds a literal secret.")


@NODE_RULES.on("invokation_expression", "member_access")
def registry_run_key_call(a: PsAudit, node: Node) -> None:
    text = a.text(node).lower()
    if "setvalue(" in text and RUN_KEY.search(text):
        a.out.add("EX160", line(node), "Writes a registry Run key: the program starts at every logon.")


# --------------------------------------------------------------------------- command rules, one per name


@COMMAND_RULES.on("iex", "invoke-expression")
def invoke_expression(a: PsAudit, cmd: Command) -> None:
    arg_text = " ".join(cmd.texts)
    used: set[str] = set().union(*(a.vars_in(e) for e in cmd.elements)) if cmd.elements else set()
    if DOWNLOAD.search(arg_text) or used & a.tainted:
        a.out.add("EX101", cmd.line, "Invoke-Expression runs downloaded content without verification.")
    elif used:
        a.out.add("EX102", cmd.line, "Invoke-Expression of a variable runs whatever the variable contains.")


@COMMAND_RULES.on("set-mppreference")
def defender_preference(a: PsAudit, cmd: Command) -> None:
    for i, e in enumerate(cmd.elements):
        p = cmd.texts[i].lower()
        if e.type == "command_parameter" and p.startswith("-disable"):
            value = cmd.value_after(p)
            if value is None or not ps_falsy(value):
                a.out.add("EX110", cmd.line, f"Set-MpPreference {cmd.texts[i]} switches Defender protection off.")
                break


@COMMAND_RULES.on("set-itemproperty", "new-itemproperty", "reg", "sp")
def defender_policy(a: PsAudit, cmd: Command) -> None:
    if re.search(r"disableantispyware|disablerealtimemonitoring|disableantivirus", cmd.joined):
        a.out.add("EX110", cmd.line, "A registry policy switches Defender off.")


@COMMAND_RULES.on("stop-service", "set-service", "spsv", "sc", "stop-process", "net")
def protection_service(a: PsAudit, cmd: Command) -> None:
    name, lowered, joined = cmd.name, cmd.lowered, cmd.joined
    if name == "net" and "stop" not in lowered:
        return  # `net start`, `net user`: nothing is switched off
    disabling = name in ("stop-service", "spsv", "net") or "stop" in lowered or "disabled" in joined
    if disabling and re.search(r"\b(windefend|sense|wdnissvc)\b", joined):
        a.out.add("EX110", cmd.line, "The Defender service is stopped or disabled.")
    if disabling and re.search(r"\b(mpssvc|bfe)\b", joined):
        a.out.add("EX111", cmd.line, "The Windows firewall service is stopped or disabled.")


@COMMAND_RULES.on("uninstall-windowsfeature", "remove-windowsfeature", "disable-windowsoptionalfeature")
def defender_feature(a: PsAudit, cmd: Command) -> None:
    if "defender" in cmd.joined:
        a.out.add("EX110", cmd.line, "The Defender feature is removed.")


@COMMAND_RULES.on("netsh")
def netsh_firewall(a: PsAudit, cmd: Command) -> None:
    lowered = cmd.lowered
    if "advfirewall" in lowered and "state" in lowered and lowered[-1] == "off":
        a.out.add("EX111", cmd.line, "netsh advfirewall … state off turns the Windows firewall off.")
    elif "firewall" in lowered and re.search(r"opmode\s+(mode=)?disable", cmd.joined):
        a.out.add("EX111", cmd.line, "netsh firewall opmode disable turns the Windows firewall off.")


@COMMAND_RULES.on("set-netfirewallprofile")
def firewall_profile(a: PsAudit, cmd: Command) -> None:
    value = cmd.value_after("-enabled")
    if value is not None and ps_falsy(value):
        a.out.add("EX111", cmd.line, "Set-NetFirewallProfile -Enabled False turns the Windows firewall off.")


@COMMAND_RULES.on("set-executionpolicy")
def execution_policy(a: PsAudit, cmd: Command) -> None:
    policy = cmd.value_after("-executionpolicy")
    positional = [w for e, w in zip(cmd.elements, cmd.lowered, strict=True) if e.type != "command_parameter"]
    if (policy and unquote(policy).lower() in EP_BYPASS) or (positional and positional[0] in EP_BYPASS):
        a.out.add("EX120", cmd.line, "Set-ExecutionPolicy lifts the execution policy.")


@COMMAND_RULES.on("powershell", "pwsh")
def powershell_bypass(a: PsAudit, cmd: Command) -> None:
    if ep_bypass(cmd.words):
        a.out.add("EX120", cmd.line, "PowerShell is started with the execution policy bypassed.")


@COMMAND_RULES.on("convertto-securestring")
def securestring_literal(a: PsAudit, cmd: Command) -> None:
    if not any(p.startswith("-asplain") for p in cmd.params):
        return
    elements, texts = cmd.elements, cmd.texts
    literal = any(
        e.type != "command_parameter"
        and not (i and texts[i - 1].lower() in ("-key", "-securekey"))
        and a.is_string_literal(e)
        for i, e in enumerate(elements)
    )
    if literal:
        a.out.add("EX133", cmd.line, "A literal string is turned into a SecureString: the secret is in the script.")


@COMMAND_RULES.on(*REMOVE_CMDS)
def remove_item(a: PsAudit, cmd: Command) -> None:
    elements, texts, params = cmd.elements, cmd.texts, cmd.params
    recurse = any(len(p) >= 2 and "-recurse".startswith(p.split(":")[0]) for p in params)
    force = any(len(p) >= 3 and "-force".startswith(p.split(":")[0]) for p in params)
    if not (recurse and force):
        return
    for i, e in enumerate(elements):
        if e.type == "command_parameter":
            continue
        prev = texts[i - 1].lower() if i else ""
        if i and elements[i - 1].type == "command_parameter" and prev.startswith(REMOVE_VALUE_PARAMS):
            continue  # the value of -Filter / -Include / -Exclude …, not a path
        text = texts[i].strip()
        stripped = text.lstrip("\"'(")
        variables = list(descendants(e, ("variable",)))
        if not stripped.startswith("$") or not variables:
            continue
        var_node = variables[0]
        var = ps_var(a.text(var_node))
        if var.startswith("env:") or a.guarded(var, cmd.node):
            continue
        tail = unquote(a.src[var_node.end_byte : e.end_byte].decode("utf-8", "replace"))
        shown = a.text(var_node)
        if ROOT_TAIL.match(tail.replace("\\", "/")):
            a.out.add(
                "EX150",
                cmd.line,
                f"Remove-Item -Recurse -Force {text}: with {shown} empty this deletes from the drive root.",
            )
        else:
            a.out.add("EX151", cmd.line, f"Remove-Item -Recurse -Force {text} with an unchecked {shown}.")


@COMMAND_RULES.on("register-scheduledtask", "new-scheduledtask", "schtasks")
def scheduled_task(a: PsAudit, cmd: Command) -> None:
    if cmd.name != "schtasks" or "/create" in cmd.lowered:
        a.out.add("EX160", cmd.line, f"{cmd.name} installs a scheduled task that runs again later.")


@COMMAND_RULES.on("icacls")
def icacls_everyone(a: PsAudit, cmd: Command) -> None:
    if "/grant" in cmd.lowered and any(ICACLS_WORLD.search(w) for w in cmd.words):
        a.out.add("EX140", cmd.line, "icacls grants write access to Everyone.")


@COMMAND_RULES.on("curl")
def curl(a: PsAudit, cmd: Command) -> None:
    if curl_insecure(cmd.words):
        a.out.add("EX170", cmd.line, "curl -k / --insecure accepts any certificate.")


# --------------------------------------------------------------------------- rules for every command


@COMMAND_RULES.every
def skip_certificate_check(a: PsAudit, cmd: Command) -> None:
    if "-skipcertificatecheck" in cmd.params:
        a.out.add("EX170", cmd.line, "-SkipCertificateCheck accepts any certificate.")


@COMMAND_RULES.every
def registry_run_key(a: PsAudit, cmd: Command) -> None:
    if cmd.name in WRITE_CMDS and (
        (cmd.name != "reg" or "add" in cmd.lowered)
        and (RUN_KEY.search(cmd.joined) or any(a.vars_in(e) & a.run_key_vars for e in cmd.elements))
    ):
        a.out.add("EX160", cmd.line, "Writes a registry Run key: the program starts at every logon.")


@COMMAND_RULES.every
def secret_parameters(a: PsAudit, cmd: Command) -> None:
    elements, texts = cmd.elements, cmd.texts
    for i, e in enumerate(elements[:-1]):
        if e.type == "command_parameter" and texts[i].lower().lstrip("-").rstrip(":") in SECRET_PARAMS:
            value = elements[i + 1]
            if a.is_string_literal(value) and is_secret_value(unquote(texts[i + 1])):
                a.out.add("EX130", cmd.line, f"{texts[i]} is given a literal secret.")
