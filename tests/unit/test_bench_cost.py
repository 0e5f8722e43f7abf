"""The arithmetic behind ``make bench``'s cost and scale figures (pure functions, no timing)."""

from __future__ import annotations

import pytest

from bench import capacity, cost, scale


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


def test_cost_of_runs_prices_each_service_from_counted_units() -> None:
    # Given one endpoint called twice per machine, 1 ms of work, no storage, a full vCPU, never cold
    prices = cost.Prices()
    one_vcpu = cost.Assumptions(memory_mb=cost.FULL_VCPU_MB, cold_start_share=0.0, prices=prices)
    endpoint = cost.EndpointLoad("x", per_machine=2, own_ms=1.0, operations={}, init_ms=100.0)
    gb = cost.FULL_VCPU_MB / 1024
    # When 1,000 machines run with 10 WRU, 4 RRU and 1 S3 GET each
    got = cost.cost_of_runs([endpoint], write_units=10, read_units=4, s3_gets=1, assumptions=one_vcpu)
    # Then every line is requests or units times the list price
    assert got.requests == 2000
    assert got.apigw == pytest.approx(2000 * 1.00 / 1e6)
    assert got.lambda_requests == pytest.approx(2000 * 0.20 / 1e6)
    assert got.dynamodb_writes == pytest.approx(10_000 * 0.625 / 1e6)
    assert got.dynamodb_reads == pytest.approx(4_000 * 0.125 / 1e6)
    assert got.s3 == pytest.approx(1000 * 0.0004 / 1000)
    assert got.lambda_duration == pytest.approx(2000 * 0.001 * gb * prices.lambda_arm_gb_second)
    assert got.lambda_init == 0.0
    assert got.total == pytest.approx(sum(v for _, v in got.lines()))
    # And when half the invocations are cold, each bills its 100 ms init on top
    half_cold = cost.Assumptions(memory_mb=cost.FULL_VCPU_MB, cold_start_share=0.5, prices=prices)
    cold = cost.cost_of_runs([endpoint], 0, 0, 0, half_cold)
    assert cold.lambda_init == pytest.approx(2000 * 0.5 * 0.1 * gb * prices.lambda_arm_gb_second)


def test_hot_item_limit_and_throttling_verdict() -> None:
    # Given an item taking 60 WCU per machine, 20 of them at enrollment
    spot = scale.Hotspot("item", "deployments:1|", writes_per_machine=3, wcu_per_machine=60, wcu_per_enrollment=20)
    # Then 1,000 WCU/s is reached at 1,000 lifecycles or 3,000 enrollments per minute
    assert spot.lifecycles_per_minute == pytest.approx(1000)
    assert spot.enrollments_per_minute == pytest.approx(3000)
    # And 100,000 enrollments within 10 minutes need 3,333 WCU/s: throttled
    assert spot.fleet_demand() == pytest.approx(100_000 / 600 * 20)
    assert spot.throttles()
    small = scale.Hotspot("item", "d", 3, 6, 2)
    assert not small.throttles()
    assert scale.machines_per_minute(0) == float("inf")
    assert scale.hottest_item([small, spot]) is spot
