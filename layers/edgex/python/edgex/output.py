"""A run's captured output (stdout / stderr the wrapper ships with its reports).

Kept per run in S3 up to the deployment's ``run_output_bytes``: the first half as
it came (head objects), then only the newest reports, in rotating tail slots that
together hold about the other half. Every byte past that is counted (the target's
``output_dropped``, and in each tail object), so a cut is never silent: the reading
side shows a "[... N bytes dropped ...]" line where it is.
"""

from __future__ import annotations

import re
from typing import Any

from edgex import limits
from edgex.errors import OutputTooLarge, TargetNotFound
from edgex.store import keys
from edgex.store import output as blobs
from edgex.store import targets as target_store
from edgex.store.tables import DeploymentModel, TargetModel


def run_limit(dep: DeploymentModel) -> int:
    size = dep.run_output_bytes
    return int(size) if size is not None else limits.RUN_OUTPUT_BYTES_DEFAULT


def tail_slots(limit: int) -> int:
    """Slots of the rotating tail: half the run's limit in reports of the wrapper's size."""
    return max(2, (limit // 2) // limits.OUTPUT_REPORT_MAX_BYTES)


def head_size(target: TargetModel, dep: DeploymentModel, chunks: list[dict[str, Any]]) -> int:
    """The bytes of a report's output that the report's own write of the target may
    count (then tell :func:`record` so): all of it while the run's head has room (the
    common case), none past it (the tail path counts and places a report itself)."""
    if not chunks:
        return 0
    size = _size(chunks)
    return size if _head_has_room(target, dep) else 0


def _size(chunks: list[dict[str, Any]]) -> int:
    """A report's output bytes, within what one report may carry."""
    size = blobs.text_size(chunks)
    if size > limits.OUTPUT_REPORT_MAX_BYTES:
        raise OutputTooLarge()
    return size


def _head_has_room(target: TargetModel, dep: DeploymentModel) -> bool:
    return int(target.output_bytes or 0) < run_limit(dep) // 2


def record(
    target: TargetModel, dep: DeploymentModel, chunks: list[dict[str, Any]], request: str, *, counted: int = 0
) -> None:
    """Store one report's output for the target's current run, once: a report retried
    after a lost answer is recognised, and neither stored nor counted again.
    ``counted``: the bytes the report's own write of the target already counted
    (:func:`head_size`): it goes to the head, with no write of its own to count it.

    While the head has room (the common case), the report is counted, then put at its
    head key on the condition that the key is free (no HeadObject): a retry finds its
    first try's object there and gives its count back. Counting first keeps the error
    of a failure between the two on the strict side, as before: the retry counts the
    report twice and stores it once (and a run that moved on refuses the count before
    anything is written).

    Past the head, both keys are looked up first (two HeadObject): the report may be
    the retry of one stored in the head before the run passed half its limit, which a
    tail marker cannot tell; and a marker put before the slot would make a failure
    between them lose the report (the retry would find its marker), where this order
    at worst stores it twice."""
    if not chunks:
        return
    size = counted or _size(chunks)  # head_size measured it already
    prefix = keys.output_prefix(int(dep.deployment_id), target.target_id, int(target.run_count))
    head_key, seen_key = keys.output_head(prefix, request), keys.output_seen(prefix, request)
    if counted or _head_has_room(target, dep):
        if not counted:
            target_store.add_output(target, size, tail=False)
        if not blobs.put(head_key, chunks, new=True):
            target_store.add_output(target, -size, tail=False)  # a retry: its first try counted it
        return
    if blobs.exists(head_key) or blobs.exists(seen_key):
        return  # a retry of a report already stored (head) or already in a tail slot
    _, seq = target_store.add_output(target, size, tail=True)
    key = keys.output_tail(prefix, seq % tail_slots(run_limit(dep)))
    old = blobs.get(key)
    dropped = int(target.output_dropped or 0)
    if old is not None and old.seq < seq:
        dropped = target_store.add_dropped(target, old.size)
    blobs.put(key, chunks, seq=seq, dropped=dropped)
    blobs.put(seen_key, [])  # the slot will be overwritten: this remembers the report was taken


def _objects(deployment_id: int, target_id: str, run: int) -> tuple[list[str], list[blobs.Stored]]:
    """The run's head keys in order, and its tail objects oldest first."""
    prefix = keys.output_prefix(deployment_id, target_id, run)
    head: list[str] = []
    after: str | None = None
    while True:
        found, more = blobs.keys_under(prefix + "h/", after)
        head += found
        if not more or not found:
            break
        after = found[-1]
    tail_keys, _ = blobs.keys_under(prefix + "t/")
    tail = sorted((s for s in (blobs.get(k) for k in tail_keys) if s is not None), key=lambda s: s.seq)
    return head, tail


def _run_of(target: TargetModel, run: str | None) -> int:
    if run is None:
        return int(target.run_count)
    if not re.fullmatch(r"[0-9]{1,4}", run) or not 1 <= int(run) <= max(1, int(target.run_count)):
        raise TargetNotFound("No such run of this target")
    return int(run)


def _summary(target: TargetModel, run: int, head: list[str], tail: list[blobs.Stored]) -> dict[str, Any]:
    """Bytes received and dropped: the target's counters for its current run; for an
    older run, what its objects tell (the newest tail object carries the drop count)."""
    if run == int(target.run_count) and target.output_bytes is not None:
        total, dropped = int(target.output_bytes), int(target.output_dropped or 0)
    else:
        dropped = tail[-1].dropped if tail else 0
        kept = sum(s.size for s in tail) + sum(s.size for s in (blobs.get(k) for k in head) if s is not None)
        total = kept + dropped
    return {"run": run, "truncated": dropped > 0, "dropped_bytes": dropped, "total_bytes": total}


def page(deployment_id: int, target_id: str, run: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of a run's output chunks in order: ``limit`` stored reports, each with
    its chunks; a dropped stretch is one item of stream "marker" where the cut is."""
    from edgex.store import cursors  # an admin read: agent handlers never load cursors

    target = target_store.get(deployment_id, target_id)
    if target is None:
        raise TargetNotFound()
    number = _run_of(target, run)
    head, tail = _objects(deployment_id, target_id, number)
    summary = _summary(target, number, head, tail)
    start = cursors.decode(cursor, cursors.Shape({"after": cursors.number()}))
    first = int(start["after"]["N"]) if start else 0
    sources: list[str | list[dict[str, Any]]] = list(head)
    if summary["dropped_bytes"]:
        sources.append([{"stream": "marker", "at": None, "text": _marker(summary["dropped_bytes"])}])
    sources += [s.chunks for s in tail]
    items: list[dict[str, Any]] = []
    for n, source in enumerate(sources[first : first + limit]):
        stored = blobs.get(source) if isinstance(source, str) else None
        chunks = stored.chunks if stored is not None else source if isinstance(source, list) else []
        items += [{"seq": first + n, "stream": c["stream"], "at": c.get("at"), "text": c["text"]} for c in chunks]
    more = first + limit < len(sources)
    next_cursor = cursors.encode({"after": {"N": str(first + limit)}}) if more else None
    return {**summary, "items": items, "next_cursor": next_cursor}


def _marker(dropped: int) -> str:
    return f"\n[... {dropped} bytes dropped ...]\n"


def download(deployment_id: int, target_id: str, run: str | None, cursor: str | None) -> tuple[bytes, str | None]:
    """One part of a run's whole kept output, as UTF-8 text with the cut marked where
    it is, and the cursor of the next part (None: this was the last)."""
    answer = page(deployment_id, target_id, run, cursor, limits.DOWNLOAD_PART_REPORTS)
    return "".join(item["text"] for item in answer["items"]).encode(), answer["next_cursor"]
