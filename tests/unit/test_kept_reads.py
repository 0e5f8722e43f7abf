"""What a warm function reads once (edgex.store.base.Kept), on moto in-process: a
deployment's wrapper and bootstrapper snapshots and its script's verified bytes never
change in its life, so the second download or installer of a warm function reads
none of them again; a deployment id used again never gets the old snapshots; a
payload that fails its check is never kept; the caches are bounded and reset()
empties them. Calls are counted at botocore by the bench's recorder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.metering import Recorder, Window
from edgex import agents, deployments, enrollment, execution, platform_settings, resources, scripts, wrappers
from edgex.audit import Actor
from edgex.errors import IntegrityViolation
from edgex.installer import bootstrapper
from edgex.store import base, blobs, keys, tables
from edgex.store import deployments as deployment_store
from edgex.store.admin_tables import ConfigModel
from edgex.store.base import Kept
from edgex.store.tables import DeploymentModel
from tests.unit.test_agent_rules import tamper_pinned_object

ADMIN = Actor(username="admin", role="admin")


@pytest.fixture
def recorder(aws: None) -> Iterator[Recorder]:
    from local.server import REGION

    with Recorder(REGION).installed() as counting:
        yield counting


def new_deployment(content: str = "echo kept\n", machines: int = 4) -> dict[str, Any]:
    script = scripts.create({"name": "s", "type": "bash", "content": content}, ADMIN)
    return deployments.create({"script_id": script["id"], "name": "d", "expected_machines": machines}, ADMIN)


def agent(dep: dict[str, Any], machine: str) -> str:
    deployment = enrollment.authenticate_master(dep["master_token"])
    answer, _ = enrollment.enroll(deployment, {"hostname": machine, "machine_id": machine}, {})
    return str(answer["agent_token"])


def download(recorder: Recorder, token: str) -> tuple[str, Window]:
    with recorder.window() as window:
        payload = execution.download(agents.authenticate(token, with_wrapper=True))
    return payload, window


def installer(recorder: Recorder, dep: dict[str, Any]) -> tuple[str, Window]:
    with recorder.window() as window:
        text = bootstrapper(enrollment.authenticate_master(dep["master_token"]), "bash", dep["master_token"])
    return text, window


def read_keys(window: Window) -> list[str]:
    """The DynamoDB partitions a window read (``<table>:<key>``)."""
    return [partition for call in window.calls for partition, _ in call.reads]


def s3_gets(window: Window) -> int:
    return sum(1 for call in window.calls if call.name == "s3.GetObject")


def test_a_second_download_reads_no_snapshot_and_no_script(recorder: Recorder) -> None:
    # Given a deployment and two enrolled machines, and the first download of this function
    dep = new_deployment()
    first, second = agent(dep, "m-1"), agent(dep, "m-2")
    snapshot = f"targets:{keys.snapshot_pk(dep['id'])}"
    payload, cold = download(recorder, first)
    assert snapshot in read_keys(cold) and s3_gets(cold) == 1
    # When the second machine downloads from the same (warm) function
    again, warm = download(recorder, second)
    # Then it gets the very same payload, having read only its target and the deployment
    assert again == payload
    target = f"targets:{keys.target_pk(dep['id'], keys.target_id_for('m-2'))}"
    assert [c.name for c in warm.calls] == ["dynamodb.BatchGetItem", "dynamodb.TransactWriteItems"]
    assert sorted(read_keys(warm)) == sorted([target, f"deployments:{dep['id']}"])


def test_a_second_installer_reads_only_the_deployment(recorder: Recorder) -> None:
    # Given a deployment whose installer this function served once (its snapshot read)
    dep = new_deployment()
    text, cold = installer(recorder, dep)
    assert f"targets:{keys.bootstrapper_pk(dep['id'])}" in read_keys(cold)
    # When it serves it again
    again, warm = installer(recorder, dep)
    # Then the bytes are the same and the one read is the deployment (its master token's hash)
    assert again == text
    assert [c.name for c in warm.calls] == ["dynamodb.GetItem"] and read_keys(warm) == [f"deployments:{dep['id']}"]


def test_a_deployment_id_used_again_never_gets_the_old_snapshots(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a deployment whose wrapper and bootstrapper this function keeps, then deleted
    old = new_deployment("echo old\n")
    old_payload, _ = download(recorder, agent(old, "m-old"))
    installer(recorder, old)
    deployments.delete(old["id"])
    # And the id counter set back (a counter restored from an older backup), a new wrapper
    # and a new public URL: the next deployment gets the same id and other snapshots
    ConfigModel(keys.COUNTER_PK, "deployment").update(actions=[ConfigModel.counter.set(old["id"] - 1)])
    wrapper = wrappers.default_wrapper("bash").replace("#!/usr/bin/env bash", "#!/usr/bin/env bash\n# new", 1)
    platform_settings.set_wrapper("bash", wrapper, ADMIN.username)
    monkeypatch.setenv(resources.ENV_PUBLIC_URL, "https://new.example.com")
    new = new_deployment("echo new\n")
    assert new["id"] == old["id"]
    # When a machine of the new deployment downloads, and its installer is asked for
    payload, window = download(recorder, agent(new, "m-new"))
    text, boot_window = installer(recorder, new)
    # Then each snapshot is read again and is the new deployment's
    assert f"targets:{keys.snapshot_pk(new['id'])}" in read_keys(window)
    assert "# new" in payload and payload != old_payload
    assert execution.verified_script(deployment_store.get(new["id"])) == b"echo new\n"
    assert f"targets:{keys.bootstrapper_pk(new['id'])}" in read_keys(boot_window)
    assert "https://new.example.com" in text


@pytest.mark.parametrize("damage", ["bytes in storage", "pinned checksum"])
def test_a_payload_that_fails_its_check_fails_on_every_try(recorder: Recorder, damage: str) -> None:
    # Given a deployment whose pinned script version was altered in storage (S3's own
    # checksum catches it), or whose bytes are intact but not the ones it pinned
    dep = new_deployment("echo safe\n")
    if damage == "bytes in storage":
        tamper_pinned_object(dep["id"])
    else:
        deployment_store.get(dep["id"]).update(actions=[DeploymentModel.script_checksum.set(blobs.sha256(b"other"))])
    pinned = deployment_store.get(dep["id"])
    for _ in range(2):
        # When the bytes are asked for, again and again
        with recorder.window() as window, pytest.raises(blobs.ObjectCorrupt):
            blobs.verified(pinned.s3_key, pinned.s3_version_id, pinned.script_checksum)
        # Then each try reads S3 again and fails: the bytes that did not match were not kept
        assert s3_gets(window) == 1
    for _ in range(2):  # and the download's check kills the deployment each time
        with recorder.window() as window, pytest.raises(IntegrityViolation):
            execution.verified_script(pinned)
        assert s3_gets(window) == 1
    assert deployment_store.get(dep["id"]).kill_reason == "INTEGRITY_VIOLATION"


def test_the_kept_snapshots_are_bounded_by_entries(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given room for the wrappers of two deployments
    monkeypatch.setattr(deployment_store._SNAPSHOTS, "entries", 2)
    found = [new_deployment(f"echo {n}\n") for n in range(3)]
    tokens = [agent(dep, f"m-{n}") for n, dep in enumerate(found)]
    spare = agent(found[0], "m-spare")
    # When machines of three deployments download
    for token in tokens:
        download(recorder, token)
    # Then two are kept, and the least recently used one is read again
    assert deployment_store._SNAPSHOTS.usage()[0] == 2
    _, window = download(recorder, spare)
    assert f"targets:{keys.snapshot_pk(found[0]['id'])}" in read_keys(window)


def test_kept_drops_the_least_recently_used_past_entries_or_bytes() -> None:
    kept = Kept(entries=3, max_bytes=100)
    try:
        for name in "abc":
            kept.put(name, name.upper(), 10)
        assert kept.get("a") == "A"  # a is now the most recently used
        kept.put("d", "D", 10)
        assert kept.get("b") is None and [kept.get(n) for n in "acd"] == ["A", "C", "D"]
        assert kept.usage() == (3, 30)
        kept.put("big", "B", 80)  # past 100 bytes: the least recently used (a) goes
        assert kept.usage() == (3, 100) and kept.get("a") is None and [kept.get(n) for n in "cd"] == ["C", "D"]
        kept.put("more", "M", 20)  # past 100 again: big is now the least recently used
        assert kept.usage() == (3, 40) and kept.get("big") is None
        kept.put("huge", "H", 101)  # more than the whole budget: never kept, nothing dropped
        assert kept.get("huge") is None and kept.usage() == (3, 40)
        kept.put("d", "D2", 5)  # the same key again replaces, counted once
        assert kept.get("d") == "D2" and kept.usage() == (3, 35)
    finally:
        base._kept.remove(kept)


def test_the_store_keeps_a_few_megabytes_at_most() -> None:
    budgets = [(c.entries, c.max_bytes) for c in (deployment_store._SNAPSHOTS, blobs._VERIFIED)]
    assert all(entries <= 100 and size <= 8 * 1024 * 1024 for entries, size in budgets), budgets


def test_reset_forgets_what_was_kept(recorder: Recorder) -> None:
    # Given a function that served a download and an installer
    dep = new_deployment()
    download(recorder, agent(dep, "m-1"))
    installer(recorder, dep)
    assert deployment_store._SNAPSHOTS.usage()[0] == 2 and blobs._VERIFIED.usage()[0] == 1
    # When the store is reset (a fresh Lambda environment)
    base.reset()
    tables.bind(*resources.TABLES)
    # Then nothing is kept, and the next download reads the snapshot and the script again
    assert deployment_store._SNAPSHOTS.usage() == (0, 0) and blobs._VERIFIED.usage() == (0, 0)
    _, window = download(recorder, agent(dep, "m-2"))
    assert f"targets:{keys.snapshot_pk(dep['id'])}" in read_keys(window) and s3_gets(window) == 1
