"""bash 3.2 compatibility of the agent's bash (macOS ships bash 3.2.57 as /bin/bash).

No bash 3.2 binary runs here, so the generated bootstrapper and wrapper are scanned
for constructs bash 3.2 does not have. The scan looks at code only: comments and the
script's base64 are blanked first, so a word in a comment cannot hide or fake a hit.
"""

from __future__ import annotations

import re

import pytest

from edgex import wrappers

MASTER_TOKEN = "exm_7_" + "M4st3r" * 8

# (what, pattern, the bash version that brought it)
BASH4_CONSTRUCTS: list[tuple[str, str, str]] = [
    ("associative arrays", r"\b(declare|local|typeset)\s+-[a-zA-Z]*A", "4.0"),
    ("case-changing expansions", r"\$\{[#!]?[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)", "4.0"),
    ("mapfile / readarray", r"\b(mapfile|readarray)\b", "4.0"),
    ("coproc", r"\bcoproc\b", "4.0"),
    ("|& pipes", r"\|&", "4.0"),
    ("&>> appends", r"&>>", "4.0"),
    ("case fall-through ;& and ;;&", r";;&|[^;];&", "4.0"),
    ("globstar / lastpipe / other 4.x shopts", r"shopt\s+-s\s+(globstar|lastpipe|autocd|dirspell|checkjobs)", "4.0"),
    ("automatic file descriptors {fd}>", r"\{[A-Za-z_][A-Za-z0-9_]*\}[<>]", "4.1"),
    ("declare -g", r"\bdeclare\s+-[a-zA-Z]*g", "4.2"),
    ("printf %(...)T", r"%\([^)]*\)T", "4.2"),
    ("negative array subscripts", r"\[\s*-[0-9]+\s*\]\}", "4.3"),
    ("namerefs", r"\b(declare|local|typeset)\s+-[a-zA-Z]*n\b", "4.3"),
    ("wait -n", r"\bwait\s+-n\b", "4.3"),
    ("transformations ${x@Q}", r"\$\{[^}]*@[QEPAaUuLK]\}", "4.4"),
    ("local - (option scoping)", r"\blocal\s+-\s*$", "4.4"),
    (
        "EPOCHSECONDS / EPOCHREALTIME / SRANDOM / BASHPID",
        r"\$\{?(EPOCHSECONDS|EPOCHREALTIME|SRANDOM|BASHPID)\b",
        "4.0+",
    ),
    ("read -i", r"\bread\s+(-[a-zA-Z]*\s+)*-[a-zA-Z]*i\b", "4.0"),
    ("brace ranges with a step", r"\{-?[0-9]+\.\.-?[0-9]+\.\.-?[0-9]+\}", "4.0"),
    ("zero-padded brace ranges", r"\{0[0-9]+\.\.[0-9]+\}", "4.0"),
]


def code_only(text: str) -> str:
    """The text with comment lines, trailing comments and base64 lines blanked."""
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#") or re.fullmatch(r"[A-Za-z0-9+/=]{40,}'?\)?.*", stripped):
            lines.append("")
            continue
        lines.append(re.sub(r"\s+#\s.*$", "", line))
    return "\n".join(lines)


def generated_bash() -> dict[str, str]:
    return {
        "bootstrapper": wrappers.render_bootstrapper("bash", "https://api.example.com", MASTER_TOKEN, "0" * 64),
        "payload": wrappers.render_payload(wrappers.default_wrapper("bash"), "bash", b"echo hi\n" * 100),
    }


@pytest.mark.parametrize(("what", "pattern", "version"), BASH4_CONSTRUCTS)
def test_the_scan_finds_each_construct_it_looks_for(what: str, pattern: str, version: str) -> None:
    # Given one sample line per construct / When scanned / Then the pattern matches it
    samples = {
        "associative arrays": "declare -A map",
        "case-changing expansions": "x=${name,,}; y=${name^^}",
        "mapfile / readarray": "mapfile -t lines <file",
        "coproc": "coproc worker { cat; }",
        "|& pipes": "make |& tee log",
        "&>> appends": "cmd &>> log",
        "case fall-through ;& and ;;&": "a) echo a ;;&",
        "globstar / lastpipe / other 4.x shopts": "shopt -s lastpipe",
        "automatic file descriptors {fd}>": "exec {fd}>file",
        "declare -g": "declare -g x=1",
        "printf %(...)T": "printf '%(%F)T' -1",
        "negative array subscripts": "echo ${arr[-1]}",
        "namerefs": "local -n ref=$1",
        "wait -n": "wait -n",
        "transformations ${x@Q}": "echo ${x@Q}",
        "local - (option scoping)": "    local -",
        "EPOCHSECONDS / EPOCHREALTIME / SRANDOM / BASHPID": "echo $EPOCHSECONDS",
        "read -i": "read -e -i default x",
        "brace ranges with a step": "echo {1..10..2}",
        "zero-padded brace ranges": "echo {01..10}",
    }
    assert re.search(pattern, samples[what], re.M), (what, version)


@pytest.mark.parametrize("name", ["bootstrapper", "payload"])
def test_generated_bash_uses_nothing_newer_than_bash_3_2(name: str) -> None:
    # Given a generated bash text, comments and base64 blanked
    code = code_only(generated_bash()[name])
    # When it is scanned for every bash-4 construct
    found = [
        (what, version, m.group(0))
        for what, pattern, version in BASH4_CONSTRUCTS
        for m in re.finditer(pattern, code, re.M)
    ]
    # Then none is there
    assert found == []


def test_the_scan_sees_code_not_comments() -> None:
    # Given a construct in a comment and the same in code / Then only the code counts
    assert code_only("# declare -A x\necho ok  # mapfile here") == "\necho ok"
    assert "mapfile" in code_only("mapfile -t x <f")
