"""What both languages' rules share: secret names and values, curl's and PowerShell's
option spellings, world-writable modes, the "deletes from the root" tail, and the rules
that read the raw text (a key in a comment leaks as well as one in code)."""

from __future__ import annotations

import re
from itertools import pairwise

from edgex.static_audit.findings import Findings

SECRET_WORDS = {
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
SECRET_PAIRS = {
    ("api", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("private", "key"),
    ("client", "secret"),
    ("access", "token"),
    ("auth", "token"),
    ("bearer", "token"),
}
NOT_SECRET_LAST = {
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
NON_SECRET_VALUES = {"true", "false", "yes", "no", "null", "none", "$null", "$true", "$false", "0", "1"}
CURL_VALUE_OPTS = set("bcCdDeEFHKmoPQrtTuUwxXyYz")  # short options taking a value: stop scanning the cluster
EP_BYPASS = {"bypass", "unrestricted"}
ROOT_TAIL = re.compile(r"^/+(\*|\.\*|\*\*)?$|^\*$")  # what follows the variable: "/", "/*", "*"
WORLD_OCTAL = re.compile(r"^0?[0-7]?[0-7]{2}[2367]$")
AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}\b")
AWS_SECRET = re.compile(r"(?i)aws.{0,20}secret.{0,20}?[=:]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")


def text_rules(content: str, out: Findings) -> None:
    """Secrets are found in the raw text on purpose: a key in a comment or a heredoc
    leaks just as well as one in code."""
    for number, line in enumerate(content.splitlines(), start=1):
        if AWS_KEY_ID.search(line) or AWS_SECRET.search(line):
            out.add("EX131", number, "AWS access key in the script: anyone who can read the script can use it.")
        if PRIVATE_KEY.search(line):
            out.add("EX132", number, "Private key block embedded in the script.")


def name_tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def is_secret_name(name: str) -> bool:
    """PASSWORD, DB_PASSWORD, apiKey, client_secret, GITHUB_TOKEN: yes.
    TOKEN_FILE, PASSWORD_MIN, SECRET_ID, USE_TOKEN (a flag): no."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in NOT_SECRET_LAST:
        return False
    if any(t in SECRET_WORDS for t in tokens):
        return True
    return any(pair in SECRET_PAIRS for pair in pairwise(tokens))


def is_secret_value(value: str) -> bool:
    value = value.strip()
    if len(value) < 3 or value.lower() in NON_SECRET_VALUES:
        return False
    return not (value.startswith("<") and value.endswith(">"))  # a documented placeholder


def curl_insecure(args: list[str]) -> bool:
    for arg in args:
        if arg == "--insecure":
            return True
        if arg.startswith("-") and not arg.startswith("--"):
            for ch in arg[1:]:
                if ch == "k":
                    return True
                if ch in CURL_VALUE_OPTS:
                    break
    return False


def ep_bypass(args: list[str]) -> bool:
    """``-ExecutionPolicy Bypass`` and its accepted abbreviations (-ep, -exec, -ex …)."""
    lowered = [a.lower() for a in args]
    for i, arg in enumerate(lowered[:-1]):
        if arg in ("-ep", "-ex", "-exe", "-exec") or (len(arg) > 3 and "-executionpolicy".startswith(arg)):
            if lowered[i + 1] in EP_BYPASS:
                return True
    return False


def world_writable_mode(mode: str) -> bool:
    if WORLD_OCTAL.match(mode):
        return True
    for clause in mode.split(","):
        m = re.match(r"^([ugoa]*)([+=])([rwxXst]*)$", clause)
        if m and ("a" in m.group(1) or "o" in m.group(1)) and "w" in m.group(3):
            return True
    return False
