"""The compiled validators are exactly what the schemas compile to today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edgex import schemas, validators
from edgex.errors import ValidationFailed

GENERATED = Path(schemas.__file__).resolve().parent / "validators"


def test_generated_validators_match_the_schemas() -> None:
    # Given what the request schemas compile to now
    expected = schemas.generated_validators()
    # Then the committed modules are exactly that, one per schema and no stale one
    present = {p.name for p in GENERATED.glob("*_request.py")}
    assert present == set(expected), "run `python -m edgex.schemas` and commit the result"
    for name, source in expected.items():
        assert (GENERATED / name).read_text(encoding="utf-8") == source, f"{name} is stale: python -m edgex.schemas"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hostname": "h"}, "machine_id"),
        ({"hostname": "h\u202e", "machine_id": "m"}, "hostname"),
        ({"hostname": "h", "machine_id": "m" * 301}, "machine_id"),
    ],
)
def test_a_refusal_names_the_field_and_the_rule(body: dict[str, str], field: str | None) -> None:
    # When an enrollment body breaks its schema
    with pytest.raises(ValidationFailed) as refused:
        validators.validate("EnrollRequest", body)
    # Then the error names the field (when there is one) and says the rule
    assert refused.value.field == field
    assert refused.value.message and "data" not in refused.value.message.split()[0]


def test_a_valid_body_passes_unchanged() -> None:
    body = {"hostname": "web-01", "machine_id": "abc"}
    assert validators.validate("EnrollRequest", body) == body


def test_a_valid_body_loads_no_schema() -> None:
    # Given a fresh interpreter with only the validators imported
    code = (
        f"import sys; sys.path.insert(0, {str(GENERATED.parent.parent)!r}); from edgex import validators; "
        "validators.validate('FeedbackRequest', {'status': 'info', 'message': 'hi'}); "
        "print('edgex.schemas' in sys.modules)"
    )
    # When it validates a valid agent body
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=False)
    # Then edgex.schemas (every schema, built at its import) was never loaded
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
