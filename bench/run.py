"""``make bench`` (``python -m bench.run``): every figure of ARCHITECTURE.md section 10.

Order matters: the round-trip bench runs first because it records each agent
endpoint's first request (event and the storage answers) that the cold-start bench
replays, and the lifecycles the cost and the fleet model count; ``--only`` runs a
part (with small counts) while developing.

Budgets missed do not fail the command (the figures are the deliverable and the
fixes are the lead's call); ``--strict`` makes it exit 1 when one is missed.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ROOT, coldstart, cost, report, roundtrips, scale

RESULTS = ROOT / "bench" / "results.json"


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


@dataclass
class InfraFigures:
    """What the stack deploys with, read from the infra config (cdk.json over its defaults)."""

    memory_mb: int
    agent_limits: dict[str, tuple[int, int]]  # rate, burst of each agent route, by handler
    concurrency: dict[str, int | None]  # reserved concurrency of each agent function, by handler
    route_keys: dict[str, str]
    access_log_format: dict[str, str]
    tracing: bool
    waf: bool  # the edge's web ACL is on (it inspects, and bills, every request)


def _infra() -> tuple[InfraFigures | None, str]:
    try:
        os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
        os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        import aws_cdk

        from infra import api
        from infra.config import load_config, read_cdk_json_context
        from manifest import BY_HANDLER

        config = load_config(aws_cdk.App(context=read_cdk_json_context()).node)
        keys = {e: api.route_key(BY_HANDLER[h]) for e, h in roundtrips.HANDLERS.items()}
        tracing = "Tracing.ACTIVE" in (ROOT / "infra" / "functions.py").read_text()
        handlers = set(roundtrips.HANDLERS.values())
        throttles = {h: config.agent_route_throttle(h) for h in handlers}
        limits = {h: (t.rate_limit, t.burst_limit) for h, t in throttles.items()}
        concurrency = {h: config.agent_reserved_concurrency(h) for h in handlers}
        figures = InfraFigures(
            config.lambda_memory_mb,
            limits,
            concurrency,
            keys,
            dict(api.ACCESS_LOG_FORMAT),
            tracing,
            config.waf.enabled,
        )
        return figures, "infra.config.load_config over cdk.json"
    except Exception as exc:  # the lead's infra may move: report, never sink the bench
        return None, f"{type(exc).__name__}: {exc}"


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "?"


def _dashboard() -> tuple[dict[str, Any] | None, str | None]:
    path = ROOT / "bench" / "dashboard.py"
    if not path.exists():
        return None, "bench/dashboard.py is absent"
    try:
        spec = importlib.util.spec_from_file_location("bench.dashboard", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return dict(module.run()), None
    except Exception as exc:  # someone else's module: report, never sink the bench
        return None, f"bench/dashboard.py failed: {type(exc).__name__}: {exc}"


def _request_bytes(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    size = len(base64.b64decode(body)) if event.get("isBase64Encoded") else len(body.encode())
    return size + sum(len(k) + len(str(v)) + 4 for k, v in event.get("headers", {}).items())


def _cost(
    rt: roundtrips.Result,
    cs: coldstart.ColdStart | None,
    infra: InfraFigures | None,
    memory_mb: int,
    skip: frozenset[str] = frozenset(),
) -> tuple[cost.CostBreakdown, cost.Assumptions, list[cost.EndpointLoad]]:
    """The cost of the measured lifecycle, or of the run shape without the ``skip`` requests."""
    per_machine, unit_types, lifecycle = rt.without(skip)
    endpoints = []
    for name, fig in rt.endpoints.items():
        handler = roundtrips.HANDLERS[name]
        init = cs.pairs[handler].handler_cpu if cs is not None else []
        access = (
            cost.access_log_bytes(
                infra.access_log_format, infra.route_keys[roundtrips.ROUTE_OF.get(name, name)], 200, fig.response_bytes
            )
            if infra
            else 0
        )
        endpoints.append(
            cost.EndpointLoad(
                name,
                per_machine[name],
                round(fig.own_ms, 3),
                fig.operations,
                round(statistics.median(init) * 1000, 1) if init else 0.0,
                fig.response_bytes,
                _request_bytes(rt.cold_requests[name].event),
                fig.log_bytes,
                access,
                *roundtrips.first_request_extra(rt.cold_requests[name], fig),
            )
        )
    assumptions = cost.Assumptions(
        memory_mb=memory_mb, tracing=bool(infra and infra.tracing), waf=infra.waf if infra else cost.Assumptions.waf
    )
    breakdown = cost.cost_of_runs(
        endpoints, unit_types, lifecycle["s3_gets"], assumptions, s3_puts=lifecycle["s3_puts"]
    )
    return breakdown, assumptions, endpoints


PARTS = ("coldstart", "roundtrips", "load", "cost", "scale", "dashboard")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=coldstart.ROUNDS, help="cold-start pairs per agent handler (the budget's figure)"
    )
    parser.add_argument("--agents", type=int, default=500, help="simulated machines in the load bench")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="machines at once in the load bench (the local server is one process: more only "
        "lengthens its queue; 32 took twice as long for the same 500 lifecycles)",
    )
    parser.add_argument("--machines", type=int, default=16, help="lifecycles in the round-trip bench and fleet model")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only these parts (repeatable; round trips always run, the others need them); "
        "the figures go to --output, by default a scratch file, never bench/results.json",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    parts = set(args.only or PARTS)
    output = args.output or (RESULTS if not args.only else Path(tempfile.gettempdir()) / "edgex-bench-partial.json")

    started = time.perf_counter()
    load_avg = os.getloadavg()
    sections: list[report.Section] = []
    failures: list[str] = []

    _progress("round trips (in-process handlers on moto)")
    rt = roundtrips.measure(args.machines)
    if "roundtrips" in parts:
        sections.append(report.roundtrips_section(rt))

    cs = None
    if "coldstart" in parts or "cost" in parts:
        _progress("cold start (whole processes, as shipped, in alternation)")
        requests = roundtrips.cold_requests(rt)
        rounds = args.rounds if "coldstart" in parts else 3
        cs = coldstart.measure(requests, rt.floor_request, rounds=rounds, progress=_progress)
        if "coldstart" in parts:
            sections.insert(0, report.coldstart_section(cs))

    if "load" in parts:
        _progress("load (local HTTP server)")
        try:
            from bench import load

            lr = load.measure(args.agents, args.concurrency, progress=_progress)
            sections.append(report.load_section(lr, moto_copy_ms=rt.moto_copy_ms))
        except Exception as exc:
            failures.append(f"load: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            sections.append(report.load_section(None, f"{type(exc).__name__}: {exc}"))

    infra, infra_note = _infra()
    memory_mb = infra.memory_mb if infra else 512
    breakdown, assumptions, endpoints = _cost(rt, cs, infra, memory_mb)
    if "cost" in parts:
        init_source = f"median handler process CPU over {cs.rounds} pairs" if cs else ""
        short, _, _ = _cost(rt, cs, infra, memory_mb, skip=frozenset({"feedback"}))
        sections.append(report.cost_section(breakdown, assumptions, endpoints, init_source, short))
    if "scale" in parts:
        _progress("fleet model")
        model = scale.fleet_model(rt.lifecycles, rt.identities)
        limits = None
        if infra is not None:
            per_route: dict[str, int] = {}
            for name, count in rt.per_machine.items():  # requests per lifecycle, by API route
                route = roundtrips.ROUTE_OF.get(name, name)
                per_route[route] = per_route.get(route, 0) + count
            limits = scale.throttle(
                per_route,
                infra.route_keys,
                {r: infra.agent_limits[roundtrips.HANDLERS[r]] for r in per_route},
                {r: infra.concurrency[roundtrips.HANDLERS[r]] for r in per_route},
                breakdown.durations_ms,
                infra_note,
            )
        sections.append(report.scale_section(model, limits, infra_note))

    if "dashboard" in parts:
        _progress("dashboard (bench/dashboard.py)")
        figures, note = _dashboard()
        sections.append(report.dashboard_section(figures, note))

    runtime = time.perf_counter() - started
    own = report.Section("bench", "bench")
    own.add("bench runtime", round(runtime), "s", "<= 600 s on 2 cores", runtime <= 600)
    sections.append(own)
    budgets = [(s.key, line) for s in sections for line in s.lines if line.met is not None]
    missed = [
        f"{key}: {line.figure} = {line.value} {line.unit} (budget {line.budget})".replace("  ", " ")
        for key, line in budgets
        if not line.met
    ]
    now = dt.datetime.now(dt.UTC)
    header = (
        f"Edgex bench, {now:%Y-%m-%d %H:%M} UTC, commit {_commit()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average at start {load_avg[0]:.1f}"
    )
    print(header)
    for section in sections:
        if not section.text:
            continue
        print()
        print(section.title)
        for text in section.text:
            print(text)
    print()
    print(f"Budgets: {len(budgets) - len(missed)} met, {len(missed)} not met; bench ran {runtime:.0f} s")
    for line in missed:
        print(f"  NOT MET {line}")
    result = {
        "meta": {
            "generated_at": now.isoformat(timespec="seconds"),
            "commit": _commit(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in load_avg],
            "runtime_seconds": round(runtime, 1),
            "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "parts": sorted(parts),
            "failures": failures,
        },
        "budgets": [{"section": key, **report.asdict(line)} for key, line in budgets],
        "all_met": not missed,
        **{s.key: s.to_json() for s in sections},
    }
    output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"Wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
