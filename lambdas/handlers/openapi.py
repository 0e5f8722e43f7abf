"""GET /v1/openapi.json: the API described from the route manifest."""

from functools import cache
from typing import Any

from http_api.endpoint import Reply, endpoint
from http_api.request import Request


@cache
def _document() -> dict[str, Any]:
    from http_api import openapi

    return openapi.document()


@endpoint("openapi")
def handler(req: Request, principal: None) -> Reply:
    return Reply(_document())
