"""The agent handlers import only the agent path: no admin rule, no admin table's model.

Their cold start is budgeted against a floor (ARCHITECTURE.md section 10), and every
module imported is paid for by every machine's first request. Each agent handler is
imported alone in a fresh interpreter (nothing imported before it), from this
checkout's layer and lambdas folders, and what it loaded is checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import edgex
import manifest
from edgex import resources
from edgex.store import tables
from manifest import ROUTES, Route

AGENT_ROUTES = [r for r in ROUTES if r.is_agent]
# Admin rules and the store modules only they use: an agent handler that loads one pays
# for the admin tables' models and everything else they import.
ADMIN_MODULES = frozenset(
    {
        "edgex.deployments",
        "edgex.scripts",
        "edgex.platform_settings",
        "edgex.audit",
        "edgex.identity",
        "edgex.store.admin_tables",
        "edgex.store.scripts",
        "edgex.store.config",
        "edgex.store.audit",
        "edgex.store.cursors",  # paging: only admin lists page
    }
)

_CHILD = """
import json, sys
sys.path[:0] = {paths!r}
import importlib
importlib.import_module("handlers." + {handler!r})
from pynamodb.models import Model
found, pending = set(), [Model]
while pending:
    pending.extend(sub for sub in pending.pop().__subclasses__() if sub not in found and not found.add(sub))
print(json.dumps({{"modules": sorted(sys.modules), "models": sorted(m.__name__ for m in found)}}))
"""


def _imported_by(handler: str) -> dict[str, list[str]]:
    paths = [str(Path(edgex.__file__).parent.parent), str(Path(manifest.__file__).parent)]
    done = subprocess.run(
        [sys.executable, "-I", "-c", _CHILD.format(paths=paths, handler=handler)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def _admin_only_tables() -> set[str]:
    used_by_agents = {name for route in AGENT_ROUTES for name in route.tables}
    return set(resources.TABLES) - used_by_agents


def test_the_admin_only_tables_are_the_ones_declared_apart() -> None:
    # Given the tables no agent route declares in the manifest
    # Then they are exactly the tables whose models edgex.store.tables leaves out
    assert _admin_only_tables() == set(tables.ADMIN_TABLES)
    assert not set(tables.TABLE_MODELS) & set(tables.ADMIN_TABLES)


@pytest.mark.parametrize("route", AGENT_ROUTES, ids=lambda r: r.handler)
def test_an_agent_handler_loads_no_admin_module_and_no_admin_table_model(route: Route) -> None:
    # Given the models of every table no agent route may touch
    admin_models = {model.__name__ for name in _admin_only_tables() for model in tables.models(name)}
    assert admin_models, "no admin-only table: this test would check nothing"
    # When the agent handler is imported alone in a fresh interpreter
    loaded = _imported_by(route.handler)
    # Then it loaded the agent path (its own table models among them)...
    assert f"handlers.{route.handler}" in loaded["modules"]
    assert {model.__name__ for name in route.tables for model in tables.models(name)} <= set(loaded["models"])
    # ...and no admin module, and no model of an admin-only table, wherever declared
    assert sorted(ADMIN_MODULES & set(loaded["modules"])) == []
    assert sorted(admin_models & set(loaded["models"])) == []
