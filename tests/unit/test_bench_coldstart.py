"""The cold-start bench's storage-only child: the handler's recorded calls, sent again with
pynamodb and nothing of ours, so the handler's ratio can be split into what the stack and
the invariants cost and what our code adds."""

from __future__ import annotations

import base64
import json
import sysconfig
from pathlib import Path

from bench import coldstart
from bench.metering import Call, Reply, to_json
from local.server import REGION


def test_call_parameters_are_kept_as_json_with_their_bytes_tagged() -> None:
    params = {"Bucket": "b", "Body": b"\x00out", "Parts": [{"Data": bytearray(b"x")}]}
    kept = to_json(params)
    assert json.loads(json.dumps(kept)) == {
        "Bucket": "b",
        "Body": {"__bytes__": base64.b64encode(b"\x00out").decode()},
        "Parts": [{"Data": {"__bytes__": "eA=="}}],
    }


def test_the_storage_child_imports_pynamodb_transactions_only_for_a_request_that_writes_one() -> None:
    read = [Call("dynamodb", "GetItem", 0.0)]
    assert "pynamodb.transactions" not in coldstart.storage_body(read, REGION)
    assert "import pynamodb.transactions" in coldstart.storage_body(
        [*read, Call("dynamodb", "TransactWriteItems", 0.0)], REGION
    )


def test_the_storage_child_sends_the_recorded_calls_through_pynamodb_and_nothing_of_ours(tmp_path: Path) -> None:
    # Given a request's recorded calls: a transaction, then an S3 PUT of bytes, and their answers
    calls = [
        Call(
            "dynamodb",
            "TransactWriteItems",
            0.0,
            params={"TransactItems": [{"Put": {"TableName": "targets", "Item": {"pk": {"S": "t#1"}}}}]},
        ),
        Call("s3", "PutObject", 0.0, params=to_json({"Bucket": "out", "Key": "1/t/0001", "Body": b"\x00hello"})),
    ]
    answers = [
        Reply(200, {"Content-Type": "application/x-amz-json-1.0"}, b"{}"),
        Reply(200, {"ETag": '"5d41402abc4b2a76b9719d911017c592"'}, b""),
    ]
    plan = {
        "responses": [a.to_json() for a in answers],
        "calls": [{"service": c.service, "operation": c.operation, "params": c.params} for c in calls],
    }
    replay = tmp_path / "plan.json"
    replay.write_text(json.dumps(plan))
    # (the child fails if an edgex, HTTP-layer or handler module was loaded)
    ours = "assert not [m for m in sys.modules if m.split('.')[0] in ('edgex', 'http_api', 'handlers', 'manifest')]\n"
    code = coldstart.child_code(
        coldstart.storage_body(calls, REGION) + ours, [sysconfig.get_paths()["purelib"]], replay
    )
    # When it runs as the bench runs it (-I -S -B, a deployed function's environment)
    sample, answer = coldstart.run_child(code, coldstart.child_environment())
    # Then it sent both calls (an undecoded body would fail S3's parameter check) and was answered twice
    assert answer == {"status": 200, "served": 2, "left": 0, "rss_kb": answer["rss_kb"]}
    assert sample.cpu > 0
