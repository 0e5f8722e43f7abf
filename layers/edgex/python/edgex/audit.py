"""The audit trail: one record per admin mutation and per refused admin request
(who, what, when, ids, outcome), kept tamper-evident.

Records of a monthly stream are numbered 1, 2, 3 ... and chained: each stores the
hash of the record before it (the last one of an earlier month for a month's first
record) and its own SHA-256 over its canonical JSON. A writer reads the stream's
head and puts record n+1 with a must-not-exist condition, retrying on a lost race:
no role ever needs UpdateItem or DeleteItem on the table, and an edited, removed or
inserted record breaks the chain where :func:`verify` finds it. Removing the newest
records leaves a shorter valid chain: compare the head :func:`verify` reports with a
copy kept elsewhere (each append logs its hash) to catch that too.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from edgex import clock
from edgex.errors import AuditBusy
from edgex.store import cursors, tables
from edgex.store.base import ConditionFailed, storage_errors
from edgex.store.tables import AuditModel

GENESIS = "0" * 64  # the previous hash of the very first record
SEQ_DIGITS = 12
APPEND_ATTEMPTS = 64  # lost races before giving up (each loss means another record got in)
LOOKBACK_MONTHS = 24  # how far back a listing, a month's first record and the verifier look


@dataclass(frozen=True)
class Actor:
    """Who is calling: from the verified admin JWT."""

    username: str
    role: str
    email: str | None = None
    groups: tuple[str, ...] = ()


def stream_of(stamp: str) -> str:
    return f"audit#{stamp[:7]}"


def seq_text(number: int) -> str:
    return f"{number:0{SEQ_DIGITS}d}"


def chained_fields(item: AuditModel) -> dict[str, Any]:
    """What a record's hash covers: every field it stores but the hash itself."""
    ids = tables.plain(item.ids)
    return {
        "stream": item.stream,
        "seq": item.seq,
        "actor": item.actor,
        "actor_role": item.actor_role,
        "action": item.action,
        "outcome": item.outcome,
        "ids": {str(k): str(v) for k, v in ids.items()},
        "details": item.details,
        "timestamp": item.timestamp,
        "prev_hash": item.prev_hash,
    }


def digest(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _newest(stream: str) -> AuditModel | None:
    return next(iter(AuditModel.query(stream, scan_index_forward=False, limit=1, consistent_read=True)), None)


def _tail_before(stream: str) -> str:
    """The hash a month's first record links to: the newest record of an earlier month."""
    for _ in range(LOOKBACK_MONTHS):
        stream = _previous(stream)
        newest = _newest(stream)
        if newest is not None:
            return newest.hash or digest(chained_fields(newest))
    return GENESIS


def record(
    actor: Actor, action: str, outcome: str, ids: dict[str, Any], details: dict[str, Any] | None = None
) -> AuditModel:
    """Append one record to the current month's chain. Concurrent writers race for the
    next number; the loser re-reads the head and tries the number after it."""
    for attempt in range(APPEND_ATTEMPTS):
        now = clock.now_iso()
        stream = stream_of(now)
        with storage_errors():
            head = _newest(stream)
            if head is None:
                number, prev = 1, _tail_before(stream)
            else:
                number, prev = int(head.seq) + 1, head.hash or digest(chained_fields(head))
        item = AuditModel(
            stream,
            seq_text(number),
            actor=actor.username,
            actor_role=actor.role,
            action=action,
            outcome=outcome,
            ids={k: str(v) for k, v in ids.items() if v is not None},
            details=details,
            timestamp=now,
            prev_hash=prev,
        )
        item.hash = digest(chained_fields(item))
        try:
            with storage_errors():
                item.save(condition=AuditModel.seq.does_not_exist())
        except ConditionFailed:
            time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 20)))  # noqa: S311 - jitter, not a secret
            continue
        return item
    raise AuditBusy()


def view(item: AuditModel) -> dict[str, Any]:
    return {
        "id": item.seq,
        "timestamp": item.timestamp,
        "actor": item.actor,
        "role": item.actor_role,
        "action": item.action,
        "outcome": item.outcome,
        "ids": tables.plain(item.ids),
        "details": item.details or {},
        "hash": item.hash or "",
    }


_CURSOR = cursors.Shape(
    {"stream": cursors.text(r"audit#[0-9]{4}-(0[1-9]|1[0-2])"), "seq": cursors.text(rf"[0-9]{{{SEQ_DIGITS}}}")}
)


def list_page(limit: int, cursor_text: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first across monthly streams: the cursor names the stream it stopped in;
    an exhausted month continues with the month before, back to the first record."""
    items, last = _list_page(limit, cursors.decode(cursor_text, _CURSOR))
    return items, cursors.encode(last)


def _list_page(limit: int, cursor: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    stream = cursor["stream"]["S"] if cursor else stream_of(clock.now_iso())
    items: list[dict[str, Any]] = []
    last: Any = cursor
    with storage_errors():
        for _ in range(LOOKBACK_MONTHS):  # at most two years of empty months per page
            page = AuditModel.query(
                stream,
                scan_index_forward=False,
                limit=limit - len(items),
                last_evaluated_key=last if last and last["stream"]["S"] == stream else None,
            )
            items += [view(i) for i in page]
            if page.last_evaluated_key:
                return items, page.last_evaluated_key
            if len(items) >= limit:
                return items, {"stream": {"S": stream}, "seq": {"S": items[-1]["id"]}}
            stream = _previous(stream)
            last = None
    return items, None


def verify(months: int = LOOKBACK_MONTHS) -> dict[str, Any]:
    """Walk the chain oldest to newest over the last ``months`` monthly streams and
    report the first broken link: a record whose hash does not match its fields
    (edited), a number out of sequence (removed or inserted), or a previous hash that
    is not the hash of the record before it (replaced or re-chained)."""
    streams = [stream_of(clock.now_iso())]
    for _ in range(months - 1):
        streams.append(_previous(streams[-1]))
    expected_prev: str | None = None  # unknown until the oldest record in the window
    checked = 0
    head: dict[str, Any] | None = None
    with storage_errors():
        for stream in reversed(streams):
            number = 0
            for item in AuditModel.query(stream, scan_index_forward=True, consistent_read=True):
                number += 1
                reason = _broken(item, number, expected_prev)
                if reason:
                    return {
                        "ok": False,
                        "checked": checked,
                        "first_broken": {"stream": stream, "seq": item.seq, "reason": reason},
                        "head": head,
                    }
                expected_prev = str(item.hash)
                checked += 1
                head = {"stream": stream, "seq": item.seq, "hash": item.hash}
    return {"ok": True, "checked": checked, "first_broken": None, "head": head}


def chain_contains(record_hash: str, months: int = LOOKBACK_MONTHS) -> bool:
    """Whether a record with this hash is still in the trail (a head kept from an earlier
    verification: gone means the records after it were cut off)."""
    streams = [stream_of(clock.now_iso())]
    for _ in range(months - 1):
        streams.append(_previous(streams[-1]))
    with storage_errors():
        return any(item.hash == record_hash for stream in streams for item in AuditModel.query(stream))


def _broken(item: AuditModel, number: int, expected_prev: str | None) -> str | None:
    if item.seq != seq_text(number):
        return f"expected record {seq_text(number)} here: a record was removed or inserted"
    if not item.hash or digest(chained_fields(item)) != item.hash:
        return "the record does not match its hash: it was altered"
    if expected_prev is not None and item.prev_hash != expected_prev:
        return "the previous hash does not match the record before it"
    return None


def _previous(stream: str) -> str:
    year, month = int(stream[6:10]), int(stream[11:13])
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"audit#{year:04d}-{month:02d}"
