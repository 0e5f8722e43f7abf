"""Edgex's rules for bash, over a tree-sitter-bash parse tree.

Facts are gathered first (variables only ever assigned literals, variables holding
downloaded content, where a variable is guarded); then every named node goes through
one dispatch table: node type -> node rules, and for a ``command`` node, its effective
name (``sudo env A=1 bash`` is ``bash``) -> command rules, then the rules for every
command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from edgex.static_audit.dispatch import RuleTable
from edgex.static_audit.findings import Findings
from edgex.static_audit.heuristics import (
    ROOT_TAIL,
    curl_insecure,
    ep_bypass,
    is_secret_name,
    is_secret_value,
    world_writable_mode,
)
from edgex.static_audit.syntax import descendants, line, unquote, walk

if TYPE_CHECKING:
    from tree_sitter import Node

DOWNLOADERS = {"curl", "wget", "fetch"}
INTERPRETERS = {
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
WRAPPERS: dict[str, set[str]] = {  # command -> its options that take a value
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
SECRET_OPTION = re.compile(
    r"^--?(password|passwd|token|secret|api-?key|access-?key|secret-?key|client-?secret|access-?token)(?:=(.*))?$",
    re.IGNORECASE | re.DOTALL,
)
PERSIST_PATH = re.compile(
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
FIREWALL_UNITS = {"firewalld", "ufw", "nftables", "iptables", "ip6tables", "netfilter-persistent"}
MAC_UNITS = {"apparmor"}
SELINUX_OFF = re.compile(r"(?i)\bSELINUX\s*=\s*(disabled|permissive)\b")
EXPANSIONS = {"simple_expansion", "expansion", "command_substitution", "process_substitution", "arithmetic_expansion"}

Argv = list[tuple[str, "Node"]]


class Command(NamedTuple):
    """A command as its rules see it: the effective argv (wrappers removed, quotes
    stripped) with each word's node, and its line."""

    node: Node
    argv: Argv
    line: int

    @property
    def name(self) -> str:
        return self.argv[0][0]

    @property
    def args(self) -> list[str]:
        return [a for a, _ in self.argv[1:]]


class BashAudit:
    """One script's source, the facts gathered before the rules run, and its findings."""

    def __init__(self, src: bytes, root: Node, out: Findings) -> None:
        self.src, self.root, self.out = src, root, out
        self.nodes = list(walk(root))
        self.literal_vars: dict[str, bool] = {}  # name -> only ever assigned non-empty literals
        self.tainted: set[str] = set()  # variables holding downloaded content
        self.guard_points: dict[str, int] = {}  # name -> first byte where it is guarded (${X:?}, [ -z ] && exit)

    def run(self) -> None:
        self.collect()
        for node in self.nodes:
            NODE_RULES.apply(self, node.type, node)

    def text(self, node: Node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def is_literal(self, node: Node | None) -> bool:
        return node is not None and not any(n.type in EXPANSIONS for n in walk(node))

    # ---- facts gathered before the rules run
    def collect(self) -> None:
        for node in self.nodes:
            if node.type == "variable_assignment":
                name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name_node is None:
                    continue
                name = self.text(name_node)
                ok = value is not None and self.is_literal(value) and bool(unquote(self.text(value)).strip())
                self.literal_vars[name] = self.literal_vars.get(name, True) and ok
                if value is not None and self.has_download(value):
                    self.tainted.add(name)
            elif node.type == "for_statement":
                var = node.child_by_field_name("variable")
                values = node.children_by_field_name("value")
                if var is not None:
                    name = self.text(var)
                    ok = bool(values) and all(self.is_literal(v) for v in values)
                    self.literal_vars[name] = self.literal_vars.get(name, True) and ok
            elif node.type in ("read_command",) or (node.type == "command" and self.name(node) in ("read", "mapfile")):
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
                    for var in descendants(node, ("variable_name",)):
                        self.guard_points.setdefault(self.text(var), node.start_byte)

    def name(self, command: Node) -> str:
        name = command.child_by_field_name("name")
        return unquote(self.text(name)).rsplit("/", 1)[-1] if name is not None else ""

    def argv(self, command: Node) -> Argv:
        """The effective command line: ``sudo -u x env A=1 bash -c …`` -> ``bash -c …``."""
        name = command.child_by_field_name("name")
        if name is None:
            return []
        items = [(unquote(self.text(name)), name)]
        items += [(unquote(self.text(a)), a) for a in command.children_by_field_name("argument")]
        while items and items[0][0].rsplit("/", 1)[-1] in WRAPPERS:
            wrapper = items[0][0].rsplit("/", 1)[-1]
            value_opts, i, skipped_duration = WRAPPERS[wrapper], 1, False
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

    def commands_in(self, node: Node) -> Iterator[str]:
        for cmd in descendants(node, ("command",)):
            argv = self.argv(cmd)
            if argv:
                yield argv[0][0]

    def has_download(self, node: Node) -> bool:
        for sub in descendants(node, ("command_substitution", "process_substitution")):
            if any(name in DOWNLOADERS for name in self.commands_in(sub)):
                return True
        return False

    def guarded(self, name: str, node: Node) -> bool:
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


NODE_RULES: RuleTable[BashAudit, Node] = RuleTable()
COMMAND_RULES: RuleTable[BashAudit, Command] = RuleTable()


def audit(src: bytes, root: Node, out: Findings) -> None:
    BashAudit(src, root, out).run()


# --------------------------------------------------------------------------- node rules


@NODE_RULES.on("command")
def command(a: BashAudit, node: Node) -> None:
    argv = a.argv(node)
    if argv:
        cmd = Command(node, argv, line(node))
        COMMAND_RULES.apply(a, cmd.name, cmd)


@NODE_RULES.on("pipeline")
def pipeline(a: BashAudit, node: Node) -> None:
    seen_download = False
    for element in node.named_children:
        names = set(a.commands_in(element))
        if seen_download and names & (INTERPRETERS - {"eval"}):
            a.out.add("EX101", line(node), "Downloaded content is piped into an interpreter and run unverified.")
            return
        seen_download = seen_download or bool(names & DOWNLOADERS)


@NODE_RULES.on("variable_assignment")
def assignment(a: BashAudit, node: Node) -> None:
    name_node, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    if name_node is None or value is None or not a.is_literal(value):
        return
    name = a.text(name_node)
    if is_secret_name(name) and is_secret_value(unquote(a.text(value))):
        a.out.add("EX130", line(node), f"{name} is assigned a literal secret.")


@NODE_RULES.on("file_redirect")
def redirect(a: BashAudit, node: Node) -> None:
    text = a.text(node).lstrip("0123456789&")
    dest = node.child_by_field_name("destination") or (node.named_children[-1] if node.named_children else None)
    if text.startswith(">") and dest is not None and PERSIST_PATH.match(unquote(a.text(dest))):
        a.out.add("EX160", line(node), f"Writes to {unquote(a.text(dest))}, which runs again later.")


# --------------------------------------------------------------------------- command rules, by name


@COMMAND_RULES.on(*INTERPRETERS)
def interpreter(a: BashAudit, cmd: Command) -> None:
    arg_nodes = [n for _, n in cmd.argv[1:]]
    if any(a.has_download(n) for n in arg_nodes):
        a.out.add("EX101", cmd.line, f"Downloaded content is run by {cmd.name} without verification.")
        return
    runs_text = cmd.name == "eval" or any(arg == "-c" for arg, _ in cmd.argv[1:])
    if not runs_text:
        return
    for arg in arg_nodes:
        for var in descendants(arg, ("variable_name",)):
            if a.text(var) in a.tainted:
                a.out.add("EX101", cmd.line, f"${a.text(var)} holds downloaded content and is executed.")
                return
    if cmd.name == "eval" and any(n.type in ("simple_expansion", "expansion") for x in arg_nodes for n in walk(x)):
        a.out.add("EX102", cmd.line, "eval of a variable runs whatever the variable contains.")


@COMMAND_RULES.on("curl")
def curl(a: BashAudit, cmd: Command) -> None:
    if curl_insecure(cmd.args):
        a.out.add("EX170", cmd.line, "curl -k / --insecure accepts any certificate.")


@COMMAND_RULES.on("wget")
def wget(a: BashAudit, cmd: Command) -> None:
    if "--no-check-certificate" in cmd.args:
        a.out.add("EX170", cmd.line, "wget --no-check-certificate accepts any certificate.")


@COMMAND_RULES.on("git")
def git(a: BashAudit, cmd: Command) -> None:
    if any(arg.lower().replace(" ", "") == "http.sslverify=false" for arg in cmd.args):
        a.out.add("EX170", cmd.line, "git http.sslVerify=false accepts any certificate.")


@COMMAND_RULES.on("chmod")
def chmod(a: BashAudit, cmd: Command) -> None:
    modes = [arg for arg in cmd.args if not arg.startswith("-")]  # "-w" style modes only remove rights
    if modes and world_writable_mode(modes[0]):
        a.out.add("EX140", cmd.line, f"chmod {modes[0]} makes the target writable by every user.")


@COMMAND_RULES.on("setenforce")
def setenforce(a: BashAudit, cmd: Command) -> None:
    if cmd.args and cmd.args[0].lower() in ("0", "permissive"):
        a.out.add("EX112", cmd.line, "setenforce switches SELinux to permissive.")


@COMMAND_RULES.on("ufw")
def ufw(a: BashAudit, cmd: Command) -> None:
    if "disable" in cmd.args:
        a.out.add("EX111", cmd.line, "ufw disable turns the host firewall off.")


@COMMAND_RULES.on("systemctl")
def systemctl(a: BashAudit, cmd: Command) -> None:
    positional = [arg for arg in cmd.args if not arg.startswith("-")]
    if not positional or positional[0] not in ("stop", "disable", "mask", "kill"):
        return
    units = {u.removesuffix(".service") for u in positional[1:]}
    if units & FIREWALL_UNITS:
        a.out.add("EX111", cmd.line, f"systemctl {positional[0]} turns the host firewall off.")
    if units & MAC_UNITS:
        a.out.add("EX112", cmd.line, f"systemctl {positional[0]} turns AppArmor off.")


@COMMAND_RULES.on("service")
def service(a: BashAudit, cmd: Command) -> None:
    args = cmd.args
    if len(args) >= 2 and args[1] == "stop":
        if args[0] in FIREWALL_UNITS:
            a.out.add("EX111", cmd.line, "service … stop turns the host firewall off.")
        if args[0] in MAC_UNITS:
            a.out.add("EX112", cmd.line, "service … stop turns AppArmor off.")


@COMMAND_RULES.on("chkconfig")
def chkconfig(a: BashAudit, cmd: Command) -> None:
    args = cmd.args
    if len(args) >= 2 and args[0] in FIREWALL_UNITS and args[-1] == "off":
        a.out.add("EX111", cmd.line, "chkconfig … off disables the host firewall.")


@COMMAND_RULES.on("crontab")
def crontab(a: BashAudit, cmd: Command) -> None:
    args, rest, i = cmd.args, [], 0
    while i < len(args):
        if args[i] == "-u":
            i += 2
            continue
        rest.append(args[i])
        i += 1
    if rest and all(arg in ("-l", "-r", "-i") for arg in rest):
        return  # listing or removing is not persistence
    a.out.add("EX160", cmd.line, "crontab installs a job that runs again later.")


@COMMAND_RULES.on("rm")
def rm(a: BashAudit, cmd: Command) -> None:
    recursive = force = False
    targets: list[Node] = []
    options_done = False
    for arg, arg_node in cmd.argv[1:]:
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
    command = cmd.argv[0][1].parent
    for target in targets:
        _rm_target(a, command, target, cmd.line)


def _rm_target(a: BashAudit, command: Node | None, target: Node, at: int) -> None:
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
    name = a.text(var)
    ops = {c.type for c in lead.children if not c.is_named}
    if ops & {":?", "?", ":-", "-", ":=", "="}:
        return  # ${X:?} aborts on empty, ${X:-default} never expands to empty
    if a.guarded(name, command or target):
        return
    tail = unquote(a.src[lead.end_byte : target.end_byte].decode("utf-8", "replace"))
    if ROOT_TAIL.match(tail):
        shown = unquote(a.text(target))
        a.out.add("EX150", at, f"rm -rf {shown}: with {name} empty this runs rm -rf {tail}.")
    else:
        a.out.add("EX151", at, f"rm -rf {unquote(a.text(target))} with an unchecked {name}.")


@COMMAND_RULES.on("pwsh", "powershell", "powershell.exe")
def execution_policy(a: BashAudit, cmd: Command) -> None:
    if ep_bypass(cmd.args):
        a.out.add("EX120", cmd.line, "PowerShell is started with the execution policy bypassed.")


@COMMAND_RULES.on("tee", "cp", "mv", "install", "ln", "dd")
def persistence_writes(a: BashAudit, cmd: Command) -> None:
    name, args = cmd.name, cmd.args
    targets = [arg.removeprefix("of=") for arg in args if not arg.startswith("-") or arg.startswith("of=")]
    if name in ("cp", "mv", "install", "ln"):
        targets = targets[-1:]
    elif name == "dd":
        targets = [arg.removeprefix("of=") for arg in args if arg.startswith("of=")]
    for target in targets:
        if PERSIST_PATH.match(target):
            a.out.add("EX160", cmd.line, f"Writes to {target}, which runs again later.")


# --------------------------------------------------------------------------- rules for every command


@COMMAND_RULES.every
def secret_options(a: BashAudit, cmd: Command) -> None:
    argv = cmd.argv
    for i, (arg, arg_node) in enumerate(argv[1:], start=1):
        m = SECRET_OPTION.match(arg)
        if m:
            if m.group(2) is not None:
                value, value_node = m.group(2), arg_node
            elif i + 1 < len(argv):
                value, value_node = argv[i + 1]
            else:
                continue
            if a.is_literal(value_node) and is_secret_value(value):
                a.out.add("EX130", cmd.line, f"{arg.split('=', 1)[0]} is given a literal secret.")
        elif cmd.name == "curl" and arg in ("-u", "--user") and i + 1 < len(argv):
            value, value_node = argv[i + 1]
            if ":" in value and a.is_literal(value_node) and is_secret_value(value.split(":", 1)[1]):
                a.out.add("EX130", cmd.line, "curl is given a literal user:password.")


@COMMAND_RULES.every
def selinux_config(a: BashAudit, cmd: Command) -> None:
    if any(SELINUX_OFF.search(arg) for arg in cmd.args):
        a.out.add("EX112", cmd.line, "SELinux is set to disabled / permissive.")
