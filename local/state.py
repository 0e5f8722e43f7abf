"""moto's in-process state, saved to disk so the local platform survives a restart.

moto keeps every service's state in its backend dictionaries; pickling those (S3
object versions included, so pinned version ids stay valid) and putting them back
on start is the whole mechanism.
"""

from __future__ import annotations

import pickle
import threading
from pathlib import Path
from typing import Any


def _backends() -> dict[str, Any]:
    """Data services only: the local user pool holds key objects that do not pickle,
    and is recreated at each start (signed-in dashboards sign in again)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.s3.models import s3_backends

    return {"s3": s3_backends, "dynamodb": dynamodb_backends}


class SharedExclusiveLock:
    """Requests share it; a snapshot takes it alone, so it never sees half a request.
    A waiting snapshot goes first: under steady load the requests would otherwise
    always overlap and the state would never be saved."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    def acquire_shared(self) -> None:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1

    def release_shared(self) -> None:
        with self._cond:
            self._readers -= 1
            self._cond.notify_all()

    def acquire_exclusive(self) -> None:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True

    def release_exclusive(self) -> None:
        with self._cond:
            self._writer = False
            self._cond.notify_all()


def save(path: Path) -> None:
    data = pickle.dumps({name: dict(backend) for name, backend in _backends().items()})
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def load(path: Path) -> bool:
    """Put saved state back; False when there is none."""
    if not path.exists():
        return False
    saved = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, written by save()
    for name, backend in _backends().items():
        for account, regions in saved.get(name, {}).items():
            backend[account] = regions
    return True
