"""The arithmetic behind ``make bench``'s cost and scale figures (pure functions, no timing)."""

from __future__ import annotations

import pytest

from bench import capacity, cost


def test_item_size_follows_dynamodb_sizing_rules() -> None:
    # Given an item with a string, a number, a boolean and a map
    item = {
        "name": {"S": "abc"},  # 4 + 3
        "n": {"N": "12345"},  # 1 + ceil(5 / 2) + 1
        "ok": {"BOOL": True},  # 2 + 1
        "geo": {"M": {"c": {"S": "DE"}}},  # 3 + (3 + 1 + 1 + 2)
    }
    # Then its size is the sum of names and values
    assert capacity.item_size(item) == 7 + 5 + 3 + 10
    assert capacity.item_size(None) == 0


@pytest.mark.parametrize(("text", "size"), [("0", 2), ("100", 2), ("123", 3), ("-1.50", 2), ("0.001", 2)])
def test_number_size_trims_leading_and_trailing_zeros(text: str, size: int) -> None:
    assert capacity.number_size(text) == size


def test_capacity_units_round_up_and_double_in_transactions() -> None:
    assert capacity.read_units(1) == 1.0
    assert capacity.read_units(4097) == 2.0
    assert capacity.read_units(4096, consistent=False) == 0.5
    assert capacity.write_units(0) == 1
    assert capacity.write_units(1025) == 2
    assert capacity.write_units(9952, transactional=True) == 20


def test_duration_adds_scaled_cpu_work_to_storage_waits() -> None:
    # Given 2 ms of own work at half a vCPU and one GetItem
    ms = cost.duration_ms(2.0, {"dynamodb.GetItem": 1}, cpu_factor=2.0)
    # Then the function runs 4 ms and waits the GetItem's assumed latency
    assert ms == 4.0 + cost.SERVICE_LATENCY_MS["dynamodb.GetItem"]
    assert cost.billed_ms(4.01) == 5
    assert cost.Assumptions(memory_mb=512).cpu_factor == pytest.approx(1769 / 512)
    assert cost.Assumptions(memory_mb=4096).cpu_factor == 1.0


def test_cost_of_runs_prices_every_line_from_counted_units_and_bytes() -> None:
    # Given one endpoint called twice per machine, 1 ms of work, no storage, a full vCPU, never cold,
    # answering 1 MB and logging 100 bytes plus a 200-byte access log line per request
    one_vcpu = cost.Assumptions(memory_mb=cost.FULL_VCPU_MB, cold_start_share=0.0)
    endpoint = cost.EndpointLoad(
        "x", 2, own_ms=1.0, operations={}, init_ms=100.0, response_bytes=2**20, log_bytes=100, access_log_bytes=200
    )
    gb = cost.FULL_VCPU_MB / 1024
    # When 1,000 machines run with 10 transactional WRU, 4 strong RRU, 1 S3 GET and 2 S3 PUT each
    units = {"WRU transactional": 10, "RRU strong": 4}
    got = cost.cost_of_runs([endpoint], units, s3_gets=1, assumptions=one_vcpu, s3_puts=2)
    # Then every line is requests, units or bytes times its list price
    assert got.requests == 2000
    assert got.get("API Gateway HTTP API requests") == pytest.approx(2000 * cost.APIGW_HTTP_PER_MILLION / 1e6)
    assert got.get("CloudFront HTTPS requests") == pytest.approx(2000 * cost.CLOUDFRONT_HTTPS_PER_10K / 1e4)
    assert got.get("WAF requests") == pytest.approx(2000 * cost.WAF_REQUESTS_PER_MILLION / 1e6)
    assert got.get("CloudFront data transfer out") == pytest.approx(2000 / 1024 * cost.CLOUDFRONT_OUT_PER_GB)
    assert got.get("Lambda requests") == pytest.approx(2000 * cost.LAMBDA_REQUESTS_PER_MILLION / 1e6)
    assert got.get("DynamoDB WRU transactional") == pytest.approx(10_000 * cost.DYNAMODB_WRU_PER_MILLION / 1e6)
    assert got.get("DynamoDB RRU strong") == pytest.approx(4_000 * cost.DYNAMODB_RRU_PER_MILLION / 1e6)
    assert got.get("S3 GET") == pytest.approx(1000 * cost.S3_GET_PER_THOUSAND / 1000)
    assert got.get("S3 PUT") == pytest.approx(2000 * cost.S3_PUT_PER_THOUSAND / 1000)
    assert got.get("Lambda duration (warm)") == pytest.approx(2000 * 0.001 * gb * cost.LAMBDA_ARM_GB_SECOND)
    log_bytes = 2000 * (100 + 200 + cost.LAMBDA_PLATFORM_LOG_BYTES)
    assert got.get("CloudWatch Logs ingestion") == pytest.approx(
        log_bytes / cost.GB * cost.CLOUDWATCH_LOGS_INGEST_PER_GB
    )
    assert got.get("Lambda INIT (cold starts)") == 0.0
    assert got.get("X-Ray traces") == 0.0
    assert got.total == pytest.approx(sum(v for _, v in got.lines()))
    # And when half the invocations are cold and tracing is on, INIT and traces are billed too
    half_cold = cost.Assumptions(memory_mb=cost.FULL_VCPU_MB, cold_start_share=0.5, tracing=True, waf=False)
    cold = cost.cost_of_runs([endpoint], {}, 0, half_cold)
    assert cold.get("WAF requests") == 0.0
    assert cold.get("Lambda INIT (cold starts)") == pytest.approx(2000 * 0.5 * 0.1 * gb * cost.LAMBDA_ARM_GB_SECOND)
    assert cold.get("X-Ray traces") == pytest.approx(2000 * cost.XRAY_TRACES_PER_MILLION / 1e6)
    # And a cold function's first request, reading 8 RRU and 1 S3 GET more than a warm one,
    # bills them at the cold share
    first = cost.EndpointLoad("x", 2, 1.0, {}, 100.0, cold_read_units=8.0, cold_s3_gets=1)
    extra = cost.cost_of_runs([first], {"RRU strong": 4}, 0, half_cold)
    assert extra.get("DynamoDB RRU strong") == pytest.approx(
        (4_000 + 2000 * 0.5 * 8) * cost.DYNAMODB_RRU_PER_MILLION / 1e6
    )
    assert extra.get("S3 GET") == pytest.approx(2000 * 0.5 * cost.S3_GET_PER_THOUSAND / 1000)


def test_access_log_line_is_rendered_from_the_stage_format() -> None:
    # Given a two-field format, When rendered for a route, Then its size is the JSON line's
    size = cost.access_log_bytes({"r": "$context.routeKey", "n": "$context.responseLength"}, "GET /v1/x", 200, 1234)
    assert size == len('{"r": "GET /v1/x", "n": "1234"}') + 1
