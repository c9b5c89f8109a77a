"""Quality: accuracy against the reference window, and the anomaly flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.fairness import outcome_table
from govtui.analysis.quality import anomalies, evaluate_quality
from govtui.config import QualityConfig

COLUMNS = ("model", "window", "attribute", "group", "prediction", "label", "count")


def confusion(
    model: str,
    window: str,
    attribute: str,
    group: str,
    tp: int,
    tn: int,
    fp: int,
    fn: int,
    unlabelled: int = 0,
) -> list[tuple]:
    return [
        (model, window, attribute, group, 1, 1.0, tp),
        (model, window, attribute, group, 0, 0.0, tn),
        (model, window, attribute, group, 1, 0.0, fp),
        (model, window, attribute, group, 0, 1.0, fn),
        (model, window, attribute, group, 1, math.nan, unlabelled),
    ]


def quality(rows: list[tuple], models: list[str], config: QualityConfig | None = None):
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return evaluate_quality(
        outcome_table(frame, models), models, [config or QualityConfig()] * len(models)
    )


def test_accuracy_against_reference() -> None:
    rows = confusion("m", "current", "sex", "a", 40, 40, 10, 10, unlabelled=500)
    rows += confusion("m", "current", "sex", "b", 45, 45, 5, 5)
    rows += confusion("m", "reference", "sex", "a", 45, 45, 5, 5)
    rows += confusion("m", "reference", "sex", "b", 45, 45, 5, 5)
    (result,) = quality(rows, ["m"])
    assert result.accuracy == pytest.approx(0.85)
    assert result.reference_accuracy == pytest.approx(0.9)
    assert (result.labelled, result.reference_labelled) == (200, 200)
    assert result.accuracy_change == pytest.approx(-0.05)
    assert result.status == "crit"  # exactly 0.05 below is crit


@pytest.mark.parametrize(
    ("correct", "status"),
    [(90, "ok"), (89, "ok"), (88, "warn"), (86, "warn"), (85, "crit"), (50, "crit")],
)
def test_status_steps(correct: int, status: str) -> None:
    rows = confusion("m", "current", "sex", "a", correct, 0, 100 - correct, 0)
    rows += confusion("m", "reference", "sex", "a", 90, 0, 10, 0)
    assert quality(rows, ["m"])[0].status == status


def test_attribute_choice_default_first_by_name_or_configured() -> None:
    rows = confusion("m", "current", "zeta", "a", 50, 0, 50, 0)
    rows += confusion("m", "reference", "zeta", "a", 90, 0, 10, 0)
    rows += confusion("m", "current", "alpha", "a", 90, 0, 10, 0)
    rows += confusion("m", "reference", "alpha", "a", 90, 0, 10, 0)
    (default,) = quality(rows, ["m"])
    assert default.accuracy == pytest.approx(0.9)  # alpha sorts first
    (chosen,) = quality(rows, ["m"], QualityConfig(attribute="zeta"))
    assert chosen.accuracy == pytest.approx(0.5)
    assert chosen.status == "crit"
    (missing,) = quality(rows, ["m"], QualityConfig(attribute="nope"))
    assert (missing.accuracy, missing.status) == (None, "unknown")


def test_unknown_without_labels_in_either_window() -> None:
    rows = confusion("m", "current", "sex", "a", 0, 0, 0, 0, unlabelled=100)
    rows += confusion("m", "reference", "sex", "a", 90, 0, 10, 0)
    (result,) = quality(rows, ["m"])
    assert result.accuracy is None and result.status == "unknown"
    assert result.reference_accuracy == pytest.approx(0.9)
    rows = confusion("m", "current", "sex", "a", 90, 0, 10, 0)
    (result,) = quality(rows, ["m"])
    assert result.reference_accuracy is None and result.status == "unknown"


def test_missing_model_and_absent_frame() -> None:
    rows = confusion("m", "current", "sex", "a", 90, 0, 10, 0)
    results = quality(rows, ["m", "other"])
    assert results[1].status == "unknown" and results[1].labelled == 0
    empty = evaluate_quality(outcome_table(None, ["m"]), ["m"], [QualityConfig()])
    assert [result.status for result in empty] == ["unknown"]
    assert evaluate_quality(outcome_table(None, []), [], []) == []


def test_accuracy_matches_a_direct_count_on_many_models() -> None:
    rng = np.random.default_rng(4)
    rows, expected = [], {}
    for index in range(50):
        model = f"m{index}"
        totals = {}
        for window in ("current", "reference"):
            tp, tn, fp, fn = (int(value) for value in rng.integers(0, 30, size=4))
            rows += confusion(model, window, "attr", "g", tp, tn, fp, fn, unlabelled=7)
            total = tp + tn + fp + fn
            totals[window] = (tp + tn) / total if total else None
        expected[model] = totals
    results = quality(rows, list(expected))
    for result, totals in zip(results, expected.values(), strict=True):
        assert result.accuracy == pytest.approx(totals["current"])
        assert result.reference_accuracy == pytest.approx(totals["reference"])


def reference_flags(values: list[float], z: float) -> list[bool]:
    finite = [value for value in values if value is not None and math.isfinite(value)]
    if not finite:
        return [False] * len(values)
    median = float(np.median(finite))
    mad = float(np.median([abs(value - median) for value in finite]))
    if mad == 0:
        return [False] * len(values)
    return [
        value is not None and math.isfinite(value) and abs(0.6745 * (value - median) / mad) > z
        for value in values
    ]


def test_anomalies_by_hand() -> None:
    values = [10.0, 11.0, 9.0, 10.0, 10.5, 9.5, 50.0, math.nan, 10.0]
    flags = anomalies(values)
    assert flags == [False, False, False, False, False, False, True, False, False]
    assert anomalies([]) == []
    assert anomalies([5.0] * 10 + [100.0]) == [False] * 11  # MAD 0: nothing flagged
    assert anomalies([math.nan, None, math.inf]) == [False, False, False]  # type: ignore[list-item]
    assert anomalies([1.0, 2.0, 3.0, 100.0], z=1000) == [False] * 4


@settings(deadline=None, max_examples=100)
@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan)),
        min_size=0,
        max_size=200,
    ),
    st.sampled_from([2.0, 3.5, 5.0]),
)
def test_anomalies_match_the_definition(values: list[float], z: float) -> None:
    assert anomalies(values, z) == reference_flags(values, z)
