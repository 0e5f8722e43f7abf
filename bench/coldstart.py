"""Cold start as shipped: whole processes, in alternation, paired CPU ratios.

Each sample is a whole fresh interpreter, from exec to exit, and its figure is the
CPU time (user + system) the kernel charged it (``os.wait4``): interpreter start-up
included, nothing left to the process's own clock. Two kinds of child run in
strict alternation, floor then handler, so both halves of a pair see the same load
on a busy machine; the figure per agent handler is the median of the per-pair
ratios handler / floor, with their min and max.

- The floor: a fresh interpreter that imports botocore, creates one DynamoDB client
  and makes one GetItem: the least a Python function on AWS does to read one item.
  Its botocore is the one the deps layer ships (data trimmed by ``infra.sdk_data``):
  the floor stays a lower bound for our functions, and the ratio is our code's cost,
  not the trimmed SDK's gain over the runtime's.
- The handler: a fresh interpreter whose path is the assets exactly as they ship
  (``infra.build_assets``: the compiled code asset, then the edgex and deps layers
  as ``/opt/python``, then the runtime's boto3), ``-B`` and ``PYTHONDONTWRITEBYTECODE``
  (``/opt`` is read-only: no bytecode is written, the shipped one is used), that
  imports the handler module and serves one full cold request: the payload-2.0
  event the round-trip bench sent, every storage call answered at botocore's HTTP
  layer (``before-send``) by moto's recorded raw answer to that very request.

- The storage calls alone, beside each handler: a fresh interpreter on the same path
  that imports pynamodb (its models; its transactions when the request writes one),
  opens pynamodb's connection as the store does, and sends the handler's very storage
  calls (operation and parameters as recorded, an S3 client on that session where the
  request used one), answered by the same replay. No edgex, no HTTP layer: what any
  implementation on the fixed stack must spend to honour the same invariants for that
  request. Its ratio to the floor splits the handler's into what the stack and the
  invariants cost and what our code adds; it is a reference, not the budget's figure.

All run ``-I -S`` (no site-packages, no PYTHON* variables): the path holds only the
assets and the standard library. A ratio below 1 is noise: the handler does all the
floor does and more.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLOOR = "floor"
BUDGET_RATIO = 1.25  # ARCHITECTURE.md section 10: as-shipped cold start within 1.25x the floor
# Pairs per handler: a pair's ratio ranges about 0.8-1.9 on a loaded 2-core machine; with
# 31 pairs the median's 95% interval was about 0.15 wide and straddled the budget for
# three handlers of four, so one run could not decide it. 61 pairs narrow it by ~1.4x.
ROUNDS = 61
FLAGS = ("-I", "-S", "-B")

# Shared by both children: the replay of recorded HTTP answers at botocore's before-send.
_PRELUDE = """\
import sys
sys.path[:0] = {paths!r}
import base64, io, json
import botocore.handlers
from botocore.awsrequest import AWSResponse, HeadersDict
with open({replay!r}) as _f:
    _plan = json.load(_f)
_replies = list(_plan["responses"])
_served = []


class _Raw(io.BytesIO):
    def stream(self, **_):
        data = self.read()
        while data:
            yield data
            data = self.read()


def _reply(request, **_):
    answer = _replies.pop(0)
    _served.append(answer["status"])
    return AWSResponse(request.url, answer["status"], HeadersDict(answer["headers"]), _Raw(base64.b64decode(answer["body"])))


botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _reply))
"""

_FLOOR_BODY = """\
import botocore.session
_client = botocore.session.get_session().create_client("dynamodb", region_name={region!r})
_client.get_item(**_plan["params"])
_status = 200
"""

_HANDLER_BODY = """\
import handlers.{handler} as _module
_status = _module.handler(_plan["event"], None)["statusCode"]
"""

# The storage calls alone: pynamodb's connection and clients, the recorded calls, nothing of ours.
_STORAGE_BODY = """\
import pynamodb.models
{transactions}from botocore import xform_name
from pynamodb.connection import Connection


def _decoded(value):
    if isinstance(value, dict):
        if set(value) == {{"__bytes__"}}:
            return base64.b64decode(value["__bytes__"])
        return {{k: _decoded(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


_connection = Connection(region={region!r})
_clients = {{"dynamodb": _connection.client}}
for _call in _plan["calls"]:
    if _call["service"] not in _clients:
        _clients[_call["service"]] = _connection.session.create_client(_call["service"], region_name={region!r})
    _answer = getattr(_clients[_call["service"]], xform_name(_call["operation"]))(**_decoded(_call["params"]))
    if hasattr(_answer.get("Body"), "read"):
        _answer["Body"].read()
_status = 200
"""

_EPILOGUE = """\
sys.stdout.flush()
_hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")]
_answer = {"status": _status, "served": len(_served), "left": len(_replies), "rss_kb": (_hwm or [0])[0]}
sys.stderr.write("BENCH " + json.dumps(_answer) + "\\n")
sys.stderr.flush()
import os
os._exit(0)  # no teardown: a cold start ends when the answer is out
"""


def child_code(body: str, paths: list[str], replay: Path) -> str:
    return _PRELUDE.format(paths=paths, replay=str(replay)) + body + _EPILOGUE


@dataclass
class Sample:
    cpu: float  # user + system seconds of the whole child process
    wall: float
    rss_kb: int
    stdout_bytes: int  # what it printed: the handler's log lines


@dataclass
class Subject:
    name: str  # handler module name, or "floor"
    code: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def cpus(self) -> list[float]:
        return [s.cpu for s in self.samples]


@dataclass
class Pairs:
    handler: str
    ratios: list[float] = field(default_factory=list)
    handler_cpu: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def interval(self) -> tuple[float, float]:
        """A 95% confidence interval of the median ratio, from the pairs' order statistics
        (distribution-free: the sign test's interval, no assumption on the spread)."""
        return median_interval(self.ratios)

    def verdict(self) -> str:
        """ "met" when the whole interval is within the budget, "missed" when all of it
        is over, "undecided" when it straddles the budget (the pairs cannot tell on this
        machine: more pairs, or a quieter one), "noise" for a median below 1 (the handler
        cannot do less than the floor)."""
        if self.median < 1.0:
            return "noise"
        low, high = self.interval()
        if high <= BUDGET_RATIO:
            return "met"
        return "missed" if low > BUDGET_RATIO else "undecided"


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """The k-th smallest and k-th largest value, k the largest rank whose two-sided
    binomial(n, 1/2) tail stays within 1 - ``confidence``: the median lies between them
    with at least that confidence. With fewer than 6 values no rank qualifies and the
    interval is the whole range."""
    ordered = sorted(values)
    n = len(ordered)
    k, tail = 0, 0.0
    while k < n // 2:
        tail += math.comb(n, k) / 2**n
        if 2 * tail > 1 - confidence:
            break
        k += 1
    k = max(k, 1)
    return ordered[k - 1], ordered[n - k]


def run_child(code: str, env: dict[str, str]) -> tuple[Sample, dict[str, Any]]:
    """One whole child process; its CPU time from the kernel's accounting of it."""
    import time

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, *FLAGS, "-c", code], env=env, cwd="/", stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        printed, errors = out.read(), err.read().decode(errors="replace")
    found = [line for line in errors.splitlines() if line.startswith("BENCH ")]
    if process.returncode != 0 or not found:
        raise RuntimeError(f"cold-start child failed ({process.returncode}):\n{errors[-3000:]}")
    answer = json.loads(found[-1][6:])
    if answer["left"] or answer["status"] >= 300:
        raise RuntimeError(f"cold-start child did not replay its request: {answer}\n{errors[-2000:]}")
    # The peak RSS comes from the child itself (VmHWM): ru_maxrss after fork+exec can carry the parent's.
    sample = Sample(usage.ru_utime + usage.ru_stime, wall, answer["rss_kb"], len(printed))
    return sample, answer


def shipped_paths() -> tuple[list[str], list[str]]:
    """(handler path, floor path): the assets in Lambda's order, as ``infra.build_assets`` builds them.

    The deps layer for this machine (same requirements, compiled and trimmed the same way)
    stands in for the arm64 one, and the runtime folder (boto3 and its dependencies,
    compiled) for the Lambda runtime's own copies. The floor imports the deps layer's
    botocore, as the functions do.
    """
    from infra import build_assets

    code = build_assets.code_asset()
    edgex = build_assets.edgex_layer_asset()
    deps = build_assets.build(build_assets.host_deps_layer())
    runtime = build_assets.build(build_assets.host_runtime_layer())
    runtime_path = str(runtime / "python")
    return [str(code), str(edgex / "python"), str(deps / "python"), runtime_path], [str(deps / "python")]


def child_environment() -> dict[str, str]:
    """What a deployed function has in its environment (tables, bucket, region, credentials)."""
    from local import server

    saved = dict(os.environ)
    try:
        server.configure_environment("https://edgex.example.com")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    finally:
        os.environ.clear()
        os.environ.update(saved)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # -B says the same under -I
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # never reach for instance metadata
    env["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
    return env


def storage_body(calls: list[Any], region: str) -> str:
    """The storage-only child's body for a request that made ``calls`` (``metering.Call``)."""
    transacts = any(c.operation.startswith("Transact") for c in calls)
    return _STORAGE_BODY.format(transactions="import pynamodb.transactions\n" if transacts else "", region=region)


def storage_name(handler: str) -> str:
    return f"{handler} storage calls alone"


@dataclass
class ColdStart:
    floor: Subject
    handlers: dict[str, Subject]
    pairs: dict[str, Pairs]
    storage: dict[str, Pairs]  # per handler: the storage calls alone, paired with the same floor samples
    rounds: int
    attributions: dict[str, list[tuple[str, float, int]]]
    paths: list[str]

    def ratio(self, handler: str) -> float:
        return self.pairs[handler].median


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_profile(code: str, env: dict[str, str]) -> dict[str, int]:
    """Self time (us) of every module the child imports (``-X importtime``), as shipped."""
    done = subprocess.run(
        [sys.executable, *FLAGS, "-X", "importtime", "-c", code],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    profile: dict[str, int] = {}
    for line in done.stderr.splitlines():
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
    for name in set().union(*handler) - floor_modules:
        package = name.split(".")[0]
        extra.setdefault(package, []).append(statistics.median(p.get(name, 0) for p in handler) / 1000)
        modules.setdefault(package, set()).add(name)
    ranked = sorted(((p, sum(v), len(modules[p])) for p, v in extra.items()), key=lambda x: -x[1])
    return ranked[:top]


def _replay_file(folder: Path, name: str, plan: dict[str, Any]) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(plan))
    return path


def measure(
    requests: dict[str, Any],
    floor_request: dict[str, Any],
    rounds: int = ROUNDS,
    profile_runs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> ColdStart:
    """``rounds`` rounds; in each, per agent handler (handlers shuffled), a floor sample
    then the handler and its storage calls alone in random order, each paired with that
    floor sample.

    ``requests`` maps handler module -> the round-trip bench's window of its first request
    (event, recorded calls and answers); ``floor_request`` is the floor's GetItem and its answer.
    """
    from local.server import REGION

    handler_path, floor_path = shipped_paths()
    env = child_environment()
    with tempfile.TemporaryDirectory(prefix="edgex-bench-cold-") as tmp:
        folder = Path(tmp)
        floor_plan = {"params": floor_request["params"], "responses": [r.to_json() for r in floor_request["responses"]]}
        floor = Subject(
            FLOOR, child_code(_FLOOR_BODY.format(region=REGION), floor_path, _replay_file(folder, FLOOR, floor_plan))
        )
        subjects: dict[str, Subject] = {}
        storage_subjects: dict[str, Subject] = {}
        for handler, window in requests.items():
            if len(window.calls) != len(window.responses):
                raise RuntimeError(f"{handler}: {len(window.calls)} calls but {len(window.responses)} answers recorded")
            # Each child reads only its own plan: the handler's event, or the calls to send again.
            answers = [r.to_json() for r in window.responses]
            handler_plan = {"event": window.event, "responses": answers}
            calls = [{"service": c.service, "operation": c.operation, "params": c.params} for c in window.calls]
            storage_plan = {"calls": calls, "responses": answers}
            subjects[handler] = Subject(
                handler,
                child_code(
                    _HANDLER_BODY.format(handler=handler), handler_path, _replay_file(folder, handler, handler_plan)
                ),
            )
            storage_subjects[handler] = Subject(
                storage_name(handler),
                child_code(
                    storage_body(window.calls, REGION),
                    handler_path,
                    _replay_file(folder, f"{handler}-storage", storage_plan),
                ),
            )
        for subject in [floor, *subjects.values(), *storage_subjects.values()]:  # warm-up: page cache; discarded
            run_child(subject.code, env)
        pairs = {name: Pairs(name) for name in subjects}
        storage = {name: Pairs(storage_name(name)) for name in subjects}
        rng = random.Random(12)
        for n in range(rounds):
            order = list(subjects)
            rng.shuffle(order)
            for name in order:
                low, _ = run_child(floor.code, env)
                floor.samples.append(low)
                kinds = [(subjects[name], pairs[name]), (storage_subjects[name], storage[name])]
                rng.shuffle(kinds)
                for subject, pair in kinds:
                    high, _ = run_child(subject.code, env)
                    subject.samples.append(high)
                    pair.ratios.append(high.cpu / low.cpu)
                    pair.handler_cpu.append(high.cpu)
                    pair.floor_cpu.append(low.cpu)
            if progress:
                progress(f"cold start: round {n + 1}/{rounds}")
        attributions: dict[str, list[tuple[str, float, int]]] = {}
        if profile_runs:
            floor_profiles = [import_profile(floor.code, env) for _ in range(profile_runs)]
            for name, subject in subjects.items():
                profiles = [import_profile(subject.code, env) for _ in range(profile_runs)]
                attributions[name] = attribute_imports(profiles, floor_profiles)
    return ColdStart(floor, subjects, pairs, storage, rounds, attributions, handler_path)
