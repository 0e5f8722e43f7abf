"""Cost: AWS list price of 1,000 machine runs, every line, from counted calls and measured bytes.

Pure arithmetic over figures the other benches measure (storage units by type from
the metering, answer/request/log bytes and durations from the round-trip bench, the
cold-start CPU from the cold-start bench), so it is unit-tested and the assumptions
sit in one place, printed with the result. Prices are public us-east-1 list prices,
first tier, no free tier; the bench has no network to look them up, so each is a
named constant with the page it comes from and when it was read: re-check them
when the figure matters.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PRICES_AS_OF = "us-east-1 public list prices as read in 2025 (first tier, no free tier)"

# https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs, first 300 million requests a month;
# each 512 KB counts as one request), read 2025.
APIGW_HTTP_PER_MILLION = 1.00
# https://aws.amazon.com/cloudfront/pricing/ (pay-as-you-go, United States/Europe: HTTPS requests
# per 10,000; data transfer out to the internet, first 10 TB a month, per GB; data transfer
# out to the origin, per GB), read 2025.
CLOUDFRONT_HTTPS_PER_10K = 0.0100
CLOUDFRONT_OUT_PER_GB = 0.085
CLOUDFRONT_TO_ORIGIN_PER_GB = 0.020
# https://aws.amazon.com/lambda/pricing/ (arm64, first 7.5 billion GB-seconds a month; INIT
# is billed as duration since 1 August 2025), read 2025.
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_ARM_GB_SECOND = 0.0000133334
# https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class, after the
# 1 November 2024 price cut): a write request unit, a read request unit, per million, read 2025.
DYNAMODB_WRU_PER_MILLION = 0.625
DYNAMODB_RRU_PER_MILLION = 0.125
# https://aws.amazon.com/s3/pricing/ (S3 Standard, per 1,000 requests: GET, SELECT and all
# other requests; PUT, COPY, POST, LIST), read 2025.
S3_GET_PER_THOUSAND = 0.0004
S3_PUT_PER_THOUSAND = 0.005
# https://aws.amazon.com/waf/pricing/ (requests inspected by a web ACL, per million; the ACL
# and its rules are monthly fees, not per run), read 2025. The stack attaches one to the
# edge by default (infra/config.py, waf.enabled).
WAF_REQUESTS_PER_MILLION = 0.60
# https://aws.amazon.com/cloudwatch/pricing/ (Logs, Standard log class, data ingested, per GB), read 2025.
CLOUDWATCH_LOGS_INGEST_PER_GB = 0.50
# https://aws.amazon.com/xray/pricing/ (traces recorded, per million), read 2025.
XRAY_TRACES_PER_MILLION = 5.00

GB = 1024**3

# Lambda writes START, END and REPORT lines for every invocation (text log format,
# as the stack configures it); their size, from the documented format with a 36-character
# request id and typical figures: an assumption, not measured (the bench runs no Lambda).
LAMBDA_PLATFORM_LOG_BYTES = len(
    "START RequestId: 6f1c2a9e-3b7d-4c1e-9a2f-8d5e4b3c2a10 Version: $LATEST\n"
    "END RequestId: 6f1c2a9e-3b7d-4c1e-9a2f-8d5e4b3c2a10\n"
    "REPORT RequestId: 6f1c2a9e-3b7d-4c1e-9a2f-8d5e4b3c2a10\tDuration: 23.45 ms\tBilled Duration: 24 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 92 MB\t\n"
)

# What AWS takes to answer each call from a Lambda in the same region (typical p50,
# assumed: moto's answer time says nothing about DynamoDB's). The function waits for
# it, so it is billed duration.
SERVICE_LATENCY_MS = {
    "dynamodb.GetItem": 4.0,
    "dynamodb.BatchGetItem": 5.0,
    "dynamodb.Query": 6.0,
    "dynamodb.PutItem": 6.0,
    "dynamodb.UpdateItem": 6.0,
    "dynamodb.TransactWriteItems": 12.0,
    "s3.GetObject": 15.0,
}
DEFAULT_LATENCY_MS = 10.0
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally less below


def access_log_bytes(fields: Mapping[str, str], route_key: str, status: int, response_bytes: int) -> int:
    """One API Gateway access log line, rendered from the stage's format with typical values."""
    values = {
        "$context.requestId": "JpU8ZhJ4oAMEVqw=",
        "$context.identity.sourceIp": "203.0.113.17",
        "$context.requestTime": "01/Dec/2026:21:15:41 +0000",
        "$context.httpMethod": route_key.split(" ")[0],
        "$context.routeKey": route_key,
        "$context.status": str(status),
        "$context.protocol": "HTTP/1.1",
        "$context.responseLength": str(response_bytes),
        "$context.integrationLatency": "24",
        "$context.integrationErrorMessage": "-",
        "$context.authorizer.error": "-",
    }
    return len(json.dumps({k: values.get(v, v) for k, v in fields.items()})) + 1


@dataclass(frozen=True)
class Assumptions:
    memory_mb: int = 512
    cold_start_share: float = 0.10  # share of invocations that start a new environment (a fleet starts at once)
    tracing: bool = False  # X-Ray active tracing on the functions (infra/functions.py: disabled)
    waf: bool = True  # the edge's web ACL inspects every request (infra/config.py: on by default)

    @property
    def cpu_factor(self) -> float:
        """How much slower CPU-bound work runs at this memory size than on one full core."""
        return max(1.0, FULL_VCPU_MB / self.memory_mb)


@dataclass(frozen=True)
class EndpointLoad:
    """One endpoint as the cost model needs it (every figure per request, measured)."""

    name: str
    per_machine: int  # requests per lifecycle
    own_ms: float  # CPU work per request (measured on this machine, one full core)
    operations: dict[str, int]  # storage calls per request
    init_ms: float  # a cold start's CPU (measured as shipped, one full core)
    response_bytes: int = 0  # the answer, body + headers: CloudFront data out
    request_bytes: int = 0  # the request, body + headers: CloudFront to origin
    log_bytes: int = 0  # the handler's own log lines
    access_log_bytes: int = 0  # the stage's access log line
    # What a new function's first request reads beyond a warm one (what it then keeps
    # for the deployment: snapshots, the verified script), billed at the cold share.
    cold_read_units: float = 0.0
    cold_s3_gets: int = 0


def duration_ms(own_ms: float, operations: dict[str, int], cpu_factor: float) -> float:
    """Lambda duration of one warm request: the function's own work, slowed to the
    memory size's CPU share, plus the wait for each storage call."""
    wait = sum(SERVICE_LATENCY_MS.get(op, DEFAULT_LATENCY_MS) * n for op, n in operations.items())
    return own_ms * cpu_factor + wait


def billed_ms(ms: float) -> int:
    """Lambda bills duration in 1 ms steps, rounded up."""
    return max(1, math.ceil(ms))


@dataclass
class CostLine:
    service: str
    usd: float
    quantity: str  # what was counted, for the table


@dataclass
class CostBreakdown:
    machines: int
    requests: float
    lines_: list[CostLine] = field(default_factory=list)
    gb_seconds: float = 0.0
    durations_ms: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines_)

    def lines(self) -> list[tuple[str, float]]:
        return [(line.service, line.usd) for line in self.lines_]

    def get(self, service: str) -> float:
        return sum(line.usd for line in self.lines_ if line.service == service)


def cost_of_runs(
    endpoints: list[EndpointLoad],
    unit_types: Mapping[str, float],
    s3_gets: float,
    assumptions: Assumptions,
    s3_puts: float = 0.0,
    machines: int = 1000,
) -> CostBreakdown:
    """Cost of ``machines`` lifecycles; ``unit_types``, ``s3_gets`` (GET class) and
    ``s3_puts`` (PUT class) are per lifecycle."""
    gb = assumptions.memory_mb / 1024
    n = machines
    requests = sum(e.per_machine for e in endpoints) * n

    def each(attribute: str) -> float:
        return sum(e.per_machine * getattr(e, attribute) for e in endpoints) * n

    durations = {e.name: billed_ms(duration_ms(e.own_ms, e.operations, assumptions.cpu_factor)) for e in endpoints}
    warm_gb_s = sum(e.per_machine * n * durations[e.name] / 1000 * gb for e in endpoints)
    cold = assumptions.cold_start_share
    init_gb_s = sum(
        e.per_machine * n * cold * billed_ms(e.init_ms * assumptions.cpu_factor) / 1000 * gb for e in endpoints
    )
    out_bytes, origin_bytes = each("response_bytes"), each("request_bytes")
    log_bytes = each("log_bytes") + each("access_log_bytes") + requests * LAMBDA_PLATFORM_LOG_BYTES
    breakdown = CostBreakdown(machines=n, requests=requests, gb_seconds=warm_gb_s + init_gb_s, durations_ms=durations)
    add = breakdown.lines_.append
    add(CostLine("API Gateway HTTP API requests", requests * APIGW_HTTP_PER_MILLION / 1e6, f"{requests:,.0f} requests"))
    add(CostLine("CloudFront HTTPS requests", requests * CLOUDFRONT_HTTPS_PER_10K / 1e4, f"{requests:,.0f} requests"))
    add(
        _per_request(
            "WAF requests", requests, assumptions.waf, WAF_REQUESTS_PER_MILLION, "requests", "the web ACL is off"
        )
    )
    add(
        CostLine(
            "CloudFront data transfer out",
            out_bytes / GB * CLOUDFRONT_OUT_PER_GB,
            f"{out_bytes / 1e6:,.2f} MB (answers: bootstrapper, payload, JSON)",
        )
    )
    add(
        CostLine(
            "CloudFront to origin",
            origin_bytes / GB * CLOUDFRONT_TO_ORIGIN_PER_GB,
            f"{origin_bytes / 1e6:,.2f} MB (request headers and bodies)",
        )
    )
    add(CostLine("Lambda requests", requests * LAMBDA_REQUESTS_PER_MILLION / 1e6, f"{requests:,.0f} invocations"))
    add(CostLine("Lambda duration (warm)", warm_gb_s * LAMBDA_ARM_GB_SECOND, f"{warm_gb_s:,.1f} GB-s"))
    add(
        CostLine(
            "Lambda INIT (cold starts)",
            init_gb_s * LAMBDA_ARM_GB_SECOND,
            f"{init_gb_s:,.1f} GB-s at {cold:.0%} cold",
        )
    )
    cold_units = {"RRU strong": sum(e.per_machine * n * cold * e.cold_read_units for e in endpoints)}
    s3_gets += sum(e.per_machine * cold * e.cold_s3_gets for e in endpoints)
    for kind in sorted(set(unit_types) | {k for k, v in cold_units.items() if v}):
        units = unit_types.get(kind, 0.0) * n + cold_units.get(kind, 0.0)
        price = DYNAMODB_WRU_PER_MILLION if kind.startswith("WRU") else DYNAMODB_RRU_PER_MILLION
        add(CostLine(f"DynamoDB {kind}", units * price / 1e6, f"{units:,.0f} units"))
    add(CostLine("S3 GET", s3_gets * n * S3_GET_PER_THOUSAND / 1000, f"{s3_gets * n:,.0f} GET and HEAD"))
    add(CostLine("S3 PUT", s3_puts * n * S3_PUT_PER_THOUSAND / 1000, f"{s3_puts * n:,.0f} PUT and LIST"))
    add(
        CostLine(
            "CloudWatch Logs ingestion",
            log_bytes / GB * CLOUDWATCH_LOGS_INGEST_PER_GB,
            f"{log_bytes / 1e6:,.2f} MB (handler lines, access log, Lambda START/END/REPORT)",
        )
    )
    add(
        _per_request("X-Ray traces", requests, assumptions.tracing, XRAY_TRACES_PER_MILLION, "traces", "tracing is off")
    )
    return breakdown


def _per_request(service: str, requests: float, on: bool, per_million: float, unit: str, off: str) -> CostLine:
    """A line billed per request only when a feature of the stack is on (zero, and why, when off)."""
    counted = requests if on else 0
    return CostLine(service, counted * per_million / 1e6, f"{counted:,.0f} {unit}" + ("" if on else f" ({off})"))


def price_table() -> list[tuple[str, str]]:
    """The prices the model uses, for the printed table."""
    return [
        ("API Gateway HTTP API", f"${APIGW_HTTP_PER_MILLION:.2f} per million requests"),
        ("CloudFront HTTPS requests", f"${CLOUDFRONT_HTTPS_PER_10K:.4f} per 10,000"),
        (
            "CloudFront data out",
            f"${CLOUDFRONT_OUT_PER_GB:.3f} per GB (internet), ${CLOUDFRONT_TO_ORIGIN_PER_GB:.3f} to origin",
        ),
        (
            "Lambda",
            f"${LAMBDA_REQUESTS_PER_MILLION:.2f} per million requests, ${LAMBDA_ARM_GB_SECOND:.10f} per GB-s (arm64)",
        ),
        (
            "DynamoDB on-demand",
            f"${DYNAMODB_WRU_PER_MILLION:.3f} per million WRU, ${DYNAMODB_RRU_PER_MILLION:.3f} per million RRU",
        ),
        ("S3 Standard GET", f"${S3_GET_PER_THOUSAND:.4f} per 1,000"),
        ("S3 Standard PUT", f"${S3_PUT_PER_THOUSAND:.4f} per 1,000"),
        ("AWS WAF", f"${WAF_REQUESTS_PER_MILLION:.2f} per million requests"),
        ("CloudWatch Logs", f"${CLOUDWATCH_LOGS_INGEST_PER_GB:.2f} per GB ingested"),
        ("X-Ray", f"${XRAY_TRACES_PER_MILLION:.2f} per million traces"),
    ]


def as_json(breakdown: CostBreakdown) -> dict[str, Any]:
    return {
        "lines": [{"service": x.service, "usd": round(x.usd, 7), "quantity": x.quantity} for x in breakdown.lines_],
        "total_usd": round(breakdown.total, 6),
    }
