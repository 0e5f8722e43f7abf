"""``make bench`` (``python -m bench.run``): every figure of ARCHITECTURE.md section 10.

Order matters: the round-trip bench runs first because it learns which clients each
agent endpoint's first request creates, and the cold-start bench builds exactly
those; the load bench comes last because it is the longest.

Budgets missed do not fail the command (the figures are the deliverable and the
fixes are the lead's call); ``--strict`` makes it exit 1 when one is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import ROOT, coldstart, cost, report, roundtrips, scale

RESULTS = ROOT / "bench" / "results.json"


def _progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def _memory_mb() -> int:
    """The Lambda memory size the stack deploys with (cdk.json), else Lambda's common 512."""
    try:
        context = json.loads((ROOT / "cdk.json").read_text())["context"]
        for key, value in context.items():
            if key == "lambdaMemoryMb" or (isinstance(value, dict) and "lambdaMemoryMb" in value):
                return int(value if key == "lambdaMemoryMb" else value["lambdaMemoryMb"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return 512


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


def _cost(
    rt: roundtrips.Result, cs: coldstart.ColdStart | None, memory_mb: int
) -> tuple[cost.CostBreakdown, cost.Assumptions, list[cost.EndpointLoad], dict[str, Any] | None]:
    inits: dict[str, float] = {}
    if cs is not None:
        for sub in cs.subjects:
            inits[sub.name] = report._ms(sub.walls)
    endpoints = [
        cost.EndpointLoad(
            name, rt.per_machine[name], round(fig.own_ms, 3), fig.operations, inits.get(roundtrips.HANDLERS[name], 0.0)
        )
        for name, fig in rt.endpoints.items()
    ]
    assumptions = cost.Assumptions(memory_mb=memory_mb)
    lc = rt.lifecycle
    breakdown = cost.cost_of_runs(endpoints, lc["write_units"], lc["read_units"], lc["s3_gets"], assumptions)
    return breakdown, assumptions, endpoints, _what_if(rt, endpoints, assumptions, breakdown)


def _largest_attribute(sizes: dict[str, int]) -> tuple[str, int]:
    for key, value in sizes.items():
        if key.startswith("largest attribute of the deployment"):
            return key[key.index("(") + 1 : -1], value
    return "", 0


def _what_if(
    rt: roundtrips.Result,
    endpoints: list[cost.EndpointLoad],
    assumptions: cost.Assumptions,
    breakdown: cost.CostBreakdown,
) -> dict[str, Any] | None:
    """The same lifecycle with the deployment item's largest attribute in an item of its
    own (read in the same BatchGetItem where needed), when that would shrink the write
    units of every counter update; None when the item is already small."""
    from bench import capacity

    size = rt.item_sizes.get("deployment")
    name, largest = _largest_attribute(rt.item_sizes)
    spots = scale.hotspots(rt.shared)
    hot = scale.hottest_item(spots)
    if not size or hot is None:
        return None
    lean = size - largest
    if capacity.write_units(lean) == capacity.write_units(size):
        return None
    table = hot.name.split(":")[0]
    indexes = sum(1 for s in spots if s.kind == "index partition" and s.name.startswith(f"{table}/"))

    def per_write(item: int) -> int:
        return capacity.write_units(item, transactional=True) + indexes * capacity.write_units(item)

    saved_wru = (per_write(size) - per_write(lean)) * hot.writes_per_machine
    reads = sum(rt.per_machine.values())  # every agent request reads the deployment item once
    saved_rru = (capacity.read_units(size) - capacity.read_units(lean)) * reads - capacity.read_units(largest)
    wru, rru = rt.lifecycle["write_units"] - saved_wru, rt.lifecycle["read_units"] - saved_rru
    lean_cost = cost.cost_of_runs(endpoints, wru, rru, rt.lifecycle["s3_gets"], assumptions)
    unit = capacity.write_units(lean, transactional=True)
    hot_wcu = unit * hot.writes_per_machine
    enroll_wcu = unit * round(hot.wcu_per_enrollment / (hot.wcu_per_machine / hot.writes_per_machine))
    text = (
        f"with {name} ({largest:,} B) in an item of its own, read only where needed, a lifecycle would write "
        f"{wru:.0f} WRU instead of {rt.lifecycle['write_units']:.0f} and read {rru:.0f} RRU instead of "
        f"{rt.lifecycle['read_units']:.0f}: ${lean_cost.total:.4f} instead of ${breakdown.total:.4f} per "
        f"{breakdown.machines:,} runs; the deployment item would take {hot_wcu} WCU per machine instead of "
        f"{hot.wcu_per_machine}"
    )
    return {
        "text": text,
        "attribute": name,
        "lean_item_bytes": lean,
        "wru_per_lifecycle": wru,
        "rru_per_lifecycle": rru,
        "total_usd": round(lean_cost.total, 6),
        "hot_item_wcu_per_machine": hot_wcu,
        "hot_item_wcu_per_enrollment": enroll_wcu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="cold-start rounds (>= 15 for the budget)")
    parser.add_argument("--agents", type=int, default=500, help="simulated machines in the load bench")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="machines at once in the load bench (the local server is one process: more only "
        "lengthens its queue; 32 took twice as long for the same 500 lifecycles)",
    )
    parser.add_argument(
        "--admin-runs", type=int, default=6, help="cold-start rounds for the admin handlers (informational, no budget)"
    )
    parser.add_argument("--machines", type=int, default=16, help="lifecycles in the round-trip bench")
    parser.add_argument("--agent-only", action="store_true", help="cold start of the four agent handlers only")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    load_avg = os.getloadavg()
    sections: list[report.Section] = []
    failures: list[str] = []

    _progress("round trips (in-process handlers on moto)")
    rt = roundtrips.measure(args.machines)
    sections.append(report.roundtrips_section(rt))

    _progress("cold start (fresh interpreters)")
    plans = {roundtrips.HANDLERS[e]: f.cold_clients for e, f in rt.endpoints.items()}
    cs = coldstart.measure(
        plans, runs=args.runs, admin_runs=args.admin_runs, agent_only=args.agent_only, progress=_progress
    )
    sections.insert(0, report.coldstart_section(cs))

    if args.skip_load:
        sections.append(report.load_section(None, "--skip-load"))
    else:
        _progress("load (local HTTP server)")
        try:
            from bench import load

            lr = load.measure(args.agents, args.concurrency, progress=_progress)
            sections.append(report.load_section(lr, moto_copy_ms=rt.moto_copy_ms))
        except Exception as exc:
            failures.append(f"load: {type(exc).__name__}: {exc}")
            traceback.print_exc()
            sections.append(report.load_section(None, f"{type(exc).__name__}: {exc}"))

    breakdown, assumptions, endpoints, what_if = _cost(rt, cs, _memory_mb())
    sections.append(report.cost_section(breakdown, assumptions, endpoints, what_if))
    sections.append(report.scale_section(scale.hotspots(rt.shared), rt.item_sizes, what_if))

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
    print(f"Budgets: {len(budgets) - len(missed)} met, {len(missed)} missed; bench ran {runtime:.0f} s")
    for line in missed:
        print(f"  MISSED {line}")
    result = {
        "meta": {
            "generated_at": now.isoformat(timespec="seconds"),
            "commit": _commit(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in load_avg],
            "runtime_seconds": round(runtime, 1),
            "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "failures": failures,
        },
        "budgets": [{"section": key, **report.asdict(line)} for key, line in budgets],
        "all_met": not missed,
        **{s.key: s.to_json() for s in sections},
    }
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"Wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
