"""Static security audit of a script: ShellCheck for bash, and Edgex's own rules over a
tree-sitter parse tree for bash and PowerShell. No model, no network: the same script
always yields the same findings, so they can be stored with the version and gate a
deployment (``has_high``) without anyone trusting a language model.

Every finding is a dict ``{rule_id, severity, line, message, hint, source}``: ``line`` is
1-based, ``severity`` is ``high`` | ``medium`` | ``low``, ``source`` is ``rules`` (this
package) or ``shellcheck``.

Where things are: ``findings`` (the finding shape, the rule table below, the collector
and its cap), ``bash`` and ``powershell`` (the rules, each language through one
dispatch table: ``dispatch``), ``heuristics`` (what both languages share, and the
raw-text rules), ``syntax`` (tree-sitter), ``shellcheck`` (the ShellCheck runner).

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

import logging

from edgex.errors import ValidationFailed
from edgex.static_audit import bash, powershell, shellcheck, syntax
from edgex.static_audit.findings import FINDINGS_MAX, RULES, SEVERITIES, Finding, Findings, Rule, has_high
from edgex.static_audit.heuristics import text_rules
from edgex.vocabulary import ScriptType

__all__ = [
    "FINDINGS_MAX",
    "RULES",
    "SEVERITIES",
    "SHELLCHECK_TIMEOUT_S",
    "Finding",
    "Rule",
    "audit_script",
    "has_high",
]

log = logging.getLogger(__name__)

SHELLCHECK_TIMEOUT_S = shellcheck.TIMEOUT_S
_ENGINES = {ScriptType.BASH: bash.audit, ScriptType.POWERSHELL: powershell.audit}


def audit_script(script_type: str, content: str) -> list[Finding]:
    """All findings for ``content``, sorted by line then severity.

    Never raises for what the script contains; raises VALIDATION_ERROR only for an
    unknown ``script_type``. A missing tool is reported as a finding, not hidden.
    """
    try:
        kind = ScriptType(script_type)
    except ValueError:
        raise ValidationFailed(f"type must be one of {', '.join(ScriptType)}") from None
    out = Findings()
    text_rules(content, out)
    try:
        parser = syntax.parser(kind)
    except ImportError as exc:
        log.warning("tree-sitter unavailable, security rules skipped: %s", exc)
        out.add("EDGEX001", 1, f"Security rules were not run: parser unavailable ({exc.name or exc}).")
    else:
        src = content.encode("utf-8", "surrogatepass")
        tree = parser.parse(src)
        _ENGINES[kind](src, tree.root_node, out)
        line = syntax.first_error_line(tree.root_node) if tree.root_node.has_error else None
        if line is not None:
            out.add("EDGEX002", line, f"The parser could not read line {line}; rules may have missed constructs there.")
    if kind is ScriptType.BASH:
        for finding in shellcheck.run(content):
            out.append(finding)
    return out.sorted()
