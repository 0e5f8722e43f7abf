"""The agent-side scripts: bootstrappers, wrapper payloads and the admin one-liners.

The texts live in ``templates/`` next to this module so they can be linted as
shell / PowerShell files; this module only validates inputs and fills slots.

Two different trust levels meet here:

* The *payload* (``GET /v1/agent/download``) is the wrapper template of the
  deployment's snapshot with the script's base64 at one placeholder. Nothing
  machine-specific goes in, so every machine of a deployment receives the same
  bytes (the token and machine facts reach it through the environment the
  bootstrapper sets). Its SHA-256 is fixed when the deployment is created
  (:func:`payload_sha256`) and rendered into the bootstrapper, which refuses to run
  anything else.
* The *bootstrapper* (``GET /v1/agent/installer``) and the *one-liners* carry the
  API URL and the master token. Both are checked against strict character sets
  before they are placed in single-quoted shell / PowerShell strings, so neither
  can break out of its quotes: a bad value is refused, never escaped. The
  one-liner pins the SHA-256 of the bootstrapper it fetches
  (:func:`bootstrapper_sha256`), so a substituted installer runs nothing either.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import textwrap

from edgex.errors import ValidationFailed

SCRIPT_PLACEHOLDER = "__EDGEX_SCRIPT_B64__"
SCRIPT_TYPES = ("bash", "powershell")
BOOTSTRAPPER_KINDS = ("bash", "ps1")
TEMPLATE_MAX_CHARS = 256 * 1024
CONTENT_TYPE = "text/plain; charset=utf-8"

_TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
_WRAPPER_FILES = {"bash": "wrapper.sh", "powershell": "wrapper.ps1"}
_BOOTSTRAPPER_FILES = {"bash": "bootstrap.sh", "ps1": "bootstrap.ps1"}
# Patterns are compiled on first use (re's cache), not at import: the download, the
# busiest function, uses none of them.
_BOOTSTRAPPER_SLOTS = r"__EDGEX_(API_URL|MASTER_TOKEN|PAYLOAD_SHA256)__"
_SHA256 = r"[0-9a-f]{64}"
# The exit status of a bootstrapper refused by the one-liner (bash); the bootstrapper
# itself exits 94 when the payload does not match (templates/bootstrap.sh).
INSTALLER_MISMATCH_EXIT = 95
PAYLOAD_MISMATCH_EXIT = 94

# Only characters that are inert inside single quotes in bash, POSIX sh and
# PowerShell (which also treats the Unicode quotes as quotes: hence ASCII only).
_API_URL = (
    r"https?://"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?:/[A-Za-z0-9._~%/-]*)?"
)
_API_URL_MAX = 2048
_MASTER_TOKEN = r"exm_[0-9]+_[A-Za-z0-9_-]+"  # noqa: S105 - a pattern, not a token
_TOKEN_MAX = 512


_INCLUDE = r"^([ \t]*)# @edgex-include ([a-z_]+\.(?:sh|ps1))\n"


def _read_file(name: str) -> str:
    # newline="" keeps the bytes as stored: the payload must not depend on the platform.
    with open(os.path.join(_TEMPLATE_DIR, name), encoding="utf-8", newline="") as fh:
        return fh.read()


def template_text(name: str) -> str:
    """A template file as shipped: each ``# @edgex-include FILE`` line replaced by that
    fragment, indented as the line is. The bootstrapper and the wrapper each run alone
    on the machine, so both carry the retry policy; its source is written once per
    language (``retry_policy.sh``, ``retry_policy.ps1``)."""
    return re.sub(
        _INCLUDE, lambda m: textwrap.indent(_read_file(m.group(2)), m.group(1)), _read_file(name), flags=re.MULTILINE
    )


@functools.cache
def default_wrapper(script_type: str) -> str:
    """This platform version's wrapper template for a script type (the default a
    deployment pins, shown in the wrapper editor): read once per process, on first use,
    since agent handlers never need it."""
    return template_text(_WRAPPER_FILES[script_type])


@functools.cache
def _bootstrapper_template(kind: str) -> str:
    return template_text(_BOOTSTRAPPER_FILES[kind])


def bootstrapper_templates() -> dict[str, str]:
    """This platform version's bootstrapper templates, per kind: a deployment snapshots
    them at creation so its installer's bytes (pinned in its one-liners) never change."""
    return {kind: _bootstrapper_template(kind) for kind in BOOTSTRAPPER_KINDS}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def payload_sha256(payload: str) -> str:
    """What the bootstrapper compares: the SHA-256 of the payload's UTF-8 bytes as served."""
    return sha256_hex(payload)


def bootstrapper_sha256(bootstrapper: str) -> str:
    """What the one-liner compares: the SHA-256 of the bootstrapper with its trailing
    newlines made exactly one (``$(...)`` in sh drops them all and the one-liner adds
    one back; the PowerShell one-liner does the same with ``TrimEnd``)."""
    return sha256_hex(bootstrapper.rstrip("\n") + "\n")


def _check_script_type(script_type: str) -> None:
    if script_type not in SCRIPT_TYPES:
        raise ValidationFailed("script type must be bash or powershell")


def validate_template(script_type: str, text: str) -> None:
    """Refuse a wrapper template the payload could not be built from.

    The script goes in at exactly one place: with no placeholder the machine would
    run the wrapper alone, with two it would run the script twice.
    """
    _check_script_type(script_type)
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("wrapper template must be non-empty text")
    if len(text) > TEMPLATE_MAX_CHARS:
        raise ValidationFailed(f"wrapper template must be at most {TEMPLATE_MAX_CHARS} characters")
    if "\x00" in text:
        raise ValidationFailed("wrapper template must not contain NUL characters")
    count = text.count(SCRIPT_PLACEHOLDER)
    if count != 1:
        raise ValidationFailed(
            f"wrapper template must contain the placeholder {SCRIPT_PLACEHOLDER} exactly once (found {count})"
        )


def render_payload(wrapper_template: str, script_type: str, script: bytes) -> str:
    """The download payload: the wrapper with the script's base64 at the placeholder.

    A pure function of its inputs (no token, no machine fact, no time), so every
    machine of a deployment gets byte-identical text. The base64 is wrapped at 76
    columns: ``base64 -d`` / ``-D`` and ``[Convert]::FromBase64String`` ignore the
    line breaks, and editors and linters cope better than with one 1.4 MB line.
    """
    validate_template(script_type, wrapper_template)
    if not isinstance(script, bytes | bytearray | memoryview):
        raise ValidationFailed("script must be bytes")
    encoded = base64.encodebytes(bytes(script)).decode("ascii").rstrip("\n")
    return wrapper_template.replace(SCRIPT_PLACEHOLDER, encoded)


def _check_api_url(api_url: str) -> str:
    valid = isinstance(api_url, str) and len(api_url) <= _API_URL_MAX
    match = re.fullmatch(_API_URL, api_url, re.ASCII) if valid else None
    if match is None:
        raise ValidationFailed("api_url must be an http(s) URL without quotes, whitespace, query or fragment")
    if match["port"] is not None and not 0 < int(match["port"]) < 65536:
        raise ValidationFailed("api_url has an invalid port")
    return api_url.rstrip("/")


def _check_master_token(master_token: str) -> str:
    if (
        not isinstance(master_token, str)
        or len(master_token) > _TOKEN_MAX
        or not re.fullmatch(_MASTER_TOKEN, master_token, re.ASCII)
    ):
        raise ValidationFailed("master token is malformed")
    return master_token


def _check_sha256(digest: str) -> str:
    if not isinstance(digest, str) or not re.fullmatch(_SHA256, digest, re.ASCII):
        raise ValidationFailed("a SHA-256 must be 64 lowercase hex digits")
    return digest


def render_bootstrapper(
    kind: str, api_url: str, master_token: str, payload_hash: str, template: str | None = None
) -> str:
    """The installer for one deployment (``kind``: "bash" or "ps1"), pinning the
    payload's SHA-256; ``template`` is the deployment's snapshot (default: this
    platform version's).

    The slots are filled in a single pass, so a value that happens to spell the
    other slot's name is never substituted twice.
    """
    if kind not in BOOTSTRAPPER_KINDS:
        raise ValidationFailed("installer type must be bash or ps1")
    values = {
        "API_URL": _check_api_url(api_url),
        "MASTER_TOKEN": _check_master_token(master_token),
        "PAYLOAD_SHA256": _check_sha256(payload_hash),
    }
    return re.sub(
        _BOOTSTRAPPER_SLOTS,
        lambda m: values[m.group(1)],
        _bootstrapper_template(kind) if template is None else template,
    )


def one_liners(api_url: str, master_token: str, installer_sha256: dict[str, str] | None = None) -> dict[str, str]:
    """What an admin pastes on a machine: fetch the bootstrapper, check it, run it.

    ``installer_sha256`` (per bootstrapper kind, :func:`bootstrapper_sha256`) pins the
    installer's bytes: the line runs it only when its SHA-256 matches, else stops
    with a one-line reason (bash: exit 95; no hashing tool: exit 90). Without it
    (the placeholder one-liners, made when the token and so the installer's bytes
    are unknown) the installer is run unchecked.

    bash (any POSIX shell runs the line; the bootstrapper itself needs bash): the
    token reaches curl as a config on stdin (``-K -``) from the shell's builtin
    printf, so it never shows in ``ps``. The installer is fetched first and run
    only once whole: a refused or failed fetch ends the line with curl's exit
    status and its one-line reason (``curl -fsS``), so automation sees it (a plain
    ``curl | bash`` exits 0). curl's ``--retry`` covers throttling and 5xx
    (exponential backoff; Retry-After honoured by curl 7.66+), bounded in time.
    The hash comes from sha256sum, else ``shasum -a 256`` (macOS), else openssl;
    the first that exists reads the text (a missing one reads nothing). The
    subshell keeps ``exit`` from closing the admin's terminal.

    PowerShell: TLS 1.2 first (Windows PowerShell 5.1 on an older .NET would fail
    the fetch), then up to 6 attempts while the answer is 429 or 503, with full
    jitter; any other failure, and an installer whose SHA-256 differs, throws
    (``powershell -Command`` exits 1). Everything sits in a script block so
    nothing is left in the admin's session.
    Values are validated as for the bootstrapper and sit in single quotes.
    """
    url = _check_api_url(api_url)
    token = _check_master_token(master_token)
    pins = {kind: _check_sha256(installer_sha256[kind]) for kind in BOOTSTRAPPER_KINDS} if installer_sha256 else None
    fetch = (
        f"(s=$(printf 'header = \"Authorization: Bearer %s\"\\n' '{token}' |"
        f" curl -fsS --retry 6 --retry-max-time 300 -K - '{url}/v1/agent/installer?type=bash') || exit;"
    )
    if pins is None:
        bash = f"{fetch} printf '%s\\n' \"$s\" | bash)"
    else:
        bash = (
            f"{fetch} h=$(printf '%s\\n' \"$s\" | (sha256sum || shasum -a 256 || openssl dgst -sha256 -r) 2>/dev/null);"
            f" case $h in '{pins['bash']} '*) printf '%s\\n' \"$s\" | bash ;;"
            " '') echo 'edgex: cannot check the installer: no sha256sum, shasum or openssl' >&2; exit 90 ;;"
            " *) echo 'edgex: the installer does not match the SHA-256 in this one-liner: nothing was run' >&2;"
            f" exit {INSTALLER_MISMATCH_EXIT} ;; esac)"
        )
    check = ""
    if pins is not None:
        check = (
            "$b = [Text.Encoding]::UTF8.GetBytes($s.TrimEnd([char]10) + [char]10); "
            "$d = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($b) | ForEach-Object { $_.ToString('x2') }); "
            f"if ($d -ne '{pins['ps1']}') {{ throw 'edgex: the installer does not match the SHA-256 in this one-liner: nothing was run' }}; "
        )
    return {
        "bash": bash,
        "powershell": (
            "& { [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol"
            " -bor [Net.SecurityProtocolType]::Tls12; "
            f"$h = @{{Authorization='Bearer {token}'}}; $s = $null; "
            "foreach ($n in 1..6) { try { "
            f"$s = Invoke-RestMethod -UseBasicParsing -Headers $h -Uri '{url}/v1/agent/installer?type=ps1'; break "
            "} catch { $c = 0; if ($_.Exception.Response) { $c = [int]$_.Exception.Response.StatusCode }; "
            "if ($n -eq 6 -or ($c -ne 429 -and $c -ne 503)) { throw }; "
            "Start-Sleep -Milliseconds (Get-Random -Maximum ([int][math]::Min(60000, 1000 * [math]::Pow(2, $n)))) } }; "
            f"{check}Invoke-Expression $s }}"
        ),
    }


def pinned_one_liners(api_url: str, master_token: str, payload_hash: str, templates: dict[str, str]) -> dict[str, str]:
    """The one-liners of a deployment whose token is known: each pins the SHA-256 of
    the bootstrapper the installer route will serve for that token (the same
    snapshot templates, URL and payload hash)."""
    pins = {
        kind: bootstrapper_sha256(render_bootstrapper(kind, api_url, master_token, payload_hash, templates[kind]))
        for kind in BOOTSTRAPPER_KINDS
    }
    return one_liners(api_url, master_token, pins)
