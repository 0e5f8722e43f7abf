"""Round trips: the DynamoDB and S3 calls of each agent endpoint, per machine lifecycle.

The real handlers run in-process on moto, fed the payload-2.0 events the local
server builds (``local.server.to_event``), so the count is the count of the code
that ships. Each machine does what the bootstrapper and the wrapper do for a typical
run, one that lasts past one report interval (30 s): installer, enroll, download, then
the wrapper's two reports (``reports``): the periodic one with the entries said so far
(start and two progress lines) and the output printed so far, and the final one with
the last entry, the final ``complete`` and the last output. A run within one interval
sends only the final report; each further interval adds one report.

Each endpoint is a Lambda of its own, so before its first request every cached
client is dropped: the clients that request creates are the clients a cold
function creates, and the cold-start bench builds exactly those. That reset also
drops what the store keeps of a deployment (edgex.store.base.Kept), for every
endpoint at once since they share this process: the second lifecycle reads it all
again, which on AWS no function does (each keeps its own), so it is not counted.
What a function's first request reads beyond a warm one is said in a note.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import importlib
import json
import logging
import statistics
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.metering import Call, Recorder, Window

# A progress report and the final report cost different calls (two plain writes; one
# transaction that also moves the status and the counters): measured apart.
ENDPOINTS = ("installer", "enroll", "download", "feedback", "feedback_final")
HANDLERS = {
    "installer": "agent_installer",
    "enroll": "agent_enroll",
    "download": "agent_download",
    "feedback": "agent_feedback",
    "feedback_final": "agent_feedback",
}
# S3 bills GET and HEAD at one price, PUT, COPY, POST and LIST at another.
S3_GET_CLASS = ("GetObject", "HeadObject")
ROUTE_OF = {"feedback_final": "feedback"}  # the API route a measured endpoint is a request of
# The request a function's cold start is measured with, when it serves two kinds: the
# feedback function's final report (a transaction, output stored), the heavier of its two.
COLD_ENDPOINT = {"agent_feedback": "feedback_final"}
WARM_FROM = 2  # lifecycle 0 is every function's first request; 1 re-reads what 0's resets dropped (see above)
# What the bash bootstrapper's curl sends with --compressed (the least a zlib build offers).
CURL_COMPRESSED = {"Accept-Encoding": "deflate, gzip"}
GEO = {
    "CloudFront-Viewer-Country": "DE",
    "CloudFront-Viewer-City": "Frankfurt am Main",
    "CloudFront-Viewer-Country-Region": "HE",
    "CloudFront-Viewer-Latitude": "50.11660",
    "CloudFront-Viewer-Longitude": "8.68330",
    "CloudFront-Viewer-Time-Zone": "Europe/Berlin",
}
SCRIPT = '#!/usr/bin/env bash\nset -euo pipefail\necho "hello from $(hostname)"\nuname -a\n'


def reports(hostname: str) -> list[dict[str, Any]]:
    """The bodies of a typical run's reports, as the bash wrapper batches and words them
    (entries ride with the output; see ``_orc_batcher`` in the wrapper): the periodic
    report, then the final one."""
    at = "2026-12-02T10:00:00Z"
    return [
        {
            "entries": [
                {
                    "status": "info",
                    "message": f"Script started on {hostname} (Debian GNU/Linux 12, x86_64)",
                    "step": "start",
                },
                {"status": "info", "message": "Installing packages", "step": "install"},
                {
                    "status": "warning",
                    "message": "Attempt 1/3 failed (exit 28), retrying in 5s: curl -fsS https://example.org",
                    "step": "download",
                },
            ],
            "output": [
                {"stream": "stdout", "at": at, "text": f"hello from {hostname}\nReading package lists...\n"},
                {"stream": "stderr", "at": at, "text": "curl: (28) Operation timed out after 10001 milliseconds\n"},
            ],
        },
        {
            "entries": [
                {"status": "info", "message": f"{hostname} | Debian GNU/Linux 12 | x86_64 | 7.6 GB | 10.0.3.17 | root"},
                {"status": "success", "message": "Script completed successfully", "step": "complete", "exit_code": 0},
            ],
            "output": [
                {
                    "stream": "stdout",
                    "at": at,
                    "text": f"Linux {hostname} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 x86_64 GNU/Linux\n",
                }
            ],
        },
    ]


@dataclass
class EndpointFigures:
    """What one endpoint costs per request (warm medians; calls identical on every machine)."""

    endpoint: str
    dynamodb: int
    s3: int
    operations: dict[str, int]
    read_units: float
    write_units: int
    s3_gets: int
    handler_ms: float  # in-process wall time on moto, meter excluded
    storage_ms: float  # of which inside botocore calls (client side + moto)
    service_ms: float  # of which moto answering (what AWS does on its side, not Lambda time)
    cold_clients: list[str] = field(default_factory=list)  # plan for the cold-start bench
    cold_sessions: int = 0
    response_bytes: int = 0  # the handler's answer, body and headers (median)
    log_bytes: int = 0  # the log lines it wrote (median)

    @property
    def own_ms(self) -> float:
        """Work done in the function: our code plus botocore's client side (serialize, sign,
        parse), i.e. the handler's time minus the service's."""
        return max(self.handler_ms - self.service_ms, 0.0)

    @property
    def total(self) -> int:
        return self.dynamodb + self.s3


@dataclass
class Result:
    endpoints: dict[str, EndpointFigures]
    per_machine: dict[str, int]  # requests per endpoint in one lifecycle
    lifecycle: dict[str, float]  # calls and units of one whole lifecycle (median over warm machines)
    extras: dict[str, EndpointFigures]  # batch feedback, re-enrollment
    item_sizes: dict[str, int]
    notes: list[str]
    moto_copy_ms: dict[str, float] = field(default_factory=dict)  # see moto_copy_cost
    cold_requests: dict[str, Window] = field(default_factory=dict)  # first request per endpoint, replayable
    floor_request: dict[str, Any] = field(default_factory=dict)  # the floor's one GetItem and its answer
    lifecycles: list[list[tuple[str, Window]]] = field(default_factory=list)  # the warm ones, for the fleet model
    unit_types: dict[str, float] = field(default_factory=dict)  # billed units of one lifecycle, by type (median)
    identities: list[tuple[str, ...]] = field(default_factory=list)  # per warm lifecycle: what names its machine

    def without(self, skip: frozenset[str]) -> tuple[dict[str, int], dict[str, float], dict[str, float]]:
        """Requests per lifecycle, units by type and lifecycle totals of the measured
        lifecycles with the requests of ``skip`` left out: another run shape, priced from
        the same measured requests (e.g. a run that ends before its first periodic report)."""
        per_machine = {e: 0 if e in skip else n for e, n in self.per_machine.items()}
        return per_machine, _unit_types(self.lifecycles, skip), _lifecycle_totals(self.lifecycles, skip)


def _event(
    route: Any, token: str, body: Any = None, query: str = "", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    from local.server import to_event

    data = json.dumps(body).encode() if body is not None else b""
    all_headers = {"Authorization": f"Bearer {token}", "User-Agent": "curl/8.5.0", **(headers or {})}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    request = EnvironBuilder(
        path=route.path, method=route.method, headers=all_headers, data=data, query_string=query or None
    ).get_request()
    return to_event(request, route, {}, data)


def _forget_clients() -> None:
    """What a fresh Lambda environment has: no botocore session, client or binding."""
    import boto3

    from edgex.store import base

    base.reset()
    boto3.DEFAULT_SESSION = None


def _clients_built() -> list[str]:
    """Which lazily created clients exist now (every model shares the store's one
    DynamoDB connection), in names the cold-start bench understands."""
    from edgex.store import base

    return base.built_clients()


class Machine:
    """One simulated machine calling the handlers in-process."""

    def __init__(self, bench: _Bench, n: int) -> None:
        self.bench, self.n = bench, n
        self.hostname = f"bench-{n:05d}"
        self.machine_id = f"bench-machine-{n:05d}-{uuid.uuid4().hex[:8]}"
        self.agent_token = ""
        self.target_id = ""

    def lifecycle(self) -> list[tuple[str, Window]]:
        b = self.bench
        seen = [("installer", b.call("installer", b.master_token, query="type=bash"))]
        enroll = b.call(
            "enroll", b.master_token, body={"hostname": self.hostname, "machine_id": self.machine_id}, headers=GEO
        )
        seen.append(("enroll", enroll))
        self.agent_token = b.last_body["agent_token"]
        self.target_id = str(b.last_body["target_id"])
        seen.append(("download", b.call("download", self.agent_token, headers=CURL_COMPRESSED)))
        *progress, final = reports(self.hostname)
        for n, body in enumerate(progress):
            seen.append(("feedback", b.call("feedback", self.agent_token, body=body, headers=_request_key(n))))
        seen.append(
            (
                "feedback_final",
                b.call("feedback_final", self.agent_token, body=final, headers=_request_key(len(progress))),
            )
        )
        return seen


class _Bench:
    def __init__(self, recorder: Recorder) -> None:
        from manifest import BY_HANDLER

        self.recorder = recorder
        self.routes = {e: BY_HANDLER[h] for e, h in HANDLERS.items()}
        self.handlers = {e: importlib.import_module(f"handlers.{h}").handler for e, h in HANDLERS.items()}
        self.cold_plan: dict[str, tuple[list[str], list[str], int]] = {}
        self.master_token = ""
        self.last_body: Any = None

    def call(
        self, endpoint: str, token: str, body: Any = None, query: str = "", headers: dict[str, str] | None = None
    ) -> Window:
        event = _event(self.routes[endpoint], token, body, query, headers)
        first = endpoint not in self.cold_plan
        if first:
            _forget_clients()
        logged = LOG_SINK.written
        # The agent functions' logger writes its lines to stdout (edgex.log.JsonLogger).
        with self.recorder.window() as window, contextlib.redirect_stdout(LOG_SINK):  # type: ignore[type-var]
            answer = self.handlers[endpoint](event, None)
        window.event = event
        window.log_bytes = LOG_SINK.written - logged
        sent = _body_bytes(answer)  # what leaves API Gateway: a base64 body is sent decoded
        window.response_bytes = len(sent) + sum(len(k) + len(str(v)) + 4 for k, v in answer.get("headers", {}).items())
        if first:
            self.cold_plan[endpoint] = (_clients_built(), window.clients, window.sessions)
        if answer["statusCode"] >= 300:
            raise RuntimeError(f"{endpoint} answered {answer['statusCode']}: {answer['body'][:300]}")
        if answer["headers"].get("Content-Encoding") == "gzip":
            sent = gzip.decompress(sent)
        text = sent.decode("utf-8")
        self.last_body = (
            json.loads(text) if answer["headers"].get("Content-Type", "").startswith("application/json") else text
        )
        return window


def _body_bytes(answer: dict[str, Any]) -> bytes:
    body = answer.get("body") or ""
    return base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")


def s3_requests(calls: list[Call]) -> tuple[int, int]:
    """S3 calls by how S3 bills them: (GET class, PUT class)."""
    s3 = [c for c in calls if c.service == "s3"]
    gets = sum(1 for c in s3 if c.operation in S3_GET_CLASS)
    return gets, len(s3) - gets


def first_request_extra(first: Window, warm: EndpointFigures) -> tuple[float, int]:
    """Read units and S3 GETs a new function's first request makes beyond a warm one's."""
    units = sum(c.read_units for c in first.calls) - warm.read_units
    return max(units, 0.0), max(s3_requests(first.calls)[0] - warm.s3_gets, 0)


def cold_requests(result: Result) -> dict[str, Window]:
    """Per function (handler name), the first request its cold start is measured with."""
    chosen: dict[str, Window] = {}
    for endpoint, window in result.cold_requests.items():
        handler = HANDLERS[endpoint]
        if COLD_ENDPOINT.get(handler, endpoint) == endpoint:
            chosen[handler] = window
    return chosen


def _request_key(n: int) -> dict[str, str]:
    """The wrapper names each report (its retries keep the name); the output's objects
    are stored under it."""
    return {"X-Edgex-Request": f"{1764669600 + n * 30}-0004242-{n + 1:06d}"}


def _figures(endpoint: str, windows: list[Window], cold: tuple[list[str], list[str], int] | None) -> EndpointFigures:
    sample = windows[-1]
    counts = [(w.count("dynamodb"), w.count("s3")) for w in windows]
    if len(set(counts)) > 1:
        raise RuntimeError(f"{endpoint}: call counts differ between requests: {sorted(set(counts))}")
    ops: dict[str, int] = {}
    for call in sample.calls:
        ops[call.name] = ops.get(call.name, 0) + 1
    return EndpointFigures(
        endpoint=endpoint,
        dynamodb=sample.count("dynamodb"),
        s3=sample.count("s3"),
        operations=ops,
        read_units=statistics.median(sum(c.read_units for c in w.calls) for w in windows),
        write_units=round(statistics.median(sum(c.write_units for c in w.calls) for w in windows)),
        s3_gets=s3_requests(sample.calls)[0],
        handler_ms=statistics.median(w.seconds for w in windows) * 1000,
        storage_ms=statistics.median(w.storage_seconds for w in windows) * 1000,
        service_ms=statistics.median(w.service_seconds for w in windows) * 1000,
        cold_clients=cold[0] if cold else [],
        cold_sessions=cold[2] if cold else 0,
        response_bytes=round(statistics.median(w.response_bytes for w in windows)),
        log_bytes=round(statistics.median(w.log_bytes for w in windows)),
    )


class _CountingSink:
    """Where the handlers' log lines go during the bench: counted (CloudWatch Logs bills
    the bytes ingested), not printed."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, text: str) -> int:
        self.written += len(text.encode())
        return len(text)

    def flush(self) -> None:
        pass


LOG_SINK = _CountingSink()


def _silence_request_log() -> None:
    """The handlers log one JSON line per request to stdout; the bench's stdout is the
    table. The formatting still runs (it is part of a request's cost), the line goes
    to a counting sink: powertools' handler is pointed at it here, the agent logger's
    stdout is redirected around each call (_Bench.call)."""
    for name in ("edgex", ""):
        for handler in logging.getLogger(name or None).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(LOG_SINK)  # type: ignore[arg-type]


def _item_sizes(deployment_id: int) -> dict[str, int]:
    """Sizes of the items an agent touches; the deployment item's biggest attribute too,
    since every counter update is charged on the whole item."""
    import boto3

    from bench.capacity import item_size, value_size
    from local.server import physical_table

    client = boto3.client("dynamodb")
    dep = client.get_item(
        TableName=physical_table("deployments"), Key={"deployment_id": {"N": str(deployment_id)}}, ConsistentRead=True
    )["Item"]
    rows = client.scan(TableName=physical_table("targets"), Limit=200)["Items"]
    logs = client.scan(TableName=physical_table("logs"), Limit=20)["Items"]
    name, value = max(dep.items(), key=lambda kv: len(kv[0]) + value_size(kv[1]))
    sizes = {
        "deployment": item_size(dep),
        f"largest attribute of the deployment ({name})": len(name) + value_size(value),
    }
    kinds = {
        "t#": "target",
        "h#": "hostname claim",
        "w#": "wrapper snapshot item",
        "b#": "bootstrapper snapshot item",
    }
    for prefix, label in kinds.items():
        found = [r for r in rows if r["pk"]["S"].startswith(prefix)]
        if found:
            sizes[label] = max(item_size(r) for r in found)
    if logs:
        sizes["log entry"] = max(item_size(r) for r in logs)
    return sizes


def measure(machines: int = 12) -> Result:
    """Run ``machines`` lifecycles (the first one cold) and a few extra requests on moto."""
    from moto import mock_aws

    from edgex import deployments, identity, scripts
    from edgex.audit import Actor
    from edgex.store import tables
    from local import server

    server.configure_environment("https://edgex.example.com")
    with mock_aws():
        _forget_clients()
        identity.reset_cache()
        server.create_resources()
        tables.bind()
        admin = Actor(username="bench", role="admin")
        script = scripts.create({"name": "bench", "type": "bash", "content": SCRIPT}, admin)
        dep = deployments.create({"script_id": script["id"], "name": "bench", "expected_machines": machines + 5}, admin)
        recorder = Recorder(server.REGION)
        with recorder.installed():
            bench = _Bench(recorder)
            _silence_request_log()
            bench.master_token = dep["master_token"]
            runs = [Machine(bench, n) for n in range(machines)]
            lifecycles = [m.lifecycle() for m in runs]
            batch_machine = runs[-1]
            batch = [{"status": "info", "message": f"line {i}", "step": "batch"} for i in range(50)]
            batch_window = bench.call("feedback", batch_machine.agent_token, body={"entries": batch})
            again = [
                bench.call(
                    "enroll", bench.master_token, body={"hostname": m.hostname, "machine_id": m.machine_id}, headers=GEO
                )
                for m in runs[-2:]
            ][-1]  # the second: the code path's first run imports
            floor = _floor_request(recorder, int(dep["id"]))
        sizes = _item_sizes(int(dep["id"]))
        copy_ms = moto_copy_cost()
    warm = lifecycles[WARM_FROM:]
    figures = {}
    for endpoint in ENDPOINTS:
        windows = [w for lc in warm for e, w in lc if e == endpoint]
        figures[endpoint] = _figures(endpoint, windows, bench.cold_plan.get(endpoint))
    extras = {
        "feedback, batch of 50": _figures("feedback", [batch_window], None),
        "enroll, same machine again": _figures("enroll", [again], None),
    }
    per_machine = {e: sum(1 for x, _ in lifecycles[0] if x == e) for e in ENDPOINTS}
    cold = {e: next(w for x, w in lifecycles[0] if x == e) for e in ENDPOINTS}
    notes = _cold_notes(bench.cold_plan) + _first_request_notes(cold, figures)
    singles = {
        e for lc in warm for e, w in lc for c in w.calls if c.operation == "TransactWriteItems" and len(c.writes) == 1
    }
    if singles:
        notes.append(
            f"{', '.join(sorted(singles))}: some requests send a TransactWriteItems of a single item, which "
            "DynamoDB charges double (2 WRU per KB); a plain PutItem/UpdateItem is as atomic for one item "
            "and costs half"
        )
    if extras["enroll, same machine again"].operations.get("dynamodb.GetItem", 0) > 1:
        notes.append(
            "enroll of a machine already enrolled: the cancelled TransactWriteItems is followed by a GetItem "
            "of the target; ReturnValuesOnConditionCheckFailure=ALL_OLD on the target put would return it "
            "with the cancellation and save that call"
        )
    return Result(
        figures,
        per_machine,
        _lifecycle_totals(warm),
        extras,
        sizes,
        notes,
        copy_ms,
        cold_requests=cold,
        floor_request=floor,
        lifecycles=warm,
        unit_types=_unit_types(warm),
        identities=[(m.target_id, m.hostname.lower(), m.machine_id) for m in runs[WARM_FROM:]],
    )


def _unit_types(lifecycles: list[list[tuple[str, Window]]], skip: frozenset[str] = frozenset()) -> dict[str, float]:
    """Units of one lifecycle by type (median over the lifecycles; a type absent counts 0),
    leaving out the requests of the endpoints in ``skip``."""
    each = []
    for seen in lifecycles:
        totals: dict[str, float] = {}
        for endpoint, window in seen:
            if endpoint in skip:
                continue
            for call in window.calls:
                for kind, units in call.unit_types.items():
                    totals[kind] = totals.get(kind, 0.0) + units
        each.append(totals)
    kinds = sorted(set().union(*each))
    return {k: statistics.median(t.get(k, 0.0) for t in each) for k in kinds}


def _floor_request(recorder: Recorder, deployment_id: int) -> dict[str, Any]:
    """The floor's one storage call (a GetItem of the deployment item, as an agent request
    starts), answered by moto; the cold-start bench replays the answer."""
    import botocore.session

    from local.server import REGION, physical_table

    client = botocore.session.get_session().create_client("dynamodb", region_name=REGION)
    params = {"TableName": physical_table("deployments"), "Key": {"deployment_id": {"N": str(deployment_id)}}}
    with recorder.window() as window:
        client.get_item(**params)
    return {"params": params, "responses": window.responses}


def _lifecycle_totals(
    lifecycles: list[list[tuple[str, Window]]], skip: frozenset[str] = frozenset()
) -> dict[str, float]:
    def totals(seen: list[tuple[str, Window]]) -> dict[str, float]:
        kept = [(e, w) for e, w in seen if e not in skip]
        calls = [c for _, w in kept for c in w.calls]
        return {
            "requests": len(kept),
            "dynamodb": sum(1 for c in calls if c.service == "dynamodb"),
            "s3": sum(1 for c in calls if c.service == "s3"),
            "read_units": sum(c.read_units for c in calls),
            "write_units": sum(c.write_units for c in calls),
            "s3_gets": s3_requests(calls)[0],
            "s3_puts": s3_requests(calls)[1],
        }

    each = [totals(seen) for seen in lifecycles]
    return {key: statistics.median(t[key] for t in each) for key in each[0]}


def moto_copy_cost(machines: int = 500) -> dict[str, float]:
    """What moto spends per transaction item on its rollback snapshot once the tables
    hold ``machines`` lifecycles: moto 5 deep-copies every table a TransactWriteItems
    touches, once per item, so the local server slows down as its tables grow. Not
    AWS's behaviour and not our code, but it sets the local server's throughput."""
    import copy
    import time

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from edgex.store import keys
    from edgex.store.tables import LogModel, TargetModel
    from local.server import REGION, physical_table

    with LogModel.batch_write() as logs, TargetModel.batch_write() as targets:
        for n in range(machines):
            target_id = f"{n:016x}"
            targets.save(
                TargetModel(
                    keys.target_pk(999_999, target_id),
                    list_shard=keys.list_shard(999_999, keys.shard_of(target_id)),
                    member=keys.target_member(target_id),
                    deployment_id=999_999,
                    target_id=target_id,
                    hostname=f"copy-{n}",
                    machine_id=f"copy-machine-{n}",
                    token_hash="0" * 64,
                    status="completed",
                    geo={"country": "DE"},
                    enrolled_at="2026-01-01T00:00:00.000Z",
                    last_seen_at="2026-01-01T00:00:00.000Z",
                )
            )
            for i, body in enumerate(e for r in reports(f"copy-{n}") for e in r["entries"]):
                logs.save(
                    LogModel(
                        keys.log_partition(999_999, target_id),
                        keys.log_seq(1, f"{i:09d}"),
                        feed_shard=keys.list_shard(999_999, keys.shard_of(target_id)),
                        at=keys.feed_at("2026-01-01T00:00:00.000Z", target_id, keys.log_seq(1, f"{i:09d}")),
                        deployment_id=999_999,
                        target_id=target_id,
                        hostname=f"copy-{n}",
                        run=1,
                        entries=[{"status": body["status"], "message": body["message"], "step": body.get("step")}],
                        timestamp="2026-01-01T00:00:00.000Z",
                    )
                )
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables
    found = {}
    for name in ("targets", "logs"):
        table = tables[physical_table(name)]
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            copy.deepcopy(table)
            timings.append(time.perf_counter() - started)
        found[f"{name} ({len(table)} items)"] = round(statistics.median(timings) * 1000, 1)
    return found


def _first_request_notes(first: dict[str, Window], warm: dict[str, EndpointFigures]) -> list[str]:
    """What a function's first request reads that a warm one does not (what it then keeps)."""
    notes = []
    for endpoint, window in first.items():
        fig = warm[endpoint]
        units = sum(c.read_units for c in window.calls)
        extra = len(window.calls) - fig.total
        if extra > 0 or units > fig.read_units:
            notes.append(
                f"{endpoint}: a new function's first request makes {len(window.calls)} calls "
                f"({calls_summary(window.calls)}) for {units:g} RRU, a warm one {fig.total} for "
                f"{fig.read_units:g}: what never changes of a deployment is read once and kept"
            )
    return notes


def _cold_notes(plan: dict[str, tuple[list[str], list[str], int]]) -> list[str]:
    notes = []
    for endpoint, (built, created, sessions) in plan.items():
        if len(built) != len(created):
            notes.append(
                f"{endpoint}: {len(created)} botocore clients created ({', '.join(created)}) but "
                f"{len(built)} found cached ({', '.join(built)})"
            )
        dynamo = sum(1 for c in created if c == "dynamodb")
        if dynamo > 1:
            notes.append(
                f"{endpoint}: the first request creates {dynamo} DynamoDB clients in {sessions} botocore "
                f"sessions ({', '.join(built)}): the store should share one "
                "connection"
            )
    return notes


def calls_summary(calls: list[Call]) -> str:
    return ", ".join(c.name for c in calls)
