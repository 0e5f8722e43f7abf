"""The local Edgex server: ``python -m local.server`` (``make dev``).

A real threaded HTTP server (werkzeug) on 127.0.0.1:8787 that turns each request
into an API Gateway HTTP API payload-2.0 event and calls the very handler the
manifest names, as Lambda would. AWS is moto, in this process; admin identity is a
moto Cognito pool whose tokens the handlers verify against its JWKS, like any OIDC
issuer's. Nothing is bypassed. State is saved to ``.local-state/`` and restored.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import mimetypes
import os
import re
import signal
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from edgex import resources
from local import identity as local_identity
from local import moto_atomic, state
from manifest import ROUTES, Route

ROOT = Path(__file__).resolve().parent.parent

REGION = "eu-central-1"
GATEWAY_BODY_MAX = 10 * 1024 * 1024  # API Gateway HTTP API payload limit
DASHBOARD_DIR = ROOT / "dashboard_static" / "dist"
SAVE_EVERY = 1.0
# The lost sweep (edgex.sweep): every 5 minutes in AWS (an EventBridge rule), here every
# EDGEX_SWEEP_SECONDS (default 60; tests make it short).
SWEEP_ENV = "EDGEX_SWEEP_SECONDS"


def _route_pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


MATCHERS: list[tuple[Route, re.Pattern[str]]] = [(r, _route_pattern(r.path)) for r in ROUTES]


def physical_table(name: str) -> str:
    return f"edgex-local-{name}"


def configure_environment(public_url: str) -> None:
    """What CDK gives a deployed function, for every table at once."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = REGION
    for name in resources.TABLES:
        os.environ[resources.table_env(name)] = physical_table(name)
    for name in resources.BUCKETS:
        os.environ[resources.bucket_env(name)] = f"edgex-local-{name}"
    os.environ[resources.ENV_PUBLIC_URL] = public_url
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "edgex")


def create_resources() -> None:
    """Tables from the pynamodb models (keys, indexes), TTL on logs, a versioned bucket."""
    import boto3

    from edgex.store import tables

    tables.create_all()
    s3 = boto3.client("s3")
    bucket = os.environ[resources.bucket_env("scripts")]
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    output = os.environ[resources.bucket_env("output")]
    s3.create_bucket(Bucket=output, CreateBucketConfiguration={"LocationConstraint": REGION})


def to_event(request: Request, route: Route, params: dict[str, str], body: bytes) -> dict[str, Any]:
    """An API Gateway HTTP API payload-2.0 event, as the gateway would build it."""
    headers: dict[str, str] = {}
    for key, value in request.headers.items():
        name = key.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    query = {k: ",".join(request.args.getlist(k)) for k in request.args}
    return {
        "version": "2.0",
        "routeKey": f"{route.method} {route.path}",
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "queryStringParameters": query or None,
        "pathParameters": params or None,
        "requestContext": {
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": f"{route.method} {route.path}",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


def _json_error(status: int, code: str, message: str) -> Response:
    from http_api.responses import SECURITY_HEADERS

    return Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status=status,
        content_type="application/json",
        headers=SECURITY_HEADERS,
    )


@dataclass
class LocalPlatform:
    public_url: str
    state_file: Path
    identity: local_identity.LocalIdentity
    lock: state.SharedExclusiveLock
    dirty: bool = False
    idp_app: Any = None

    def dashboard_config(self) -> dict[str, Any]:
        base = f"{self.public_url}/local-idp"
        return {
            "apiBase": "",
            "region": REGION,
            "local": True,
            "oidc": {
                "authorizeUrl": f"{base}/oauth2/authorize",
                "tokenUrl": f"{base}/oauth2/token",
                "logoutUrl": f"{base}/logout",
                "clientId": self.identity.client_id,
                "scopes": "openid email profile",
                "redirectUri": f"{self.public_url}/dashboard/",
            },
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/v1/"):
            return self.api(request)
        if path == "/local-idp/.well-known/jwks.json":
            return Response(json.dumps(local_identity.jwks()), content_type="application/json")
        if path.startswith("/local-idp/"):
            return self.idp(request)
        if path == "/dashboard/config.json":
            return Response(
                json.dumps(self.dashboard_config()),
                content_type="application/json",
                headers={"Cache-Control": "no-store"},
            )
        if path == "/dashboard":
            return Response(status=308, headers={"Location": "/dashboard/"})  # relative asset paths need the slash
        if path.startswith("/dashboard/"):
            return self.static(path)
        if path == "/":
            return Response(status=302, headers={"Location": "/dashboard/"})
        return _json_error(404, "ROUTE_NOT_FOUND", "No such route")

    def idp(self, request: Request) -> Response:
        """The local OIDC issuer's pages; one app for the server's life (it holds the codes)."""
        if self.idp_app is None:
            from local import idp

            self.idp_app = idp.make_idp_app(self.identity, self.public_url)
        return Response.from_app(self.idp_app, request.environ)

    def static(self, path: str) -> Response:
        from http_api.responses import SECURITY_HEADERS

        rel = path.removeprefix("/dashboard/") or "index.html"
        target = (DASHBOARD_DIR / rel).resolve()
        if not target.is_relative_to(DASHBOARD_DIR.resolve()) or not target.is_file():
            if rel.startswith("assets/"):  # a missing asset is a 404, not the app shell
                return _json_error(404, "NOT_FOUND", "No such file")
            target = DASHBOARD_DIR / "index.html"  # SPA routes
            if not target.is_file():
                return _json_error(404, "DASHBOARD_NOT_BUILT", "Run make dev (it builds dashboard_static)")
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        headers = {k: v for k, v in SECURITY_HEADERS.items() if k not in ("Content-Security-Policy", "Cache-Control")}
        headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        # esbuild names assets by content hash: they never change under the same name.
        headers["Cache-Control"] = "public, max-age=31536000, immutable" if rel.startswith("assets/") else "no-cache"
        return Response(target.read_bytes(), content_type=ctype, headers=headers)

    def api(self, request: Request) -> Response:
        for route, pattern in MATCHERS:
            found = pattern.match(request.path)
            if found and route.method == request.method:
                break
        else:
            return _json_error(404, "ROUTE_NOT_FOUND", "No such route")
        length = request.content_length or 0
        if length > GATEWAY_BODY_MAX:
            return _json_error(413, "PAYLOAD_TOO_LARGE", "Request body too large")
        body = request.get_data(cache=False)
        if len(body) > GATEWAY_BODY_MAX:
            return _json_error(413, "PAYLOAD_TOO_LARGE", "Request body too large")
        event = to_event(request, route, found.groupdict(), body)
        context = SimpleNamespace(
            function_name=route.handler,
            aws_request_id=event["requestContext"]["requestId"],
            memory_limit_in_mb=256,
            invoked_function_arn=f"local:{route.handler}",
        )
        self.lock.acquire_shared()
        try:
            module = importlib.import_module(f"handlers.{route.handler}")
            result = module.handler(event, context)
        except Exception:  # what Lambda answers when a function crashes outside its own handling
            traceback.print_exc()
            return _json_error(500, "INTERNAL_ERROR", "Internal error")
        finally:
            self.lock.release_shared()
        if request.method != "GET":
            self.dirty = True
        body_out = result.get("body") or ""
        data = base64.b64decode(body_out) if result.get("isBase64Encoded") else body_out.encode()
        return Response(data, status=result["statusCode"], headers=result.get("headers") or {})

    def save_loop(self, stop: threading.Event) -> None:
        while not stop.wait(SAVE_EVERY):
            self.save_if_dirty()

    def sweep_loop(self, stop: threading.Event) -> None:
        """The scheduled lost sweep, on a timer, under the same lock as the handlers."""
        from jobs import sweep_lost

        every = float(os.environ.get(SWEEP_ENV) or 60)
        while not stop.wait(every):
            self.lock.acquire_shared()
            try:
                if sweep_lost.handler({}, None)["lost"]:
                    self.dirty = True
            except Exception:  # a failed sweep is retried on the next tick, like a scheduled run
                traceback.print_exc()
            finally:
                self.lock.release_shared()

    def save_if_dirty(self) -> None:
        if not self.dirty:
            return
        self.lock.acquire_exclusive()
        try:
            self.dirty = False
            state.save(self.state_file)
        finally:
            self.lock.release_exclusive()


def start(host: str, port: int, state_dir: Path, public_url: str | None) -> tuple[Any, LocalPlatform]:
    from moto import mock_aws

    server = make_server(host, port, app=None, threaded=True)  # type: ignore[arg-type]
    url = public_url or f"http://{host}:{server.server_port}"
    configure_environment(url)
    moto_atomic.install()
    mock_aws().start()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "moto.pickle"
    if not state.load(state_file):
        create_resources()
    ident = local_identity.ensure(REGION, state_dir)
    os.environ[resources.ENV_OIDC_ISSUER] = ident.issuer
    os.environ[resources.ENV_OIDC_AUDIENCE] = ident.client_id
    os.environ[resources.ENV_OIDC_JWKS_URL] = f"http://{host}:{server.server_port}/local-idp/.well-known/jwks.json"
    platform = LocalPlatform(url, state_file, ident, state.SharedExclusiveLock(), dirty=True)
    platform.save_if_dirty()
    server.app = platform
    return server, platform


def banner(platform: LocalPlatform) -> str:
    url = platform.public_url
    users = "\n".join(f"    {u:<9} password {p}" for u, p in platform.identity.users.items())
    return f"""
Edgex local platform: {url}   (for a trusted machine: see docs/SECURITY.md)
  Dashboard:  {url}/dashboard/   (sign in as one of the local users, with its password)
{users}
  (passwords and the token signing key of this installation: {platform.state_file.parent})
  Admin token for curl (real RS256 JWT from the local issuer):
    TOKEN=$(.venv/bin/python -m local.token admin --url {url} --state-dir {platform.state_file.parent})
    curl -H "Authorization: Bearer $TOKEN" {url}/v1/admin/me
  Try the one-liner: create a script and a deployment in the dashboard (or the API),
    then paste the bash one-liner it shows into a shell on this machine.
  State: {platform.state_file} (survives restarts; delete it to start over)
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local-state")
    parser.add_argument("--public-url", default=None, help="base URL printed in one-liners")
    args = parser.parse_args(argv)
    server, platform = start(args.host, args.port, args.state_dir, args.public_url)
    stop = threading.Event()
    saver = threading.Thread(target=platform.save_loop, args=(stop,), daemon=True)
    saver.start()
    threading.Thread(target=platform.sweep_loop, args=(stop,), daemon=True).start()

    def shutdown(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(banner(platform), flush=True)
    print(f"READY {platform.public_url}", flush=True)
    try:
        server.serve_forever()
    finally:
        stop.set()
        platform.save_if_dirty()


if __name__ == "__main__":
    main()
