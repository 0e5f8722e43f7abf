"""Shared helpers of the adversarial suite.

Two ways to run the platform here, both the real code path:

* ``stack``: the very ``LocalPlatform`` of ``local/server.py`` on a real werkzeug
  server in a thread of *this* process, with moto in this process too. Requests go
  over real HTTP (JWTs from the real local issuer), and the test can scan every
  DynamoDB table and list every S3 object version directly: a complete snapshot,
  and a place to inject storage faults into botocore.
* ``start_server``: the real local server as a subprocess (as ``make dev`` runs it),
  optionally with a ``--public-url`` (the agent-resilience proxy) and with its whole
  stdout/stderr captured (the secrets-hygiene test).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from tests.conftest import ApiClient, LocalServer, start_local_server

# The audit table is left out of state snapshots on purpose: refused admin mutations by
# authenticated callers are recorded there by design (who tried what, and the error
# code), so a refused request *must* add an audit record while changing nothing else.
SNAPSHOT_EXCLUDED_TABLES = frozenset({"audit"})
STORAGE_SERVICES = frozenset({"dynamodb", "s3"})


# --- a small client, shared by the in-process stack and subprocess servers ---------------------------------


def raw_request(
    url: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"", timeout: float = 60
) -> tuple[int, dict[str, str], bytes]:
    """One request sent byte for byte (no URL normalisation, no header checks), for
    paths and headers that ``requests`` would refuse or rewrite."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        own_host = any(name.lower() == "host" for name in headers or {})  # one Host header, the caller's
        conn.putrequest(method, path, skip_host=own_host, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def error_code(status: int, headers: Any, body: bytes | str) -> str:
    """The ``error.code`` of an error response; fails the test unless it is the
    documented JSON error shape."""
    ctype = headers.get("content-type", "") if hasattr(headers, "get") else ""
    assert ctype.startswith("application/json"), (status, ctype, body[:200])
    data = json.loads(body)
    assert isinstance(data, dict) and set(data) == {"error"}, data
    assert {"code", "message"} <= set(data["error"]) <= {"code", "message", "field"}, data  # field: validation
    assert isinstance(data["error"]["code"], str) and data["error"]["code"], data
    return str(data["error"]["code"])


# --- the in-process stack ----------------------------------------------------------------------------------


@dataclass
class Stack(ApiClient):
    """The local platform served from this process; moto is reachable directly."""

    region: str = "eu-central-1"

    def boto(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region)

    def table_items(self, logical: str) -> list[dict[str, Any]]:
        """Every item of a table, in DynamoDB JSON, read from moto's backend in this
        process (a scan through the API costs more than the request under test)."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        from local.server import physical_table

        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][self.region].get_table(physical_table(logical))
        return [item.to_json()["Attributes"] for item in table.all_items()]

    def bucket_versions(self) -> list[tuple[str, str, bool, str, int]]:
        """(key, version id, is delete marker, ETag, size) of every object version. An S3
        version is immutable, so a new or removed version is the only way bytes change."""
        from edgex import config

        s3 = self.boto("s3")
        found: list[tuple[str, str, bool, str, int]] = []
        kwargs: dict[str, Any] = {"Bucket": config.bucket_name("scripts")}
        while True:
            page = s3.list_object_versions(**kwargs)
            for version in page.get("Versions", []):
                found.append((version["Key"], version["VersionId"], False, version["ETag"], version["Size"]))
            for marker in page.get("DeleteMarkers", []):
                found.append((marker["Key"], marker["VersionId"], True, "", 0))
            if not page.get("IsTruncated"):
                return sorted(found)
            kwargs["KeyMarker"], kwargs["VersionIdMarker"] = page["NextKeyMarker"], page["NextVersionIdMarker"]

    def snapshot(self) -> dict[str, Any]:
        """Every item of every table (but audit, see SNAPSHOT_EXCLUDED_TABLES) and every
        object version of the bucket, in a comparable form."""
        from edgex import resources

        tables = {
            name: sorted(json.dumps(item, sort_keys=True) for item in self.table_items(name))
            for name in resources.TABLES
            if name not in SNAPSHOT_EXCLUDED_TABLES
        }
        return {"tables": tables, "bucket": self.bucket_versions()}


def _reset_domain_caches() -> None:
    from edgex import config, identity
    from edgex.store import base

    base.reset()
    identity.reset_cache()
    config.oidc.cache_clear()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """The local platform (LocalPlatform, werkzeug, moto, local OIDC issuer) in this process."""
    from moto import mock_aws
    from werkzeug.serving import make_server

    from edgex import resources
    from local import identity as local_identity
    from local import moto_atomic, server, state

    saved_env = dict(os.environ)
    httpd = make_server("127.0.0.1", 0, app=None, threaded=True)  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{httpd.server_port}"
    server.configure_environment(url)
    moto_atomic.install()  # as local.server.start does
    moto = mock_aws()
    moto.start()
    _reset_domain_caches()
    server.create_resources()
    ident = local_identity.ensure(server.REGION)
    os.environ[resources.ENV_OIDC_ISSUER] = ident.issuer
    os.environ[resources.ENV_OIDC_AUDIENCE] = ident.client_id
    os.environ[resources.ENV_OIDC_JWKS_URL] = f"{url}/local-idp/.well-known/jwks.json"
    platform = server.LocalPlatform(url, Path(os.devnull), ident, state.SharedExclusiveLock())
    httpd.app = platform
    thread = threading.Thread(target=httpd.serve_forever, name="adversarial-stack", daemon=True)
    thread.start()
    try:
        yield Stack(url, region=server.REGION, passwords=dict(ident.users))
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        moto.stop()
        _reset_domain_caches()
        os.environ.clear()
        os.environ.update(saved_env)


# --- storage fault injection -------------------------------------------------------------------------------


@dataclass
class Fault:
    """An AWS error the way botocore raises it (after its own retries gave up)."""

    code: str
    status: int = 400
    cancellation: tuple[str, ...] = ()  # TransactionCanceledException reasons, "None" for untouched items

    def error(self, operation: str) -> Exception:
        from botocore.exceptions import ClientError, EndpointConnectionError

        if self.code == "EndpointConnectionError":  # no HTTP answer at all: botocore gave up connecting
            return EndpointConnectionError(endpoint_url="https://storage.invalid")
        response: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": "injected by the adversarial suite"},
            "ResponseMetadata": {"HTTPStatusCode": self.status, "HTTPHeaders": {}},
        }
        if self.cancellation:
            response["CancellationReasons"] = [{"Code": c} for c in self.cancellation]
        return ClientError(response, operation)


class StorageFaults:
    """Counts the DynamoDB and S3 calls of every thread of this process (the stack's
    request threads included) and raises ``fault`` at the chosen call numbers (1-based).
    A patch on ``BaseClient._make_api_call``: pynamodb and boto3 both go through it."""

    def __init__(self, fail_at: Callable[[int, str], Fault | None] | None = None) -> None:
        self.fail_at = fail_at or (lambda n, op: None)
        self.calls: list[str] = []
        self.injected: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()
        self._patch: Any = None

    def __enter__(self) -> StorageFaults:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        faults = self

        def patched(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name in STORAGE_SERVICES:
                with faults._lock:
                    faults.calls.append(operation_name)
                    number = len(faults.calls)
                fault = faults.fail_at(number, operation_name)
                if fault is not None:
                    with faults._lock:
                        faults.injected.append((number, operation_name, fault.code))
                    raise fault.error(operation_name)
            return original(client, operation_name, api_params)

        self._patch = mock.patch.object(BaseClient, "_make_api_call", patched)
        self._patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()


# --- subprocess servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(state_dir: Path, *, port: int = 0, public_url: str | None = None) -> LocalServer:
    """The real local server as a subprocess (see ``tests.conftest.start_local_server``)."""
    return start_local_server(state_dir, port=port, public_url=public_url)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def kill_server(server: LocalServer) -> None:
    """Stop a throw-away server at once: SIGKILL, no state saved (a clean stop pickles
    the whole moto state first, which takes seconds once a suite has stored a lot)."""
    server.process.kill()
    server.process.wait(timeout=20)
