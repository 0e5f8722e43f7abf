"""Counting the storage calls a handler makes, and what each would cost on AWS.

Every botocore client funnels its API calls through ``BaseClient._make_api_call``,
whichever session created it: pynamodb gives each model connection its own
botocore session, the store another, boto3 a third for S3. Wrapping that
one method counts them all, including clients created lazily during the very
request being measured, which per-client event hooks would miss.

For each write the meter reads the touched items before and after (with its own
client, outside the count), so capacity units are charged on real item sizes,
and index writes on the tables' real global secondary indexes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench import capacity

WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem"}


@dataclass
class Write:
    """One item written: where it lands and the units it costs (base table + indexes)."""

    item: str  # "<table>:<hash>|<range>"
    partition: str  # "<table>:<hash>"
    units: int
    index_writes: list[tuple[str, int]] = field(default_factory=list)  # ("<table>/<index>:<hash>", units)


@dataclass
class Call:
    service: str  # dynamodb | s3
    operation: str
    seconds: float
    read_units: float = 0.0
    write_units: int = 0  # base table and index writes together
    writes: list[Write] = field(default_factory=list)
    reads: list[tuple[str, float]] = field(default_factory=list)  # ("<table>[/<index>]:<hash>", read units)
    unit_types: dict[str, float] = field(default_factory=dict)  # billed units by type ("WRU transactional" ...)
    failed: bool = False
    params: dict[str, Any] = field(default_factory=dict)  # as sent, JSON-ready (see to_json): the cold-start replay

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"


@dataclass(frozen=True)
class IndexShape:
    name: str
    hash_key: str
    range_key: str | None
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    included: tuple[str, ...] = ()  # INCLUDE's non-key attributes


@dataclass(frozen=True)
class TableShape:
    hash_key: str
    range_key: str | None
    indexes: tuple[IndexShape, ...]


def index_writes(table: TableShape, index: IndexShape, old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
    """How many index entries a table write puts or deletes, by DynamoDB's rules
    (developerguide/GSI.html#GSI.Writes): one to put an item that now has the index's
    keys or to delete one that no longer has them, two when an index key changes
    (delete, then put), one when only attributes the index projects change, none when
    the item is in the index neither before nor after, or when nothing it projects changed."""
    keys = [n for n in (index.hash_key, index.range_key) if n]
    was = old is not None and all(n in old for n in keys)
    now = new is not None and all(n in new for n in keys)
    if not (was or now):
        return 0
    if was != now:
        return 1
    assert old is not None and new is not None
    if any(old[n] != new[n] for n in keys):
        return 2
    if index.projection == "ALL":
        return 1 if old != new else 0
    projected = {table.hash_key, table.range_key, *keys, *index.included} - {None}
    return 1 if any(old.get(n) != new.get(n) for n in projected) else 0


def _scalar(value: dict[str, Any] | None) -> str:
    if not value:
        return "?"
    ((_, data),) = value.items()
    return str(data)


def short_table(name: str) -> str:
    """Logical name of a physical table (``edgex-local-deployments`` -> ``deployments``)."""
    return name.removeprefix("edgex-local-")


class Meter:
    """Reads items around writes with a client of its own (its calls are not counted)."""

    def __init__(self, region: str) -> None:
        import botocore.session

        self._client = botocore.session.get_session().create_client("dynamodb", region_name=region)
        self._shapes: dict[str, TableShape] = {}

    def shape(self, table: str) -> TableShape:
        if table not in self._shapes:
            desc = self._client.describe_table(TableName=table)["Table"]
            keys = {k["KeyType"]: k["AttributeName"] for k in desc["KeySchema"]}
            indexes = []
            for index in desc.get("GlobalSecondaryIndexes", []):
                ikeys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
                projection = index["Projection"]
                indexes.append(
                    IndexShape(
                        index["IndexName"],
                        ikeys["HASH"],
                        ikeys.get("RANGE"),
                        projection["ProjectionType"],
                        tuple(projection.get("NonKeyAttributes", ())),
                    )
                )
            self._shapes[table] = TableShape(keys["HASH"], keys.get("RANGE"), tuple(indexes))
        return self._shapes[table]

    def key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]:
        shape = self.shape(table)
        names = [shape.hash_key] + ([shape.range_key] if shape.range_key else [])
        return {n: item[n] for n in names}

    def read(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def targets(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
        """(table, kind, key) of every item a write request touches."""
        found: list[tuple[str, str, dict[str, Any]]] = []
        if operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                ((kind, op),) = entry.items()
                key = op.get("Key") or self.key_of(op["TableName"], op["Item"])
                found.append((op["TableName"], kind, key))
        elif operation in WRITE_OPS:
            key = params.get("Key") or self.key_of(params["TableName"], params["Item"])
            found.append((params["TableName"], operation, key))
        elif operation == "BatchWriteItem":
            for table, requests in params.get("RequestItems", {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        found.append((table, "Put", self.key_of(table, request["PutRequest"]["Item"])))
                    else:
                        found.append((table, "Delete", request["DeleteRequest"]["Key"]))
        return found

    def write_cost(
        self, operation: str, touched: list[tuple[str, str, dict[str, Any]]], before: list[dict[str, Any] | None]
    ) -> list[Write]:
        transactional = operation == "TransactWriteItems"
        writes = []
        for (table, kind, key), old in zip(touched, before, strict=True):
            new = self.read(table, key)
            shape = self.shape(table)
            size = max(capacity.item_size(old), capacity.item_size(new))
            hash_value = _scalar(key.get(shape.hash_key))
            range_value = _scalar(key.get(shape.range_key)) if shape.range_key else ""
            name = short_table(table)
            write = Write(
                f"{name}:{hash_value}|{range_value}", f"{name}:{hash_value}", capacity.write_units(size, transactional)
            )
            if kind != "ConditionCheck" and old != new:
                for index in shape.indexes:
                    count = index_writes(shape, index, old, new)
                    if not count:
                        continue
                    entries = [i for i in (old, new) if i and index.hash_key in i]
                    if index.projection == "ALL":
                        isize = max(capacity.item_size(i) for i in entries)
                    else:  # the keys of table and index, and what INCLUDE names
                        names = {shape.hash_key, shape.range_key, index.hash_key, index.range_key, *index.included}
                        isize = max(capacity.item_size({n: i[n] for n in names if n and n in i}) for i in entries)
                    ihash_value = _scalar(entries[-1].get(index.hash_key))
                    units = count * capacity.write_units(isize)
                    write.index_writes.append((f"{name}/{index.name}:{ihash_value}", units))
            writes.append(write)
        return writes


def read_cost(operation: str, params: dict[str, Any], result: dict[str, Any] | None) -> float:
    """Read units of a read request, from the items it returned (a miss costs one unit)."""
    result = result or {}
    if operation == "GetItem":
        size = capacity.item_size(result.get("Item"))
        return capacity.read_units(size, bool(params.get("ConsistentRead")))
    if operation == "BatchGetItem":
        total = 0.0
        for table, request in params.get("RequestItems", {}).items():
            rows = result.get("Responses", {}).get(table, [])
            consistent = bool(request.get("ConsistentRead"))
            sizes = [capacity.item_size(r) for r in rows] + [0] * (len(request.get("Keys", [])) - len(rows))
            total += sum(capacity.read_units(s, consistent) for s in sizes)
        return total
    if operation in ("Query", "Scan"):
        size = sum(capacity.item_size(r) for r in result.get("Items", []))
        return capacity.read_units(size, bool(params.get("ConsistentRead")))
    if operation == "TransactGetItems":
        return sum(
            capacity.read_units(capacity.item_size(r.get("Item")), transactional=True)
            for r in result.get("Responses", [])
        )
    return 0.0


@dataclass(frozen=True)
class Reply:
    """One raw HTTP answer of a storage service, as botocore received it."""

    status: int
    headers: dict[str, str]
    body: bytes

    @classmethod
    def of(cls, response: Any) -> Reply:
        raw = response.raw
        # moto's raw answer is a BytesIO: read it without consuming it (a streamed S3 body
        # is read by the handler later); anything else has its content cached already.
        body = raw.getvalue() if hasattr(raw, "getvalue") else response.content
        return cls(response.status_code, dict(response.headers.items()), bytes(body))

    def to_json(self) -> dict[str, Any]:
        import base64

        return {"status": self.status, "headers": self.headers, "body": base64.b64encode(self.body).decode()}


def _partition(meter: Meter, table: str, value: dict[str, Any] | None, index: str | None = None) -> str:
    name = short_table(table)
    return f"{name}/{index}:{_scalar(value)}" if index else f"{name}:{_scalar(value)}"


def _query_partition(meter: Meter, params: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The partition a Query reads: its hash key's value, from a returned row or the key condition."""
    table, index = params["TableName"], params.get("IndexName")
    shape = meter.shape(table)
    hash_name = (
        next((i.hash_key for i in shape.indexes if i.name == index), shape.hash_key) if index else shape.hash_key
    )
    if rows and hash_name in rows[0]:
        return _partition(meter, table, rows[0][hash_name], index)
    names = {v: k for k, v in params.get("ExpressionAttributeNames", {}).items()}
    condition = params.get("KeyConditionExpression", "")
    for clause in condition.split(" AND "):
        left, _, right = clause.partition("=")
        left, right = left.strip(" ()"), right.strip(" ()")
        if names.get(left, left) == hash_name or left == hash_name:
            return _partition(meter, table, params.get("ExpressionAttributeValues", {}).get(right), index)
    return _partition(meter, table, None, index)


def read_partitions(
    meter: Meter, operation: str, params: dict[str, Any], result: dict[str, Any] | None
) -> tuple[list[tuple[str, float]], str]:
    """Read units per partition key of a read request, and the unit type they are billed as."""
    result = result or {}
    if operation == "GetItem":
        shape = meter.shape(params["TableName"])
        units = read_cost(operation, params, result)
        kind = "RRU strong" if params.get("ConsistentRead") else "RRU eventual"
        return [(_partition(meter, params["TableName"], params["Key"].get(shape.hash_key)), units)], kind
    if operation == "BatchGetItem":
        found: list[tuple[str, float]] = []
        consistent = False
        for table, request in params.get("RequestItems", {}).items():
            shape = meter.shape(table)
            strong = bool(request.get("ConsistentRead"))
            consistent |= strong
            rows = result.get("Responses", {}).get(table, [])
            for key in request.get("Keys", []):
                row = next((r for r in rows if all(r.get(k) == v for k, v in key.items())), None)
                units = capacity.read_units(capacity.item_size(row), strong)
                found.append((_partition(meter, table, key.get(shape.hash_key)), units))
        return found, "RRU strong" if consistent else "RRU eventual"
    if operation == "Query":
        rows = result.get("Items", [])
        kind = "RRU strong" if params.get("ConsistentRead") else "RRU eventual"
        return [(_query_partition(meter, params, rows), read_cost(operation, params, result))], kind
    if operation == "TransactGetItems":
        found = []
        for entry, answer in zip(params.get("TransactItems", []), result.get("Responses", []), strict=False):
            get = entry["Get"]
            shape = meter.shape(get["TableName"])
            units = capacity.read_units(capacity.item_size(answer.get("Item")), transactional=True)
            found.append((_partition(meter, get["TableName"], get["Key"].get(shape.hash_key)), units))
        return found, "RRU transactional"
    return [], ""


def to_json(value: Any) -> Any:
    """``value`` with its bytes (an S3 body, a DynamoDB binary) as ``{"__bytes__": base64}``,
    so a call's parameters can be written as JSON and sent again (the cold-start bench's
    storage-only child decodes them)."""
    import base64

    if isinstance(value, bytes | bytearray):
        return {"__bytes__": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


class Recorder:
    """Counts calls while active; also counts botocore sessions and clients created."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.active = False
        self.calls: list[Call] = []
        self.clients: list[str] = []
        self.sessions = 0
        self.overhead = 0.0  # seconds the meter itself spent inside a measured window
        self.service_seconds = 0.0  # seconds moto spent answering (AWS's side of a call)
        self.responses: list[Reply] = []  # moto's raw HTTP answers, for the cold-start replay
        self._inside = threading.local()
        self._meter: Meter | None = None
        self._restore: list[tuple[Any, str, Any]] = []

    @contextmanager
    def installed(self) -> Iterator[Recorder]:
        import botocore.client
        import botocore.session

        self._meter = Meter(self.region)
        recorder = self
        original_call = botocore.client.BaseClient._make_api_call
        original_create = botocore.session.Session.create_client
        original_init = botocore.session.Session.__init__

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if not recorder.active or getattr(recorder._inside, "on", False):
                return original_call(client, operation, params)
            return recorder._measure(client, operation, params, original_call)

        def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            if recorder.active and not getattr(recorder._inside, "on", False):
                recorder.clients.append(service_name)
            return original_create(session, service_name, *args, **kwargs)

        def session_init(session: Any, *args: Any, **kwargs: Any) -> None:
            if recorder.active and not getattr(recorder._inside, "on", False):
                recorder.sessions += 1
            original_init(session, *args, **kwargs)

        self._restore = [
            (botocore.client.BaseClient, "_make_api_call", original_call),
            (botocore.session.Session, "create_client", original_create),
            (botocore.session.Session, "__init__", original_init),
        ]
        try:
            from moto.core.botocore_stubber import BotocoreStubber
        except ImportError:  # not on moto: no service time to take out
            BotocoreStubber = None
        if BotocoreStubber is not None:
            original_stub = BotocoreStubber.__call__

            def answered(stub: Any, *args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                response = None
                try:
                    response = original_stub(stub, *args, **kwargs)
                    return response
                finally:
                    if recorder.active and not getattr(recorder._inside, "on", False):
                        recorder.service_seconds += time.perf_counter() - started
                        if response is not None:
                            recorder.responses.append(Reply.of(response))

            self._restore.append((BotocoreStubber, "__call__", original_stub))
            BotocoreStubber.__call__ = answered  # type: ignore[method-assign]
        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
        botocore.session.Session.__init__ = session_init  # type: ignore[method-assign]
        try:
            yield self
        finally:
            for owner, name, value in self._restore:
                setattr(owner, name, value)

    def _measure(self, client: Any, operation: str, params: dict[str, Any], original: Any) -> Any:
        assert self._meter is not None
        service = client.meta.service_model.service_name
        meter_started = time.perf_counter()
        self._inside.on = True
        try:
            touched = self._meter.targets(operation, params) if service == "dynamodb" else []
            before = [self._meter.read(t, k) for t, _, k in touched]
            call = Call(service, operation, 0.0, params=to_json(params))
        finally:
            self._inside.on = False
        self.overhead += time.perf_counter() - meter_started
        started = time.perf_counter()
        result = None
        try:
            result = original(client, operation, params)
            return result
        except Exception:
            call.failed = True
            raise
        finally:
            call.seconds = time.perf_counter() - started
            meter_started = time.perf_counter()
            self._inside.on = True
            try:
                if service == "dynamodb":
                    call.read_units = read_cost(operation, params, result)
                    call.reads, kind = read_partitions(self._meter, operation, params, result)
                    if call.read_units:
                        call.unit_types[kind or "RRU other"] = call.read_units
                    if touched:
                        call.writes = self._meter.write_cost(operation, touched, before)
                        call.write_units = sum(w.units + sum(u for _, u in w.index_writes) for w in call.writes)
                        kind = "WRU transactional" if operation == "TransactWriteItems" else "WRU standard"
                        call.unit_types[kind] = sum(w.units for w in call.writes)
                        indexed = sum(u for w in call.writes for _, u in w.index_writes)
                        if indexed:
                            call.unit_types["WRU index"] = indexed
            finally:
                self._inside.on = False
            self.overhead += time.perf_counter() - meter_started
            self.calls.append(call)

    @contextmanager
    def window(self) -> Iterator[Window]:
        """Count what happens inside; the window holds the calls, clients and timing."""
        first_call, first_client, sessions = len(self.calls), len(self.clients), self.sessions
        first_response = len(self.responses)
        overhead, service = self.overhead, self.service_seconds
        window = Window()
        self.active = True
        started = time.perf_counter()
        try:
            yield window
        finally:
            elapsed = time.perf_counter() - started
            self.active = False
            window.calls = self.calls[first_call:]
            window.clients = self.clients[first_client:]
            window.sessions = self.sessions - sessions
            window.seconds = elapsed - (self.overhead - overhead)
            window.service_seconds = self.service_seconds - service
            window.responses = self.responses[first_response:]


@dataclass
class Window:
    calls: list[Call] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    sessions: int = 0
    seconds: float = 0.0  # wall time minus the meter's own reads
    service_seconds: float = 0.0  # of which moto answering: what AWS would do on its side
    responses: list[Reply] = field(default_factory=list)  # the HTTP answers, in order
    event: dict[str, Any] = field(default_factory=dict)  # the payload-2.0 event of the request
    response_bytes: int = 0  # body + headers of the handler's answer (what CloudFront sends out)
    log_bytes: int = 0  # the log lines the handler wrote (what CloudWatch Logs ingests)

    @property
    def storage_seconds(self) -> float:
        return sum(c.seconds for c in self.calls)

    def count(self, service: str) -> int:
        return sum(1 for c in self.calls if c.service == service)
