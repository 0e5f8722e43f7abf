"""The fleet model, the throttle arithmetic, the cold-start verdict and the README table of ``make bench``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import coldstart, report, scale
from bench.metering import Call, Window, Write


def _lifecycle(target: str, deployment: str = "1") -> list[tuple[str, Window]]:
    """One machine: an enroll writing its target into the deployment's partition (2 WCU) and
    its own log item (1 WCU), reading the deployment item (1 RCU)."""
    call = Call(
        "dynamodb",
        "TransactWriteItems",
        0.0,
        writes=[
            Write(f"targets:{deployment}|T#{target}", f"targets:{deployment}", 2),
            Write(f"logs:{deployment}#{target}|0001", f"logs:{deployment}#{target}", 1),
        ],
        reads=[(f"deployments:{deployment}", 1.0)],
    )
    return [("enroll", Window(calls=[call]))]


def test_fleet_model_puts_every_machine_on_a_shared_key_and_keeps_own_keys_apart() -> None:
    # Given two measured lifecycles of one deployment
    lifecycles = [_lifecycle("aaaa"), _lifecycle("bbbb")]
    identities = [("aaaa", "host-a", "m-a"), ("bbbb", "host-b", "m-b")]
    # When 60,000 machines replay them over 10 minutes
    model = scale.fleet_model(lifecycles, identities, machines=60_000, minutes=10)
    keys = {k.key: k for k in model.keys}
    # Then the shared partition carries 2 WCU per machine: 200 WCU/s on average, more in its busiest second
    shared = keys["targets:1"]
    assert shared.shared and shared.mean_wcu == pytest.approx(200.0)
    assert shared.peak_wcu >= 200.0
    assert keys["deployments:1"].mean_rcu == pytest.approx(100.0)
    # And a machine's own log partition is one row with its own load only
    own = keys["logs:1#<target_id>"]
    assert not own.shared and own.peak_wcu == 1.0
    # And the hottest key for writes is named
    hot = model.hottest("write")
    assert hot is not None and hot.key == "targets:1"


def test_fleet_model_reports_a_partition_over_the_write_limit() -> None:
    # Given a lifecycle writing 8 WCU to the deployment's partition
    heavy = _lifecycle("aaaa")
    heavy[0][1].calls[0].writes[0].units = 8
    # When 100,000 machines run it in 10 minutes
    model = scale.fleet_model([heavy], [("aaaa", "h", "m")])
    hot = model.hottest("write")
    # Then its busiest second is past the 1,000 WCU/s of one partition
    assert hot is not None and hot.peak_wcu > scale.PARTITION_WCU_PER_SECOND


def test_throttle_compares_the_fleet_rate_per_route_with_its_limit() -> None:
    # Given 5 feedback posts per machine and a 50 requests/s route limit
    got = scale.throttle(
        {"enroll": 1, "feedback": 5},
        {"enroll": "POST /v1/agent/enroll", "feedback": "POST /v1/agent/feedback"},
        {"enroll": (50, 100), "feedback": (2000, 4000)},
        concurrency={"enroll": 25, "feedback": 25},
        billed_ms={"enroll": 25, "feedback": 50},
        source="test",
    )
    enroll, feedback = got.routes
    # Then 100,000 machines in 10 minutes need 166.7 enrollments/s and 833.3 posts/s
    assert enroll.needed == pytest.approx(100_000 / 600)
    assert feedback.needed == pytest.approx(5 * 100_000 / 600)
    assert enroll.needed > enroll.rate_limit and feedback.needed <= feedback.rate_limit
    # And 25 reserved environments at 50 ms serve 500 requests/s
    assert feedback.concurrency_rps == pytest.approx(500.0)


@pytest.mark.parametrize(
    ("ratios", "verdict"),
    [
        ([1.1, 1.2, 1.24], "met"),  # the whole range (too few pairs for a narrower interval) is within
        ([1.3, 1.4, 1.26], "missed"),
        ([1.1, 1.2, 1.3], "undecided"),  # median within, but the interval reaches past 1.25
        ([0.9, 0.95, 1.1], "noise"),
        ([1.10 + i / 100 for i in range(31)], "undecided"),  # median 1.25, interval 1.19-1.31
        ([1.00 + i / 100 for i in range(31)], "met"),  # median 1.15, interval 1.09-1.21
        ([1.20 + i / 100 for i in range(31)], "missed"),  # median 1.35, interval 1.29-1.41
    ],
)
def test_cold_start_verdict_is_judged_on_the_median_interval_and_below_one_is_noise(
    ratios: list[float], verdict: str
) -> None:
    pairs = coldstart.Pairs("agent_enroll", ratios=ratios)
    assert pairs.verdict() == verdict


@pytest.mark.parametrize(("n", "ranks"), [(6, (1, 6)), (15, (4, 12)), (31, (10, 22)), (61, (23, 39))])
def test_the_median_interval_uses_the_sign_test_order_statistics(n: int, ranks: tuple[int, int]) -> None:
    # Given values 1..n (shuffled), Then the 95% interval is the ranks of the sign test's table
    values = [float(v) for v in range(n, 0, -1)]
    assert coldstart.median_interval(values) == (float(ranks[0]), float(ranks[1]))


def test_readme_table_is_rewritten_between_the_markers_only(tmp_path: Path) -> None:
    # Given a README with text around the markers, and a results file's figures
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{report.README_BEGIN}\nold hand-typed table\n{report.README_END}\nafter\n")
    results = {
        "meta": {
            "generated_at": "2026-12-01T22:00:00+00:00",
            "commit": "abc1234",
            "python": "3.11.7",
            "cpus": 2,
            "load_average_at_start": [0.5, 0.6, 0.7],
            "runtime_seconds": 420.0,
        },
        "coldstart": {
            "handlers": {
                "agent_enroll": {
                    "pairs": 15,
                    "median_ratio": 1.31,
                    "min_ratio": 1.2,
                    "max_ratio": 1.5,
                    "handler_cpu_ms_median": 300.0,
                    "floor_cpu_ms_median": 230.0,
                    "verdict": "missed",
                },
                "agent_download": {
                    "pairs": 61,
                    "median_ratio": 1.23,
                    "interval_95": [1.202, 1.306],
                    "min_ratio": 0.89,
                    "max_ratio": 1.73,
                    "handler_cpu_ms_median": 272.1,
                    "floor_cpu_ms_median": 223.7,
                    "verdict": "undecided",
                    "storage_alone": {"median_ratio": 1.162, "interval_95": [1.122, 1.22]},
                },
            }
        },
        "scale": {"hottest_write": {"key": "targets:1", "peak": 1526.0, "limit": 1000}},
    }
    # When the table is generated
    text = report.rewrite_readme(readme, results)
    # Then the figures come from the results, and nothing outside the markers changed
    assert "old hand-typed table" not in text
    assert "1.310x (min 1.20, max 1.50" in text and "commit abc1234" in text
    assert "230 ms) | **no**" in text  # a result without the storage calls alone says nothing of them
    assert "272 ms vs 224 ms; its storage calls alone 1.162x, 95% interval 1.12-1.22) | **not shown**" in text
    assert "`targets:1` 1,526 WCU/s | **no**" in text
    assert text.startswith("# Title\n\nbefore\n") and text.endswith(f"{report.README_END}\nafter\n")
