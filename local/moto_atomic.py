"""Make moto's DynamoDB as atomic as DynamoDB.

moto's ``transact_write_items`` is not thread-safe: it deep-copies each table before
applying a transaction and, when any condition fails, puts the copies back, which
erases writes other threads committed meanwhile. Under 32 threads that let a
deployment take 12 machines with a cap of 11, and a machine run 6 times with a
limit of 3. Real DynamoDB applies each item write and each transaction atomically,
so the stand-in must too: every data-plane operation takes one lock, and answers with
a copy of the items taken under it (moto serializes its live objects after the call).
Race tests then exercise our conditions, not moto's rollback or torn reads.

Its rollback is also slow: each transaction deep-copies every table it touches, so
a transaction's cost grows with the data (a 500-machine load ran 5x slower at its end
than at its start). Under the lock, conditions are checked first, against the state
before the transaction as DynamoDB does; a failing transaction is refused before any
write, and one that passes needs no table copies.

moto also keeps every model object it ever creates in a class-level list (for its
``/moto-api`` data dump); for DynamoDB that includes the table copies above, so a
500-machine load run grew the local server to 7 GB. DynamoDB's classes stop keeping
them (S3's are left alone: moto uses that list to close object buffers).
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_OPERATIONS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_write_items",
    "transact_get_items",
    "execute_statement",
    "execute_transaction",
)
_lock = threading.RLock()
_installed = False


class _Forgetful(list):  # type: ignore[type-arg]
    """A list that keeps nothing: moto appends every instance to it."""

    def append(self, item: Any) -> None:
        pass


def _stop_tracking_dynamodb_instances() -> None:
    import moto.dynamodb.models as dynamodb_models
    from moto.core.common_models import BaseModel

    seen: set[type] = set()
    pending = list(BaseModel.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls in seen:
            continue
        seen.add(cls)
        pending += cls.__subclasses__()
        if cls.__module__.startswith(dynamodb_models.__name__):
            cls.instances_tracked = _Forgetful()  # type: ignore[attr-defined]


class _NoTableCopies:
    """Stands for the ``copy`` module inside moto's DynamoDB backend while a transaction
    whose conditions were already checked runs: its rollback copies are not needed."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def deepcopy(self, value: Any, *args: Any) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else self._real.deepcopy(value, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _conditions_first(original: Any) -> Any:
    import moto.dynamodb.models as backend_module
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import TransactionCanceledException

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _lock:
            reasons: list[tuple[Any, Any, Any]] = []
            for item in transact_items:
                _, op = next(iter(item.items()))
                table = self.get_table(op["TableName"])
                if "Key" in op:
                    key = op["Key"]
                else:
                    names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
                    key = {n: op["Item"][n] for n in names}
                condition = op.get("ConditionExpression")
                holds = condition is None or get_filter_expression(
                    condition,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                ).expr(self.get_item(op["TableName"], key))
                reasons.append(
                    (None, None, None) if holds else ("ConditionalCheckFailed", "The conditional request failed", None)
                )
            if any(code for code, _, _ in reasons):
                raise TransactionCanceledException(reasons)
            backend_module.copy = _NoTableCopies(copy)  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            finally:
                backend_module.copy = copy

    return transact_write_items


def install() -> None:
    """Wrap moto's DynamoDB backend operations in one lock and stop its instance
    tracking (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend

    _stop_tracking_dynamodb_instances()

    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name)
        if name == "transact_write_items":
            original = _conditions_first(original)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                # moto answers with its live item objects and serializes them after this
                # returns: a write applied meanwhile would be read half done (a script head
                # with the new version and the old checksum). A copy taken under the lock
                # is the snapshot DynamoDB would return.
                return copy.deepcopy(__original(self, *args, **kwargs))

        setattr(DynamoDBBackend, name, locked)
    _installed = True
