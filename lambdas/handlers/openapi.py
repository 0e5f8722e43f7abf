"""GET /v1/openapi.json: the API described from the route manifest."""

from functools import cache

from http_api.endpoint import Reply, endpoint


@cache
def _document() -> dict:
    from http_api import openapi

    return openapi.document()


@endpoint("openapi")
def handler(req, principal) -> Reply:
    return Reply(_document())
