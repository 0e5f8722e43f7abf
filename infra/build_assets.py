"""Build the Lambda assets without Docker (``python -m infra.build_assets``).

pip can install wheels for another platform with ``--platform`` and
``--only-binary=:all:``, so the arm64 layer for the building Python's version is built on any machine
(aws-lambda-powertools does the same in its e2e tests). A build is skipped when a
stamp (hash of the requirements and the pip arguments) matches, so ``make synth``
touches the network only when the requirements change. Each build goes to a
temporary folder first and is swapped in whole: an interrupted build never leaves
a half-filled folder behind a valid stamp.

Every asset ships bytecode: Lambda's ``/var/task`` and ``/opt`` are read-only, so
a module without a valid ``.pyc`` is compiled again on every cold start. The pycs
are unchecked-hash ones (PEP 552): valid whatever timestamps the zip gives the
sources, and used without reading the source. They are compiled by the building
interpreter, whose minor version the Lambda runtime follows (``infra.constants``).
The code asset and the edgex layer are copies of ``lambdas/`` and ``layers/edgex``
compiled at every synth (``compiled_copy``); the deps layer is compiled once per build.

The deps layer ships the AWS SDK pinned for the tests rather than the runtime's
copy, its data trimmed to the services the functions call (``infra.sdk_data``): the
largest single saving in a cold start.

The module also builds two host-platform folders the packaging test and the bench
need: the same requirements for this machine (trimmed the same way), and the boto3
the Lambda runtime provides, as it provides it (untrimmed).
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from infra import constants as c
from infra import sdk_data

SDK_DATA_SOURCE = Path(sdk_data.__file__)  # an input of the layers it trims: a change rebuilds them

# Bump when the way a folder is built changes, so existing stamps stop matching.
BUILD_FORMAT = "4"  # 4: compiled (unchecked-hash pycs), the AWS SDK shipped with its data trimmed


@dataclass(frozen=True)
class LayerBuild:
    """One pip-built folder: what to install, for which platform, and where."""

    name: str
    out_dir: Path  # the asset root; packages go to out_dir/python
    requirement_args: tuple[str, ...]
    platform_args: tuple[str, ...]
    inputs: tuple[Path, ...] = ()
    trim_sdk: bool = False  # a layer that ships: botocore's data cut by infra.sdk_data

    @property
    def site_dir(self) -> Path:
        return self.out_dir / "python"

    @property
    def stamp_file(self) -> Path:
        return c.STAMPS_DIR / f"{self.name}.sha256"

    def fingerprint(self) -> str:
        digest = hashlib.sha256(BUILD_FORMAT.encode())
        for path in self.inputs:
            digest.update(path.read_bytes())
        digest.update("\0".join((*self.requirement_args, *self.platform_args, str(self.trim_sdk))).encode())
        return digest.hexdigest()

    def is_current(self) -> bool:
        return (
            self.site_dir.is_dir()
            and self.stamp_file.is_file()
            and self.stamp_file.read_text().strip() == self.fingerprint()
        )


def _project(line: str) -> str | None:
    """The normalized project name of a requirements line (None for comments/options)."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    return re.split(r"[\s\[<>=!~;@]", text, maxsplit=1)[0].lower().replace("_", "-")


def lambda_requirements() -> tuple[str, ...]:
    """requirements/runtime.txt without the projects that have no Lambda-platform wheel."""
    excluded = {name.lower() for name in c.NO_LAMBDA_WHEEL}
    return tuple(
        line.split("#", 1)[0].strip()
        for line in c.REQUIREMENTS_RUNTIME.read_text().splitlines()
        if _project(line) is not None and _project(line) not in excluded
    )


def lambda_deps_layer() -> LayerBuild:
    """The deployed deps layer: requirements/runtime.txt for arm64, the building CPython's version."""
    return LayerBuild(
        name="deps",
        out_dir=c.DEPS_LAYER_DIR,
        requirement_args=(*lambda_requirements(), pinned(c.REQUIREMENTS_DEV, "boto3")),
        platform_args=(
            "--platform",
            c.LAMBDA_PIP_PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            c.LAMBDA_PYTHON_VERSION,
            "--only-binary=:all:",
        ),
        inputs=(c.REQUIREMENTS_RUNTIME, c.REQUIREMENTS_DEV, SDK_DATA_SOURCE),
        trim_sdk=True,
    )


def host_deps_layer() -> LayerBuild:
    """The same requirements for this interpreter and machine: importable here."""
    return LayerBuild(
        name="deps-host",
        out_dir=c.HOST_DEPS_LAYER_DIR,
        requirement_args=("-r", str(c.REQUIREMENTS_RUNTIME), pinned(c.REQUIREMENTS_DEV, "boto3")),
        platform_args=("--only-binary=:all:", f"--python-version={sys.version_info.major}.{sys.version_info.minor}"),
        inputs=(c.REQUIREMENTS_RUNTIME, c.REQUIREMENTS_DEV, SDK_DATA_SOURCE),
        trim_sdk=True,
    )


def pinned(requirements: Path, package: str) -> str:
    """The ``package==version`` line pinned in a requirements file."""
    pattern = re.compile(rf"^{re.escape(package)}==\S+", re.IGNORECASE | re.MULTILINE)
    match = pattern.search(requirements.read_text())
    if match is None:
        raise LookupError(f"{package} is not pinned in {requirements}")
    return match.group(0)


def host_runtime_layer() -> LayerBuild:
    """What the Lambda runtime provides (boto3 and its dependencies), for this machine."""
    return LayerBuild(
        name="runtime-host",
        out_dir=c.HOST_RUNTIME_DIR,
        requirement_args=(pinned(c.REQUIREMENTS_DEV, "boto3"),),
        platform_args=("--only-binary=:all:",),
        inputs=(c.REQUIREMENTS_DEV,),
    )


def compile_tree(root: Path, shipped_as: str) -> None:
    """Unchecked-hash bytecode next to every ``.py`` under ``root``, for the building Python.

    ``shipped_as`` is the folder the files have on Lambda (``/opt/python``, ``/var/task``):
    tracebacks name the deployed paths. Fails on a file that does not compile.
    """
    ok = compileall.compile_dir(
        str(root),
        ddir=shipped_as,
        quiet=2,
        workers=0,
        optimize=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not ok:
        broken = []
        for source in root.rglob("*.py"):
            try:
                compile(source.read_bytes(), str(source), "exec", dont_inherit=True)
            except SyntaxError as err:
                broken.append(f"{source.relative_to(root)}: {err.msg} (line {err.lineno})")
        raise RuntimeError(f"bytecode for {root}: {len(broken)} file(s) do not compile: {'; '.join(broken[:5])}")


def _tree_digest(source: Path) -> str:
    """What a compiled copy of ``source`` is made of: every shipped file's path and bytes."""
    ignore = shutil.ignore_patterns(*c.ASSET_EXCLUDES, "*.egg-info")
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in ignore(folder, dirs))
        for name in sorted(f for f in files if f not in ignore(folder, files)):
            path = Path(folder) / name
            digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def compiled_copy(source: Path, out_dir: Path, shipped_as: str) -> Path:
    """``source`` copied without tests or caches and compiled, into a folder named by its
    content (``<out_dir>-<digest>``), made once and never changed afterwards.

    Cheap (a few hundred files), so it runs at every synth and the asset always matches the
    sources. Content-named and renamed into place whole, a copy is never rewritten while
    another synth (a parallel test, a second terminal) reads it; unchecked-hash pycs carry
    no timestamp, so an unchanged tree keeps its asset hash.
    """
    final = out_dir.with_name(f"{out_dir.name}-{_tree_digest(source)}")
    if final.is_dir():
        return final
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}-") as tmp:
        staging = Path(tmp) / out_dir.name
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns(*c.ASSET_EXCLUDES, "*.egg-info"))
        compile_tree(staging, shipped_as)
        try:
            staging.rename(final)
        except OSError:
            if not final.is_dir():  # lost the race to an identical copy: use that one
                raise
    return final


def code_asset() -> Path:
    """The functions' code asset (``/var/task``): ``lambdas/``, compiled."""
    return compiled_copy(c.LAMBDAS_DIR, c.CODE_ASSET_DIR, "/var/task")


def edgex_layer_asset() -> Path:
    """The edgex layer asset (its ``python`` folder lands in ``/opt/python``), compiled."""
    out = compiled_copy(c.EDGEX_LAYER_DIR, c.EDGEX_LAYER_ASSET_DIR, "/opt")
    return out


def build(layer: LayerBuild, *, force: bool = False) -> Path:
    """Install ``layer`` unless its stamp is current; returns its asset root."""
    if layer.is_current() and not force:
        return layer.out_dir
    c.STAMPS_DIR.mkdir(parents=True, exist_ok=True)
    layer.out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=layer.out_dir.parent, prefix=f".{layer.name}-") as tmp:
        staging = Path(tmp) / "python"
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",  # pip's pycs are timestamp-checked: compile_tree writes unchecked-hash ones below
            "--upgrade",
            *layer.platform_args,
            "--target",
            str(staging),
            *layer.requirement_args,
        ]
        subprocess.run(command, check=True)  # noqa: S603 - fixed argv, no shell
        if layer.trim_sdk:
            sdk_data.trim(staging)
        compile_tree(staging, "/opt/python")
        if layer.out_dir.exists():
            shutil.rmtree(layer.out_dir)
        layer.out_dir.mkdir(parents=True)
        staging.rename(layer.site_dir)
    layer.stamp_file.write_text(layer.fingerprint() + "\n")
    return layer.out_dir


DASHBOARD_VOCABULARY = c.DASHBOARD_DIR / "src" / "generated" / "vocabulary.json"


def write_dashboard_vocabulary() -> None:
    """The dashboard's copy of edgex.vocabulary (roles, statuses ...): generated, never
    edited; committed so that `npm run build` alone works, and checked by a test."""
    from edgex import vocabulary

    DASHBOARD_VOCABULARY.parent.mkdir(parents=True, exist_ok=True)
    DASHBOARD_VOCABULARY.write_text(vocabulary.as_json() + "\n", encoding="utf-8")


def build_dashboard(*, force: bool = False) -> Path:
    """``npm ci`` (when node_modules is missing) and ``npm run build`` in dashboard_static.

    The stack publishes ``dashboard_static/dist`` and refuses to synthesize without it
    (infra.dashboard); this is the one place that builds it, for make and the tests.
    """
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js (docs/DEPLOY.md, Prerequisites)")
    write_dashboard_vocabulary()
    if (c.DASHBOARD_DIST_DIR / c.DASHBOARD_INDEX).is_file() and not force:
        return c.DASHBOARD_DIST_DIR
    if force or not (c.DASHBOARD_DIR / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=c.DASHBOARD_DIR, check=True)  # noqa: S603
    subprocess.run([npm, "run", "--silent", "build"], cwd=c.DASHBOARD_DIR, check=True)  # noqa: S603
    return c.DASHBOARD_DIST_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", action="store_true", help="also build the host-platform folders the infra tests use")
    parser.add_argument("--force", action="store_true", help="rebuild even when the stamp is current")
    parser.add_argument("--dashboard", action="store_true", help="also build the dashboard (dashboard_static/dist)")
    args = parser.parse_args(argv)
    if args.dashboard:
        print("dashboard: building (dashboard_static/dist)", file=sys.stderr)
        build_dashboard(force=True)
    print("code, edgex layer: compiling (build/code, build/layers/edgex)", file=sys.stderr)
    code_asset()
    edgex_layer_asset()
    layers = [lambda_deps_layer()]
    if args.host:
        layers += [host_deps_layer(), host_runtime_layer()]
    if c.NO_LAMBDA_WHEEL:
        print(f"deps: left out (no {c.LAMBDA_PIP_PLATFORM} wheel): {', '.join(c.NO_LAMBDA_WHEEL)}", file=sys.stderr)
    for layer in layers:
        state = "current" if layer.is_current() and not args.force else "building"
        print(f"{layer.name}: {state} ({layer.out_dir.relative_to(c.REPO_ROOT)})", file=sys.stderr)
        build(layer, force=args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
