"""The audit trail is a hash chain written with must-not-exist puts only: appends
under concurrency stay one unbroken chain, and an edit, a removal or an insertion
made directly in storage is reported at the first broken link."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from edgex import audit, clock
from edgex.audit import Actor

ADMIN = Actor(username="admin", role="admin")


def raw_table() -> Any:
    import boto3

    from edgex import config

    return boto3.resource("dynamodb").Table(config.table_name("audit"))


def append(n: int, who: Actor = ADMIN) -> list[Any]:
    return [audit.record(who, "settings_update", "ok", {"n": i}) for i in range(n)]


def test_appends_form_an_unbroken_chain(aws: None) -> None:
    from edgex.store import tables

    tables.bind("audit")
    # Given five appended records
    written = append(5)
    # Then they are numbered 1..5, each linked to the one before
    assert [r.seq for r in written] == [audit.seq_text(i) for i in range(1, 6)]
    assert written[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(written))
    # And the verifier agrees
    report = audit.verify()
    assert report["ok"] and report["checked"] == 5 and report["first_broken"] is None
    assert report["head"]["hash"] == written[-1].hash


@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        ("edit", 3, "altered"),
        ("delete", 3, "removed or inserted"),
        ("rechain", 3, "previous hash"),
        ("insert", 6, "removed or inserted"),
    ],
)
def test_tampering_in_storage_is_reported_at_the_first_broken_link(
    aws: None, tamper: str, seq: int, reason: str
) -> None:
    from edgex.store import tables

    tables.bind("audit")
    written = append(5)
    table = raw_table()
    victim = written[2]
    # When someone with direct table access rewrites history
    if tamper == "edit":  # the outcome of record 3 changed in place
        table.update_item(
            Key={"stream": victim.stream, "seq": victim.seq},
            UpdateExpression="SET outcome = :o",
            ExpressionAttributeValues={":o": "FORBIDDEN"},
        )
    elif tamper == "delete":  # record 3 removed: 4 now follows 2
        table.delete_item(Key={"stream": victim.stream, "seq": victim.seq})
        seq = 4
    elif tamper == "rechain":  # record 3 replaced by a self-consistent forgery
        forged = audit.chained_fields(victim) | {"actor": "someone-else", "prev_hash": "f" * 64}
        table.put_item(Item={**forged, "details": None, "hash": audit.digest(forged)})
    else:  # a record 7 added after a gap
        forged = audit.chained_fields(written[-1]) | {"seq": audit.seq_text(7)}
        table.put_item(Item={**forged, "details": None, "hash": audit.digest(forged)})
        seq = 7
    # Then the verifier names the first broken link
    report = audit.verify()
    assert not report["ok"]
    assert report["first_broken"]["seq"] == audit.seq_text(seq), report
    assert reason in report["first_broken"]["reason"]


def test_concurrent_writers_keep_one_unbroken_chain(aws: None) -> None:
    from edgex.store import tables

    tables.bind("audit")
    # Given 16 threads released together, each appending 4 records
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            barrier.wait(timeout=60)
            append(4, Actor(username=f"user{k}", role="admin"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    # Then every append landed, numbered 1..64 without a gap, and the chain holds
    assert not errors, errors
    report = audit.verify()
    assert report["ok"], report
    assert report["checked"] == 64 and report["head"]["seq"] == audit.seq_text(64)


def test_a_months_first_record_links_to_the_last_of_the_month_before(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edgex.store import tables

    tables.bind("audit")
    # Given two records at the end of one month, one at the start of the next
    monkeypatch.setattr(clock, "now_iso", lambda: "2026-01-31T23:59:59.000Z")
    january = append(2)
    monkeypatch.setattr(clock, "now_iso", lambda: "2026-02-01T00:00:00.000Z")
    (february,) = append(1)
    # Then February's record 1 chains to January's record 2, and the whole trail verifies
    assert february.seq == audit.seq_text(1) and february.prev_hash == january[-1].hash
    report = audit.verify()
    assert report["ok"] and report["checked"] == 3
    # And removing January's last record breaks the link into February
    raw_table().delete_item(Key={"stream": january[-1].stream, "seq": january[-1].seq})
    broken = audit.verify()["first_broken"]
    assert broken["stream"] == "audit#2026-02" and "previous hash" in broken["reason"]


def test_the_list_route_pages_newest_first_across_the_chain(aws: None) -> None:
    from edgex.store import tables

    tables.bind("audit")
    append(5)
    first, cursor = audit.list_page(3, None)
    rest, end = audit.list_page(3, cursor)
    assert [r["id"] for r in first + rest] == [audit.seq_text(i) for i in (5, 4, 3, 2, 1)]
    assert end is None or not audit.list_page(3, end)[0]


def test_the_verify_command_exits_1_on_a_broken_chain_and_on_a_cut_off_head(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from edgex import audit_verify
    from edgex.store import tables

    tables.bind("audit")
    written = append(3)
    # Given an intact trail, the command reports ok and the head
    assert audit_verify.main([]) == 0
    head = json.loads(capsys.readouterr().out)["head"]["hash"]
    assert head == written[-1].hash
    # When the newest record is removed (the chain that is left is valid)
    raw_table().delete_item(Key={"stream": written[-1].stream, "seq": written[-1].seq})
    # Then a run that expects the kept head fails
    assert audit_verify.main(["--expect-head", head]) == 1
    assert json.loads(capsys.readouterr().out)["missing_head"] == head
    # And an edited record fails it too
    raw_table().update_item(
        Key={"stream": written[0].stream, "seq": written[0].seq},
        UpdateExpression="SET actor = :a",
        ExpressionAttributeValues={":a": "mallory"},
    )
    assert audit_verify.main([]) == 1
    assert json.loads(capsys.readouterr().out)["first_broken"]["seq"] == audit.seq_text(1)
