"""Packaging: every function's handler imports from what is actually deployed.

Each handler named in the manifest is imported in a clean interpreter (``-I -S -B``:
no site-packages, no user site, no PYTHON* variables) whose path holds only what
Lambda would put there: the synthesized code asset (/var/task), the layers'
``python`` folders (/opt/python) and, standing in for the Lambda runtime, a folder
with only boto3/botocore and their dependencies (the deps layer's own trimmed copy
comes first, as on Lambda).

The interpreter runs with ``-B`` (and the layers stand in for read-only ``/opt``): it
writes no bytecode, so it uses what the assets ship. Every ``.py`` of the code asset
and both layers has its unchecked-hash ``.pyc`` for the runtime's version.

Why two deps layers: the deployed layer holds wheels for the Lambda platform
(manylinux aarch64, the building CPython's version). This machine is probably x86_64 with another
Python, where aarch64 ``.so`` files cannot be loaded, so the import test uses the
same requirements built for this host (``build/layers/deps-host``), and the
deployed layer's binaries are checked separately: every ``.so`` must be an
aarch64 ELF and every wheel tag must fit the Lambda platform.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from infra import build_assets
from infra import constants as c
from manifest import ROUTES, Route

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

LAYER_SIZE_LIMIT = 250 * 1024 * 1024  # Lambda: code + layers, unzipped

_IMPORT = """
import importlib, sys
sys.path[:0] = {paths!r}
module = importlib.import_module({module!r})
assert callable(getattr(module, {function!r}, None)), "no callable {function} in {module}"
for name, mod in list(sys.modules.items()):
    origin = getattr(mod, "__file__", None) or ""
    if origin and not any(origin.startswith(p) for p in sys.path[:{count}]) and not origin.startswith(sys.base_prefix):
        raise SystemExit(f"{{name}} came from outside the package: {{origin}}")
"""


def _function_asset(synth: Any, route: Route) -> Path:
    function = synth.stack.endpoints.functions[route.handler]
    return synth.asset_dir(synth.logical_id(function))


def _layer_assets(synth: Any) -> list[Path]:
    return [synth.asset_dir(synth.logical_id(layer)) for layer in synth.stack.endpoints.layers]


def _import_in_clean_interpreter(handler: str, paths: list[str]) -> subprocess.CompletedProcess[str]:
    module = f"{c.HANDLER_MODULE_PREFIX}.{handler}"
    code = _IMPORT.format(paths=paths, module=module, function=c.HANDLER_FUNCTION, count=len(paths))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_REGION": "us-west-2",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_LAMBDA_FUNCTION_NAME": handler,
        "POWERTOOLS_SERVICE_NAME": c.SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
    }
    return subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def handler_imports(synth: Any, built_assets: dict[str, Path]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every handler imported at once, one interpreter each, side by side (they are independent).

    Paths are resolved here, in this thread: the jsii kernel behind ``synth`` is not
    thread-safe; the worker threads only wait for their subprocess.
    """
    edgex_layer, _deps_layer = _layer_assets(synth)
    # The path Lambda builds: code asset (/var/task), edgex layer and deps (/opt/python),
    # and the runtime's boto3.
    layer_paths = [
        str(edgex_layer / "python"),
        str(built_assets["deps_host"] / "python"),
        str(built_assets["runtime_host"] / "python"),
    ]
    jobs = {r.handler: [str(_function_asset(synth, r)), *layer_paths] for r in ROUTES}
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        futures = {
            handler: pool.submit(_import_in_clean_interpreter, handler, paths) for handler, paths in jobs.items()
        }
        return {handler: future.result() for handler, future in futures.items()}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.handler)
def test_handler_imports_in_a_clean_interpreter_from_the_assets(
    synth: Any, handler_imports: dict[str, subprocess.CompletedProcess[str]], route: Route
) -> None:
    # Given the handler file the manifest names, in the synthesized code asset
    handler_file = _function_asset(synth, route) / c.HANDLER_MODULE_PREFIX / f"{route.handler}.py"
    assert handler_file.is_file(), f"{route.handler}: no {handler_file.name} in the code asset (lambdas/handlers)"
    # When a clean interpreter imported it (handler_imports)
    result = handler_imports[route.handler]
    # Then it succeeded, with every module from the assets or the standard library
    assert result.returncode == 0, f"{route.handler}:\n{result.stderr[-3000:]}"


def test_synthesized_deps_layer_is_the_lambda_platform_build(synth: Any) -> None:
    _, deps_layer = _layer_assets(synth)
    site = deps_layer / "python"
    assert list(site.glob("_cffi_backend.cpython-*.so")), "the deps layer asset lacks the compiled dependencies"
    for path in (p for p in site.rglob("*") if p.is_file() and not p.is_symlink()):
        with path.open("rb") as f:
            header = f.read(20)
        if header[:4] != b"\x7fELF":
            continue
        machine = int.from_bytes(header[18:20], "little")
        assert machine == c.LAMBDA_ELF_MACHINE, f"{path.relative_to(site)} is not aarch64 (e_machine={machine})"
    python_tag = "cp" + c.LAMBDA_PYTHON_VERSION.replace(".", "")
    for wheel in site.glob("*.dist-info/WHEEL"):
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
        for tag in tags:
            interpreter, abi, platform = tag.split("-")
            if platform == "any":
                continue
            assert "aarch64" in platform, f"{wheel.parent.name}: {tag}"
            assert python_tag in interpreter or abi in ("abi3", "none"), f"{wheel.parent.name}: {tag}"


def test_deps_layer_ships_the_pinned_sdk_and_fits_lambda(synth: Any) -> None:
    # Given the synthesized deps layer
    edgex_layer, deps_layer = _layer_assets(synth)
    site = deps_layer / "python"
    # Then it ships the boto3 the tests pin (not the runtime's, whose version AWS changes),
    # with botocore's data trimmed (tests/infra/test_sdk_data.py)
    pin = build_assets.pinned(c.REQUIREMENTS_DEV, "boto3").split("==")[1]
    assert (site / f"boto3-{pin}.dist-info").is_dir()
    assert (site / "botocore" / "data" / "endpoints.json").is_file()
    # And code and layers fit Lambda's unzipped size limit
    code = _function_asset(synth, ROUTES[0])
    total = sum(f.stat().st_size for d in (edgex_layer, deps_layer, code) for f in d.rglob("*") if f.is_file())
    assert total < LAYER_SIZE_LIMIT


def test_code_asset_has_no_tests(synth: Any) -> None:
    code = _function_asset(synth, ROUTES[0])
    assert (code / "manifest.py").is_file()
    assert not list(code.rglob("tests")) and not list(code.rglob("conftest.py"))


def _pyc_problems(root: Path) -> list[str]:
    """Sources under ``root`` without a usable pyc for the runtime's version, and stray pycs."""
    tag = f"cpython-{c.LAMBDA_PYTHON_VERSION.replace('.', '')}"
    problems = []
    for source in root.rglob("*.py"):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not pyc.is_file():
            problems.append(f"{source.relative_to(root)}: no {pyc.name}")
            continue
        header = pyc.read_bytes()[:16]
        flags = int.from_bytes(header[4:8], "little")
        if header[:4] != importlib.util.MAGIC_NUMBER and tag == sys.implementation.cache_tag:
            problems.append(f"{source.relative_to(root)}: {pyc.name} has another magic number")
        elif flags != 0b01:  # PEP 552: hash-based (bit 0), check_source off (bit 1): valid on a read-only /opt
            problems.append(f"{source.relative_to(root)}: {pyc.name} is not an unchecked-hash pyc (flags {flags})")
    for pyc in root.rglob("*.pyc"):
        if tag not in pyc.name or pyc.name.count(".") != 2:
            problems.append(f"{pyc.relative_to(root)}: bytecode for another interpreter or optimization level")
    return problems


def test_every_module_of_code_and_layers_ships_its_bytecode(synth: Any) -> None:
    # Given the synthesized code asset and both layers
    roots = [_function_asset(synth, ROUTES[0]), *_layer_assets(synth)]
    # Then every .py has its unchecked-hash .pyc for the runtime's Python version, and no other bytecode is there
    for root in roots:
        problems = _pyc_problems(root)
        assert not problems, f"{root.name}: {len(problems)} problems, e.g. {problems[:5]}"


def test_the_runtime_is_the_python_that_built_the_bytecode(synth: Any) -> None:
    # Given the building interpreter, and the runtime of every route's function and layer in the template
    # (CDK's own custom-resource functions ship no code of ours and choose their own runtime)
    resources = synth.template_json["Resources"]
    ours = [synth.logical_id(f) for f in synth.stack.endpoints.functions.values()]
    runtimes = {resources[logical_id]["Properties"]["Runtime"] for logical_id in ours}
    layers = [resources[synth.logical_id(layer)]["Properties"] for layer in synth.stack.endpoints.layers]
    # Then they are the same version
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}
    assert all(layer["CompatibleRuntimes"] == list(runtimes) for layer in layers)


def test_an_unsupported_building_python_is_refused_with_a_clear_message() -> None:
    # Given Pythons Lambda has no runtime for, When asked for the runtime, Then the build stops and says why
    for version in ((3, 10), (3, 14)):
        with pytest.raises(c.UnsupportedPython, match=r"Lambda runs only Python 3\.11, 3\.12, 3\.13"):
            c.builder_python(version)
    assert c.builder_python((3, 11)) == "3.11"


def test_build_is_skipped_when_requirements_are_unchanged() -> None:
    from infra import build_assets

    # Given a built deps layer (the session built it)
    layer = build_assets.lambda_deps_layer()
    assert layer.is_current()
    before = layer.stamp_file.stat().st_mtime_ns
    # When it is built again
    build_assets.build(layer)
    # Then nothing was reinstalled (no network: the stamp still matches)
    assert layer.stamp_file.stat().st_mtime_ns == before


def test_deps_layer_holds_every_runtime_requirement_it_can(synth: Any) -> None:
    from infra import build_assets

    # Given the deployed deps layer and requirements/runtime.txt
    _, deps_layer = _layer_assets(synth)
    installed = {p.name.split("-")[0].lower().replace("_", "-") for p in (deps_layer / "python").glob("*.dist-info")}
    wanted = {build_assets._project(line) for line in c.REQUIREMENTS_RUNTIME.read_text().splitlines()} - {None}
    # Then only the projects without a Lambda-platform wheel are missing, and they are named
    assert wanted - installed == {n.lower() for n in c.NO_LAMBDA_WHEEL} & wanted
