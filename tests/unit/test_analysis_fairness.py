"""Fairness: group rates and parity figures against fairlearn, and the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.fairness import evaluate_fairness, outcome_table
from govtui.analysis.results import FairnessResult
from govtui.config import FairnessConfig

COLUMNS = ("model", "window", "attribute", "group", "prediction", "label", "count")
CELLS = ((0, 0.0), (0, 1.0), (0, math.nan), (1, 0.0), (1, 1.0), (1, math.nan))
ALL_SUFFICIENT = FairnessConfig(min_samples=1)


def outcomes(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


def fairness(
    frame: pd.DataFrame | None, models: list[str], config: FairnessConfig = ALL_SUFFICIENT
) -> list[list[FairnessResult]]:
    return evaluate_fairness(outcome_table(frame, models), models, [config] * len(models))


def expand(cells: dict[str, list[int]]) -> tuple[np.ndarray, ...]:
    """Per-row arrays (y_true, y_pred, group, labelled) from counts per group and cell."""
    y_true, y_pred, groups, labelled = [], [], [], []
    for group, counts in cells.items():
        for (prediction, label), count in zip(CELLS, counts, strict=True):
            y_pred += [prediction] * count
            y_true += [0 if math.isnan(label) else int(label)] * count
            labelled += [not math.isnan(label)] * count
            groups += [group] * count
    return np.array(y_true), np.array(y_pred), np.array(groups), np.array(labelled, dtype=bool)


@st.composite
def group_cells(draw: st.DrawFn) -> dict[str, list[int]]:
    """2-5 groups, each with labelled positives and negatives (so fairlearn's rates are defined)."""
    size = draw(st.integers(2, 5))
    names = draw(
        st.lists(
            st.text("abcdefgh", min_size=1, max_size=4), min_size=size, max_size=size, unique=True
        )
    )
    cells = {}
    for name in names:
        counts = draw(st.lists(st.integers(0, 30), min_size=6, max_size=6))
        counts[1] += 1 if counts[1] + counts[4] == 0 else 0  # a labelled positive
        counts[0] += 1 if counts[0] + counts[3] == 0 else 0  # a labelled negative
        cells[name] = counts
    return cells


@settings(deadline=None, max_examples=60)
@given(st.lists(group_cells(), min_size=1, max_size=3))
def test_parity_figures_match_fairlearn(attributes: list[dict[str, list[int]]]) -> None:
    rows = []
    for index, cells in enumerate(attributes):
        for group, counts in cells.items():
            for (prediction, label), count in zip(CELLS, counts, strict=True):
                rows.append(("m", "current", f"attr{index}", group, prediction, label, count))
                # Reference-window rows must not count.
                rows.append(("m", "reference", f"attr{index}", group, prediction, label, 1000))
    results = fairness(outcomes(rows), ["m"])[0]
    assert [result.attribute for result in results] == [f"attr{i}" for i in range(len(attributes))]
    for result, cells in zip(results, attributes, strict=True):
        y_true, y_pred, groups, labelled = expand(cells)
        assert [group.group for group in result.groups] == sorted(cells)
        assert all(group.sufficient for group in result.groups)
        dpd = demographic_parity_difference(y_true, y_pred, sensitive_features=groups)
        assert result.demographic_parity_difference == pytest.approx(dpd, abs=1e-12)
        ratio = demographic_parity_ratio(y_true, y_pred, sensitive_features=groups)
        if math.isnan(ratio):
            assert result.demographic_parity_ratio is None
        else:
            assert result.demographic_parity_ratio == pytest.approx(ratio, abs=1e-12)
        eod = equal_opportunity_difference(
            y_true[labelled], y_pred[labelled], sensitive_features=groups[labelled]
        )
        assert result.equal_opportunity_difference == pytest.approx(eod, abs=1e-12)
        odds = equalized_odds_difference(
            y_true[labelled], y_pred[labelled], sensitive_features=groups[labelled]
        )
        assert result.equalized_odds_difference == pytest.approx(odds, abs=1e-12)
        for stats in result.groups:
            in_group = groups == stats.group
            assert stats.count == int(in_group.sum())
            assert stats.selection_rate == pytest.approx(y_pred[in_group].mean())


def rows_for(group: str, counts: list[int], attribute: str = "sex", model: str = "m") -> list:
    return [
        (model, "current", attribute, group, prediction, label, count)
        for (prediction, label), count in zip(CELLS, counts, strict=True)
    ]


def test_group_rates_by_hand() -> None:
    # cells: (pred 0, label 0), (0, 1), (0, NA), (1, 0), (1, 1), (1, NA)
    rows = rows_for("a", [40, 10, 20, 5, 15, 10]) + rows_for("b", [30, 0, 0, 0, 0, 70])
    (result,) = fairness(outcomes(rows), ["m"])[0]
    a, b = result.groups
    assert (a.group, a.count) == ("a", 100)
    assert a.selection_rate == pytest.approx(0.3)
    assert a.tpr == pytest.approx(15 / 25)
    assert a.fpr == pytest.approx(5 / 45)
    assert (b.count, b.selection_rate) == (100, pytest.approx(0.7))
    assert b.tpr is None  # no labelled positives
    assert b.fpr == 0.0
    assert result.demographic_parity_difference == pytest.approx(0.4)
    assert result.demographic_parity_ratio == pytest.approx(0.3 / 0.7)
    assert result.equal_opportunity_difference is None  # one TPR only
    assert result.equalized_odds_difference == pytest.approx(5 / 45)  # the FPR spread
    assert result.status == "crit"


def test_insufficient_groups_are_shown_but_left_out() -> None:
    rows = (
        rows_for("big", [50, 0, 0, 0, 0, 50])
        + rows_for("also-big", [45, 0, 0, 0, 0, 55])
        + rows_for("tiny", [9, 0, 0, 0, 0, 0])
    )
    (result,) = fairness(outcomes(rows), ["m"], FairnessConfig(min_samples=100))[0]
    sufficient = {group.group: group.sufficient for group in result.groups}
    assert sufficient == {"also-big": True, "big": True, "tiny": False}
    assert result.demographic_parity_ratio == pytest.approx(0.5 / 0.55)
    assert result.status == "ok"


def test_one_group_or_none_sufficient_is_unknown() -> None:
    (single,) = fairness(outcomes(rows_for("only", [50, 0, 0, 0, 0, 50])), ["m"])[0]
    assert single.demographic_parity_difference is None
    assert single.demographic_parity_ratio is None
    assert single.equal_opportunity_difference is None
    assert single.equalized_odds_difference is None
    assert single.status == "unknown"
    rows = rows_for("a", [5, 0, 0, 0, 0, 5]) + rows_for("b", [5, 0, 0, 0, 0, 5])
    (few,) = fairness(outcomes(rows), ["m"], FairnessConfig(min_samples=100))[0]
    assert few.status == "unknown"


def test_ratio_is_null_when_nobody_is_selected() -> None:
    rows = rows_for("a", [50, 0, 0, 0, 0, 0]) + rows_for("b", [50, 0, 0, 0, 0, 0])
    (result,) = fairness(outcomes(rows), ["m"])[0]
    assert result.demographic_parity_difference == 0.0
    assert result.demographic_parity_ratio is None
    assert result.status == "unknown"


@pytest.mark.parametrize(
    ("b_selected", "status"), [(79, "crit"), (80, "warn"), (89, "warn"), (90, "ok"), (100, "ok")]
)
def test_status_thresholds(b_selected: int, status: str) -> None:
    rows = rows_for("a", [0, 0, 0, 0, 0, 100]) + rows_for(
        "b", [0, 0, 100 - b_selected, 0, 0, b_selected]
    )
    (result,) = fairness(outcomes(rows), ["m"])[0]
    assert result.status == status


def test_windows_absent_column_nan_and_unknown_values() -> None:
    rows = rows_for("a", [50, 0, 0, 0, 0, 50]) + rows_for("b", [80, 0, 0, 0, 0, 20])
    frame = outcomes(rows)
    without = frame.drop(columns=["window"])
    (result,) = fairness(without, ["m"])[0]
    assert result.demographic_parity_ratio == pytest.approx(0.4)
    nan_window = frame.assign(window=np.nan)
    assert fairness(nan_window, ["m"])[0][0].demographic_parity_ratio == pytest.approx(0.4)
    other = frame.assign(window="last-week")
    assert fairness(other, ["m"]) == [[]]
    shouting = frame.assign(window=" Current ")
    assert fairness(shouting, ["m"])[0][0].demographic_parity_ratio == pytest.approx(0.4)


def test_attributes_from_config_and_missing_ones_reported_unknown() -> None:
    rows = (
        rows_for("a", [50, 0, 0, 0, 0, 50], attribute="sex")
        + rows_for("b", [50, 0, 0, 0, 0, 50], attribute="sex")
        + rows_for("x", [50, 0, 0, 0, 0, 50], attribute="age")
        + rows_for("y", [90, 0, 0, 0, 0, 10], attribute="age")
    )
    everything = fairness(outcomes(rows), ["m"])[0]
    assert [item.attribute for item in everything] == ["age", "sex"]
    chosen = fairness(outcomes(rows), ["m"], FairnessConfig(attributes=["sex", "race"]))[0]
    assert [(item.attribute, item.status) for item in chosen] == [
        ("race", "unknown"),
        ("sex", "ok"),
    ]
    assert chosen[0].groups == []


def test_counts_nan_negative_and_bad_predictions() -> None:
    rows = rows_for("a", [50, 0, 0, 0, 0, 50]) + rows_for("b", [50, 0, 0, 0, 0, 50])
    rows += [
        ("m", "current", "sex", "a", 1, math.nan, math.nan),  # missing count
        ("m", "current", "sex", "a", 1, math.nan, -30),  # counter reset
        ("m", "current", "sex", "b", 2, math.nan, 1000),  # not a prediction
        ("m", "current", "sex", "b", None, math.nan, 1000),
        ("m", "current", "sex", "b", 1, math.inf, 10),  # a label that is no label: unlabelled
    ]
    (result,) = fairness(outcomes(rows), ["m"])[0]
    counts = {group.group: group.count for group in result.groups}
    assert counts == {"a": 100, "b": 110}


def test_string_predictions_and_labels_are_read_as_numbers() -> None:
    rows = rows_for("a", [50, 0, 0, 0, 0, 50]) + rows_for("b", [80, 0, 0, 0, 0, 20])
    frame = outcomes(rows).astype({"prediction": str})
    frame["label"] = frame["label"].map(lambda value: "" if math.isnan(value) else str(int(value)))
    (result,) = fairness(frame, ["m"])[0]
    assert result.demographic_parity_ratio == pytest.approx(0.4)


def test_models_missing_absent_frame_and_per_model_settings() -> None:
    rows = rows_for("a", [50, 0, 0, 0, 0, 50], model="x") + rows_for(
        "b", [50, 0, 0, 0, 0, 45], model="x"
    )
    assert fairness(outcomes(rows), ["x", "y"])[1] == []
    assert fairness(None, ["x"]) == [[]]
    assert fairness(outcomes([]), ["x"]) == [[]]
    table = outcome_table(outcomes(rows), ["x", "y"])
    strict, lenient = evaluate_fairness(
        table, ["x", "y"], [FairnessConfig(min_samples=1, warn_ratio=0.99), ALL_SUFFICIENT]
    )
    assert strict[0].status == "warn"
    assert lenient == []


def test_many_models_match_one_by_one() -> None:
    rng = np.random.default_rng(8)
    rows = []
    models = [f"m{index}" for index in range(30)]
    for name in models:
        for attribute in ("age", "sex"):
            for group in ("g1", "g2", "g3"):
                rows += rows_for(group, rng.integers(0, 40, size=6).tolist(), attribute, name)
    frame = outcomes(rows).sample(frac=1.0, random_state=1)
    together = fairness(frame, models)
    for index, name in enumerate(models):
        alone = fairness(frame[frame["model"] == name], [name])[0]
        assert together[index] == alone
