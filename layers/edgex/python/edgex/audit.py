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
from typing import Any, NamedTuple

from edgex import clock
from edgex.errors import AuditBusy
from edgex.store import audit as store
from edgex.store import tables
from edgex.store.admin_tables import AuditModel

GENESIS = "0" * 64  # the previous hash of the very first record
SEQ_DIGITS = store.SEQ_DIGITS
APPEND_ATTEMPTS = 64  # lost races before giving up (each loss means another record got in)
LOOKBACK_MONTHS = 24  # how far back a listing, a month's first record and the verifier look


class Actor(NamedTuple):
    """Who is calling: from the verified admin JWT."""

    username: str
    role: str
    email: str | None = None
    groups: tuple[str, ...] = ()


stream_of = store.stream_of
seq_text = store.seq_text


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


def _tail_before(stream: str) -> str:
    """The hash a month's first record links to: the newest record of an earlier month."""
    for _ in range(LOOKBACK_MONTHS):
        stream = store.previous(stream)
        newest = store.newest(stream)
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
        head = store.newest(stream)
        if head is None:
            number, prev = 1, _tail_before(stream)
        else:
            number, prev = int(head.seq) + 1, head.hash or digest(chained_fields(head))
        item = store.new_record(
            stream,
            number,
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
        if not store.append(item):
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


def list_page(limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first across monthly streams, back to the first record (two years of
    empty months at most per page)."""
    items, next_cursor = store.page(stream_of(clock.now_iso()), limit, cursor, LOOKBACK_MONTHS)
    return [view(i) for i in items], next_cursor


def verify(months: int = LOOKBACK_MONTHS) -> dict[str, Any]:
    """Walk the chain oldest to newest over the last ``months`` monthly streams and
    report the first broken link: a record whose hash does not match its fields
    (edited), a number out of sequence (removed or inserted), or a previous hash that
    is not the hash of the record before it (replaced or re-chained)."""
    streams = _streams(months)
    expected_prev: str | None = None  # unknown until the oldest record in the window
    checked = 0
    head: dict[str, Any] | None = None
    for stream in reversed(streams):
        number = 0
        for item in store.oldest_first(stream):
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
    return any(item.hash == record_hash for stream in _streams(months) for item in store.oldest_first(stream))


def _streams(months: int) -> list[str]:
    """This month's stream and the ``months - 1`` before it, newest first."""
    streams = [stream_of(clock.now_iso())]
    for _ in range(months - 1):
        streams.append(store.previous(streams[-1]))
    return streams


def _broken(item: AuditModel, number: int, expected_prev: str | None) -> str | None:
    if item.seq != seq_text(number):
        return f"expected record {seq_text(number)} here: a record was removed or inserted"
    if not item.hash or digest(chained_fields(item)) != item.hash:
        return "the record does not match its hash: it was altered"
    if expected_prev is not None and item.prev_hash != expected_prev:
        return "the previous hash does not match the record before it"
    return None
