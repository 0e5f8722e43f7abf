"""The audit table: one stream per month (``audit#YYYY-MM``), records numbered 1, 2,
3 ... within it. Records are only ever added, with a must-not-exist put: nothing
here updates or deletes one (no role may)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from edgex.store import cursors
from edgex.store.admin_tables import AuditModel
from edgex.store.base import ConditionFailed, storage_errors

SEQ_DIGITS = 12
STREAM_PREFIX = "audit#"
CURSOR = cursors.Shape(
    {"stream": cursors.text(r"audit#[0-9]{4}-(0[1-9]|1[0-2])"), "seq": cursors.text(rf"[0-9]{{{SEQ_DIGITS}}}")}
)


def stream_of(stamp: str) -> str:
    """The month's stream of an ISO time."""
    return f"{STREAM_PREFIX}{stamp[:7]}"


def previous(stream: str) -> str:
    """The month before."""
    year, month = int(stream[6:10]), int(stream[11:13])
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{STREAM_PREFIX}{year:04d}-{month:02d}"


def seq_text(number: int) -> str:
    return f"{number:0{SEQ_DIGITS}d}"


def newest(stream: str) -> AuditModel | None:
    with storage_errors():
        return next(iter(AuditModel.query(stream, scan_index_forward=False, limit=1, consistent_read=True)), None)


def append(item: AuditModel) -> bool:
    """Add ``item`` at its number; False when another record took that number first."""
    try:
        with storage_errors():
            item.save(condition=AuditModel.seq.does_not_exist())
    except ConditionFailed:
        return False
    return True


def oldest_first(stream: str) -> Iterator[AuditModel]:
    """Every record of a stream, in chain order (consistent reads)."""
    with storage_errors():
        yield from AuditModel.query(stream, scan_index_forward=True, consistent_read=True)


def page(first_stream: str, limit: int, cursor: str | None, months: int) -> tuple[list[AuditModel], str | None]:
    """Newest first across monthly streams: the cursor names the stream it stopped in;
    an exhausted month continues with the month before, ``months`` streams at most."""
    last = cursors.decode(cursor, CURSOR)
    stream = last["stream"]["S"] if last else first_stream
    items: list[AuditModel] = []
    with storage_errors():
        for _ in range(months):
            found = AuditModel.query(
                stream,
                scan_index_forward=False,
                limit=limit - len(items),
                last_evaluated_key=last if last and last["stream"]["S"] == stream else None,
            )
            items += list(found)
            if found.last_evaluated_key:
                return items, cursors.encode(found.last_evaluated_key)
            if len(items) >= limit:
                return items, cursors.encode({"stream": {"S": stream}, "seq": {"S": items[-1].seq}})
            stream = previous(stream)
            last = None
    return items, None


def new_record(stream: str, number: int, **fields: Any) -> AuditModel:
    return AuditModel(stream, seq_text(number), **fields)
