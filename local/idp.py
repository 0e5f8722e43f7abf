"""The local OIDC issuer's browser side: authorization code + PKCE (S256) for the dashboard.

``make_idp_app(identity, public_url)`` is a WSGI app for every path under ``/local-idp/``:

- ``GET  /local-idp/oauth2/authorize``  validates the request and shows the sign-in page: the
  password, then one button per local user (admin / operator / viewer), no script, no inline style;
- ``POST /local-idp/oauth2/authorize``  checks the user's password, issues a one-time code bound to
  the PKCE challenge and the redirect URI, and redirects to ``redirect_uri?code=&state=`` (OAuth
  parameters come from the query string or the form; ``username`` and ``password`` from the form,
  as ``local.token`` sends them);
- ``POST /local-idp/oauth2/token``      exchanges the code (single use, 5 minutes) after checking the
  verifier, client and redirect URI, and answers the tokens;
- ``GET  /local-idp/logout``            redirects to ``logout_uri`` when it is the dashboard's address.

It behaves like a real issuer where that matters for a local admin token: the password is asked
for (the ones the server prints at start); every request must name the configured server in its
``Host`` header (a DNS-rebinding page at another name that resolves to 127.0.0.1 gets nothing);
codes and sign-out go only to the configured dashboard URL, compared exactly (never to an origin
derived from the request). The tokens are the ones moto Cognito issues for the user
(``identity.token_for``), signed with this installation's key: this module never mints a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

CODE_TTL_SECONDS = 300
DEFAULT_EXPIRES_IN = 3600
VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
PREFIX = "/local-idp"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

STYLESHEET = """
:root { color-scheme: dark; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; font-family: system-ui, sans-serif;
  background: radial-gradient(900px 600px at 10% -10%, rgba(99,102,241,.25), transparent 60%), #070a14; color: #e6e9f2; }
main { width: min(420px, 92vw); padding: 28px; border-radius: 14px; background: rgba(255,255,255,.05);
  border: 1px solid rgba(255,255,255,.1); backdrop-filter: blur(16px); }
h1 { font-size: 1.3rem; margin: 0 0 6px; }
p { color: #9aa3b8; margin: 0 0 18px; }
.users { display: flex; flex-direction: column; gap: 10px; }
label { display: flex; flex-direction: column; gap: 6px; color: #9aa3b8; }
input { font: inherit; padding: 10px 12px; border-radius: 9px; border: 1px solid rgba(255,255,255,.2);
  background: rgba(0,0,0,.3); color: #e6e9f2; }
button { font: inherit; font-weight: 600; padding: 11px 14px; border-radius: 9px; cursor: pointer; color: #fff;
  border: 1px solid rgba(129,140,248,.6); background: linear-gradient(135deg, #6366f1, #0891b2); text-align: left; }
button small { display: block; font-weight: 400; opacity: .8; }
button:focus-visible { outline: 2px solid #fbbf24; outline-offset: 2px; }
.error { color: #fecaca; background: rgba(248,113,113,.15); border: 1px solid rgba(248,113,113,.45);
  padding: 10px 12px; border-radius: 9px; }
"""

FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path d="M32 4 56 18v28L32 60 8 46V18z" '
    'fill="#0b1020" stroke="#818cf8" stroke-width="5"/></svg>'
)

ROLE_NOTES = {
    "admin": "everything, including settings, wrappers and the audit trail",
    "operator": "scripts, deployments and the AI assistant",
    "viewer": "read only",
}


class Identity(Protocol):
    client_id: str
    users: dict[str, str]

    def token_for(self, username: str) -> str: ...


@dataclass
class _Grant:
    username: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires_at: float


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode("ascii").rstrip("=")


def _jwt_lifetime(token: str) -> int:
    """Seconds until the token's exp claim (read, not verified: the API verifies it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return max(0, int(claims["exp"]) - int(time.time()))
    except (IndexError, KeyError, TypeError, ValueError):
        return DEFAULT_EXPIRES_IN


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class LocalIdp:
    """The WSGI app. One instance per (identity, public URL) keeps the issued codes."""

    def __init__(self, identity: Identity, public_url: str, clock: Callable[[], float] = time.time) -> None:
        self.identity = identity
        self.public_url = public_url.rstrip("/")
        self.dashboard_url = f"{self.public_url}/dashboard/"  # the one redirect and sign-out target
        self.host = urlsplit(self.public_url).netloc.lower()
        self.clock = clock
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    # --- WSGI ---
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        method = request.method
        if request.host.lower() != self.host:
            return self._page(
                "Wrong address", "This sign-in page answers only at the server's own address.", status=421
            )
        if path == f"{PREFIX}/oauth2/authorize" and method == "GET":
            return self.authorize_page(request)
        if path == f"{PREFIX}/oauth2/authorize" and method == "POST":
            return self.authorize_submit(request)
        if path == f"{PREFIX}/oauth2/token" and method == "POST":
            return self.token(request)
        if path == f"{PREFIX}/logout" and method == "GET":
            return self.logout(request)
        if path == f"{PREFIX}/static/idp.css" and method == "GET":
            return Response(STYLESHEET, content_type="text/css; charset=utf-8", headers=SECURITY_HEADERS)
        if path == f"{PREFIX}/static/favicon.svg" and method == "GET":
            return Response(FAVICON, content_type="image/svg+xml", headers=SECURITY_HEADERS)
        if path.startswith(PREFIX) and method not in ("GET", "POST"):
            return self._page("Method not allowed", "This endpoint does not accept that method.", status=405)
        return self._page("Not found", "There is no such page on the local identity provider.", status=404)

    # --- helpers ---
    def _check_client_and_redirect(self, request: Request, params: dict[str, str]) -> str:
        """Returns the redirect URI when client and redirect are acceptable; raises otherwise.
        These errors are shown on a page, never redirected (the redirect itself is in doubt)."""
        if not hmac.compare_digest(params.get("client_id", ""), self.identity.client_id):
            raise OAuthError("invalid_client", "Unknown client_id.")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri != self.dashboard_url:
            raise OAuthError("invalid_request", "redirect_uri must be this server's dashboard address.")
        return redirect_uri

    @staticmethod
    def _pkce_params(params: dict[str, str]) -> str:
        if params.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
        if params.get("code_challenge_method") != "S256":
            raise OAuthError("invalid_request", "PKCE with code_challenge_method=S256 is required.")
        challenge = params.get("code_challenge", "")
        if not CHALLENGE_RE.match(challenge):
            raise OAuthError("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters).")
        return challenge

    def _page(self, title: str, message: str, body: str = "", status: int = 200) -> Response:
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Edgex local sign-in</title>
<link rel="stylesheet" href="{PREFIX}/static/idp.css">
<link rel="icon" href="{PREFIX}/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p{' class="error" role="alert"' if status >= 400 else ""}>{html.escape(message)}</p>
{body}
</main>
</body>
</html>
"""
        return Response(page, status=status, content_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    def _error_redirect(self, redirect_uri: str, state: str, err: OAuthError) -> Response:
        params = {"error": err.error, "error_description": err.description}
        if state:
            params["state"] = state
        return Response(status=302, headers={**SECURITY_HEADERS, "Location": _with_query(redirect_uri, params)})

    # --- endpoints ---
    def authorize_page(self, request: Request) -> Response:
        params = {k: request.args.get(k, "") for k in request.args}
        try:
            redirect_uri = self._check_client_and_redirect(request, params)
        except OAuthError as err:
            return self._page("Sign-in request refused", err.description, status=400)
        try:
            self._pkce_params(params)
        except OAuthError as err:
            return self._error_redirect(redirect_uri, params.get("state", ""), err)
        action = f"{PREFIX}/oauth2/authorize?{urlencode(params)}"
        buttons = "\n".join(
            f'<button type="submit" name="username" value="{html.escape(user)}">{html.escape(user)}'
            f"<small>{html.escape(ROLE_NOTES.get(user, ''))}</small></button>"
            for user in self.identity.users
        )
        field_html = (
            '<label>Password <input type="password" name="password" autocomplete="current-password" required></label>'
        )
        body = f'<form method="post" action="{html.escape(action)}" class="users">\n{field_html}\n{buttons}\n</form>'
        return self._page(
            "Edgex local sign-in",
            "Enter the user's password (the server prints them at start), then pick the user.",
            body,
        )

    def authorize_submit(self, request: Request) -> Response:
        params = {k: request.args.get(k, "") for k in request.args}
        for key in ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"):
            if key in request.form and key not in params:
                params[key] = request.form.get(key, "")
        try:
            redirect_uri = self._check_client_and_redirect(request, params)
        except OAuthError as err:
            return self._page("Sign-in request refused", err.description, status=400)
        state = params.get("state", "")
        try:
            challenge = self._pkce_params(params)
        except OAuthError as err:
            return self._error_redirect(redirect_uri, state, err)
        username = request.form.get("username", "")
        if username not in self.identity.users:
            return self._page("Unknown user", "Pick one of the local users.", status=400)
        if not hmac.compare_digest(request.form.get("password", "").encode(), self.identity.users[username].encode()):
            return self._page("Sign-in refused", "Wrong password for this user.", status=401)
        code = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._grants = {k: g for k, g in self._grants.items() if g.expires_at > now}
            self._grants[code] = _Grant(
                username, self.identity.client_id, redirect_uri, challenge, now + CODE_TTL_SECONDS
            )
        target = {"code": code}
        if state:
            target["state"] = state
        return Response(status=302, headers={**SECURITY_HEADERS, "Location": _with_query(redirect_uri, target)})

    def token(self, request: Request) -> Response:
        try:
            return self._json(self._exchange(request))
        except OAuthError as err:
            return self._json({"error": err.error, "error_description": err.description}, status=err.status)

    def _exchange(self, request: Request) -> dict[str, Any]:
        form = request.form
        if form.get("grant_type") != "authorization_code":
            raise OAuthError("unsupported_grant_type", "Only grant_type=authorization_code is supported.")
        code = form.get("code", "")
        with self._lock:
            grant = self._grants.pop(code, None)  # single use, whatever happens next
        if grant is None or grant.expires_at <= self.clock():
            raise OAuthError("invalid_grant", "The code is unknown, used or expired.")
        if not hmac.compare_digest(form.get("client_id", ""), grant.client_id):
            raise OAuthError("invalid_client", "client_id does not match the code.", status=401)
        if form.get("redirect_uri", "") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
        verifier = form.get("code_verifier", "")
        if not VERIFIER_RE.match(verifier):
            raise OAuthError("invalid_request", "code_verifier must be 43-128 unreserved characters.")
        if not hmac.compare_digest(_s256(verifier), grant.challenge):
            raise OAuthError("invalid_grant", "PKCE verification failed.")
        access = self.identity.token_for(grant.username)
        id_token_for = getattr(self.identity, "id_token_for", None)
        id_token = id_token_for(grant.username) if callable(id_token_for) else access
        return {
            "access_token": access,
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": _jwt_lifetime(access),
        }

    @staticmethod
    def _json(data: dict[str, Any], status: int = 200) -> Response:
        return Response(
            json.dumps(data),
            status=status,
            content_type="application/json",
            headers={**SECURITY_HEADERS, "Pragma": "no-cache"},
        )

    def logout(self, request: Request) -> Response:
        client_id = request.args.get("client_id", "")
        logout_uri = request.args.get("logout_uri", "")
        if client_id and not hmac.compare_digest(client_id, self.identity.client_id):
            return self._page("Sign-out refused", "Unknown client_id.", status=400)
        if not logout_uri:
            return self._page("Signed out", "You are signed out of the local identity provider.")
        if logout_uri != self.dashboard_url:
            return self._page("Sign-out refused", "logout_uri must be this server's dashboard address.", status=400)
        return Response(status=302, headers={**SECURITY_HEADERS, "Location": logout_uri})


_APPS: dict[tuple[str, str, str], LocalIdp] = {}
_APPS_LOCK = threading.Lock()


def make_idp_app(identity: Identity, public_url: str) -> LocalIdp:
    """The idp app for this identity and URL; the same instance (and its codes) on every call."""
    key = (getattr(identity, "pool_id", ""), identity.client_id, public_url.rstrip("/"))
    with _APPS_LOCK:
        app = _APPS.get(key)
        if app is None or app.identity != identity:
            app = _APPS[key] = LocalIdp(identity, public_url)
        return app
