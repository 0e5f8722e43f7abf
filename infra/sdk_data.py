"""Cut the AWS SDK's data in the deps layer down to what the functions call.

botocore reads JSON at every cold start: ``endpoints.json`` (1.2 MB, every service of
every partition) for the first client, then the whole model of each service it builds
a client for (S3's is 1.4 MB of JSON, for the one GetObject the download route makes),
after listing the folder of each of 400+ services to check the name. That is most of
what a cold agent request spends beyond the floor. The deps layer therefore ships its
own botocore (pinned, as the tests use it) with only :data:`SERVICES` in its data
folder, their models cut to the operations listed (with every shape those reach) and
without documentation, and ``endpoints.json`` cut to those services; the files a client
reads are stored as minified JSON rather than gzip. Nothing else in botocore changes:
the loader finds fewer, smaller files where it always looks.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

# Service -> the operations its clients call (None: the whole model). A client of a
# service left out fails with UnknownServiceError; an operation left out is no method.
# tests/infra/test_sdk_data.py checks every client call in the code is listed.
SERVICES: dict[str, tuple[str, ...] | None] = {
    "dynamodb": (
        # every operation pynamodb's Connection sends, and the ones the store adds
        "BatchGetItem",
        "BatchWriteItem",
        "CreateTable",
        "DeleteItem",
        "DeleteTable",
        "DescribeEndpoints",
        "DescribeTable",
        "DescribeTimeToLive",
        "GetItem",
        "ListTables",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
        "UpdateTable",
        "UpdateTimeToLive",
    ),
    "s3": ("GetObject", "HeadObject", "ListObjectsV2", "PutObject"),
    "bedrock-runtime": None,
}
_DROPPED_FILES = ("examples-1",)  # documentation examples: never read by a client


def _load(path: Path) -> Any:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def _write(path: Path, data: Any) -> None:
    """Plain JSON (botocore tries ``.json`` before ``.json.gz``), the compressed copy removed."""
    path.with_name(path.name.removesuffix(".gz")).write_text(json.dumps(data, separators=(",", ":")))
    if path.suffix == ".gz":
        path.unlink()


def _strip_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_docs(v) for k, v in node.items() if k != "documentation"}
    if isinstance(node, list):
        return [_strip_docs(v) for v in node]
    return node


def _without_docs(model: dict[str, Any]) -> dict[str, Any]:
    """The documentation of operations and shapes removed (botocore reads it with a
    default); the rest, e.g. ``clientContextParams`` whose documentation botocore
    requires, kept as it is."""
    return {**model, "operations": _strip_docs(model["operations"]), "shapes": _strip_docs(model["shapes"])}


def cut_model(model: dict[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """``model`` with only ``operations`` and the shapes they reach, without documentation."""
    missing = sorted(set(operations) - set(model["operations"]))
    if missing:
        raise LookupError(f"{model['metadata']['endpointPrefix']}: no operation {', '.join(missing)}")
    kept = {name: model["operations"][name] for name in operations}
    shapes: set[str] = set()
    pending = [
        ref["shape"]
        for op in kept.values()
        for ref in (op.get("input"), op.get("output"), *op.get("errors", ()))
        if ref and "shape" in ref
    ]
    while pending:
        name = pending.pop()
        if name in shapes:
            continue
        shapes.add(name)
        shape = model["shapes"][name]
        refs = [*shape.get("members", {}).values(), shape.get("member"), shape.get("key"), shape.get("value")]
        pending += [ref["shape"] for ref in refs if ref and "shape" in ref]
    cut = {**model, "operations": kept, "shapes": {n: s for n, s in model["shapes"].items() if n in shapes}}
    return _without_docs(cut)


def _model_file(version_dir: Path, stem: str) -> Path | None:
    for candidate in (version_dir / f"{stem}.json", version_dir / f"{stem}.json.gz"):
        if candidate.is_file():
            return candidate
    return None


def trim(site_dir: Path) -> None:
    """Trim ``site_dir/botocore/data`` in place (a no-op where botocore is not installed)."""
    data = site_dir / "botocore" / "data"
    if not data.is_dir():
        return
    for folder in data.iterdir():
        if folder.is_dir() and folder.name not in SERVICES:
            shutil.rmtree(folder)
    for service, operations in SERVICES.items():
        if not (data / service).is_dir():
            raise LookupError(f"botocore has no data for {service}")
        for version_dir in (p for p in (data / service).iterdir() if p.is_dir()):
            for stem in _DROPPED_FILES:
                for path in version_dir.glob(f"{stem}.json*"):
                    path.unlink()
            rules_path = _model_file(version_dir, "endpoint-rule-set-1")
            if rules_path is not None:  # minified, not compressed: no gunzip at a cold start
                _write(rules_path, _load(rules_path))
            model_path = _model_file(version_dir, "service-2")
            if model_path is None:
                continue
            model = _load(model_path)
            _write(model_path, cut_model(model, operations) if operations else _without_docs(model))
    endpoints_path = data / "endpoints.json"
    endpoints = _load(endpoints_path)
    for partition in endpoints["partitions"]:
        partition["services"] = {k: v for k, v in partition["services"].items() if k in SERVICES}
    _write(endpoints_path, endpoints)
