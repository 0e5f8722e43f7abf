"""Geo headers are trusted only from this installation's CloudFront (the origin secret)."""

from __future__ import annotations

import pytest

from edgex import resources
from http_api.request import Request

GEO = {"cloudfront-viewer-country": "JP", "cloudfront-viewer-city": "Tokyo"}


def _request(headers: dict[str, str]) -> Request:
    return Request.from_event({"rawPath": "/v1/agent/enroll", "headers": headers, "requestContext": {"http": {}}})


def test_without_a_configured_secret_geo_headers_are_taken_as_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given local mode: no CloudFront, no origin secret
    monkeypatch.delenv(resources.ENV_ORIGIN_SECRET, raising=False)
    # Then the headers are read (edgex.geo still checks each value)
    assert _request(GEO).geo() == {"country": "JP", "city": "Tokyo"}


@pytest.mark.parametrize("sent", [None, "", "wrong", "s3cret-but-longer"])
def test_a_request_that_did_not_pass_cloudfront_has_no_location(
    monkeypatch: pytest.MonkeyPatch, sent: str | None
) -> None:
    # Given an installation whose CloudFront adds the secret header
    monkeypatch.setenv(resources.ENV_ORIGIN_SECRET, "s3cret")
    # When a caller sets geo headers itself (execute-api called directly) with no or a wrong secret
    headers = {**GEO, **({resources.ORIGIN_HEADER.lower(): sent} if sent is not None else {})}
    # Then none of them is kept
    assert _request(headers).geo() == {}


def test_a_request_through_cloudfront_keeps_its_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(resources.ENV_ORIGIN_SECRET, "s3cret")
    headers = {**GEO, resources.ORIGIN_HEADER.lower(): "s3cret"}
    assert _request(headers).geo() == {"country": "JP", "city": "Tokyo"}
