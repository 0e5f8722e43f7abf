"""Make moto's DynamoDB as atomic as DynamoDB.

moto's ``transact_write_items`` is not thread-safe: it deep-copies each table before
applying a transaction and, when any condition fails, puts the copies back, which
erases writes other threads committed meanwhile. Under 32 threads that let a
deployment take 12 machines with a cap of 11, and a machine run 6 times with a
limit of 3. Real DynamoDB applies each item write and each transaction atomically,
so the stand-in must too: every data-plane operation takes one lock. Race tests then
exercise our conditions, not moto's rollback.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

_OPERATIONS = (
    "put_item", "get_item", "update_item", "delete_item", "query", "scan", "batch_get_item", "batch_write_item",
    "transact_write_items", "transact_get_items", "execute_statement", "execute_transaction",
)
_lock = threading.RLock()
_installed = False


def install() -> None:
    """Wrap moto's DynamoDB backend operations in one lock (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    _installed = True
