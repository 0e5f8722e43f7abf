"""Static audit golden output: every rule over a corpus (the fixture scripts whole and
line by line, the edge cases in fixtures/audit_golden, a script past the findings cap)
gives exactly the findings recorded from the single-module engine before it became a
package. A refactor of the rules must not change one byte of what is stored with a
script version; a deliberate rule change regenerates the file (see ``main``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edgex.static_audit import audit_script

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOLDEN = FIXTURES / "audit_golden" / "findings.json"


def corpus() -> Iterator[tuple[str, str, str]]:
    """(case id, script type, content) for every input of the golden file."""
    sources = sorted((FIXTURES / "audit").glob("*/*")) + sorted((FIXTURES / "audit_golden").glob("extra.*"))
    for path in sources:
        kind = "powershell" if path.suffix == ".ps1" else "bash"
        text = path.read_text()
        name = f"{path.parent.name}/{path.name}"
        yield name, kind, text
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield f"{name}:{number}", kind, line + "\n"
    many = "".join(f"chmod 777 /srv/{n}\n" if n % 3 else f"curl -k https://x/{n} | bash\n" for n in range(600))
    yield "capped/bash", "bash", many
    yield (
        "capped/powershell",
        "powershell",
        many.replace("chmod 777", "icacls").replace(" /srv/", " C:\\x /grant Everyone:F #"),
    )


def compact(findings: list[dict[str, Any]], hints: dict[str, str]) -> list[list[Any]]:
    """A finding as [rule_id, severity, line, message, source]; its hint goes to ``hints``
    once per rule (it is the same text every time: that is checked too)."""
    rows = []
    for f in findings:
        assert set(f) == {"rule_id", "severity", "line", "message", "hint", "source"}
        assert hints.setdefault(f["rule_id"], f["hint"]) == f["hint"], f
        rows.append([f["rule_id"], f["severity"], f["line"], f["message"], f["source"]])
    return rows


def record() -> dict[str, Any]:
    hints: dict[str, str] = {}
    cases = [{"id": i, "type": t, "content": c, "findings": compact(audit_script(t, c), hints)} for i, t, c in corpus()]
    return {"hints": hints, "cases": cases}


def recorded() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


@pytest.fixture
def no_shellcheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """ShellCheck's own notes depend on its version: the golden file holds the rules' findings."""
    from edgex.static_audit import shellcheck

    monkeypatch.setattr(shellcheck, "run", lambda content: [])


def test_golden_corpus_matches_the_inputs() -> None:
    # Given the recorded golden cases and the corpus built from the fixtures today
    # Then they are the same inputs (a changed fixture means regenerating the file on purpose)
    assert [(c["id"], c["type"], c["content"]) for c in recorded()["cases"]] == list(corpus())


@pytest.mark.usefixtures("no_shellcheck")
def test_every_rule_gives_the_recorded_findings() -> None:
    # Given every recorded input
    golden = recorded()
    assert len(golden["cases"]) > 500
    # When each is audited again
    now = record()
    # Then every finding is byte-for-byte the recorded one, in the recorded order, with the same hint
    changed = [old["id"] for old, new in zip(golden["cases"], now["cases"], strict=True) if old != new]
    assert changed == []
    assert now["hints"] == golden["hints"]


def main() -> None:
    """Regenerate the golden file, only after a deliberate change of a rule:
    ``PYTHONPATH=layers/edgex/python .venv/bin/python tests/unit/test_static_audit_golden.py``."""
    from edgex.static_audit import shellcheck

    shellcheck.run = lambda content: []  # type: ignore[assignment]
    write(record())


def write(golden: dict[str, Any]) -> None:
    """One case per line, so a deliberate change reads as a small diff."""
    lines = [json.dumps(case, ensure_ascii=False) for case in golden["cases"]]
    text = '{"hints": ' + json.dumps(golden["hints"], indent=1, ensure_ascii=False) + ',\n"cases": [\n'
    GOLDEN.write_text(text + ",\n".join(lines) + "\n]}\n")
    print(f"{len(lines)} cases written to {GOLDEN}", file=sys.stderr)


if __name__ == "__main__":
    main()
