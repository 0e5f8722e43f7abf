"""The one way rules are looked up, for both languages: a table from a key (a node
type, a command name) to the rule functions registered for it, in registration order,
then the rules registered for every key. Order matters: the first finding of a rule on
a line is the one kept, so a table runs its rules exactly as they were registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

A = TypeVar("A")  # the audit of one script (its source, facts and findings)
S = TypeVar("S")  # what a rule looks at: a parse-tree node, a command

RuleFn = Callable[[A, S], None]


class RuleTable(Generic[A, S]):
    def __init__(self) -> None:
        self._by_key: dict[str, list[RuleFn[A, S]]] = {}
        self._every: list[RuleFn[A, S]] = []

    def on(self, *keys: str) -> Callable[[RuleFn[A, S]], RuleFn[A, S]]:
        """Decorator: run the rule for subjects of these keys."""

        def register(rule: RuleFn[A, S]) -> RuleFn[A, S]:
            for key in keys:
                self._by_key.setdefault(key, []).append(rule)
            return rule

        return register

    def every(self, rule: RuleFn[A, S]) -> RuleFn[A, S]:
        """Decorator: run the rule for every subject, after the keyed rules."""
        self._every.append(rule)
        return rule

    def apply(self, audit: A, key: str, subject: S) -> None:
        for rule in self._by_key.get(key, ()):
            rule(audit, subject)
        for rule in self._every:
            rule(audit, subject)
