"""The demo fleet as a source: deterministic, frames consistent with its counters, monotonic."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from govtui.analysis.frames import FRAME_COLUMNS, Signals
from govtui.config import BURN_WINDOWS, Config, parse_config
from govtui.demo.config import demo_config
from govtui.demo.fleet import DemoFleet
from govtui.demo.registry import ensure_demo_registry
from govtui.demo.scenarios import SCENARIOS, STALE_STOP
from govtui.timeutil import parse_duration, parse_instant

ANCHOR = datetime(2026, 3, 10, 12, tzinfo=UTC)
CONFIG: Config = demo_config().config
SampleIndex = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> DemoFleet:
    registry = ensure_demo_registry(tmp_path_factory.mktemp("state"), at=ANCHOR)
    return DemoFleet(registry)


def _fresh_fleet(state: Path, *, models: int = 12, seed: int = 7) -> DemoFleet:
    registry = ensure_demo_registry(state, models=models, seed=seed, at=ANCHOR)
    return DemoFleet(registry, models=models, seed=seed)


def _index(fleet: DemoFleet, at: float) -> SampleIndex:
    return {(name, frozenset(labels.items())): value for name, labels, value in fleet.samples(at)}


def _total(index: SampleIndex, name: str, **match: str) -> float:
    wanted = set(match.items())
    return sum(
        value for (metric, labels), value in index.items() if metric == name and wanted <= labels
    )


def _frames(signals: Signals) -> dict[str, pd.DataFrame]:
    frames = {}
    for name in FRAME_COLUMNS:
        frame = getattr(signals, name)
        assert frame is not None, name
        frames[name] = frame
    return frames


def test_frames_follow_the_contracts(fleet: DemoFleet) -> None:
    signals = fleet.signals(ANCHOR, CONFIG)
    assert signals.models == fleet.model_names
    for name, frame in _frames(signals).items():
        assert set(FRAME_COLUMNS[name]) <= set(frame.columns), name
        assert len(frame) > 0, name
    windows = {*BURN_WINDOWS, "30d"}
    assert set(signals.requests["window"]) == windows  # type: ignore[index]
    assert set(signals.latency["window"]) == windows  # type: ignore[index]
    bins = signals.feature_bins
    assert bins is not None
    assert set(bins["kind"]) == {"numeric", "categorical"}
    for _, feature in bins[bins["kind"] == "numeric"].groupby(["model", "feature"]):
        assert feature["bin"].iloc[-1] == "+Inf"
        bounds = [float(b) for b in feature["bin"].iloc[:-1]]
        assert bounds == sorted(bounds)
    outcomes = signals.outcomes
    assert outcomes is not None
    assert set(outcomes["window"]) == {"current", "reference"}
    assert set(outcomes["attribute"]) == {"sex", "age_band"}
    assert outcomes["label"].isna().any() and set(outcomes["label"].dropna()) == {0.0, 1.0}
    assert set(signals.series["signal"]) == {"accuracy", "error_ratio", "request_rate"}  # type: ignore[index]
    assert (signals.requests["coverage"] == 1.0).all()  # type: ignore[index]


def test_scenarios_cover_every_kind(fleet: DemoFleet) -> None:
    assert set(fleet.scenarios.values()) == set(SCENARIOS)
    assert len(fleet.model_names) == 12


def test_same_seed_gives_identical_frames(tmp_path: Path) -> None:
    first = _fresh_fleet(tmp_path / "a").signals(ANCHOR + timedelta(hours=5), CONFIG)
    second = _fresh_fleet(tmp_path / "b").signals(ANCHOR + timedelta(hours=5), CONFIG)
    for name, frame in _frames(first).items():
        pd.testing.assert_frame_equal(frame, _frames(second)[name], obj=name)


def test_another_seed_gives_other_frames(tmp_path: Path) -> None:
    first = _fresh_fleet(tmp_path / "a").signals(ANCHOR, CONFIG)
    other = _fresh_fleet(tmp_path / "b", seed=8).signals(ANCHOR, CONFIG)
    assert first.models == other.models
    assert not first.requests["total"].equals(other.requests["total"])  # type: ignore[index]
    assert not first.feature_bins["current"].equals(other.feature_bins["current"])  # type: ignore[index]


def test_a_model_does_not_depend_on_the_fleet_size(tmp_path: Path) -> None:
    small = _fresh_fleet(tmp_path / "a").signals(ANCHOR, CONFIG)
    large = _fresh_fleet(tmp_path / "b", models=20).signals(ANCHOR, CONFIG)
    assert large.models[12:14] == ["model-0013", "model-0014"]
    for frame in ("requests", "feature_bins", "outcomes"):
        mine = getattr(small, frame)
        theirs = getattr(large, frame)
        theirs = theirs[theirs["model"].isin(small.models)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, theirs, obj=frame)


@pytest.mark.parametrize("hours", [0.0, 7.5, 50.0, 143.0])
def test_request_and_latency_windows_are_counter_differences(
    fleet: DemoFleet, hours: float
) -> None:
    at = ANCHOR + timedelta(hours=hours)
    moment = at.timestamp()
    signals = fleet.signals(at, CONFIG)
    now = _index(fleet, moment)
    requests = signals.requests.set_index(["model", "window"])  # type: ignore[union-attr]
    latency = signals.latency.set_index(["model", "window"])  # type: ignore[union-attr]
    for window in ("5m", "1h", "3d", "30d"):
        before = _index(fleet, moment - parse_duration(window))
        for model in fleet.model_names:
            total = _total(now, "ml_requests_total", model=model) - _total(
                before, "ml_requests_total", model=model
            )
            errors = sum(
                _total(now, "ml_requests_total", model=model, code=code)
                - _total(before, "ml_requests_total", model=model, code=code)
                for code in ("500", "503")
            )
            assert requests.loc[(model, window), "total"] == total
            assert requests.loc[(model, window), "errors"] == errors
            count = "ml_request_duration_seconds_count"
            bucket = "ml_request_duration_seconds_bucket"
            assert latency.loc[(model, window), "total"] == _total(
                now, count, model=model
            ) - _total(before, count, model=model)
            assert latency.loc[(model, window), "fast"] == _total(
                now, bucket, model=model, le="0.5"
            ) - _total(before, bucket, model=model, le="0.5")


def test_feature_bins_are_decumulated_counter_differences(fleet: DemoFleet) -> None:
    at = ANCHOR + timedelta(hours=30)
    moment = at.timestamp()
    bins = fleet.signals(at, CONFIG).feature_bins
    assert bins is not None
    windows = {
        "current": (moment - 3600, moment),
        "reference": (moment - 8 * 86400, moment - 7 * 86400),
    }
    for column, (start, end) in windows.items():
        begin, finish = _index(fleet, start), _index(fleet, end)
        for (model, feature), rows in bins.groupby(["model", "feature"], sort=False):
            if rows["kind"].iloc[0] == "numeric":
                cumulative = [
                    _total(finish, "ml_feature_value_bucket", model=model, feature=feature, le=b)
                    - _total(begin, "ml_feature_value_bucket", model=model, feature=feature, le=b)
                    for b in rows["bin"]
                ]
                expected = np.diff(np.r_[0.0, cumulative])
                count = _total(finish, "ml_feature_value_count", model=model, feature=feature)
                count -= _total(begin, "ml_feature_value_count", model=model, feature=feature)
                assert sum(expected) == count
            else:
                expected = np.array(
                    [
                        _total(
                            finish,
                            "ml_feature_category_total",
                            model=model,
                            feature=feature,
                            category=c,
                        )
                        - _total(
                            begin,
                            "ml_feature_category_total",
                            model=model,
                            feature=feature,
                            category=c,
                        )
                        for c in rows["bin"]
                    ]
                )
            assert rows[column].to_numpy().tolist() == expected.tolist(), (model, feature, column)


def test_outcomes_are_counter_differences_with_the_label_delay(fleet: DemoFleet) -> None:
    at = ANCHOR + timedelta(hours=3)
    moment = at.timestamp()
    delay = parse_duration(CONFIG.quality.label_delay)
    assert delay > 0
    outcomes = fleet.signals(at, CONFIG).outcomes
    assert outcomes is not None
    windows = {
        "current": ((moment - 86400, moment), (moment - 86400 - delay, moment - delay)),
        "reference": ((moment - 8 * 86400, moment - 7 * 86400),) * 2,
    }
    for window, ((p_start, p_end), (l_start, l_end)) in windows.items():
        p_begin, p_finish = _index(fleet, p_start), _index(fleet, p_end)
        l_begin, l_finish = _index(fleet, l_start), _index(fleet, l_end)
        rows = outcomes[outcomes["window"] == window]
        for model in ("credit-limit", "loan-approval", "support-router"):
            mine = rows[rows["model"] == model]
            for (attribute, group, prediction), cell in mine.groupby(
                ["attribute", "group", "prediction"]
            ):
                keys = {"model": model, "attribute": attribute, "group": group}
                keys["prediction"] = str(prediction)
                predicted = _total(p_finish, "ml_predictions_total", **keys) - _total(
                    p_begin, "ml_predictions_total", **keys
                )
                labelled = {
                    label: _total(
                        l_finish, "ml_labeled_predictions_total", **keys, label=str(label)
                    )
                    - _total(l_begin, "ml_labeled_predictions_total", **keys, label=str(label))
                    for label in (0, 1)
                }
                by_label = {
                    (None if pd.isna(label) else int(label)): count
                    for label, count in zip(cell["label"], cell["count"], strict=True)
                }
                assert by_label[0] == labelled[0] and by_label[1] == labelled[1]
                assert by_label[None] == max(0.0, predicted - labelled[0] - labelled[1])
                if predicted > 1000:
                    assert by_label[None] > 0  # some predictions are never labelled


def test_samples_are_monotonic_across_version_switches_and_rollback(tmp_path: Path) -> None:
    fleet = _fresh_fleet(tmp_path)
    rollback = ANCHOR + timedelta(minutes=10)
    fleet.registry.set_alias(  # type: ignore[attr-defined]
        "fraud-scorer", "champion", "3", at=rollback.isoformat(), reason="test"
    )
    times = ANCHOR.timestamp() + np.arange(-4 * 3600, 3600, 420.0)
    keys, values, _ = fleet.sample_matrix(times)
    assert values.shape == (len(times), len(keys))
    assert np.all(np.diff(values, axis=0) >= 0)
    column = {(name, frozenset(labels.items())): i for i, (name, labels) in enumerate(keys)}

    def series(version: str) -> np.ndarray:
        labels = {"model": "fraud-scorer", "version": version, "code": "200"}
        return values[:, column[("ml_requests_total", frozenset(labels.items()))]]

    after = times >= rollback.timestamp()
    during = (times >= ANCHOR.timestamp() - 2 * 3600) & ~after
    assert np.all(np.diff(series("4")[after]) == 0)  # v4 stopped serving: its counters freeze
    assert np.all(np.diff(series("4")[during]) > 0)
    assert np.all(np.diff(series("3")[after]) > 0)  # v3 serves again
    assert np.all(np.diff(series("3")[during]) == 0)


@settings(deadline=None, max_examples=25)
@given(
    # Whole milliseconds: the resolution of a Prometheus sample's timestamp.
    offsets=st.lists(
        st.integers(min_value=-40 * 86400 * 1000, max_value=6 * 86400 * 1000),
        min_size=2,
        max_size=8,
    )
)
@example(offsets=[0, -1])
def test_counters_never_decrease(fleet: DemoFleet, offsets: list[int]) -> None:
    times = np.sort(ANCHOR.timestamp() + np.array(offsets, dtype=np.float64) / 1000.0)
    _, values, _ = fleet.sample_matrix(times)
    assert np.all(np.diff(values, axis=0) >= 0)


def test_series_appear_when_their_version_first_serves(fleet: DemoFleet) -> None:
    def present(at: float) -> set[tuple[str, frozenset[tuple[str, str]]]]:
        return {(name, frozenset(labels.items())) for name, labels, _ in fleet.samples(at)}

    before = present(ANCHOR.timestamp() - 3 * 3600)
    after = present(ANCHOR.timestamp())
    assert before < after
    new_versions = {dict(labels).get("version") for _, labels in after - before}
    assert new_versions == {"4"}
    # Only fraud-scorer's v4 (promoted 2 h before the anchor) began serving in those 3 hours.
    new_models = {dict(labels)["model"] for _, labels in after - before}
    assert new_models == {"fraud-scorer"}


def test_stale_model_stops_and_reports_last_seen(fleet: DemoFleet) -> None:
    stop = ANCHOR.timestamp() + STALE_STOP
    stale = [m for m, s in fleet.scenarios.items() if s == "stale_source"]
    assert stale == ["price-optimizer"]

    def samples(at: float) -> list[float]:
        return [v for n, labels, v in fleet.samples(at) if labels["model"] == "price-optimizer"]

    assert samples(stop + 1) == samples(stop + 5 * 3600)
    assert samples(stop - 600) != samples(stop)
    at = ANCHOR + timedelta(hours=2)
    signals = fleet.signals(at, CONFIG)
    freshness = signals.freshness
    assert freshness is not None
    last_seen = freshness.groupby("model")["last_seen"].max()
    assert last_seen["price-optimizer"] == stop
    assert (last_seen.drop("price-optimizer") == at.timestamp()).all()
    requests = signals.requests.set_index(["model", "window"])  # type: ignore[union-attr]
    assert requests.loc[("price-optimizer", "1h"), "total"] == 0
    assert requests.loc[("price-optimizer", "1d"), "total"] > 0


def test_coverage_is_short_of_one_before_the_models_history(fleet: DemoFleet) -> None:
    start = parse_instant(fleet.registry.alias_history("fraud-scorer")[0].time)
    at = start + timedelta(days=10)
    requests = fleet.signals(at, CONFIG).requests
    assert requests is not None
    mine = requests[requests["model"] == "fraud-scorer"].set_index("window")
    assert mine.loc["30d", "coverage"] == pytest.approx(1 / 3)
    assert mine.loc["3d", "coverage"] == 1.0
    before = fleet.signals(start - timedelta(hours=1), CONFIG).requests
    assert before is not None
    assert (before[before["model"] == "fraud-scorer"]["total"] == 0).all()


def test_versions_follow_the_champion_history(fleet: DemoFleet) -> None:
    now = fleet.versions(ANCHOR)
    assert now["fraud-scorer"] == "4" and now["churn-predictor"] == "3"
    assert fleet.versions(ANCHOR - timedelta(hours=3))["fraud-scorer"] == "3"
    assert fleet.versions(ANCHOR - timedelta(days=400))["fraud-scorer"] is None


def test_hourly_series_cover_seven_days(fleet: DemoFleet) -> None:
    series = fleet.series(ANCHOR + timedelta(minutes=30), CONFIG)
    mine = series[(series["model"] == "churn-predictor") & (series["signal"] == "request_rate")]
    assert len(mine) == 168
    assert mine["timestamp"].max() == ANCHOR.timestamp()
    assert (mine["timestamp"] % 3600 == 0).all()
    accuracy = series[(series["model"] == "credit-limit") & (series["signal"] == "accuracy")]
    delay = parse_duration(CONFIG.quality.label_delay)
    assert accuracy["timestamp"].max() <= ANCHOR.timestamp() + 1800 - delay
    drop = accuracy[accuracy["timestamp"] > ANCHOR.timestamp() - 86400 + 3600]["value"]
    good = accuracy[accuracy["timestamp"] < ANCHOR.timestamp() - 86400]["value"]
    assert drop.max() < good.min() - 0.05  # the bad version shows in the hourly accuracy


def test_a_thousand_models(tmp_path: Path) -> None:
    fleet = _fresh_fleet(tmp_path, models=1000)
    assert len(set(fleet.model_names)) == 1000
    counts = defaultdict(int)
    for scenario in fleet.scenarios.values():
        counts[scenario] += 1
    assert counts["healthy"] > 700 and set(counts) == set(SCENARIOS)
    started = time.perf_counter()
    signals = fleet.signals(ANCHOR, CONFIG)
    elapsed = time.perf_counter() - started
    assert len(signals.requests) == 1000 * 8  # type: ignore[arg-type]
    assert elapsed < 5.0  # about 0.2 s on a laptop; generous so a busy CI machine passes
    samples = fleet.samples(ANCHOR.timestamp())
    assert len(samples) > 100_000


def _config(text: str) -> Config:
    return parse_config(text, "test.yaml")


def test_latency_slos_with_several_thresholds_are_labelled(fleet: DemoFleet) -> None:
    config = _config(
        """
slos:
  - {name: availability, kind: availability, objective: 0.999}
  - {name: latency, kind: latency, objective: 0.99, threshold_seconds: 0.5}
models:
  overrides:
    eta-estimator:
      slos:
        - {name: snappy, kind: latency, objective: 0.99, threshold_seconds: 0.25, period: 7d}
"""
    )
    signals = fleet.signals(ANCHOR, config)
    latency = signals.latency
    assert latency is not None and "slo" in latency.columns
    assert set(latency[latency["model"] == "eta-estimator"]["slo"]) == {"snappy"}
    assert set(latency[latency["model"] == "fraud-scorer"]["slo"]) == {"latency"}
    assert "7d" in set(signals.requests["window"])  # type: ignore[index]
    moment = ANCHOR.timestamp()
    now, before = _index(fleet, moment), _index(fleet, moment - 3600)
    row = latency[(latency["model"] == "eta-estimator") & (latency["window"] == "1h")]
    bucket = "ml_request_duration_seconds_bucket"
    expected = _total(now, bucket, model="eta-estimator", le="0.25") - _total(
        before, bucket, model="eta-estimator", le="0.25"
    )
    assert row["fast"].item() == expected


def test_threshold_between_bounds_counts_the_bound_below_and_warns(fleet: DemoFleet) -> None:
    config = _config(
        "slos:\n  - {name: latency, kind: latency, objective: 0.99, threshold_seconds: 0.3}\n"
    )
    signals = fleet.signals(ANCHOR, config)
    assert any("0.3" in warning and "0.25" in warning for warning in signals.warnings)
    assert "slo" not in signals.latency.columns  # type: ignore[union-attr]


def test_config_selects_features_attributes_and_absolute_windows(fleet: DemoFleet) -> None:
    config = _config(
        """
drift:
  features: [amount, channel]
  reference: {start: "2026-03-01T00:00:00Z", end: "2026-03-02T00:00:00Z"}
fairness:
  attributes: [age_band]
"""
    )
    signals = fleet.signals(ANCHOR, config)
    bins = signals.feature_bins
    assert bins is not None
    assert set(bins[bins["model"] == "fraud-scorer"]["feature"]) == {"amount", "channel"}
    assert bins[bins["model"] == "churn-predictor"].empty
    outcomes = signals.outcomes
    assert outcomes is not None and set(outcomes["attribute"]) == {"age_band"}
    start = parse_instant("2026-03-01T00:00:00Z").timestamp()
    begin, finish = _index(fleet, start), _index(fleet, start + 86400)
    amount = bins[(bins["model"] == "fraud-scorer") & (bins["feature"] == "amount")]
    count = "ml_feature_value_count"
    assert amount["reference"].sum() == _total(
        finish, count, model="fraud-scorer", feature="amount"
    ) - _total(begin, count, model="fraud-scorer", feature="amount")
