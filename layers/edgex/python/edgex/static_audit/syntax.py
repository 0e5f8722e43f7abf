"""The tree-sitter side of the rules: one parser per language, node walks, and the
first line the parser could not read. tree-sitter is imported on first parse only:
importing the audit stays cheap for routes that never audit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING

from edgex.vocabulary import ScriptType

if TYPE_CHECKING:
    from tree_sitter import Node, Parser


@cache
def parser(script_type: str) -> Parser:
    """One parser per language per process, built on first use (Lambda reuses it)."""
    from tree_sitter import Language, Parser

    if script_type == ScriptType.BASH:
        import tree_sitter_bash as grammar
    else:
        import tree_sitter_powershell as grammar  # type: ignore[no-redef]
    return Parser(Language(grammar.language()))


def walk(node: Node) -> Iterator[Node]:
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


def walk_all(node: Node) -> Iterator[Node]:
    """Every node, named or not (ERROR and missing nodes included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def line(node: Node) -> int:
    return node.start_point.row + 1


def first_error_line(root: Node) -> int | None:
    """Line of the first ERROR or missing node. Two gaps of the PowerShell grammar in
    valid code are ignored: ``-Profile Domain,Public`` and ``Select-Object A, B``."""
    for node in walk_all(root):
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
            return line(node)
    return None


def descendants(node: Node, types: Iterable[str]) -> Iterator[Node]:
    wanted = set(types)
    for child in walk(node):
        if child.type in wanted:
            yield child


def innermost(nodes: list[Node]) -> list[Node]:
    """Drop nodes that contain another node of the list (report the precise line).
    Nodes come in document (pre-order) order, so anything inside a node follows it
    directly: one pass suffices."""
    ordered = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
    return [n for i, n in enumerate(ordered) if i + 1 == len(ordered) or ordered[i + 1].start_byte >= n.end_byte]


def unquote(text: str) -> str:
    return text.replace('"', "").replace("'", "")
