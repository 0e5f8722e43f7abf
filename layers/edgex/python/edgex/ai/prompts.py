"""What the model is told: the system prompt of each mode (kept as text in
``edgex/prompts/<mode>.md``, filled in for the script's language) and the user text
(the ask, the script fenced so it cannot close its fence, line numbers where the model
must cite lines, and in audit mode what static analysis already found)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from edgex.vocabulary import AiMode, ScriptType

if TYPE_CHECKING:  # the audit package is imported only when an audit runs
    from edgex.static_audit import Finding


Mode = AiMode  # the assistant's modes (edgex.vocabulary), listed by the AiProcessRequest schema too


MODES: tuple[Mode, ...] = tuple(Mode)
CODE_MODES = (Mode.GENERATE, Mode.REFACTOR)  # answers whose code block goes to the editor
NUMBERED_MODES = (Mode.AUDIT, Mode.EXPLAIN)  # the model cites lines: show it the numbers instead of letting it count
STATIC_FINDINGS_IN_PROMPT_MAX = 40
PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"

LANGUAGE = {ScriptType.BASH: "Bash", ScriptType.POWERSHELL: "PowerShell"}
FENCE_TAG = {ScriptType.BASH: "bash", ScriptType.POWERSHELL: "powershell"}
STRICT_MODE = {
    ScriptType.BASH: "`set -euo pipefail`",
    ScriptType.POWERSHELL: "`$ErrorActionPreference = 'Stop'` and `Set-StrictMode -Version Latest`",
}
DEFAULT_ASK = {
    Mode.GENERATE: "",
    Mode.REFACTOR: "Refactor this script.",
    Mode.AUDIT: "Audit this script for security problems.",
    Mode.EXPLAIN: "Explain this script.",
}


class AiRequest(NamedTuple):
    mode: str
    script_type: str
    system: str
    user: str


@cache
def _template(mode: str) -> str:
    return (PROMPT_DIR / f"{mode}.md").read_text(encoding="utf-8")


def system_prompt(mode: str, script_type: str) -> str:
    """The system prompt of ``mode`` (kept in ``prompts/<mode>.md``) for ``script_type``."""
    kind = ScriptType(script_type)
    return (
        _template(Mode(mode))
        .replace("{{language}}", LANGUAGE[kind])
        .replace("{{fence}}", FENCE_TAG[kind])
        .replace("{{strict_mode}}", STRICT_MODE[kind])
    )


def fenced(code: str, tag: str) -> str:
    """Fence longer than any backtick run inside the code, so the code cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{tag}\n{code.rstrip()}\n{fence}"


def build_request(
    mode: str,
    script_type: str,
    prompt: str,
    code: str | None,
    static_findings: Sequence[Finding] | None = None,
) -> AiRequest:
    """The system and user texts for one model call, from a request already validated
    (edgex.schemas AiProcessRequest). Leading lines of the code are kept: line numbers
    must match the editor."""
    kind, how = ScriptType(script_type), Mode(mode)
    prompt, code = prompt.strip(), (code or "").rstrip()
    parts = [f"Language: {LANGUAGE[kind]}", "", "Request:", prompt or DEFAULT_ASK[how]]
    if code.strip() and how in NUMBERED_MODES:
        numbered = "\n".join(f"{n:>4}| {line}" for n, line in enumerate(code.split("\n"), start=1))
        parts += [
            "",
            "Script (line numbers added for reference, not part of the script):",
            fenced(numbered, FENCE_TAG[kind]),
        ]
    elif code.strip():
        parts += ["", "Script:", fenced(code, FENCE_TAG[kind])]
    if how is Mode.AUDIT:
        static = static_findings or []
        shown = static[:STATIC_FINDINGS_IN_PROMPT_MAX]
        parts += ["", "Findings already reported by static analysis:"]
        parts += [f"- line {f['line']} {f['rule_id']} ({f['severity']}): {f['message']}" for f in shown] or ["- none"]
        if len(static) > len(shown):
            parts.append(f"- … and {len(static) - len(shown)} more")
    return AiRequest(mode, script_type, system_prompt(how, kind), "\n".join(parts))
