"""The exceptions the generated validators raise: fastjsonschema's own classes, with
the same attributes, so validating needs none of the library at run time."""

from __future__ import annotations

import re
from typing import Any

_SPLIT = r"[\.\[\]]+"  # compiled on first use (re's cache): only a refusal needs it


class JsonSchemaValueException(ValueError):
    """``message`` says what is wrong; ``path`` is where (``["data", "entries", "0"]``)."""

    def __init__(
        self, message: str, value: Any = None, name: str | None = None, definition: Any = None, rule: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.definition = definition
        self.rule = rule

    @property
    def path(self) -> list[str]:
        return [item for item in re.split(_SPLIT, self.name or "") if item != ""]

    @property
    def rule_definition(self) -> Any:
        """What the broken rule asks (``42`` for a maximum of 42)."""
        if not self.rule or not self.definition:
            return None
        return self.definition.get(self.rule)


class JsonSchemaValuesException(ValueError):
    """Raised only when fast_fail is off, which the generator never sets."""

    def __init__(self, errors: list[JsonSchemaValueException]) -> None:
        self.message = "; ".join(error.message for error in errors)
        super().__init__(self.message)
        self.errors = errors
