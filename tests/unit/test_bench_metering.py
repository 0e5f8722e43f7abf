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


def test_a_run_shape_without_the_periodic_report_drops_its_requests_units_and_puts() -> None:
    from bench import roundtrips
    from bench.metering import Call, Window

    # Given a measured lifecycle: enroll (a transaction), one periodic report and the
    # final one, each report writing its output to S3
    def window(*calls: Call) -> Window:
        return Window(calls=list(calls))

    tx = Call("dynamodb", "TransactWriteItems", 0.0, write_units=4, unit_types={"WRU transactional": 4})
    put = Call("dynamodb", "PutItem", 0.0, write_units=1, unit_types={"WRU standard": 1})
    s3 = Call("s3", "PutObject", 0.0)
    lifecycle = [("enroll", window(tx)), ("feedback", window(put, s3)), ("feedback_final", window(tx, s3))]
    result = roundtrips.Result({}, {"enroll": 1, "feedback": 1, "feedback_final": 1}, {}, {}, {}, [])
    result.lifecycles = [lifecycle, lifecycle]
    # When it is priced without the periodic report
    per_machine, units, totals = result.without(frozenset({"feedback"}))
    # Then that report's request, units and S3 PUT are gone, the rest is as measured
    assert per_machine == {"enroll": 1, "feedback": 0, "feedback_final": 1}
    assert units == {"WRU transactional": 8}
    assert totals["requests"] == 2 and totals["s3_puts"] == 1 and totals["write_units"] == 8
    # and without leaving anything out, it is the whole lifecycle
    _, all_units, all_totals = result.without(frozenset())
    assert all_units == {"WRU standard": 1, "WRU transactional": 8} and all_totals["s3_puts"] == 2
