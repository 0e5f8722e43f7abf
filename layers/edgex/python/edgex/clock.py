"""Time in one format: ISO-8601 UTC with milliseconds, sortable as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_iso() -> str:
    return iso(now())


def parse(stamp: str) -> datetime:
    """A stamp written by :func:`iso` as an aware datetime."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def seconds_since(stamp: str | None) -> float:
    """How long ago ``stamp`` was (infinite for None)."""
    return float("inf") if stamp is None else (now() - parse(stamp)).total_seconds()


def in_hours(hours: int) -> str:
    return iso(now() + timedelta(hours=hours))


def is_past(stamp: str | None) -> bool:
    """True when ``stamp`` (as written by :func:`iso`) lies in the past; None never expires."""
    return stamp is not None and stamp <= now_iso()
