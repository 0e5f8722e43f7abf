"""The AWS SDK the deps layer ships: its data trimmed to what the functions call
(infra/sdk_data.py), and every call the functions make still works with it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import ServiceModel

from infra import constants as c
from infra import sdk_data

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

SOURCES = [c.REPO_ROOT / "layers", c.REPO_ROOT / "lambdas"]


def _source_text() -> str:
    return "\n".join(p.read_text() for root in SOURCES for p in root.rglob("*.py"))


def _full_model(service: str) -> dict[str, Any]:
    loader = botocore.session.get_session().get_component("data_loader")
    return loader.load_service_model(service, "service-2")


def _reached(model: dict[str, Any], operations: list[str]) -> set[str]:
    """Every shape name the operations reach, following each reference."""
    seen: set[str] = set()
    pending = [
        ref["shape"]
        for name in operations
        for ref in (model["operations"][name].get("input"), model["operations"][name].get("output"))
        if ref
    ]
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            shape = model["shapes"][name]
            refs = [*shape.get("members", {}).values(), shape.get("member"), shape.get("key"), shape.get("value")]
            pending += [r["shape"] for r in refs if r]
    return seen


def test_every_client_the_functions_build_is_of_a_kept_service() -> None:
    # Given every client the code creates (boto3.client / session.create_client)
    services = set(re.findall(r"(?:boto3\.client|create_client)\(\s*\"([a-z0-9-]+)\"", _source_text()))
    # Then each service is one the layer keeps
    assert services and services <= set(sdk_data.SERVICES), services - set(sdk_data.SERVICES)


def test_every_s3_call_in_the_code_is_a_kept_operation() -> None:
    # Given every S3 call the code makes through the store's one client
    calls = set(re.findall(r"\bs3\(\)\.([a-z0-9_]+)\(", _source_text()))
    kept = {xform_name(op) for op in sdk_data.SERVICES["s3"] or ()}
    # Then each is in the trimmed model
    assert calls and calls <= kept, calls - kept


def test_every_operation_pynamodb_sends_is_kept() -> None:
    # Given every operation name pynamodb's connection can send
    from pynamodb import constants

    names = {
        value
        for key, value in vars(constants).items()
        if key.isupper() and isinstance(value, str) and value in _full_model("dynamodb")["operations"]
    }
    # Then the trimmed DynamoDB model has them all
    assert names and names <= set(sdk_data.SERVICES["dynamodb"] or ()), names - set(sdk_data.SERVICES["dynamodb"] or ())


@pytest.mark.parametrize("service", [s for s, ops in sdk_data.SERVICES.items() if ops])
def test_a_cut_model_keeps_its_operations_and_every_shape_they_reach(service: str) -> None:
    # Given the full model and the operations kept
    full = _full_model(service)
    operations = list(sdk_data.SERVICES[service] or ())
    # When it is cut
    cut = sdk_data.cut_model(full, tuple(operations))
    # Then the operations and every shape they reach are there, with the shapes' content unchanged but documentation
    assert sorted(cut["operations"]) == sorted(operations)
    reached = _reached(full, operations)
    assert reached <= set(cut["shapes"])
    for name in reached:
        original = {k: v for k, v in full["shapes"][name].items() if k != "documentation"}
        assert {k: v for k, v in cut["shapes"][name].items() if k != "documentation"}.keys() == original.keys()
    # And botocore builds every operation's input and output from it
    model = ServiceModel(cut, service)
    for op in operations:
        operation = model.operation_model(op)
        for shape in (operation.input_shape, operation.output_shape):
            assert shape is None or shape.type_name == "structure"
    # And it is far smaller than the original
    assert len(json.dumps(cut)) < len(json.dumps(full)) / 2


def test_a_cut_model_refuses_an_operation_the_service_does_not_have() -> None:
    with pytest.raises(LookupError, match="GetTheMoon"):
        sdk_data.cut_model(_full_model("s3"), ("GetObject", "GetTheMoon"))


_CALLS = """
import sys
sys.path[:0] = [{layer!r}]
sys.path.append({site!r})
import botocore, boto3
assert botocore.__file__.startswith({layer!r}), botocore.__file__
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

key = {{"pk": {{"S": "a"}}, "sk": {{"S": "b"}}}}
with mock_aws():
    db = boto3.client("dynamodb", region_name="eu-west-1")
    s3 = boto3.client("s3", region_name="eu-west-1")
    db.create_table(
        TableName="t",
        KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}, {{"AttributeName": "sk", "KeyType": "RANGE"}}],
        AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}}, {{"AttributeName": "sk", "AttributeType": "S"}}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert db.describe_table(TableName="t")["Table"]["TableName"] == "t"
    db.update_time_to_live(TableName="t", TimeToLiveSpecification={{"Enabled": True, "AttributeName": "ttl"}})
    assert db.describe_time_to_live(TableName="t")["TimeToLiveDescription"]["AttributeName"] == "ttl"
    db.put_item(TableName="t", Item={{**key, "n": {{"N": "1"}}}}, ConditionExpression="attribute_not_exists(pk)")
    assert db.update_item(TableName="t", Key=key, UpdateExpression="ADD n :one",
        ExpressionAttributeValues={{":one": {{"N": "1"}}}}, ReturnValues="ALL_NEW")["Attributes"]["n"] == {{"N": "2"}}
    try:
        db.put_item(TableName="t", Item=key, ConditionExpression="attribute_not_exists(pk)")
        raise SystemExit("the condition did not hold")
    except db.exceptions.ConditionalCheckFailedException:
        pass
    assert db.get_item(TableName="t", Key=key, ConsistentRead=True)["Item"]["n"] == {{"N": "2"}}
    assert db.query(TableName="t", KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={{":p": {{"S": "a"}}}})["Count"] == 1
    assert db.scan(TableName="t")["Count"] == 1
    db.batch_write_item(RequestItems={{"t": [{{"PutRequest": {{"Item": {{"pk": {{"S": "c"}}, "sk": {{"S": "d"}}}}}}}}]}})
    got = db.batch_get_item(RequestItems={{"t": {{"Keys": [key, {{"pk": {{"S": "c"}}, "sk": {{"S": "d"}}}}]}}}})
    assert len(got["Responses"]["t"]) == 2
    db.transact_write_items(TransactItems=[{{"Update": {{"TableName": "t", "Key": key,
        "UpdateExpression": "SET s = :s", "ExpressionAttributeValues": {{":s": {{"S": "x"}}}}}}}}])
    try:
        db.transact_write_items(TransactItems=[{{"ConditionCheck": {{"TableName": "t", "Key": key,
            "ConditionExpression": "attribute_not_exists(pk)"}}}}])
        raise SystemExit("the transaction's condition did not hold")
    except db.exceptions.TransactionCanceledException as exc:
        assert exc.response["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"
    assert db.transact_get_items(TransactItems=[{{"Get": {{"TableName": "t", "Key": key}}}}])["Responses"][0]["Item"]["s"]
    db.delete_item(TableName="t", Key=key)
    assert db.list_tables()["TableNames"] == ["t"]
    db.update_table(TableName="t", BillingMode="PAY_PER_REQUEST")
    db.delete_table(TableName="t")

    s3_backends[DEFAULT_ACCOUNT_ID]["aws"].create_bucket("edgex-bucket", "eu-west-1")
    s3.put_object(Bucket="edgex-bucket", Key="k", Body=b"payload", ContentType="text/plain", Metadata={{"sha256": "x"}})
    assert s3.head_object(Bucket="edgex-bucket", Key="k")["ContentLength"] == 7
    try:  # a conditional put (If-None-Match) of a key already taken: 412, as the output store expects
        s3.put_object(Bucket="edgex-bucket", Key="k", Body=b"again", IfNoneMatch="*")
        raise SystemExit("a conditional put overwrote a key")
    except botocore.exceptions.ClientError as exc:
        assert exc.response["Error"]["Code"] == "PreconditionFailed", exc.response
    assert s3.get_object(Bucket="edgex-bucket", Key="k")["Body"].read() == b"payload"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="edgex-bucket", Prefix="k")["Contents"]] == ["k"]
    try:
        s3.get_object(Bucket="edgex-bucket", Key="missing")
        raise SystemExit("a missing key was found")
    except s3.exceptions.NoSuchKey:
        pass
    runtime = boto3.client("bedrock-runtime", region_name="eu-west-1")
    assert runtime.can_paginate("converse") is False and hasattr(runtime, "converse")
    for gone in ("sts", "ec2", "lambda"):
        try:
            boto3.client(gone, region_name="eu-west-1")
            raise SystemExit(gone + " should not be in the trimmed data")
        except botocore.exceptions.UnknownServiceError:
            pass
print("ALL-CALLS-OK")
"""


def test_every_kept_operation_works_with_the_trimmed_sdk(built_assets: dict[str, Path]) -> None:
    # Given a clean interpreter whose botocore is the deps layer's (moto comes after it on the path)
    layer = str(built_assets["deps_host"] / "python")
    code = _CALLS.format(layer=layer, site=sysconfig.get_paths()["purelib"])
    # When it makes every kept DynamoDB and S3 call against moto, and builds each kept client
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PATH": "/usr/bin:/bin"},
    )
    # Then every call was serialized and its answer parsed, and other services are gone
    assert done.returncode == 0 and "ALL-CALLS-OK" in done.stdout, done.stderr[-3000:]


def test_the_shipped_layer_holds_only_the_kept_services(built_assets: dict[str, Path]) -> None:
    data = built_assets["deps"] / "python" / "botocore" / "data"
    services = {p.name for p in data.iterdir() if p.is_dir()}
    assert services == set(sdk_data.SERVICES)
    endpoints = json.loads((data / "endpoints.json").read_text())
    for partition in endpoints["partitions"]:
        assert set(partition["services"]) <= set(sdk_data.SERVICES)
    assert not list(data.rglob("examples-1.json*"))


def test_only_the_layers_that_ship_are_trimmed(built_assets: dict[str, Path]) -> None:
    # Given the runtime's stand-in (the boto3 Lambda provides) and the host deps layer
    runtime = built_assets["runtime_host"] / "python" / "botocore" / "data"
    deps = built_assets["deps_host"] / "python" / "botocore" / "data"
    # Then the runtime's keeps every service, as AWS ships it; ours keeps only the kept ones
    assert len([p for p in runtime.iterdir() if p.is_dir()]) > 100
    assert {p.name for p in deps.iterdir() if p.is_dir()} == set(sdk_data.SERVICES)
