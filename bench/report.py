"""The table on stdout and the figures in ``bench/results.json``.

Each section is rendered once into text lines, figure lines and raw data, so the
printed table and the JSON can never disagree. A figure with a budget carries
``met: true|false``; informational figures carry ``budget: null, met: null``.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from bench import coldstart, cost, scale
from bench.load import LoadResult, percentile
from bench.roundtrips import MINIMUMS, Result


@dataclass
class Line:
    figure: str
    value: Any
    unit: str = ""
    budget: str | None = None
    met: bool | None = None


@dataclass
class Section:
    key: str
    title: str
    text: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: str, value: Any, unit: str = "", budget: str | None = None, met: bool | None = None) -> None:
        self.lines.append(Line(figure, value, unit, budget, met))

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "figures": [asdict(line) for line in self.lines], **self.data}


def table(rows: list[list[Any]], header: list[str]) -> list[str]:
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for n, row in enumerate(cells):
        out.append(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if value is None:
        return "-"
    return str(value)


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 1) if seconds else 0.0


# --- 1. cold start --------------------------------------------------------------------------------------------------


def coldstart_section(cs: coldstart.ColdStart) -> Section:
    s = Section("coldstart", f"1. Cold start: init in a fresh interpreter, median of {cs.runs} interleaved runs")
    floor = cs.floor()
    floor_ms, floor_cpu = _ms(floor.walls), _ms(floor.cpus)
    floor_nopyc = _ms(floor.no_pyc_walls)
    rows = [
        [
            "floor (botocore + 1 DynamoDB client)",
            floor_ms,
            floor_cpu,
            1.0,
            "-",
            "-",
            round(max(floor.rss) / 1024, 1),
            "dynamodb",
            floor_nopyc or None,
        ]
    ]
    s.add("floor init", floor_ms, "ms")
    s.add("floor peak RSS", round(max(floor.rss) / 1024, 1), "MB")
    handlers: dict[str, Any] = {}
    for sub in cs.subjects[1:]:
        ratio = round(cs.ratio(sub), 2)
        cpu_ratio = round(statistics.median(sub.cpus) / statistics.median(floor.cpus), 2)
        met = ratio <= coldstart.BUDGET_RATIO if sub.agent else None
        budget = f"<= {coldstart.BUDGET_RATIO}x floor" if sub.agent else None
        rss = round(max(sub.rss) / 1024, 1)
        clients = "+".join(sub.clients) + (" (est.)" if sub.estimated_clients and sub.clients else "")
        nopyc = _ms(sub.no_pyc_walls) or None
        if sub.agent:
            rows.append(
                [
                    sub.name,
                    _ms(sub.walls),
                    _ms(sub.cpus),
                    ratio,
                    f"<= {coldstart.BUDGET_RATIO}",
                    met,
                    rss,
                    clients or "-",
                    nopyc,
                ]
            )
        s.add(f"{sub.name} init / floor", ratio, "x", budget, met)
        s.add(f"{sub.name} init", _ms(sub.walls), "ms")
        s.add(f"{sub.name} peak RSS", rss, "MB")
        handlers[sub.name] = {
            "agent": sub.agent,
            "init_ms_median": _ms(sub.walls),
            "cpu_ms_median": _ms(sub.cpus),
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "peak_rss_mb": rss,
            "clients": sub.clients,
            "clients_estimated": sub.estimated_clients,
            "phases_ms": {k: round(v * 1000, 1) for k, v in sub.median_phases().items()},
            "runs_ms": [round(w * 1000, 1) for w in sub.walls],
            "no_bytecode_ms_median": nopyc,
        }
    s.text += table(
        rows,
        [
            "agent handler",
            "init ms",
            "cpu ms",
            "x floor",
            "budget",
            "met",
            "RSS MB",
            "clients of 1st request",
            "no .pyc ms",
        ],
    )
    admin = [sub for sub in cs.subjects[1:] if not sub.agent]
    if admin:
        ratios = sorted(((round(cs.ratio(a), 2), a.name) for a in admin), reverse=True)
        s.text.append(
            f"  admin handlers ({len(admin)}, informational, no budget, median of {cs.admin_runs} runs, "
            "clients estimated): "
            f"x floor median {statistics.median(r for r, _ in ratios):.2f}, max {ratios[0][0]:.2f} "
            f"({ratios[0][1]}), min {ratios[-1][0]:.2f} ({ratios[-1][1]})"
        )
    s.text.append(
        "  Where an agent handler's init goes (median ms per phase; imports beyond the floor by package, "
        "-X importtime self time):"
    )
    for sub in cs.subjects[1:]:
        if not sub.agent:
            continue
        phases = ", ".join(f"{k} {v * 1000:.0f}" for k, v in sub.median_phases().items() if v * 1000 >= 0.5)
        s.text.append(f"    {sub.name}: {phases}")
        extra = cs.attributions.get(sub.name, [])
        if extra:
            s.text.append(
                "      imports beyond the floor: " + ", ".join(f"{p} {ms:.0f} ms ({n} modules)" for p, ms, n in extra)
            )
            handlers[sub.name]["imports_beyond_floor_ms"] = {p: round(ms, 1) for p, ms, _ in extra}
    if cs.no_pyc_runs and floor.no_pyc_walls:
        floor_compile = floor_nopyc - floor_ms
        layer = {
            sub.name: round((_ms(sub.no_pyc_walls) - _ms(sub.walls)) - floor_compile, 1)
            for sub in cs.subjects[1:]
            if sub.agent and sub.no_pyc_walls
        }
        s.text.append(
            f"  Without bytecode (median of {cs.no_pyc_runs}; Lambda layers are read-only and built with "
            "pip --no-compile, so nothing of ours has a .pyc there): compiling the layer code costs "
            + ", ".join(f"{k} +{v:.0f} ms" for k, v in layer.items())
            + f" per cold start (floor's own compile of botocore, {floor_compile:.0f} ms, taken out)"
        )
        for name, extra_ms in layer.items():
            s.add(f"{name} layer compile cost without .pyc", extra_ms, "ms")
        s.data["layer_compile_ms"] = layer
    s.data.update(
        {
            "runs": cs.runs,
            "floor_ms_median": floor_ms,
            "floor_cpu_ms_median": floor_cpu,
            "floor_runs_ms": [round(w * 1000, 1) for w in floor.walls],
            "handlers": handlers,
            "bytecode_cache": cs.pycache,
            "definition": "import handlers.<name> + modules its first request imports lazily + the botocore "
            "sessions/clients its first request creates (seen on moto); interpreter start-up "
            "excluded on both sides",
        }
    )
    return s


# --- 2. round trips -------------------------------------------------------------------------------------------------


def roundtrips_section(rt: Result) -> Section:
    s = Section("roundtrips", "2. Round trips: storage calls per request (real handlers, counted at botocore)")
    rows = []
    data: dict[str, Any] = {}
    for name, fig in list(rt.endpoints.items()) + list(rt.extras.items()):
        minimum = fig.minimum
        met = None
        if minimum is not None:
            met = fig.dynamodb <= minimum.dynamodb and fig.s3 <= minimum.s3
        ops = ", ".join(f"{op.split('.')[1]}{'' if n == 1 else f' x{n}'}" for op, n in fig.operations.items())
        rows.append(
            [
                name,
                fig.dynamodb,
                fig.s3,
                fig.total,
                minimum.total if minimum else "-",
                met,
                ops,
                round(fig.read_units, 1),
                fig.write_units,
                round(fig.handler_ms, 1),
                round(fig.own_ms, 1),
            ]
        )
        budget = f"<= {minimum.total} ({minimum.dynamodb} DynamoDB + {minimum.s3} S3)" if minimum else None
        s.add(f"{name} calls", fig.total, "calls", budget, met)
        data[name] = {
            "dynamodb": fig.dynamodb,
            "s3": fig.s3,
            "operations": fig.operations,
            "minimum": asdict(minimum) if minimum else None,
            "met": met,
            "read_units": fig.read_units,
            "write_units": fig.write_units,
            "handler_ms_on_moto": round(fig.handler_ms, 2),
            "service_ms_on_moto": round(fig.service_ms, 2),
            "own_ms": round(fig.own_ms, 2),
            "cold_clients": fig.cold_clients,
            "cold_sessions": fig.cold_sessions,
        }
    s.text += table(
        rows,
        ["endpoint", "DynamoDB", "S3", "total", "minimum", "met", "operations", "RRU", "WRU", "ms on moto", "own ms"],
    )
    lc = rt.lifecycle
    minimum = sum(MINIMUMS[e].total * n for e, n in rt.per_machine.items())
    life_met = lc["dynamodb"] + lc["s3"] <= minimum
    seq = ", ".join(f"{n} {e}" for e, n in rt.per_machine.items())
    s.text.append(
        f"  Lifecycle ({seq}): {int(lc['requests'])} requests, {int(lc['dynamodb'])} DynamoDB + "
        f"{int(lc['s3'])} S3 = {int(lc['dynamodb'] + lc['s3'])} calls (minimum {minimum}: "
        f"{'met' if life_met else 'MISSED'}); {lc['read_units']:.0f} RRU, {lc['write_units']:.0f} WRU"
    )
    s.add("lifecycle calls", int(lc["dynamodb"] + lc["s3"]), "calls", f"<= {minimum}", life_met)
    s.add("lifecycle read units", lc["read_units"], "RRU")
    s.add("lifecycle write units", lc["write_units"], "WRU")
    s.text.append("  Minimums: " + "; ".join(f"{e} {m.total} ({m.calls})" for e, m in MINIMUMS.items()))
    s.text.append(
        "  Units are DynamoDB's sizing rules over the real items: "
        + ", ".join(f"{k} {v:,} B" for k, v in rt.item_sizes.items())
    )
    for note in rt.notes:
        s.text.append(f"  Note: {note}")
    s.text.append(
        "  'ms on moto': in-process handler time with moto answering; 'own ms': minus moto's side "
        "(our code + botocore client work)."
    )
    s.data.update(
        {
            "endpoints": data,
            "per_machine": rt.per_machine,
            "lifecycle": lc,
            "lifecycle_minimum": minimum,
            "item_sizes_bytes": rt.item_sizes,
            "notes": rt.notes,
        }
    )
    return s


# --- 3. load --------------------------------------------------------------------------------------------------------


def load_section(
    lr: LoadResult | None, skipped: str | None = None, moto_copy_ms: dict[str, float] | None = None
) -> Section:
    s = Section("load", "3. Load: simulated machines through the local HTTP server")
    copy_text = ", ".join(f"{k} {v:.0f} ms" for k, v in (moto_copy_ms or {}).items())
    if lr is None:
        s.text.append(f"  SKIPPED: {skipped}")
        s.add("load errors", None, "", "== 0", False)
        s.data["skipped"] = skipped
        return s
    rows = []
    data = {}
    for endpoint, values in lr.latencies.items():
        server = lr.server_ms.get(endpoint, [])
        row = (
            [endpoint, len(values)]
            + [round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)]
            + [round(percentile(server, q), 1) for q in (50, 99)]
        )
        rows.append(row)
        data[endpoint] = {
            "requests": len(values),
            "p50_ms": row[2],
            "p95_ms": row[3],
            "p99_ms": row[4],
            "server_handler_p50_ms": row[5],
            "server_handler_p99_ms": row[6],
        }
        s.add(f"{endpoint} p50", row[2], "ms")
        s.add(f"{endpoint} p95", row[3], "ms")
        s.add(f"{endpoint} p99", row[4], "ms")
    s.text += table(rows, ["endpoint", "requests", "p50 ms", "p95 ms", "p99 ms", "handler p50", "handler p99"])
    s.text.append(
        f"  {lr.agents} machines ({lr.concurrency} at once): {lr.lifecycles} complete lifecycles in "
        f"{lr.seconds:.1f} s = {lr.per_second:.2f} lifecycles/s, {lr.requests / lr.seconds:.1f} requests/s; "
        f"errors {lr.errors}"
    )
    for sample in lr.error_samples:
        s.text.append(f"    error: {sample}")
    consistent = (
        bool(lr.counts)
        and lr.counts.get("enrolled") == lr.agents
        and lr.counts.get("completed") == lr.agents
        and lr.counts.get("running") == 0
    )
    s.text.append(
        f"  Deployment counters afterwards: {lr.counts} ({'consistent' if consistent else 'NOT consistent'}"
        f" with {lr.agents} completed runs)"
    )
    s.text.append(
        "  Latency is client-side (queueing included); 'handler' is the time the server logged inside the handler."
    )
    s.text.append(
        f"  Throughput as the tables grow: {lr.first_fifth_per_second:.2f} lifecycles/s over the first "
        f"fifth of the lifecycles, {lr.last_fifth_per_second:.2f} over the last; server peak RSS "
        f"{lr.server_peak_rss_mb if lr.server_peak_rss_mb is not None else '?'} MB."
    )
    if copy_text:
        s.text.append(
            "  Cause (moto, not our code): moto 5's TransactWriteItems deep-copies every table it touches, "
            f"once per item, for its rollback; one copy at 500 machines' worth of data: {copy_text}. "
            "Every feedback pays the logs copy, every enrollment the targets copy twice."
        )
    s.add("machines simulated", lr.agents, "machines", ">= 500", lr.agents >= 500)
    s.add("lifecycles per second", round(lr.per_second, 2), "lifecycles/s")
    s.add("errors", lr.errors, "", "== 0", lr.errors == 0)
    s.add("counters consistent after load", consistent, "", "== true", consistent)
    s.add("lifecycles per second, first fifth", round(lr.first_fifth_per_second, 2), "lifecycles/s")
    s.add("lifecycles per second, last fifth", round(lr.last_fifth_per_second, 2), "lifecycles/s")
    s.add("server peak RSS", lr.server_peak_rss_mb, "MB")
    s.data.update(
        {
            "moto_transaction_copy_ms": moto_copy_ms,
            "first_fifth_lifecycles_per_second": round(lr.first_fifth_per_second, 3),
            "last_fifth_lifecycles_per_second": round(lr.last_fifth_per_second, 3),
            "server_peak_rss_mb": lr.server_peak_rss_mb,
        }
    )
    s.data.update(
        {
            "agents": lr.agents,
            "concurrency": lr.concurrency,
            "seconds": round(lr.seconds, 2),
            "lifecycles": lr.lifecycles,
            "lifecycles_per_second": round(lr.per_second, 3),
            "errors": lr.errors,
            "error_samples": lr.error_samples,
            "endpoints": data,
            "counts": lr.counts,
            "server_start_seconds": round(lr.server_start_s, 2),
        }
    )
    return s


# --- 4. cost --------------------------------------------------------------------------------------------------------


def cost_section(
    breakdown: cost.CostBreakdown,
    assumptions: cost.Assumptions,
    endpoints: list[cost.EndpointLoad],
    what_if: dict[str, Any] | None,
) -> Section:
    s = Section("cost", f"4. Cost of {breakdown.machines:,} machine runs at AWS list prices")
    s.text.append(f"  Prices: {cost.PRICES_AS_OF}; no free tier:")
    for name, price in assumptions.prices.lines():
        s.text.append(f"    {name:<28} {price}")
    s.text.append(
        f"  Lambda: arm64, {assumptions.memory_mb} MB (cdk.json), CPU-bound work x{assumptions.cpu_factor:.2f} "
        f"(1,769 MB = 1 vCPU); {assumptions.cold_start_share:.0%} of invocations cold (INIT billed at the "
        "measured init); storage waits (assumed same-region p50): "
        + ", ".join(f"{k.split('.')[1]} {v:.0f} ms" for k, v in cost.SERVICE_LATENCY_MS.items())
    )
    s.text.append(
        "  Billed duration per request: " + ", ".join(f"{k} {v} ms" for k, v in breakdown.durations_ms.items())
    )
    rows = [
        [name, f"${value:.5f}", f"{value / breakdown.total:.0%}" if breakdown.total else "-"]
        for name, value in breakdown.lines()
    ]
    rows.append(["total", f"${breakdown.total:.4f}", "100%"])
    s.text += table(rows, ["service", f"per {breakdown.machines:,} runs", "share"])
    s.text.append(
        "  Not included: CloudFront in front of the API, data transfer out, CloudWatch Logs, X-Ray "
        "(tracing is on), S3/DynamoDB storage."
    )
    if what_if:
        s.text.append(f"  What if: {what_if['text']}")
    for name, value in breakdown.lines():
        s.add(f"{name} per {breakdown.machines} runs", round(value, 6), "USD")
    s.add(f"total per {breakdown.machines} runs", round(breakdown.total, 5), "USD")
    s.data.update(
        {
            "prices_as_of": cost.PRICES_AS_OF,
            "prices": asdict(assumptions.prices),
            "assumptions": {
                "memory_mb": assumptions.memory_mb,
                "cpu_factor": round(assumptions.cpu_factor, 3),
                "cold_start_share": assumptions.cold_start_share,
                "service_latency_ms": cost.SERVICE_LATENCY_MS,
            },
            "billed_ms": breakdown.durations_ms,
            "gb_seconds": round(breakdown.gb_seconds, 3),
            "requests": breakdown.requests,
            "total_usd": round(breakdown.total, 6),
            "endpoints": [asdict(e) for e in endpoints],
            "what_if": what_if,
        }
    )
    return s


# --- 5. scale -------------------------------------------------------------------------------------------------------


def _rate(value: float) -> int | None:
    """A per-minute rate for the table and the JSON; None when nothing limits it."""
    return None if value == float("inf") else round(value)


def scale_section(spots: list[scale.Hotspot], sizes: dict[str, int], what_if: dict[str, Any] | None = None) -> Section:
    s = Section("scale", "5. Scale on paper: what every machine of a deployment writes")
    rows = []
    for spot in spots:
        rows.append(
            [
                f"{spot.kind} {spot.name}",
                spot.writes_per_machine,
                spot.wcu_per_machine,
                _rate(spot.lifecycles_per_minute),
                spot.wcu_per_enrollment,
                _rate(spot.enrollments_per_minute),
                round(spot.fleet_demand()),
                spot.throttles(),
            ]
        )
    s.text += table(
        rows,
        [
            "shared by all machines",
            "writes/machine",
            "WCU/machine",
            "lifecycles/min @1000 WCU/s",
            "WCU/enroll",
            "enrollments/min @limit",
            "WCU/s for 100k in 10 min",
            "throttles",
        ],
    )
    hot = scale.hottest_item(spots)
    if hot is not None:
        demand = hot.fleet_demand()
        verdict = "WOULD THROTTLE" if hot.throttles() else "would not throttle"
        largest = next(
            (
                (k[k.index("(") + 1 : -1], v)
                for k, v in sizes.items()
                if k.startswith("largest attribute of the deployment")
            ),
            ("?", 0),
        )
        what = (
            f" (the deployment item, {sizes.get('deployment', 0):,} B; largest attribute {largest[0]}, "
            f"{largest[1]:,} B)"
            if hot.name.startswith("deployments:")
            else ""
        )
        s.text.append(
            f"  Hottest item: {hot.name}{what}: "
            f"{hot.writes_per_machine:g} writes and {hot.wcu_per_machine:g} WCU per machine; the 1,000 WCU/s "
            f"limit is reached at {hot.lifecycles_per_minute:,.0f} full lifecycles/min or "
            f"{hot.enrollments_per_minute:,.0f} enrollments/min."
        )
        s.text.append(
            f"  {scale.FLEET:,} machines enrolling within {scale.FLEET_MINUTES} minutes: {demand:,.0f} WCU/s "
            f"on that one item ({demand / scale.PARTITION_WCU_PER_SECOND:.1f}x the limit): {verdict}."
        )
        s.text.append(
            f"  Each machine updates this item {hot.writes_per_machine:g} time(s), inside a transaction; "
            "concurrent transactions on one item cancel each other (TransactionConflict -> 503 "
            "STORAGE_UNAVAILABLE, the agent retries), which moto does not simulate, so the real ceiling "
            "may sit below the write-unit one. "
            + (
                "Sharding it is the lead's call, and needed for this fleet."
                if hot.throttles()
                else f"By write units one item holds up to {hot.enrollments_per_minute:,.0f} enrollments/min "
                "per deployment; further sharding is the lead's call."
            )
        )
        parts = [x for x in spots if x.kind != "item"]
        if parts:
            part = max(parts, key=lambda x: x.wcu_per_machine)
            full = part.fleet_demand(enroll_only=False)
            s.text.append(
                f"  Hottest partition key: {part.kind} {part.name}, {part.wcu_per_machine:g} WCU per machine: "
                f"{part.fleet_demand():,.0f} WCU/s for the 100k enrollments, {full:,.0f} WCU/s if their whole "
                f"lifecycles fall in the same 10 minutes ({'over' if full > scale.PARTITION_WCU_PER_SECOND else 'within'}"
                " the 1,000 WCU/s of one partition; DynamoDB splits a key's items by sort key for heat, "
                "adaptively, not at once)."
            )
            s.add("hottest partition key WCU per machine", part.wcu_per_machine, f"WCU ({part.name})")
            s.add("hottest partition key, 100k full lifecycles in 10 min", round(full), "WCU/s")
        if what_if:
            lean = what_if["hot_item_wcu_per_enrollment"]
            demand_lean = scale.demand_wcu_per_second(scale.FLEET, scale.FLEET_MINUTES, lean)
            s.text.append(
                f"  With {what_if['attribute']} out of that item ({what_if['lean_item_bytes']:,} B left): "
                f"{what_if['hot_item_wcu_per_machine']} WCU per machine, {lean} per enrollment, "
                f"{demand_lean:,.0f} WCU/s for the same fleet: within the limit, one hot item all the same "
                f"(limit at {scale.machines_per_minute(lean):,.0f} enrollments/min)."
            )
        s.add("hottest item writes per machine", hot.writes_per_machine, "writes")
        s.add("hottest item WCU per machine", hot.wcu_per_machine, "WCU")
        s.add(
            "fleet per minute at the partition limit (full lifecycle)", _rate(hot.lifecycles_per_minute), "machines/min"
        )
        s.add(
            "fleet per minute at the partition limit (enrollment only)",
            _rate(hot.enrollments_per_minute),
            "machines/min",
        )
        s.add(
            "100k machines enrolling within 10 min",
            round(demand),
            "WCU/s on the hottest item",
            f"<= {scale.PARTITION_WCU_PER_SECOND} WCU/s (no throttling)",
            not hot.throttles(),
        )
    s.data.update(
        {
            "partition_limit_wcu_per_second": scale.PARTITION_WCU_PER_SECOND,
            "hotspots": [
                asdict(x)
                | {
                    "lifecycles_per_minute_at_limit": _rate(x.lifecycles_per_minute),
                    "enrollments_per_minute_at_limit": _rate(x.enrollments_per_minute),
                    "wcu_per_second_100k_in_10min": round(x.fleet_demand()),
                    "throttles": x.throttles(),
                }
                for x in spots
            ],
            "hottest_item": asdict(hot) if hot else None,
        }
    )
    return s


# --- dashboard --------------------------------------------------------------------------------------------------------


def dashboard_section(figures: dict[str, Any] | None, note: str | None) -> Section:
    s = Section("dashboard", "6. Dashboard (bench/dashboard.py)")
    if figures is None:
        s.text.append(f"  skipped: {note}")
        s.data["skipped"] = note
        return s
    for key, value in figures.items():
        if isinstance(value, dict) and "value" in value:
            s.add(key, value.get("value"), str(value.get("unit", "")), value.get("budget"), value.get("met"))
            s.text.append(
                f"  {key}: {value.get('value')} {value.get('unit', '')}"
                + (
                    f" (budget {value['budget']}: {'met' if value.get('met') else 'MISSED'})"
                    if value.get("budget") is not None
                    else ""
                )
            )
        else:
            s.add(key, value)
            s.text.append(f"  {key}: {value}")
    s.data["raw"] = figures
    return s
