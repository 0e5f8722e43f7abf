"""Secrets hygiene: a whole lifecycle with the local server's output captured, then a
search of it for anything that must never be logged.

The server's stdout and stderr carry every handler's powertools JSON lines, werkzeug's
request lines and any traceback. After a lifecycle that walks the happy path and the
error paths (real one-liner included), none of them may hold a master or agent token
(the ones handed to the test, and anything shaped like one: the one-liner's own token
never reaches the test), an admin JWT, the script's content (plain or base64, as it
travels in the payload) or a machine's log message.
"""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
import requests

from tests.adversarial.conftest import ApiClient, start_server
from tests.conftest import stop_local_server

pytestmark = pytest.mark.slow

TOKEN_SHAPES = {
    "master token": re.compile(r"exm_[0-9]+_[A-Za-z0-9_-]{43}"),
    "agent token": re.compile(r"exa_[0-9]+_[0-9a-f]{16}_[A-Za-z0-9_-]{43}"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
}


def base64_forms(text: str) -> list[str]:
    """Substrings the base64 of any text containing ``text`` must contain (one per
    alignment), trimmed of the edge characters that depend on the neighbours."""
    data = text.encode()
    forms = []
    for shift in range(3):
        encoded = base64.b64encode(b"\x00" * shift + data).decode()
        forms.append(encoded[4:-4])
    return forms


def test_no_secret_and_no_script_reaches_the_logs(tmp_path: Path) -> None:
    marker = f"SCRIPT-SECRET-{uuid.uuid4().hex}"
    message_marker = f"MACHINE-LOG-{uuid.uuid4().hex}"
    script_text = f"echo '{marker}'\n_orc_send info '{message_marker} from the script' work\n"
    server = start_server(tmp_path / "state")
    secrets: dict[str, str] = {}
    try:
        client = ApiClient(server.url, passwords={r: server.password(r) for r in ("admin", "operator", "viewer")})
        for role in ("admin", "operator", "viewer"):
            secrets[f"{role} JWT"] = client.token(role)
        # Given a script, an update of it and a deployment (master token shown once)
        script = client.create_script(script_text, name="hygiene")
        updated = client.admin("PUT", f"/v1/admin/scripts/{script['id']}", json={"content": script_text + "true\n"})
        assert updated.status_code == 200
        assert client.admin("GET", f"/v1/admin/scripts/{script['id']}/content").text == script_text + "true\n"
        dep = client.create_deployment(script["id"], machines=3)
        secrets["master token"] = dep["master_token"]
        # When a real machine runs the one-liner end to end
        run = server.run_one_liner(dep["one_liners"]["bash"], "hygiene-machine", "hygiene-host")
        assert run.returncode == 0, run.stderr
        assert marker in run.stdout
        # And another machine goes through every agent call by hand, errors included
        assert client.agent("GET", "/v1/agent/installer?type=ps1", dep["master_token"]).status_code == 200
        enrolled = client.enroll(dep["master_token"], "hand-machine", "hand-host")
        first_token = enrolled["agent_token"]
        second = client.enroll(dep["master_token"], "hand-machine", "hand-host")  # rotates the token
        secrets["agent token (rotated away)"], secrets["agent token"] = first_token, second["agent_token"]
        assert client.agent("GET", "/v1/agent/download", first_token).status_code == 401
        payload = client.agent("GET", "/v1/agent/download", second["agent_token"])
        assert payload.status_code == 200
        for body in (
            {"status": "info", "message": message_marker, "step": "hand"},
            {"status": "info", "message": message_marker + "x" * 5000},  # 400: too long
            {"status": "bogus", "message": f"{message_marker} {dep['master_token']}"},
        ):
            client.agent("POST", "/v1/agent/feedback", second["agent_token"], json=body)
        # ... with tokens where they do not belong, and mangled ones
        for token in (dep["master_token"] + "x", second["agent_token"][:-1], f"{second['agent_token']} trailing"):
            client.agent("GET", "/v1/agent/download", token)
            client.agent("POST", "/v1/agent/enroll", token, json={"hostname": "x", "machine_id": "y"})
        requests.post(
            f"{server.url}/v1/agent/enroll",
            data=f'{{"hostname": "{dep["master_token"]}"',
            headers={"Authorization": f"Bearer {dep['master_token']}", "Content-Type": "application/json"},
            timeout=30,
        )
        client.admin(
            "POST",
            "/v1/admin/ai/process",
            role="operator",
            json={"mode": "explain", "type": "bash", "prompt": marker, "code": script_text},
        )
        # And the admin side finishes the lifecycle
        target_id = enrolled["target_id"]
        assert client.admin("GET", f"/v1/admin/deployments/{dep['id']}/logs").status_code == 200
        assert client.admin("PUT", f"/v1/admin/deployments/{dep['id']}/targets/{target_id}/cancel").status_code == 200
        assert client.admin("PUT", f"/v1/admin/deployments/{dep['id']}/cancel").status_code == 200
        assert client.admin("DELETE", f"/v1/admin/deployments/{dep['id']}").status_code == 200
    finally:
        stop_local_server(server)  # a clean stop: every line is flushed
    logs = server.log_text()
    # Then the logs are real (the lifecycle is in them) ...
    assert logs.count('"message":"request"') >= 20, logs[-2000:]
    assert '"route":"agent_download"' in logs and '"route":"agent_feedback"' in logs
    # ... and hold no secret the test knows ...
    for name, secret in secrets.items():
        assert secret not in logs, f"{name} found in the server's logs"
        secret_part = secret.rsplit(".", 1)[-1] if name.endswith("JWT") else secret[-43:]  # signature / 256 bits
        assert secret_part not in logs, f"the secret part of the {name} is in the server's logs"
    # ... nothing shaped like a token or a JWT (the one-liner's agent token included) ...
    for name, shape in TOKEN_SHAPES.items():
        found = shape.search(logs)
        assert found is None, f"a {name} is in the server's logs: {found.group(0)[:16]}..."
    # ... and neither the script (plain or as the payload's base64) nor a machine's messages
    assert marker not in logs
    for form in base64_forms(marker):
        assert form not in logs, "the script's base64 is in the server's logs"
    assert message_marker not in logs
