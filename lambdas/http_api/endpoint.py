"""The one wrapper every handler uses: bind tables, authenticate as the manifest
says, authorize (a refused admin request is audited with the actor of the verified
token), parse the route's parameters and validate its body (once, at the edge, from
the manifest), call the route function, map errors, audit admin mutations, log one
line carrying the actor.

A route function takes the request (typed ``params``, validated ``data``) and the
authenticated principal and returns a :class:`Reply`; it never validates input,
builds a response or catches a domain error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from edgex import log
from edgex.errors import EdgexError, Forbidden, Unauthenticated
from edgex.store import tables
from edgex.vocabulary import Role
from http_api import errors, params
from http_api.request import Request
from http_api.responses import bytes_response, json_response, negotiated, text_response
from manifest import BY_HANDLER, Auth, Route


class Reply(NamedTuple):
    body: Any
    status: int | None = None  # None: the route's ok_status
    audit_ids: Mapping[str, Any] = {}  # shared defaults: read-only
    headers: Mapping[str, str] = {}


RouteFn = Callable[[Request, Any], Reply]
LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def authenticate(route: Route, req: Request) -> Any:
    """The principal the route's auth kind asks for: a deployment (master token), an
    AgentSession (agent token), an Actor (admin JWT), or None."""
    if route.auth is Auth.NONE:
        return None
    token = req.bearer()
    if token is None:
        raise Unauthenticated()
    if route.auth is Auth.MASTER:
        from edgex import enrollment

        return enrollment.authenticate_master(token)
    if route.auth is Auth.AGENT:
        from edgex import agents

        return agents.authenticate(token, with_wrapper=route.reads_wrapper, reporting=route.reports)
    from edgex import identity

    return identity.verify(token)


def authorize(route: Route, principal: Any) -> None:
    """The role check, apart from authentication: a refusal here has a known actor."""
    if route.auth is not Auth.ADMIN:
        return  # the agent path never loads the admin identity code
    from edgex import identity

    if not identity.allows(principal, route.role or Role.ADMIN):
        raise Forbidden(f"This action needs the {route.role} role")


_PATH_NAMES = re.compile(r"\{(\w+)\}")


def bind_input(route: Route, req: Request) -> Request:
    """The request with its path and declared query parameters parsed and its body
    validated against the route's schema: every input check of a route, in one place."""
    parsed: dict[str, Any] = {}
    for name in _PATH_NAMES.findall(route.path):
        parsed[name] = params.PATH[name].parse(name, req.path_params.get(name, ""))
    for name in route.query:  # optional: absent (or empty) is the default, or None
        raw = req.query.get(name) or params.QUERY_DEFAULTS.get(name)
        parsed[name] = None if raw is None else params.QUERY[name].parse(name, raw)
    for header in route.headers:
        key, param = params.HEADERS[header]
        raw = req.headers.get(header)
        parsed[key] = None if raw is None else param.parse(header, raw)
    data = None
    if route.request is not None:
        from edgex import validators

        data = validators.validate(route.request, req.json())
    return req._replace(params=parsed, data=data)


def _is_audited(route: Route) -> bool:
    return route.auth is Auth.ADMIN and route.method != "GET"


def _refusal_is_audited(route: Route, status: int) -> bool:
    """Refusals of an identified admin caller: 403 on any route (who tried what they
    may not), and every mutation that failed (400, 404, 409 ..., as before)."""
    return route.auth is Auth.ADMIN and (status == 403 or route.method != "GET")


def _actor_of(principal: Any, err: BaseException | None = None) -> Any:
    """The verified admin identity, when there is one: the principal, or the identity a
    role refusal carries (a valid token of an account without a role)."""
    if hasattr(principal, "username"):
        return principal
    actor = getattr(err, "actor", None)
    return actor if hasattr(actor, "username") else None


def _audit(route: Route, actor: Any, req: Request, outcome: str, ids: Mapping[str, Any]) -> None:
    from edgex import audit

    audit.record(actor, route.handler, outcome, {**req.path_params, **ids})


def _log_fields(req: Request, principal: Any) -> dict[str, Any]:
    """Ids only: never a token, a body or a header value."""
    fields: dict[str, Any] = {"method": req.method, "path": req.path, "request_id": req.request_id}
    if hasattr(principal, "target"):
        fields["deployment_id"], fields["target_id"] = (
            int(principal.deployment.deployment_id),
            principal.target.target_id,
        )
    elif hasattr(principal, "deployment_id"):
        fields["deployment_id"] = int(principal.deployment_id)
    elif hasattr(principal, "username"):
        fields["actor"] = principal.username
    return fields


def endpoint(handler_name: str) -> Callable[[RouteFn], LambdaHandler]:
    route = BY_HANDLER[handler_name]
    logger = log.logger(agent=route.is_agent)

    def wrap(fn: RouteFn) -> LambdaHandler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            started = time.perf_counter()
            principal: Any = None
            req = Request("?", "?", {}, {}, {}, b"")
            try:
                req = Request.from_event(event)
                tables.bind(*route.tables)
                principal = authenticate(route, req)
                authorize(route, principal)
                req = bind_input(route, req)
                reply = fn(req, principal)
                response = _to_response(route, reply)
                if _is_audited(route):
                    _audit_done(route, principal, req, reply.audit_ids)
            except EdgexError as err:
                response = errors.from_error(err)
                principal = principal if principal is not None else _actor_of(None, err)
                if err.kind.value == "internal":
                    logger.error("request failed", extra={"code": err.code, **_log_fields(req, principal)})
                if _refusal_is_audited(route, response["statusCode"]) and _actor_of(principal) is not None:
                    _audit_quietly(route, principal, req, err.code)
            except Exception:
                logger.exception("unhandled error", extra=_log_fields(req, principal))
                response = errors.internal()
            response = negotiated(response, req.headers.get("accept-encoding"))
            logger.info(
                "request",
                extra={
                    **_log_fields(req, principal),
                    "route": route.handler,
                    "status": response["statusCode"],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response

        handler.__wrapped__ = fn  # type: ignore[attr-defined]
        return handler

    return wrap


def _audit_done(route: Route, actor: Any, req: Request, ids: Mapping[str, Any]) -> None:
    """Audit a mutation that has happened. If the record cannot be written, the caller
    still gets its success: an error here would invite a retry of a change already made
    (a second script, a deployment whose master token nobody received). The record goes
    to the log instead, at ERROR, ids only, for the alarm and a later re-import."""
    try:
        _audit(route, actor, req, "ok", ids)
    except Exception:
        log.logger(agent=False).exception(
            "audit write failed",
            extra={
                "route": route.handler,
                "audit_actor": getattr(actor, "username", None),
                "audit_outcome": "ok",
                "audit_ids": {k: str(v) for k, v in {**req.path_params, **ids}.items() if v is not None},
            },
        )


def _audit_quietly(route: Route, actor: Any, req: Request, outcome: str) -> None:
    try:
        _audit(route, actor, req, outcome, {})
    except Exception:  # a refused request must still get its own error, not an audit failure
        log.logger(agent=False).exception("audit write failed", extra={"route": route.handler})


def _to_response(route: Route, reply: Reply) -> dict[str, Any]:
    status = reply.status or route.ok_status
    if route.content_type == "text/plain" and isinstance(reply.body, str):
        return text_response(status, reply.body, reply.headers)
    if route.content_type == "text/plain" and isinstance(reply.body, bytes):
        return bytes_response(status, reply.body, "text/plain; charset=utf-8", reply.headers)
    return json_response(status, reply.body, reply.headers)


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    """A list route's answer: its items and the opaque cursor of the next page."""
    return {"items": items, "next_cursor": next_cursor}
