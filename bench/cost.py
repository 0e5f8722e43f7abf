"""Cost: AWS list price of 1,000 machine runs, from the counted calls and durations.

Pure arithmetic over figures the other benches measure, so it is unit-tested and
the assumptions sit in one place, printed with the result. Prices are the public
us-east-1 list prices (no free tier, first pricing tier); the bench cannot look
them up (no network), so they are dated here and must be re-checked when they
matter. The stack deploys to the region in cdk.json; these services cost the same
in us-west-2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

PRICES_AS_OF = "2025 public list prices, us-east-1 (DynamoDB on-demand after the 1 Nov 2024 cut; Lambda INIT billed since 1 Aug 2025)"


@dataclass(frozen=True)
class Prices:
    apigw_http_per_million: float = 1.00  # HTTP API, first 300M requests/month, per 512 KB request
    lambda_requests_per_million: float = 0.20
    lambda_arm_gb_second: float = 0.0000133334  # arm64, first 7.5B GB-s/month
    dynamodb_wru_per_million: float = 0.625  # on-demand write request units, Standard table class
    dynamodb_rru_per_million: float = 0.125  # on-demand read request units
    s3_get_per_thousand: float = 0.0004  # S3 Standard GET, SELECT and other reads
    s3_put_per_thousand: float = 0.005  # S3 Standard PUT, COPY, POST, LIST

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("API Gateway HTTP API", f"${self.apigw_http_per_million:.2f} per million requests"),
            ("Lambda requests", f"${self.lambda_requests_per_million:.2f} per million"),
            ("Lambda arm64 duration", f"${self.lambda_arm_gb_second:.10f} per GB-second (INIT billed too)"),
            ("DynamoDB on-demand writes", f"${self.dynamodb_wru_per_million:.3f} per million WRU"),
            ("DynamoDB on-demand reads", f"${self.dynamodb_rru_per_million:.3f} per million RRU"),
            ("S3 Standard GET", f"${self.s3_get_per_thousand:.4f} per 1,000"),
        ]


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


@dataclass(frozen=True)
class Assumptions:
    memory_mb: int = 512
    cold_start_share: float = 0.10  # share of invocations that start a new environment (a fleet starts at once)
    prices: Prices = field(default_factory=Prices)

    @property
    def cpu_factor(self) -> float:
        """How much slower CPU-bound work runs at this memory size than on one full core."""
        return max(1.0, FULL_VCPU_MB / self.memory_mb)


@dataclass(frozen=True)
class EndpointLoad:
    """One endpoint as the cost model needs it."""

    name: str
    per_machine: int  # requests per lifecycle
    own_ms: float  # CPU work per request (measured on this machine, one full core)
    operations: dict[str, int]  # storage calls per request
    init_ms: float  # cold-start init (measured, one full core)


def duration_ms(own_ms: float, operations: dict[str, int], cpu_factor: float) -> float:
    """Lambda duration of one warm request: the function's own work, slowed to the
    memory size's CPU share, plus the wait for each storage call."""
    wait = sum(SERVICE_LATENCY_MS.get(op, DEFAULT_LATENCY_MS) * n for op, n in operations.items())
    return own_ms * cpu_factor + wait


def billed_ms(ms: float) -> int:
    """Lambda bills duration in 1 ms steps, rounded up."""
    return max(1, math.ceil(ms))


@dataclass
class CostBreakdown:
    machines: int
    requests: float
    apigw: float
    lambda_requests: float
    lambda_duration: float
    lambda_init: float
    dynamodb_writes: float
    dynamodb_reads: float
    s3: float
    gb_seconds: float
    durations_ms: dict[str, int]

    @property
    def total(self) -> float:
        return (
            self.apigw
            + self.lambda_requests
            + self.lambda_duration
            + self.lambda_init
            + self.dynamodb_writes
            + self.dynamodb_reads
            + self.s3
        )

    def lines(self) -> list[tuple[str, float]]:
        return [
            ("API Gateway HTTP API", self.apigw),
            ("Lambda requests", self.lambda_requests),
            ("Lambda duration (warm)", self.lambda_duration),
            ("Lambda INIT (cold starts)", self.lambda_init),
            ("DynamoDB writes", self.dynamodb_writes),
            ("DynamoDB reads", self.dynamodb_reads),
            ("S3 requests", self.s3),
        ]


def cost_of_runs(
    endpoints: list[EndpointLoad],
    write_units: float,
    read_units: float,
    s3_gets: float,
    assumptions: Assumptions,
    machines: int = 1000,
    s3_puts: float = 0.0,
) -> CostBreakdown:
    """Cost of ``machines`` lifecycles; units and S3 requests are per lifecycle."""
    p = assumptions.prices
    gb = assumptions.memory_mb / 1024
    requests = sum(e.per_machine for e in endpoints) * machines
    durations = {e.name: billed_ms(duration_ms(e.own_ms, e.operations, assumptions.cpu_factor)) for e in endpoints}
    warm_gb_s = sum(e.per_machine * machines * durations[e.name] / 1000 * gb for e in endpoints)
    init_gb_s = sum(
        e.per_machine
        * machines
        * assumptions.cold_start_share
        * billed_ms(e.init_ms * assumptions.cpu_factor)
        / 1000
        * gb
        for e in endpoints
    )
    return CostBreakdown(
        machines=machines,
        requests=requests,
        apigw=requests * p.apigw_http_per_million / 1e6,
        lambda_requests=requests * p.lambda_requests_per_million / 1e6,
        lambda_duration=warm_gb_s * p.lambda_arm_gb_second,
        lambda_init=init_gb_s * p.lambda_arm_gb_second,
        dynamodb_writes=write_units * machines * p.dynamodb_wru_per_million / 1e6,
        dynamodb_reads=read_units * machines * p.dynamodb_rru_per_million / 1e6,
        s3=(s3_gets * p.s3_get_per_thousand + s3_puts * p.s3_put_per_thousand) * machines / 1000,
        gb_seconds=warm_gb_s + init_gb_s,
        durations_ms=durations,
    )
