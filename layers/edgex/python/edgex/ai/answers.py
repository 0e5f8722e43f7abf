"""From the model's text to the API's answer: thinking removed, the script for the
editor extracted (never the prose), and in audit mode the model's findings read from
its JSON block (anything malformed dropped, never guessed) and merged after the static
ones."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple, NotRequired, TypedDict

from edgex.ai.prompts import CODE_MODES, Mode
from edgex.ai.providers import Reply
from edgex.errors import AiUnavailable
from edgex.vocabulary import ScriptType

if TYPE_CHECKING:  # the audit package is imported only when an audit runs
    from edgex.static_audit import Finding
    from edgex.static_audit.findings import Severity

MODEL_FINDINGS_MAX = 50

_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL)
_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")
_LANG_ALIASES = {
    ScriptType.BASH: {"bash", "sh", "shell", "shellscript", "zsh", "ksh"},
    ScriptType.POWERSHELL: {"powershell", "ps1", "ps", "pwsh", "posh"},
}
_SEVERITY: dict[str, Severity] = {"high": "high", "medium": "medium", "low": "low"}
_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
_SOURCE_RANK = {"rules": 0, "shellcheck": 1, "model": 2}


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int


class Answer(TypedDict):
    """The body of ``POST /v1/admin/ai/process``."""

    text: str
    code: str | None  # the script for the editor (generate / refactor), else None
    model_id: str
    usage: Usage
    truncated: bool
    findings: NotRequired[list[Finding]]  # audit mode: static and model findings, by line


def answer(mode: str, script_type: str, reply: Reply, static: list[Finding]) -> Answer:
    """The API's answer from the model's reply (``static``: the audit's own findings)."""
    text = strip_thinking(reply.text)
    if not text.strip():
        raise AiUnavailable("The AI model returned an empty answer; retry")
    result: Answer = {
        "text": text,
        "code": extract_code(text, script_type) if mode in CODE_MODES else None,
        "model_id": reply.model_id,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        "truncated": reply.truncated,
    }
    if mode == Mode.AUDIT:
        model_findings, text_without_block = parse_model_findings(text)
        result["text"] = text_without_block
        result["findings"] = merge_findings(static, model_findings)
    return result


def strip_thinking(text: str) -> str:
    """Reasoning models may prefix ``<think>…</think>``: not part of the answer."""
    return _THINK.sub("", text).strip()


class Block(NamedTuple):
    tag: str  # language tag, lower case ("" when untagged)
    body: str
    closed: bool
    start: int  # index of the opening fence line
    end: int  # index after the closing fence line (or len(lines))


def code_blocks(text: str) -> list[Block]:
    """Fenced blocks in order; an unclosed last block (a truncated answer) runs to the
    end of the text."""
    blocks: list[Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if not opening:
            i += 1
            continue
        start, fence = i, opening.group("fence")
        info = opening.group("info").strip()
        body: list[str] = []
        closed = False
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                closed = True
                i += 1
                break
            body.append(lines[i])
            i += 1
        blocks.append(Block(info.split()[0].lower() if info else "", "\n".join(body), closed, start, i))
    return blocks


def extract_code(text: str, script_type: str) -> str | None:
    """The script in the answer, ready for the editor: the longest block tagged with the
    script's language, else the longest untagged block; ``None`` when there is none
    (never the prose: the editor must not receive an explanation as code)."""
    blocks = code_blocks(text)
    for wanted in (_LANG_ALIASES[ScriptType(script_type)], {""}):
        candidates = [b.body for b in blocks if b.tag in wanted and b.body.strip()]
        if candidates:
            return max(candidates, key=len).strip("\n") + "\n"
    return None


def parse_model_findings(text: str) -> tuple[list[Finding], str]:
    """Findings from the audit answer's JSON block, and the text without that block.

    Anything malformed is dropped, never guessed; the text is left whole when no block
    can be read."""
    for block in reversed(code_blocks(text)):
        if block.tag not in ("json", ""):
            continue
        try:
            data = json.loads(block.body)
        except ValueError:
            continue
        items = data.get("findings") if isinstance(data, dict) else data
        if not isinstance(items, list):
            continue
        findings: list[Finding] = []
        for item in items[:MODEL_FINDINGS_MAX]:
            if not isinstance(item, dict) or not str(item.get("message") or "").strip():
                continue
            try:
                line = max(1, int(item.get("line") or 1))
            except (TypeError, ValueError):
                line = 1
            findings.append(
                {
                    "rule_id": "AI",
                    "severity": _SEVERITY.get(str(item.get("severity", "")).lower(), "low"),
                    "line": line,
                    "message": str(item["message"]).strip()[:1000],
                    "hint": str(item.get("hint") or "").strip()[:1000],
                    "source": "model",
                }
            )
        lines = text.split("\n")
        return findings, "\n".join(lines[: block.start] + lines[block.end :]).strip()
    return [], text


def merge_findings(static: Sequence[Finding], model: Sequence[Finding]) -> list[Finding]:
    """Static findings first on equal lines and severities: they are the ones to trust."""
    return sorted(
        [*static, *model],
        key=lambda f: (f["line"], _SEVERITY_RANK.get(f["severity"], 3), _SOURCE_RANK.get(f["source"], 3)),
    )
