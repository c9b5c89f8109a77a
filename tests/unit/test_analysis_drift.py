"""Drift: PSI, JS and KS against reference implementations, and the drift status rules."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from govtui.analysis.drift import evaluate_drift, feature_table
from govtui.config import DriftConfig

COLUMNS = ("model", "feature", "kind", "bin", "reference", "current")
DEFAULT = DriftConfig()


def reference_psi(reference: list[float], current: list[float]) -> float:
    """PSI as the design defines it, written out bin by bin."""
    reference_total, current_total = sum(reference), sum(current)
    total = 0.0
    for ref_count, cur_count in zip(reference, current, strict=True):
        p_ref = ref_count / reference_total
        p_cur = cur_count / current_total
        p_ref = 0.0001 if p_ref == 0 else p_ref
        p_cur = 0.0001 if p_cur == 0 else p_cur
        total += (p_cur - p_ref) * (math.log(p_cur) - math.log(p_ref))
    return total


def expanded_ks(bounds: list[float], reference: list[int], current: list[int]) -> float:
    """Largest gap between the empirical CDFs of samples expanded from the bin counts."""
    finite = [bound for bound in bounds if math.isfinite(bound)]
    stand_in = (max(finite) + 1.0) if finite else 0.0
    values = np.array([bound if math.isfinite(bound) else stand_in for bound in bounds])
    ref_sample = np.repeat(values, reference)
    cur_sample = np.repeat(values, current)
    edges = np.sort(values)
    ref_cdf = np.searchsorted(np.sort(ref_sample), edges, side="right") / len(ref_sample)
    cur_cdf = np.searchsorted(np.sort(cur_sample), edges, side="right") / len(cur_sample)
    gap = float(np.max(np.abs(ref_cdf - cur_cdf)))
    assert gap == pytest.approx(ks_2samp(ref_sample, cur_sample).statistic, abs=1e-12)
    return gap


def bins_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


def table_by_key(frame: pd.DataFrame, models: list[str], config: DriftConfig = DEFAULT) -> dict:
    table = feature_table(frame, models, [config] * len(models))
    return {
        (models[model], table.names[feature]): (numeric, psi, js, ks)
        for model, feature, numeric, psi, js, ks in zip(
            table.model.tolist(),
            table.feature.tolist(),
            table.numeric.tolist(),
            table.psi.tolist(),
            table.js.tolist(),
            table.ks.tolist(),
            strict=True,
        )
    }


@st.composite
def fleets(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], dict]:
    """A few models with numeric and categorical features, rows in random order."""
    models = [f"model-{index}" for index in range(draw(st.integers(1, 3)))]
    rows: list[tuple] = []
    expected: dict = {}
    counts = st.integers(0, 40)
    for model in models:
        for feature_index in range(draw(st.integers(1, 4))):
            feature = f"f{feature_index}"
            numeric = draw(st.booleans())
            size = draw(st.integers(1, 8))
            reference = draw(st.lists(counts, min_size=size, max_size=size))
            current = draw(st.lists(counts, min_size=size, max_size=size))
            if numeric:
                finite = sorted(draw(st.sets(st.integers(-50, 50), min_size=size, max_size=size)))
                bounds = [value / 10 for value in finite]
                if draw(st.booleans()):
                    bounds[-1] = math.inf
                labels = ["+Inf" if math.isinf(bound) else f"{bound:g}" for bound in bounds]
            else:
                bounds = []
                labels = [f"level-{index}" for index in range(size)]
            kind = "numeric" if numeric else "categorical"
            for label, ref_count, cur_count in zip(labels, reference, current, strict=True):
                rows.append((model, feature, kind, label, ref_count, cur_count))
            expected[(model, feature)] = (numeric, bounds, reference, current)
    random.Random(draw(st.integers(0, 2**32))).shuffle(rows)
    return bins_frame(rows), models, expected


@settings(deadline=None, max_examples=80)
@given(fleets())
def test_metrics_match_reference_implementations(fleet: tuple) -> None:
    frame, models, expected = fleet
    computed = table_by_key(frame, models)
    assert set(computed) == set(expected)
    for key, (numeric, bounds, reference, current) in expected.items():
        is_numeric, psi, js, ks = computed[key]
        assert is_numeric is numeric
        if sum(reference) == 0 or sum(current) == 0:
            assert math.isnan(psi) and math.isnan(js) and math.isnan(ks)
            continue
        assert psi == pytest.approx(reference_psi(reference, current), rel=1e-9, abs=1e-12)
        p_ref = np.array(reference) / sum(reference)
        p_cur = np.array(current) / sum(current)
        assert js == pytest.approx(jensenshannon(p_ref, p_cur, base=2), abs=1e-9)
        if numeric:
            assert ks == pytest.approx(expanded_ks(bounds, reference, current), abs=1e-12)
        else:
            assert math.isnan(ks)


@settings(deadline=None, max_examples=50)
@given(
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=30),
    st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=30),
)
def test_fractional_counts_match_scipy(reference: list[float], current: list[float]) -> None:
    size = min(len(reference), len(current))
    reference, current = reference[:size], current[:size]
    rows = [("m", "f", "categorical", f"c{i}", reference[i], current[i]) for i in range(size)]
    (_, psi, js, _) = table_by_key(bins_frame(rows), ["m"])[("m", "f")]
    if sum(reference) == 0 or sum(current) == 0:
        assert math.isnan(js)
        return
    p_ref = np.array(reference) / sum(reference)
    p_cur = np.array(current) / sum(current)
    assert js == pytest.approx(jensenshannon(p_ref, p_cur, base=2), abs=1e-9)
    assert psi == pytest.approx(reference_psi(reference, current), rel=1e-9, abs=1e-12)


def test_numeric_bins_sort_numerically_and_equal_bounds_merge() -> None:
    rows = [
        ("m", "x", "numeric", "+Inf", 5, 1),
        ("m", "x", "numeric", "10", 10, 30),
        ("m", "x", "numeric", "0.50", 20, 5),
        ("m", "x", "numeric", "9", 10, 10),
        ("m", "x", "numeric", "0.5", 5, 5),  # the same bound as "0.50"
    ]
    merged = [
        ("m", "x", "numeric", "0.5", 25, 10),
        ("m", "x", "numeric", "9", 10, 10),
        ("m", "x", "numeric", "10", 10, 30),
        ("m", "x", "numeric", "+Inf", 5, 1),
    ]
    got = table_by_key(bins_frame(rows), ["m"])[("m", "x")]
    want = table_by_key(bins_frame(merged), ["m"])[("m", "x")]
    assert got == pytest.approx(want)
    # By hand: reference CDF 0.5, 0.7, 0.9, 1 (of 50); current 10, 20, 50, 51 of 51.
    assert got[3] == pytest.approx(max(0.5 - 10 / 51, 0.7 - 20 / 51, abs(0.9 - 50 / 51)))
    assert got[3] == pytest.approx(
        expanded_ks([0.5, 9, 10, math.inf], [25, 10, 10, 5], [10, 10, 30, 1])
    )


def test_bin_present_in_one_window_only_counts_zero_in_the_other() -> None:
    rows = [
        ("m", "c", "categorical", "a", 10, 0),
        ("m", "c", "categorical", "b", 0, 10),
    ]
    _, psi, js, ks = table_by_key(bins_frame(rows), ["m"])[("m", "c")]
    assert psi == pytest.approx(reference_psi([10, 0], [0, 10]))
    assert js == pytest.approx(1.0)
    assert math.isnan(ks)


def test_unparsable_numeric_bins_make_a_feature_categorical() -> None:
    rows = [
        ("m", "x", "numeric", "low", 10, 5),
        ("m", "x", "numeric", "1", 10, 5),
    ]
    numeric, psi, _, ks = table_by_key(bins_frame(rows), ["m"])[("m", "x")]
    assert numeric is False
    assert math.isnan(ks)
    assert psi == pytest.approx(0.0)


def test_counts_nan_inf_and_negative() -> None:
    rows = [
        ("m", "x", "numeric", "1", math.nan, 10),
        ("m", "x", "numeric", "2", 10, math.inf),
        ("m", "x", "numeric", "+Inf", 10, -5),
        ("m", "y", "numeric", "1", 10, 10),
    ]
    table = table_by_key(bins_frame(rows), ["m"])
    _, psi, _, _ = table[("m", "x")]
    assert psi == pytest.approx(reference_psi([0, 10, 10], [10, 0, 0]))


def drift(frame: pd.DataFrame | None, models: list[str], config: DriftConfig = DEFAULT):
    return evaluate_drift(frame, models, [config] * len(models))


def test_feature_status_share_and_model_status() -> None:
    same = [("m", "same", "categorical", label, 50, 50) for label in "abcd"]
    moved = [
        ("m", "moved", "categorical", "a", 90, 10),
        ("m", "moved", "categorical", "b", 10, 90),
    ]
    slight = [
        ("m", "slight", "categorical", "a", 50, 66),
        ("m", "slight", "categorical", "b", 50, 34),
    ]
    empty = [("m", "empty", "categorical", "a", 0, 0), ("m", "empty", "categorical", "b", 10, 0)]
    (result,) = drift(bins_frame(same + moved + slight + empty), ["m"])
    by_name = {feature.feature: feature for feature in result.features}
    assert by_name["same"].status == "ok"
    assert by_name["moved"].status == "crit"
    assert 0.1 <= by_name["slight"].psi < 0.25 and by_name["slight"].status == "warn"  # type: ignore[operator]
    assert by_name["empty"].status == "unknown" and by_name["empty"].psi is None
    # Sorted by PSI descending, no data last.
    assert [feature.feature for feature in result.features] == ["moved", "slight", "same", "empty"]
    assert result.drifted_share == pytest.approx(1 / 3)  # the unknown feature is left out
    assert result.status == "warn"
    assert result.max_psi == by_name["moved"].psi
    assert result.drifted_features == 1

    (half,) = drift(bins_frame(same + moved + empty), ["m"])
    assert half.drifted_share == pytest.approx(0.5)
    assert half.status == "crit"
    (calm,) = drift(bins_frame(same), ["m"])
    assert (calm.drifted_share, calm.status) == (0.0, "ok")
    (blind,) = drift(bins_frame(empty), ["m"])
    assert (blind.drifted_share, blind.status) == (None, "unknown")


def test_features_with_equal_psi_sort_by_name() -> None:
    rows = [
        (model, name, "categorical", label, 10, 10)
        for model in ("m",)
        for name in ("zeta", "alpha", "mid")
        for label in "ab"
    ]
    (result,) = drift(bins_frame(rows), ["m"])
    assert [feature.feature for feature in result.features] == ["alpha", "mid", "zeta"]


def test_thresholds_and_feature_list_from_config() -> None:
    moved = [
        ("m", name, "categorical", label, ref, cur)
        for name in ("a", "b", "c")
        for label, ref, cur in (("x", 70, 50), ("y", 30, 50))
    ]
    (default,) = drift(bins_frame(moved), ["m"])
    assert {feature.status for feature in default.features} == {"warn"}
    (lenient,) = drift(bins_frame(moved), ["m"], DriftConfig(warn_psi=0.2, crit_psi=0.3))
    assert {feature.status for feature in lenient.features} == {"ok"}
    (strict,) = drift(bins_frame(moved), ["m"], DriftConfig(warn_psi=0.01, crit_psi=0.1))
    assert strict.status == "crit"
    (chosen,) = drift(bins_frame(moved), ["m"], DriftConfig(features=["b", "missing"]))
    assert [feature.feature for feature in chosen.features] == ["b"]


def test_per_model_settings_are_applied_per_model() -> None:
    rows = [
        (model, name, "categorical", label, ref, cur)
        for model in ("a", "b")
        for name in ("f", "g")
        for label, ref, cur in (("x", 70, 50), ("y", 30, 50))
    ]
    results = evaluate_drift(
        bins_frame(rows), ["a", "b"], [DriftConfig(features=["g"]), DriftConfig(crit_psi=0.1)]
    )
    assert [feature.feature for feature in results[0].features] == ["g"]
    assert results[0].status == "warn"
    assert [feature.feature for feature in results[1].features] == ["f", "g"]
    assert results[1].status == "crit"


def test_missing_models_empty_and_absent_frames() -> None:
    rows = [("a", "f", "numeric", "1", 10, 10), ("ghost", "f", "numeric", "1", 10, 10)]
    results = drift(bins_frame(rows), ["a", "b"])
    assert results[0].status == "ok"
    assert (results[1].features, results[1].status) == ([], "unknown")
    assert [result.status for result in drift(None, ["a"])] == ["unknown"]
    assert [result.status for result in drift(bins_frame([]), ["a"])] == ["unknown"]
    assert drift(bins_frame(rows), []) == []


def test_one_bin_feature_has_no_drift() -> None:
    (result,) = drift(bins_frame([("m", "f", "numeric", "+Inf", 5, 500)]), ["m"])
    (feature,) = result.features
    assert (feature.psi, feature.js, feature.ks, feature.status) == (0.0, 0.0, 0.0, "ok")


def test_large_unsorted_fleet_matches_sorted_fleet() -> None:
    rng = np.random.default_rng(3)
    rows = [
        (
            f"m{model}",
            f"f{feature}",
            "numeric",
            f"{bound:g}",
            int(rng.integers(0, 50)),
            int(rng.integers(0, 50)),
        )
        for model in range(40)
        for feature in range(6)
        for bound in (0.1, 0.2, 0.5, 1.0, 2.0)
    ]
    models = [f"m{model}" for model in range(40)]
    ordered = table_by_key(bins_frame(rows), models)
    shuffled = bins_frame(rows).sample(frac=1.0, random_state=5)
    assert table_by_key(shuffled, models) == pytest.approx(ordered, nan_ok=True)  # type: ignore[arg-type]
