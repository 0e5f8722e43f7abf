"""The words declared once in edgex.vocabulary reach every place that needs them."""

from __future__ import annotations

import json

from edgex import vocabulary
from infra.build_assets import DASHBOARD_VOCABULARY
from manifest import ROUTES


def test_the_dashboards_copy_is_what_the_vocabulary_generates() -> None:
    # Given the dashboard's generated copy (committed so that `npm run build` alone works)
    # Then it is exactly what the vocabulary generates today
    assert DASHBOARD_VOCABULARY.read_text(encoding="utf-8") == vocabulary.as_json() + "\n", (
        "run `python -m infra.build_assets --dashboard` (or write edgex.vocabulary.as_json()) and commit"
    )
    assert json.loads(DASHBOARD_VOCABULARY.read_text(encoding="utf-8"))["roles"] == list(vocabulary.ROLE_ORDER)


def test_every_admin_route_names_a_declared_role() -> None:
    assert {r.role for r in ROUTES if r.role is not None} <= set(vocabulary.Role)
