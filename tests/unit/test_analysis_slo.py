"""SLO analysis: burn rates, error budget (not clamped), time to exhaustion, coverage, alerts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.policy import BUDGET_EPSILON, alert_for, slo_status
from govtui.analysis.slo import evaluate_slos
from govtui.config import BURN_WINDOWS, SloConfig

AVAILABILITY = SloConfig(name="availability", kind="availability", objective=0.999)
LATENCY = SloConfig(name="latency", kind="latency", objective=0.99, threshold_seconds=0.5)
ALL_WINDOWS = (*BURN_WINDOWS, "30d")


def frame(rows: list[tuple], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def requests(rows: list[tuple]) -> pd.DataFrame:
    return frame(rows, ("model", "window", "total", "errors"))


def uniform_requests(model: str, total: float, errors: float) -> list[tuple]:
    return [(model, window, total, errors) for window in ALL_WINDOWS]


def one(
    requests_frame: pd.DataFrame | None,
    latency_frame: pd.DataFrame | None = None,
    slos: list[SloConfig] | None = None,
    model: str = "m",
):
    results = evaluate_slos(requests_frame, latency_frame, [model], [slos or [AVAILABILITY]], 0.25)
    return results[0]


def test_burn_rate_budget_and_sli_from_counts() -> None:
    rows = [
        ("m", "5m", 1000, 20),  # ratio 0.02 -> burn 20
        ("m", "30m", 1000, 7),
        ("m", "1h", 2000, 30),  # 0.015 -> 15
        ("m", "2h", 1000, 1),
        ("m", "6h", 1000, 0),
        ("m", "1d", 10000, 5),
        ("m", "3d", 10000, 2),
        ("m", "30d", 100000, 50),  # 0.0005 -> remaining 0.5
    ]
    (result,) = one(requests(rows))
    assert result.burn_rates["5m"] == pytest.approx(20.0)
    assert result.burn_rates["30m"] == pytest.approx(7.0)
    assert result.burn_rates["1h"] == pytest.approx(15.0)
    assert result.burn_rates["6h"] == 0.0
    assert result.burn_rates["3d"] == pytest.approx(0.2)
    assert result.error_budget_remaining == pytest.approx(0.5)
    assert result.sli == pytest.approx(0.9995)
    assert result.error_ratio == pytest.approx(0.0005)  # the 1d window
    assert result.alert == "page"
    assert result.status == "crit"
    assert result.coverage == 1.0
    assert result.period == "30d"
    # remaining x period / burn(1h) = 0.5 x 30d / 15
    assert result.time_to_exhaustion_seconds == pytest.approx(0.5 * 30 * 86400 / 15)


def test_budget_is_not_clamped_and_exhausted_budget_has_zero_time_left() -> None:
    (result,) = one(requests(uniform_requests("m", 1000, 3)))  # ratio 0.003 = 3x the budget
    assert result.error_budget_remaining == pytest.approx(-2.0)
    assert result.time_to_exhaustion_seconds == 0.0
    assert result.status == "crit"
    assert result.alert == "ticket"  # 3d and 6h burn at 3 > 1; 1d and 2h at 3 is not above 3


def test_time_to_exhaustion_is_null_without_burn() -> None:
    rows = [("m", "30d", 1000, 0), ("m", "1h", 100, 0)]
    (result,) = one(requests(rows))
    assert result.error_budget_remaining == 1.0
    assert result.burn_rates["1h"] == 0.0
    assert result.time_to_exhaustion_seconds is None
    rows = [("m", "30d", 1000, 0)]
    (result,) = one(requests(rows))
    assert result.burn_rates["1h"] is None
    assert result.time_to_exhaustion_seconds is None
    assert result.status == "ok"


def test_empty_or_absent_windows_give_null_burn_rates() -> None:
    rows = [("m", "5m", 0, 0), ("m", "30d", 1000, 0)]
    (result,) = one(requests(rows))
    assert result.burn_rates["5m"] is None
    assert all(result.burn_rates[window] is None for window in BURN_WINDOWS)
    assert result.error_ratio is None
    assert result.error_budget_remaining == 1.0


def test_a_model_missing_from_the_frame_is_unknown() -> None:
    results = evaluate_slos(
        requests(uniform_requests("other", 100, 0)),
        None,
        ["m", "other"],
        [[AVAILABILITY]] * 2,
        0.25,
    )
    missing = results[0][0]
    assert missing.status == "unknown"
    assert missing.sli is None and missing.error_budget_remaining is None
    assert missing.coverage is None
    assert set(missing.burn_rates) == set(BURN_WINDOWS)
    assert all(value is None for value in missing.burn_rates.values())
    assert results[1][0].status == "ok"


def test_absent_frames_give_unknown_for_every_slo() -> None:
    results = evaluate_slos(None, None, ["a", "b"], [[AVAILABILITY, LATENCY]] * 2, 0.25)
    assert [[slo.status for slo in model] for model in results] == [["unknown"] * 2] * 2
    empty = requests([])
    assert one(empty)[0].status == "unknown"


def test_no_models_and_no_slos() -> None:
    assert evaluate_slos(None, None, [], [], 0.25) == []
    assert evaluate_slos(requests(uniform_requests("m", 1, 0)), None, ["m"], [[]], 0.25) == [[]]


def test_nan_inf_and_negative_counts_are_missing_or_clipped() -> None:
    rows = [
        ("m", "5m", math.nan, 5),  # missing
        ("m", "30m", math.inf, 5),  # missing
        ("m", "1h", 100, -4),  # errors reset: 0
        ("m", "2h", -100, 5),  # total reset: 0 -> null
        ("m", "6h", 100, 500),  # more errors than requests: clipped to total
        ("m", "30d", 1000, math.nan),  # missing
    ]
    (result,) = one(requests(rows))
    assert result.burn_rates["5m"] is None
    assert result.burn_rates["30m"] is None
    assert result.burn_rates["1h"] == 0.0
    assert result.burn_rates["2h"] is None
    assert result.burn_rates["6h"] == pytest.approx(1000.0)
    assert result.error_budget_remaining is None


def test_windows_compare_as_durations_and_duplicates_add_up() -> None:
    rows = [
        ("m", "24h", 500, 1),  # the 1d window
        ("m", "1d", 500, 1),  # same window, another row (e.g. another version): summed
        ("m", "720h", 10000, 5),  # the 30d period
        ("m", "bogus", 10, 10),  # ignored
        ("m", None, 10, 10),  # ignored
        ("m", "7d", 10, 10),  # not a window any SLO uses
    ]
    (result,) = one(requests(rows))
    assert result.error_ratio == pytest.approx(0.002)
    assert result.burn_rates["1d"] == pytest.approx(2.0)
    assert result.error_budget_remaining == pytest.approx(0.5)


def test_custom_period_and_objective() -> None:
    weekly = SloConfig(name="weekly", kind="availability", objective=0.99, period="7d")
    rows = [("m", "7d", 1000, 5), ("m", "30d", 1000, 1000), ("m", "1h", 100, 2)]
    (result,) = one(requests(rows), slos=[weekly])
    assert result.period == "7d"
    assert result.error_budget_remaining == pytest.approx(0.5)
    assert result.burn_rates["1h"] == pytest.approx(2.0)
    assert result.time_to_exhaustion_seconds == pytest.approx(0.5 * 7 * 86400 / 2.0)


def test_coverage_is_the_smallest_over_the_windows_used() -> None:
    rows = [
        ("m", "1h", 100, 0, 1.0),
        ("m", "30d", 1000, 0, 0.5),  # only 15 days of history
        ("m", "3d", 100, 0, math.nan),  # unknown: not counted
        ("m", "7d", 100, 0, 0.1),  # not a window used
    ]
    data = frame(rows, ("model", "window", "total", "errors", "coverage"))
    (result,) = one(data)
    assert result.coverage == 0.5


def test_latency_slo_counts_slow_requests_as_errors() -> None:
    rows = [("m", window, 1000, 980) for window in ALL_WINDOWS]
    latency = frame(rows, ("model", "window", "total", "fast"))
    (result,) = one(None, latency, slos=[LATENCY])
    assert result.kind == "latency"
    assert result.burn_rates["5m"] == pytest.approx(2.0)  # 2% slow / 1% allowed
    assert result.sli == pytest.approx(0.98)
    assert result.error_budget_remaining == pytest.approx(-1.0)


def test_latency_rows_with_an_slo_name_apply_only_to_that_slo() -> None:
    strict = SloConfig(name="strict", kind="latency", objective=0.99, threshold_seconds=0.1)
    loose = SloConfig(name="loose", kind="latency", objective=0.99, threshold_seconds=1.0)
    other = SloConfig(name="other", kind="latency", objective=0.99, threshold_seconds=2.0)
    rows: list[tuple] = []
    for window in ALL_WINDOWS:
        rows.append(("m", window, 1000, 900, "strict"))
        rows.append(("m", window, 1000, 995, "loose"))
        rows.append(("m", window, 600, 600, None))  # for every latency SLO of m
        rows.append(("m", window, 400, 400, " "))  # a blank name counts as none
        rows.append(("x", window, 1000, 0, "strict"))  # another model
    latency = frame(rows, ("model", "window", "total", "fast", "slo"))
    results = evaluate_slos(None, latency, ["m"], [[strict, loose, other, AVAILABILITY]], 0.25)[0]
    by_name = {result.name: result for result in results}
    assert by_name["strict"].sli == pytest.approx(0.9)
    assert by_name["loose"].sli == pytest.approx(0.995)
    assert by_name["other"].sli == 1.0
    assert by_name["availability"].status == "unknown"  # no requests frame


def test_latency_rows_without_slo_column_apply_to_every_latency_slo() -> None:
    second = SloConfig(name="p99", kind="latency", objective=0.999, threshold_seconds=0.5)
    rows = [("m", window, 1000, 999) for window in ALL_WINDOWS]
    latency = frame(rows, ("model", "window", "total", "fast"))
    results = evaluate_slos(None, latency, ["m"], [[LATENCY, second]], 0.25)[0]
    assert [result.error_budget_remaining for result in results] == pytest.approx([0.9, 0.0])
    assert [result.status for result in results] == ["ok", "crit"]


def test_per_model_slo_lists() -> None:
    data = requests(uniform_requests("a", 1000, 1) + uniform_requests("b", 1000, 1))
    tight = SloConfig(name="tight", kind="availability", objective=0.9995)
    results = evaluate_slos(data, None, ["a", "b"], [[AVAILABILITY], [tight, AVAILABILITY]], 0.25)
    assert [slo.name for slo in results[0]] == ["availability"]
    assert [slo.name for slo in results[1]] == ["tight", "availability"]
    assert results[1][0].error_budget_remaining == pytest.approx(-1.0)
    assert results[1][1].error_budget_remaining == pytest.approx(0.0)


def test_budget_warning_threshold_comes_from_the_caller() -> None:
    data = requests(uniform_requests("m", 10000, 8))  # remaining 0.2
    assert evaluate_slos(data, None, ["m"], [[AVAILABILITY]], 0.25)[0][0].status == "warn"
    assert evaluate_slos(data, None, ["m"], [[AVAILABILITY]], 0.1)[0][0].status == "ok"


def test_categorical_and_string_columns_are_accepted() -> None:
    data = requests(uniform_requests("m", 1000, 1))
    data["model"] = data["model"].astype("category")
    data["window"] = data["window"].astype(object)
    data["total"] = data["total"].astype(str)
    (result,) = one(data)
    assert result.error_budget_remaining == pytest.approx(0.0)


@settings(deadline=None, max_examples=80)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5000),
            st.floats(0, 1),
            st.booleans(),
        ),
        min_size=len(ALL_WINDOWS),
        max_size=len(ALL_WINDOWS),
    ),
    st.sampled_from([0.9, 0.99, 0.999, 0.9999]),
)
def test_vectorised_figures_match_the_definitions(
    windows: list[tuple[int, float, bool]], objective: float
) -> None:
    rows = []
    for name, (total, share, present) in zip(ALL_WINDOWS, windows, strict=True):
        if present:
            rows.append(("m", name, total, int(total * share)))
    slo = SloConfig(name="a", kind="availability", objective=objective)
    (result,) = one(requests(rows), slos=[slo])
    counts = {row[1]: (row[2], row[3]) for row in rows}

    def ratio(window: str) -> float | None:
        total, errors = counts.get(window, (0, 0))
        return errors / total if total else None

    ratios = {window: ratio(window) for window in BURN_WINDOWS}
    expected_burn = {
        window: (None if value is None else value / (1 - objective))
        for window, value in ratios.items()
    }
    for window in BURN_WINDOWS:
        if expected_burn[window] is None:
            assert result.burn_rates[window] is None
        else:
            assert result.burn_rates[window] == pytest.approx(expected_burn[window])
    period = ratio("30d")
    remaining = None if period is None else 1 - period / (1 - objective)
    assert result.error_budget_remaining == (
        None if remaining is None else pytest.approx(remaining)
    )
    assert result.alert == alert_for(result.burn_rates)
    assert result.status == slo_status(result.alert, result.error_budget_remaining, 0.25)
    hour = result.burn_rates["1h"]
    if remaining is None:
        assert result.time_to_exhaustion_seconds is None
    elif remaining <= BUDGET_EPSILON:
        assert result.time_to_exhaustion_seconds == 0.0
    elif not hour:
        assert result.time_to_exhaustion_seconds is None
    else:
        assert result.time_to_exhaustion_seconds == pytest.approx(remaining * 30 * 86400 / hour)


def test_many_models_vectorised_alerts_agree_with_the_table() -> None:
    rng = np.random.default_rng(11)
    models = [f"m{index}" for index in range(300)]
    rows = []
    for model in models:
        for window in ALL_WINDOWS:
            total = int(rng.integers(0, 2000))
            rows.append((model, window, total, int(total * rng.choice([0, 0.001, 0.005, 0.02]))))
    results = evaluate_slos(requests(rows), None, models, [[AVAILABILITY]] * len(models), 0.25)
    alerts = [model[0].alert for model in results]
    assert alerts == [alert_for(model[0].burn_rates) for model in results]
    assert {"page", "ticket", "none"} <= set(alerts)
