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
from bench.roundtrips import Result


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
    s = Section(
        "coldstart",
        f"1. Cold start as shipped: whole processes in alternation (floor, then the handler and its storage calls "
        f"alone), {cs.rounds} pairs per handler",
    )
    floor_cpu = [x.cpu for x in cs.floor.samples]
    rows = []
    handlers: dict[str, Any] = {}
    for name, pairs in cs.pairs.items():
        subject = cs.handlers[name]
        verdict = pairs.verdict()
        median = round(pairs.median, 3)  # 3 places: a median just over 1.25 must not print as 1.25
        low, high = pairs.interval()
        alone = cs.storage[name]
        alone_low, alone_high = alone.interval()
        rows.append(
            [
                name,
                median,
                f"{low:.2f}-{high:.2f}",
                round(alone.median, 3),
                f"{alone_low:.2f}-{alone_high:.2f}",
                round(min(pairs.ratios), 2),
                round(max(pairs.ratios), 2),
                len(pairs.ratios),
                _ms(pairs.handler_cpu),
                _ms(pairs.floor_cpu),
                round(max(x.rss_kb for x in subject.samples) / 1024, 1),
                verdict.upper() if verdict in ("missed", "undecided") else verdict,
            ]
        )
        s.add(
            f"{name} cold start / floor (median paired CPU ratio, as shipped)",
            median,
            "x",
            f"1.0 <= x <= {coldstart.BUDGET_RATIO} over the median's 95% interval",
            verdict == "met",
        )
        handlers[name] = {
            "median_ratio": median,
            "interval_95": [round(low, 3), round(high, 3)],
            "min_ratio": round(min(pairs.ratios), 3),
            "max_ratio": round(max(pairs.ratios), 3),
            "pairs": len(pairs.ratios),
            "verdict": verdict,
            "ratios": [round(r, 3) for r in pairs.ratios],
            "handler_cpu_ms_median": _ms(pairs.handler_cpu),
            "floor_cpu_ms_median": _ms(pairs.floor_cpu),
            "handler_wall_ms_median": _ms([x.wall for x in subject.samples]),
            "peak_rss_mb": round(max(x.rss_kb for x in subject.samples) / 1024, 1),
            "storage_alone": {
                "median_ratio": round(alone.median, 3),
                "interval_95": [round(alone_low, 3), round(alone_high, 3)],
                "ratios": [round(r, 3) for r in alone.ratios],
                "cpu_ms_median": _ms(alone.handler_cpu),
            },
        }
    s.text += table(
        rows,
        [
            "agent handler",
            "x floor",
            "95% interval",
            "storage alone",
            "its interval",
            "min",
            "max",
            "pairs",
            "cpu ms",
            "floor cpu ms",
            "RSS MB",
            "verdict",
        ],
    )
    s.text.append(
        "  Figure: median over the pairs of (handler process CPU / floor process CPU), user+sys from wait4, "
        "interpreter start-up included. Floor: botocore + 1 DynamoDB client + 1 GetItem. Handler: the "
        "compiled assets as shipped (code, /opt/python layers, runtime boto3; -I -S -B, no bytecode "
        "written), import + one full cold request, its storage calls answered at botocore's before-send "
        f"by moto's recorded answers. Budget: median <= {coldstart.BUDGET_RATIO}, judged on the median's 95% "
        "interval (distribution-free, from the pairs' order statistics): met when all of it is within, missed "
        "when all of it is over, undecided when it straddles the budget (not met: the pairs cannot tell); a "
        "median below 1 is noise, not met. Storage alone: the same request's storage calls sent by a "
        "child with pynamodb and nothing of ours (same path, same replay, paired with the same floor "
        "samples): what the fixed stack and the invariants cost; the handler's ratio beyond it is our code."
    )
    if cs.attributions:
        s.text.append("  Imports beyond the floor, as shipped (-X importtime self time, by top-level package):")
        for name, extra in cs.attributions.items():
            s.text.append(f"    {name}: " + ", ".join(f"{p} {ms:.0f} ms ({n} modules)" for p, ms, n in extra))
            handlers[name]["imports_beyond_floor_ms"] = {p: round(ms, 1) for p, ms, _ in extra}
    s.add("floor process CPU", _ms(floor_cpu), "ms")
    s.data.update(
        {
            "rounds": cs.rounds,
            "floor_cpu_ms_median": _ms(floor_cpu),
            "floor_cpu_ms": [round(x * 1000, 1) for x in floor_cpu],
            "handlers": handlers,
            "paths": cs.paths,
            "definition": "median of per-pair CPU ratios (whole child processes, wait4 user+sys), floor and "
            "handler in alternation; handler = compiled assets as shipped, import + one cold request replayed "
            "at botocore's HTTP layer; floor = botocore + DynamoDB client + one GetItem",
        }
    )
    return s


# --- 2. round trips -------------------------------------------------------------------------------------------------


def roundtrips_section(rt: Result) -> Section:
    s = Section("roundtrips", "2. Round trips: storage calls per request (real handlers on moto, counted at botocore)")
    rows = []
    data: dict[str, Any] = {}
    for name, fig in list(rt.endpoints.items()) + list(rt.extras.items()):
        ops = ", ".join(f"{op.split('.')[1]}{'' if n == 1 else f' x{n}'}" for op, n in fig.operations.items())
        rows.append(
            [
                name,
                fig.dynamodb,
                fig.s3,
                fig.total,
                ops,
                round(fig.read_units, 1),
                fig.write_units,
                fig.response_bytes,
                fig.log_bytes,
                round(fig.own_ms, 1),
            ]
        )
        s.add(f"{name} calls", fig.total, "calls")
        data[name] = {
            "dynamodb": fig.dynamodb,
            "s3": fig.s3,
            "operations": fig.operations,
            "read_units": fig.read_units,
            "write_units": fig.write_units,
            "response_bytes": fig.response_bytes,
            "log_bytes": fig.log_bytes,
            "handler_ms_on_moto": round(fig.handler_ms, 2),
            "service_ms_on_moto": round(fig.service_ms, 2),
            "own_ms": round(fig.own_ms, 2),
            "cold_clients": fig.cold_clients,
            "cold_sessions": fig.cold_sessions,
        }
    s.text += table(
        rows,
        ["endpoint", "DynamoDB", "S3", "total", "operations", "RRU", "WRU", "answer B", "log B", "own ms"],
    )
    lc = rt.lifecycle
    seq = ", ".join(f"{n} {e}" for e, n in rt.per_machine.items())
    s.text.append(
        f"  Lifecycle ({seq}): {int(lc['requests'])} requests, {int(lc['dynamodb'])} DynamoDB + "
        f"{int(lc['s3'])} S3 = {int(lc['dynamodb'] + lc['s3'])} calls; {lc['read_units']:g} RRU, "
        f"{lc['write_units']:g} WRU (" + ", ".join(f"{k} {v:g}" for k, v in rt.unit_types.items()) + ")"
    )
    s.add("lifecycle calls", int(lc["dynamodb"] + lc["s3"]), "calls")
    s.add("lifecycle read units", lc["read_units"], "RRU")
    s.add("lifecycle write units", lc["write_units"], "WRU")
    s.text.append(
        "  Counted, not compared with a typed-in minimum: every figure is what the shipped code did on moto. "
        "Units are DynamoDB's sizing rules over the real items: "
        + ", ".join(f"{k} {v:,} B" for k, v in rt.item_sizes.items())
    )
    for note in rt.notes:
        s.text.append(f"  Note: {note}")
    s.text.append(
        "  'answer B': the handler's answer (body + headers); 'log B': the log lines it wrote; 'own ms': the "
        "handler's time on moto minus moto's side (our code + botocore client work)."
    )
    s.data.update(
        {
            "endpoints": data,
            "per_machine": rt.per_machine,
            "lifecycle": lc,
            "unit_types": rt.unit_types,
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

COST_BUDGET_USD = 0.03  # per 1,000 machine runs, every line counted (issue 12)


def cost_section(
    breakdown: cost.CostBreakdown,
    assumptions: cost.Assumptions,
    endpoints: list[cost.EndpointLoad],
    init_source: str = "",
    short: cost.CostBreakdown | None = None,
) -> Section:
    """``short``: the same requests priced for a run that ends before its first periodic
    report (installer, enroll, download, final report), the least a run can cost."""
    s = Section("cost", f"4. Cost of {breakdown.machines:,} machine runs at AWS list prices, every line")
    s.text.append(f"  Prices: {cost.PRICES_AS_OF} (named constants in bench/cost.py, with their pages):")
    for name, price in cost.price_table():
        s.text.append(f"    {name:<26} {price}")
    s.text.append(
        f"  Lambda: arm64, {assumptions.memory_mb} MB (infra config), CPU-bound work x{assumptions.cpu_factor:.2f} "
        f"(1,769 MB = 1 vCPU); {assumptions.cold_start_share:.0%} of invocations cold, each billing INIT at the "
        f"measured as-shipped cold-start CPU ({init_source or 'not measured: 0'}) and the reads a new function's "
        f"first request makes beyond a warm one's; storage waits (assumed same-region p50): "
        + ", ".join(f"{k.split('.')[1]} {v:.0f} ms" for k, v in cost.SERVICE_LATENCY_MS.items())
    )
    s.text.append(
        "  Billed duration per request: " + ", ".join(f"{k} {v} ms" for k, v in breakdown.durations_ms.items())
    )
    s.text.append(
        "  Bytes per request (measured): "
        + "; ".join(
            f"{e.name} answer {e.response_bytes:,} B, request {e.request_bytes:,} B, log {e.log_bytes} B "
            f"+ access log {e.access_log_bytes} B"
            for e in endpoints
        )
        + f"; Lambda START/END/REPORT {cost.LAMBDA_PLATFORM_LOG_BYTES} B per invocation (assumed)"
    )
    total = breakdown.total
    rows = [
        [line.service, line.quantity, f"${line.usd:.5f}", f"{line.usd / total:.0%}" if total else "-"]
        for line in breakdown.lines_
    ]
    rows.append(["total", "", f"${total:.4f}", "100%"])
    s.text += table(rows, ["line", "counted", f"per {breakdown.machines:,} runs", "share"])
    met = total <= COST_BUDGET_USD
    s.text.append(
        f"  Budget ${COST_BUDGET_USD:.2f} per {breakdown.machines:,} runs: {'met' if met else 'MISSED'}. "
        "X-Ray: "
        + ("tracing on, one trace per request." if assumptions.tracing else "tracing is off (no traces billed).")
        + " Not counted: storage at rest (S3, DynamoDB), the admin side."
    )
    if short is not None:
        s.text.append(
            f"  A run that ends within one report interval (no periodic report: {short.requests / short.machines:.0f} "
            f"requests, the final report as measured): ${short.total:.4f} per {short.machines:,} runs, of which "
            + ", ".join(f"{name} ${usd:.4f}" for name, usd in sorted(short.lines(), key=lambda x: -x[1])[:4])
            + "."
        )
    for line in breakdown.lines_:
        s.add(f"{line.service} per {breakdown.machines} runs", round(line.usd, 6), "USD")
    s.add(f"total per {breakdown.machines} runs", round(total, 5), "USD", f"<= {COST_BUDGET_USD}", met)
    if short is not None:
        s.add(f"total per {short.machines} runs ending within one report interval", round(short.total, 5), "USD")
    s.data.update(
        {
            "prices_as_of": cost.PRICES_AS_OF,
            "prices": dict(cost.price_table()),
            "assumptions": {
                "memory_mb": assumptions.memory_mb,
                "cpu_factor": round(assumptions.cpu_factor, 3),
                "cold_start_share": assumptions.cold_start_share,
                "tracing": assumptions.tracing,
                "service_latency_ms": cost.SERVICE_LATENCY_MS,
                "lambda_platform_log_bytes": cost.LAMBDA_PLATFORM_LOG_BYTES,
            },
            "billed_ms": breakdown.durations_ms,
            "gb_seconds": round(breakdown.gb_seconds, 3),
            "requests": breakdown.requests,
            **cost.as_json(breakdown),
            "endpoints": [asdict(e) for e in endpoints],
        }
    )
    return s


# --- 5. scale -------------------------------------------------------------------------------------------------------


def scale_section(model: scale.FleetModel, throttle: scale.Throttle | None, throttle_note: str = "") -> Section:
    s = Section(
        "scale",
        f"5. Scale: {model.machines:,} machines in {model.minutes:g} minutes (fleet model and API throttle)",
    )
    rows = [
        [
            k.key,
            "shared" if k.shared else "per machine",
            round(k.peak_wcu, 1),
            None if k.mean_wcu is None else round(k.mean_wcu, 1),
            round(k.peak_rcu, 1),
            None if k.mean_rcu is None else round(k.mean_rcu, 1),
        ]
        for k in model.keys[:10]
    ]
    s.text += table(rows, ["partition key", "touched by", "peak WCU/s", "mean WCU/s", "peak RCU/s", "mean RCU/s"])
    s.text.append(
        f"  Fleet model: the exact storage calls of {model.lifecycles} lifecycles counted on moto (per call: table, "
        f"partition key value, units), replayed for {model.machines:,} machines starting uniformly over "
        f"{model.minutes:g} minutes (machine m replays lifecycle m mod {model.lifecycles}; its requests "
        f"{scale.REQUEST_SPACING_S:g} s apart); per key, its busiest second. Keys naming a machine stay its own; "
        "shard choices are the measured lifecycles' own."
    )
    data: dict[str, Any] = {"keys": [asdict(k) for k in model.keys[:25]], "lifecycles_replayed": model.lifecycles}
    for kind, limit, attr in (
        ("write", scale.PARTITION_WCU_PER_SECOND, "peak_wcu"),
        ("read", scale.PARTITION_RCU_PER_SECOND, "peak_rcu"),
    ):
        hot = model.hottest(kind)
        if hot is None:
            continue
        value = getattr(hot, attr)
        unit = "WCU/s" if kind == "write" else "RCU/s"
        met = value <= limit
        s.text.append(
            f"  Hottest partition key for {kind}s: {hot.key}: {value:,.0f} {unit} in its busiest second "
            f"(limit {limit:,} {unit} per partition): {'within' if met else 'OVER, would throttle'}"
        )
        s.add(f"hottest partition key {unit} ({hot.key})", round(value), unit, f"<= {limit}", met)
        data[f"hottest_{kind}"] = {"key": hot.key, "peak": round(value, 1), "limit": limit}
    if throttle is None:
        s.text.append(f"  API throttle: not read ({throttle_note})")
    else:
        rows = []
        for route in throttle.routes:
            rows.append(
                [
                    route.route,
                    route.per_machine,
                    round(route.needed, 1),
                    route.rate_limit,
                    route.burst_limit,
                    route.needed <= route.rate_limit,
                    route.concurrency or "-",
                    round(route.concurrency_rps) if route.concurrency else "-",
                ]
            )
            s.add(
                f"API throttle {route.route}: requests/s needed",
                round(route.needed, 1),
                "requests/s",
                f"<= {route.rate_limit} (route limit)",
                route.needed <= route.rate_limit,
            )
        s.text += table(
            rows,
            [
                "route",
                "per machine",
                "needed req/s",
                "rate limit",
                "burst",
                "fits",
                "reserved conc.",
                "max req/s by conc.",
            ],
        )
        s.text.append(
            f"  Needed: {model.machines:,} machines / {model.minutes * 60:g} s x requests per machine, spread evenly "
            f"(no peak factor); limits from the infra config ({throttle.source}). 'max req/s by conc.': reserved "
            "concurrency / billed duration of a warm request."
        )
        data["throttle"] = asdict(throttle)
    s.data.update(data)
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


# --- README: the performance table, generated from bench/results.json ---------------------------------------------

README_BEGIN = "<!-- bench:begin (generated by `python -m bench.report --readme` from bench/results.json) -->"
README_END = "<!-- bench:end -->"


def _met(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "**no**")


_COLD_VERDICT = {"missed": "**no** (<= 1.25x)", "undecided": "**not shown** (the interval straddles 1.25x)"}


def _interval(handler: dict[str, Any]) -> str:
    """The median's 95% interval, for results written before the bench gave one."""
    interval = handler.get("interval_95")
    return f"95% interval {interval[0]:.2f}-{interval[1]:.2f}; " if interval else ""


def _alone(handler: dict[str, Any]) -> str:
    """The storage calls alone, for results written before the bench measured them."""
    alone = handler.get("storage_alone")
    if not alone:
        return ""
    low, high = alone["interval_95"]
    return f"; its storage calls alone {alone['median_ratio']:.3f}x, 95% interval {low:.2f}-{high:.2f}"


def readme_table(results: dict[str, Any]) -> list[str]:
    """The README's performance table: every row read from a ``make bench`` results file."""
    meta = results["meta"]
    load = ", ".join(f"{x:g}" for x in meta["load_average_at_start"])
    lines = [
        f"Last `make bench`: {meta['generated_at'][:16].replace('T', ' ')} UTC, commit {meta['commit']}, "
        f"Python {meta['python']}, {meta['cpus']} CPUs, load average at start {load}, "
        f"{meta['runtime_seconds']:.0f} s.",
        "",
        "| budget | figure | met |",
        "|---|---|---|",
    ]
    cold = results.get("coldstart", {})
    for name, h in cold.get("handlers", {}).items():
        lines.append(
            f"| {name} cold start as shipped, median paired CPU ratio vs floor ({h['pairs']} pairs) | "
            f"{h['median_ratio']:.3f}x ({_interval(h)}min {h['min_ratio']:.2f}, max {h['max_ratio']:.2f}; "
            f"{h['handler_cpu_ms_median']:.0f} ms vs {h['floor_cpu_ms_median']:.0f} ms{_alone(h)}) | "
            f"{_COLD_VERDICT.get(h['verdict'], h['verdict'])} |"
        )
    rt = results.get("roundtrips", {})
    if rt:
        lc = rt["lifecycle"]
        types = ", ".join(f"{k} {v:g}" for k, v in rt.get("unit_types", {}).items())
        lines.append(
            f"| storage calls per lifecycle ({', '.join(f'{n} {e}' for e, n in rt['per_machine'].items())}), "
            f"counted on moto | {int(lc['dynamodb'] + lc['s3'])} calls, {lc['read_units']:g} RRU, "
            f"{lc['write_units']:g} WRU ({types}) | - |"
        )
    c = results.get("cost", {})
    if c:
        top = sorted(c["lines"], key=lambda x: -x["usd"])[:4]
        budget = next((f for f in c["figures"] if f["budget"]), None)
        lines.append(
            f"| cost of 1,000 machine runs, every line (us-east-1 list prices) | ${c['total_usd']:.4f}; largest: "
            + ", ".join(f"{x['service']} ${x['usd']:.4f}" for x in top)
            + f" | {_met(budget['met'] if budget else None)} (<= $0.03) |"
        )
        short = next((f for f in c["figures"] if "within one report interval" in f["figure"]), None)
        if short:
            lines.append(
                "| cost of 1,000 runs that end within one report interval (no periodic report), every line "
                f"| ${short['value']:.4f} | {_met(short['value'] <= COST_BUDGET_USD)} (<= $0.03) |"
            )
    sc = results.get("scale", {})
    for kind, unit, limit in (("write", "WCU/s", 1000), ("read", "RCU/s", 3000)):
        hot = sc.get(f"hottest_{kind}")
        if hot:
            lines.append(
                f"| hottest partition key, 100,000 machines in 10 min ({kind}s) | `{hot['key']}` "
                f"{hot['peak']:,.0f} {unit} | {_met(hot['peak'] <= limit)} (<= {limit:,}) |"
            )
    for route in sc.get("throttle", {}).get("routes", []):
        lines.append(
            f"| API throttle `{route['route']}` for 100,000 machines in 10 min | needs {route['needed']:,.1f} req/s, "
            f"route limit {route['rate_limit']} (burst {route['burst_limit']}) | {_met(route['needed'] <= route['rate_limit'])} |"
        )
    ld = results.get("load", {})
    if ld and "skipped" not in ld:
        p50 = ", ".join(f"{e} {v['p50_ms']:.0f} ms" for e, v in ld["endpoints"].items())
        ok = ld["errors"] == 0
        lines.append(
            f"| load: {ld['agents']} machines, {ld['concurrency']} at once, through the local server | "
            f"{ld['errors']} errors, {ld['lifecycles_per_second']:.2f} lifecycles/s; p50 {p50} | {_met(ok)} |"
        )
    dash = results.get("dashboard", {})
    for figure in dash.get("figures", []):  # the scalar figures; per-file and per-run details stay in the JSON
        value = figure["value"]
        if isinstance(value, int | float) and not isinstance(value, bool) and not figure["figure"].endswith("_runs"):
            lines.append(f"| dashboard: {figure['figure']} | {value:,} {figure['unit']} | {_met(figure['met'])} |")
    bench = results.get("bench", {})
    for figure in bench.get("figures", []):
        lines.append(f"| {figure['figure']} | {figure['value']} {figure['unit']} | {_met(figure['met'])} (<= 600 s) |")
    return lines


def rewrite_readme(readme: Any, results: dict[str, Any]) -> str:
    """``readme``'s text with the lines between the bench markers replaced by the generated table."""
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"{readme}: no bench markers ({README_BEGIN!r} ... {README_END!r})")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    return head + README_BEGIN + "\n" + "\n".join(readme_table(results)) + "\n" + README_END + tail


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    from pathlib import Path

    from bench import ROOT

    parser = argparse.ArgumentParser(description="Render bench/results.json")
    parser.add_argument("--readme", action="store_true", help="rewrite README.md's performance table")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--readme-path", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    if args.readme:
        args.readme_path.write_text(rewrite_readme(args.readme_path, results))
        print(f"rewrote the performance table in {args.readme_path.name}")
    else:
        print("\n".join(readme_table(results)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
