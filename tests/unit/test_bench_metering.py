"""The bench's write meter charges index writes as DynamoDB does (GSI.html#GSI.Writes)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.metering import IndexShape, TableShape, index_writes

TABLE = TableShape("pk", "sk", ())
KEYS_ONLY = IndexShape("by_shard", "shard", "member", "KEYS_ONLY")
ALL = IndexShape("by_shard", "shard", "member", "ALL")
INCLUDE = IndexShape("by_shard", "shard", "member", "INCLUDE", ("status",))


def item(**attributes: str) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": "s"}, **{k: {"S": v} for k, v in attributes.items()}}


@pytest.mark.parametrize(
    ("index", "old", "new", "writes"),
    [
        (KEYS_ONLY, None, item(shard="1", member="a"), 1),  # a new item with the index's keys: put
        (KEYS_ONLY, item(shard="1", member="a"), None, 1),  # deleted: delete
        (KEYS_ONLY, None, item(seen="x"), 0),  # sparse: never in the index
        (KEYS_ONLY, item(seen="x"), item(seen="y"), 0),
        (KEYS_ONLY, item(shard="1", member="a", seen="x"), item(shard="1", member="a", seen="y"), 0),  # not projected
        (ALL, item(shard="1", member="a", seen="x"), item(shard="1", member="a", seen="y"), 1),  # projected
        (INCLUDE, item(shard="1", member="a", seen="x"), item(shard="1", member="a", seen="y"), 0),
        (INCLUDE, item(shard="1", member="a", status="r"), item(shard="1", member="a", status="d"), 1),
        (KEYS_ONLY, item(shard="1", member="a"), item(shard="2", member="a"), 2),  # key changed: delete + put
        (KEYS_ONLY, item(shard="1", member="a"), item(member="a"), 1),  # a key removed: delete
        (KEYS_ONLY, item(member="a"), item(shard="1", member="a"), 1),  # a key set: put
    ],
)
def test_index_writes_follow_dynamodb_rules(
    index: IndexShape, old: dict[str, Any] | None, new: dict[str, Any] | None, writes: int
) -> None:
    assert index_writes(TABLE, index, old, new) == writes


def test_each_function_cold_start_is_measured_with_one_chosen_request() -> None:
    from types import SimpleNamespace

    from bench import roundtrips

    # Given the first request of every measured endpoint, in any order (two are the feedback function's)
    firsts = {endpoint: f"window of {endpoint}" for endpoint in reversed(roundtrips.ENDPOINTS)}
    # When the cold-start bench picks one per function
    chosen = roundtrips.cold_requests(SimpleNamespace(cold_requests=firsts))  # type: ignore[arg-type]
    # Then each function has exactly one, and the feedback function's is its final report
    assert sorted(chosen) == sorted(set(roundtrips.HANDLERS.values()))
    assert chosen["agent_feedback"] == "window of feedback_final"
    assert chosen["agent_download"] == "window of download"
