"""A request that succeeds, for every manifest route: shared by the tests that walk
the whole manifest (access control over HTTP, table isolation in-process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from manifest import Route


@dataclass(frozen=True)
class Ids:
    """Existing objects a route's path can name."""

    script_id: int  # pinned by deployment_id
    free_script_id: int  # pinned by nothing (deletable)
    deployment_id: int
    target_id: str


def example(route: Route, ids: Ids) -> tuple[str, dict[str, Any] | None]:
    """Path (with ids filled in) and JSON body for a successful call of ``route``."""
    from edgex.wrappers import default_wrapper

    script_id = ids.free_script_id if route.handler == "scripts_delete" else ids.script_id
    path = (
        route.path.replace("{id}", str(ids.deployment_id if "/deployments/" in route.path else script_id))
        .replace("{tid}", ids.target_id)
        .replace("{version}", "1.0.0")
        .replace("{type}", "bash")
    )
    bodies: dict[str, dict[str, Any]] = {
        "agent_enroll": {"hostname": "example-host", "machine_id": "example-machine"},
        "agent_feedback": {
            "entries": [{"status": "info", "message": "example"}],
            "output": [{"stream": "stdout", "at": "2026-01-01T00:00:00Z", "text": "example output\n"}],
        },
        "scripts_create": {"name": "n", "type": "bash", "content": "echo created\n"},
        "scripts_update": {"content": "echo updated\n"},
        "deployments_create": {"script_id": ids.script_id, "name": "d", "expected_machines": 1},
        "settings_update": {"log_retention_days": 30},
        "wrapper_update": {"content": default_wrapper("bash")},
        "ai_process": {"mode": "explain", "type": "bash", "prompt": "what does this do?", "code": "ls"},
    }
    if route.handler == "agent_installer":
        path += "?type=bash"
    return path, bodies.get(route.handler)
