"""Answers are gzip-encoded only for a client that asked, and decode to the same bytes."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest

from http_api.responses import COMPRESS_MIN_BYTES, accepts_gzip, bytes_response, negotiated, text_response


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("deflate, gzip", True),  # curl --compressed
        ("gzip, deflate, br, zstd", True),  # a browser
        ("GZIP;q=0.5", True),
        ("*", True),
        ("*;q=0, gzip", True),  # the explicit gzip wins over the wildcard
        ("gzip;q=0, *", False),
        ("gzip;q=0.000", False),
        ("gzip;q=nonsense", False),
        ("br, zstd", False),
        ("identity", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding_is_read_as_http_means_it(header: str | None, expected: bool) -> None:
    # Given an Accept-Encoding header, Then gzip is used only when it allows it
    assert accepts_gzip(header) is expected


def _decoded(answer: dict[str, Any]) -> bytes:
    data = base64.b64decode(answer["body"]) if answer["isBase64Encoded"] else answer["body"].encode()
    return gzip.decompress(data) if answer["headers"].get("Content-Encoding") == "gzip" else data


def test_a_large_answer_is_gzipped_for_a_client_that_asked_and_decodes_to_the_same_bytes() -> None:
    # Given a payload-sized text answer
    text = "".join(f"line {n}: échappé\n" for n in range(2000))
    answer = text_response(200, text, {"X-Edgex-Timeout": "600"})
    # When a client that decodes gzip asked for it
    sent = negotiated(answer, "deflate, gzip")
    # Then it leaves encoded, marked as such, far smaller, and the same bytes once decoded
    assert sent["headers"]["Content-Encoding"] == "gzip"
    assert sent["headers"]["Vary"] == "Accept-Encoding"
    assert sent["headers"]["X-Edgex-Timeout"] == "600" and sent["statusCode"] == 200
    assert len(base64.b64decode(sent["body"])) < len(text.encode()) / 4
    assert _decoded(sent) == text.encode("utf-8")


def test_a_bytes_answer_is_compressed_from_its_bytes_not_from_its_base64() -> None:
    # Given an answer whose body is already base64 (bytes that are not UTF-8 text)
    data = bytes(range(256)) * 40
    sent = negotiated(bytes_response(200, data, "text/plain; charset=utf-8"), "gzip")
    # Then the decoded answer is the original bytes
    assert sent["headers"]["Content-Encoding"] == "gzip" and _decoded(sent) == data


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (COMPRESS_MIN_BYTES - 1, "gzip"),  # too small to be worth it
        (50_000, None),  # a client that did not ask (curl without --compressed, urllib)
        (50_000, "br"),  # a client that asked for something else
    ],
)
def test_other_answers_leave_as_they_were(size: int, header: str | None) -> None:
    answer = text_response(200, "x" * size)
    assert negotiated(answer, header) == answer
