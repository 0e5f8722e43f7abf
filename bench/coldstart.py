"""Cold start: each handler's init in a fresh interpreter, side by side with the floor.

Handlers create their AWS clients lazily, so a Lambda's init is split between the
import of ``handlers.<name>`` (the INIT phase) and the first request (lazy imports,
botocore sessions and clients). What a cold request pays is the sum, so "init"
here is: the import, the modules the first request imports lazily (the auth
kind's domain module, pynamodb's transactions on write routes), and the clients
that request creates, as counted by the round-trip bench on moto.

The floor is a fresh interpreter that imports botocore and creates one DynamoDB
client: nothing a Python function on AWS can do with less. Runs are interleaved
(floor and every handler in each round, in a shuffled order) so that a busy
machine slows both sides alike; the median of the rounds is reported. The child
times itself from its first statement (interpreter start-up is the same for both
sides and is not part of the comparison) and reports its peak RSS (VmHWM).

No network call is made: the environment is the one a deployed function has
(``local.server.configure_environment``), computed in the parent and handed to
the child, because importing ``local.server`` in the child would import botocore
and werkzeug before the clock starts.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import CODE_PATHS, ROOT

FLOOR = "floor"
BUDGET_RATIO = 1.25  # ARCHITECTURE.md section 10
CHILD = """\
import time
_phases = {{}}
_t0 = time.perf_counter()
_c0 = time.process_time()
{body}
_t1 = time.perf_counter()
_c1 = time.process_time()
import json, resource
try:  # this process image's own peak: ru_maxrss would carry the parent's peak over from fork
    _rss = int([l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1])
except (OSError, IndexError):
    _rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("BENCH " + json.dumps({{"wall": _t1 - _t0, "cpu": _c1 - _c0, "phases": _phases, "rss_kb": _rss}}), flush=True)
import os
os._exit(0)  # skip the interpreter's teardown: a third of each run, and no part of the figure
"""


def _phase(name: str, lines: list[str]) -> str:
    inner = "\n".join(lines)
    return f"_s = time.perf_counter()\n{inner}\n_phases[{name!r}] = time.perf_counter() - _s"


def floor_body(region: str) -> str:
    return _phase(
        "client dynamodb",
        [
            "import botocore.session",
            f"botocore.session.get_session().create_client('dynamodb', region_name={region!r})",
        ],
    )


def handler_body(handler: str, auth: str, tables: list[str], writes: bool, clients: list[str]) -> str:
    """What a cold request of ``handler`` runs before its first storage call."""
    parts = [_phase("import handler", [f"import handlers.{handler}"])]
    lazy = {
        "master": ["import edgex.enrollment"],
        "agent": ["import edgex.agents"],
        "admin": ["import edgex.identity", "import jose.jwt"],
    }.get(auth, [])
    if writes:
        lazy.append("import pynamodb.transactions")
    if lazy:
        parts.append(_phase("first-request imports", lazy))
    if tables:
        parts.append(_phase("bind tables", ["from edgex.store import tables", f"tables.bind(*{tables!r})"]))
    for client in clients:
        if client == "dynamodb":
            lines = ["from edgex.store import base", "base.connection().client"]
        elif client == "s3":
            lines = ["from edgex.store import base", "base.s3()"]
        else:
            raise ValueError(f"unknown client {client!r}")
        parts.append(_phase(f"client {client}", lines))
    return "\n".join(parts)


@dataclass
class Subject:
    name: str
    body: str
    agent: bool = False
    clients: list[str] = field(default_factory=list)
    estimated_clients: bool = False
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    no_pyc_walls: list[float] = field(default_factory=list)

    def median_phases(self) -> dict[str, float]:
        names = list(self.phases[0]) if self.phases else []
        return {n: statistics.median(p[n] for p in self.phases if n in p) for n in names}


def child_environment(pycache: Path | None, write_bytecode: bool = True) -> dict[str, str]:
    """The environment a deployed function has (tables, bucket, region, credentials)."""
    from local import server

    saved = dict(os.environ)
    try:
        server.configure_environment("https://edgex.example.com")
        env = dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in CODE_PATHS)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONSTARTUP", None)
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # never reach for instance metadata
    return env


def run_child(code: str, env: dict[str, str], extra_args: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, *extra_args, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:]), done.stderr
    raise RuntimeError(f"cold-start child failed ({done.returncode}):\n{done.stderr[-2000:]}")


def subjects(plans: dict[str, list[str]], region: str) -> list[Subject]:
    """The floor, then every handler of the manifest. Agent handlers get the clients their
    first request was seen to create; admin handlers (not exercised by the round-trip
    bench) get one storage connection and the S3 client when their route has a bucket."""
    from manifest import ROUTES, Auth

    found = [Subject(FLOOR, floor_body(region))]
    for route in ROUTES:
        tables = list(route.tables)
        writes = route.writes
        if route.handler in plans:
            clients, estimated = plans[route.handler], False
        else:
            clients = (["dynamodb"] if tables else []) + (["s3"] if route.buckets else [])
            estimated = True
        body = handler_body(route.handler, route.auth.value, tables, writes, clients)
        found.append(
            Subject(
                route.handler,
                body,
                agent=route.auth in (Auth.MASTER, Auth.AGENT),
                clients=clients,
                estimated_clients=estimated,
            )
        )
    return found


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_profile(code: str, env: dict[str, str]) -> dict[str, int]:
    """Self time (us) of every module imported, from ``-X importtime``."""
    _, stderr = run_child(code, env, ("-X", "importtime"))
    profile: dict[str, int] = {}
    for line in stderr.splitlines():
        found = IMPORT_LINE.match(line)
        if found:
            profile[found.group(4)] = int(found.group(1))
    return profile


def attribute_imports(
    handler: list[dict[str, int]], floor: list[dict[str, int]], top: int = 8
) -> list[tuple[str, float, int]]:
    """Import time beyond the floor, by top-level package: (package, ms, modules), largest first."""
    floor_modules = set().union(*floor) if floor else set()
    extra: dict[str, list[float]] = {}
    modules: dict[str, set[str]] = {}
    names = set().union(*handler) - floor_modules
    for name in names:
        package = name.split(".")[0]
        self_times = [p.get(name, 0) for p in handler]
        extra.setdefault(package, []).append(statistics.median(self_times) / 1000)
        modules.setdefault(package, set()).add(name)
    ranked = sorted(((p, sum(v), len(modules[p])) for p, v in extra.items()), key=lambda x: -x[1])
    return ranked[:top]


@dataclass
class ColdStart:
    subjects: list[Subject]
    runs: int
    attributions: dict[str, list[tuple[str, float, int]]]
    no_pyc_runs: int
    pycache: str
    admin_runs: int = 0

    def floor(self) -> Subject:
        return self.subjects[0]

    def ratio(self, subject: Subject) -> float:
        return statistics.median(subject.walls) / statistics.median(self.floor().walls)


def measure(
    plans: dict[str, list[str]],
    runs: int = 15,
    admin_runs: int = 15,
    agent_only: bool = False,
    profile_runs: int = 3,
    no_pyc_runs: int = 3,
    progress: Any = None,
) -> ColdStart:
    """Floor and agent handlers in every one of ``runs`` rounds; admin handlers (no budget)
    in the first ``admin_runs`` rounds only, to keep ``make bench`` within its time."""
    from local.server import REGION

    found = subjects(plans, REGION)
    if agent_only:
        found = [s for s in found if s.name == FLOOR or s.agent]
    pycache = Path(tempfile.gettempdir()) / "edgex-bench-pycache"
    env = child_environment(pycache)
    codes = {s.name: CHILD.format(body=s.body) for s in found}
    for s in found:  # warm-up: bytecode into the bench's own cache, files into the page cache
        run_child(codes[s.name], env)
    rng = random.Random(8)
    for n in range(max(runs, admin_runs)):
        order = [x for x in found if (n < runs if x.name == FLOOR or x.agent else n < admin_runs)]
        rng.shuffle(order)
        for s in order:
            answer, _ = run_child(codes[s.name], env)
            s.walls.append(answer["wall"])
            s.cpus.append(answer["cpu"])
            s.rss.append(answer["rss_kb"])
            s.phases.append(answer["phases"])
        if progress:
            progress(f"cold start: round {n + 1}/{max(runs, admin_runs)}")
    agents = [s for s in found if s.agent]
    attributions: dict[str, list[tuple[str, float, int]]] = {}
    if profile_runs:
        floor_profiles = [import_profile(codes[FLOOR], env) for _ in range(profile_runs)]
        for s in agents:
            attributions[s.name] = attribute_imports(
                [import_profile(codes[s.name], env) for _ in range(profile_runs)], floor_profiles
            )
    if no_pyc_runs:
        # Lambda's layers are read-only and built with pip --no-compile: what a cold start
        # pays when nothing has bytecode (the difference to the floor, which compiles
        # botocore the same way, is the layer's own compile cost).
        with tempfile.TemporaryDirectory(prefix="edgex-bench-nopyc-") as empty:
            bare = child_environment(Path(empty), write_bytecode=False)
            for _ in range(no_pyc_runs):
                for s in [found[0], *agents]:
                    s.no_pyc_walls.append(run_child(codes[s.name], bare)[0]["wall"])
            if progress:
                progress("cold start: no-bytecode runs done")
    return ColdStart(found, runs, attributions, no_pyc_runs, str(pycache), admin_runs)
