"""The demo fleet as a signal source: tidy frames, hourly series and metric samples at any time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from govtui.analysis.evaluate import gc_paused
from govtui.analysis.frames import Signals
from govtui.config import BURN_WINDOWS, Config, WindowConfig
from govtui.demo.engine import (
    LABELLED_KEYS,
    PREDICTION_KEYS,
    CounterModel,
    Serving,
    format_bound,
    group_sum,
)
from govtui.demo.scenarios import (
    ANCHOR_KEY,
    ATTRIBUTES,
    LATENCY_BOUNDS,
    MODELS_KEY,
    SEED_KEY,
    STATUS_CODES,
    build_specs,
)
from govtui.errors import GovtuiError, InputError, UsageError
from govtui.sources.registry.base import DEFAULT_ALIAS, AliasMove, ModelRegistry
from govtui.timeutil import parse_duration, parse_instant

Sample = tuple[str, dict[str, str], float]
SeriesKey = tuple[str, dict[str, str]]
FRESHNESS_SIGNALS = ("requests", "latency", "feature_bins", "outcomes")
SERIES_HOURS = 7 * 24


@dataclass(frozen=True)
class _Windows:
    """Per-model window edges (unix seconds) that the config asks for."""

    drift_current: tuple[np.ndarray, np.ndarray]
    drift_reference: tuple[np.ndarray, np.ndarray]
    fairness: np.ndarray  # seconds
    label_delay: np.ndarray  # seconds


def _window_edges(window: WindowConfig, at: float) -> tuple[float, float]:
    """Start and end of a drift window: fixed start/end, else `duration` ending `offset` ago."""
    if window.start is not None and window.end is not None:
        return parse_instant(window.start).timestamp(), parse_instant(window.end).timestamp()
    end = at - parse_duration(window.offset)
    return end - parse_duration(window.duration), end


class DemoFleet:
    """A deterministic simulated fleet whose behaviour follows its registry's champion alias.

    All data is a pure function of (seed, model count, the registry's alias history, time).
    """

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        models: int = 12,
        seed: int = 7,
        anchor: datetime | None = None,
    ) -> None:
        self.registry = registry
        metadata: Mapping[str, str] = getattr(registry, "metadata", {}) or {}
        for key, wanted in ((SEED_KEY, seed), (MODELS_KEY, models)):
            if key in metadata and metadata[key] != str(wanted):
                raise UsageError(
                    f"the demo registry was made for {key.rsplit('.', 1)[-1]}={metadata[key]}, "
                    f"not {wanted}"
                )
        if anchor is None:
            if ANCHOR_KEY not in metadata:
                raise InputError(f"{registry!r}: no demo anchor ({ANCHOR_KEY}) in its metadata")
            anchor = parse_instant(metadata[ANCHOR_KEY])
        self.anchor = anchor.astimezone(UTC)
        self.seed = seed
        self.specs = build_specs(models, seed)
        self.model_names = [spec.name for spec in self.specs]
        self.scenarios = {spec.name: spec.scenario for spec in self.specs}
        self._counters = CounterModel(self.specs, self.anchor.timestamp())
        self._names = np.array(self.model_names, dtype=object)
        self._catalog_cache: tuple[Serving, str, _Catalog] | None = None

    # -- registry ------------------------------------------------------------------------------

    def _histories(self) -> dict[str, list[AliasMove]]:
        bulk = getattr(self.registry, "alias_histories", None)
        if callable(bulk):
            histories: dict[str, list[AliasMove]] = bulk()
            return histories
        result = {}
        for name in self.model_names:
            try:
                result[name] = self.registry.alias_history(name)
            except GovtuiError:
                result[name] = []
        return result

    def _serving(self) -> Serving:
        return self._counters.serving(self._histories())

    def versions(self, at: datetime) -> dict[str, str | None]:
        """The champion version of each model at `at` (None before its first promotion)."""
        moment = at.timestamp()
        histories = self._histories()
        result: dict[str, str | None] = {}
        for name in self.model_names:
            moves = sorted(
                (
                    (parse_instant(move.time).timestamp(), move.to_version)
                    for move in histories.get(name, [])
                    if move.alias == DEFAULT_ALIAS
                ),
                key=lambda item: item[0],
            )
            current = [version for time, version in moves if time <= moment]
            result[name] = current[-1] if current else None
        return result

    def traffic_shares(self, model: str, at: datetime) -> dict[str, float]:
        """Share of the model's requests per version at `at`: its champion serves them all."""
        version = self.versions(at).get(model)
        return {version: 1.0} if version is not None else {}

    # -- frames --------------------------------------------------------------------------------

    def _windows(self, config: Config, at: float) -> _Windows:
        edges = np.zeros((len(self.model_names), 6))
        memo: dict[tuple[int, int, int], tuple[float, ...]] = {}  # models sharing settings
        for position, name in enumerate(self.model_names):
            drift = config.drift_for(name)
            fairness = config.fairness_for(name)
            quality = config.quality_for(name)
            key = (id(drift), id(fairness), id(quality))
            row = memo.get(key)
            if row is None:
                row = (
                    *_window_edges(drift.current, at),
                    *_window_edges(drift.reference, at),
                    float(parse_duration(fairness.window)),
                    float(parse_duration(quality.label_delay)),
                )
                memo[key] = row
            edges[position] = row
        return _Windows(
            drift_current=(edges[:, 0], edges[:, 1]),
            drift_reference=(edges[:, 2], edges[:, 3]),
            fairness=edges[:, 4],
            label_delay=edges[:, 5],
        )

    def signals(self, at: datetime, config: Config) -> Signals:
        """Every frame the analysis needs, evaluated at `at` with the config's windows."""
        moment = at.timestamp()
        serving = self._serving()
        counters = self._counters
        count = len(self.model_names)
        windows = _request_windows(config)
        window_seconds = np.array([parse_duration(window) for window in windows], dtype=float)
        edges = self._windows(config, moment)
        now = np.full(count, moment)
        columns = [now, *(now - seconds for seconds in window_seconds)]
        base = len(columns)
        columns += [
            edges.drift_current[0],
            edges.drift_current[1],
            edges.drift_reference[0],
            edges.drift_reference[1],
            now - edges.fairness,
            now - edges.label_delay - edges.fairness,
            now - edges.label_delay,
        ]
        times = np.column_stack(columns)
        exposure = counters.version_exposure(serving, times)
        phases = counters.phase_exposure(serving, times)
        warnings: list[str] = []

        requests = self._requests_frame(serving, exposure, windows, window_seconds, moment)
        latency = self._latency_frame(
            serving, exposure, windows, window_seconds, moment, config, warnings
        )
        feature_bins = self._feature_frame(phases, base, config)
        outcomes = self._outcomes_frame(serving, exposure, base, config)
        return Signals(
            models=list(self.model_names),
            requests=requests,
            latency=latency,
            feature_bins=feature_bins,
            outcomes=outcomes,
            series=self._series(serving, moment, config),
            freshness=self._freshness_frame(serving, moment),
            warnings=warnings,
        )

    def _model_sum(self, values: np.ndarray, serving: Serving) -> np.ndarray:
        return group_sum(values, serving.mv_model, len(self.model_names))

    def _coverage(self, serving: Serving, moment: float, window_seconds: np.ndarray) -> np.ndarray:
        start = np.maximum(moment - window_seconds[None, :], serving.first_move[:, None])
        return np.asarray(np.clip((moment - start) / window_seconds[None, :], 0.0, 1.0))

    def _requests_frame(
        self,
        serving: Serving,
        exposure: np.ndarray,
        windows: list[str],
        window_seconds: np.ndarray,
        moment: float,
    ) -> pd.DataFrame:
        per_code = np.floor(serving.code_share[:, :, None] * exposure[:, None, :])
        total = self._model_sum(per_code.sum(axis=1), serving)
        errors = self._model_sum(per_code[:, 2, :] + per_code[:, 3, :], serving)
        count = len(windows)
        window_total = total[:, :1] - total[:, 1 : 1 + count]
        window_errors = errors[:, :1] - errors[:, 1 : 1 + count]
        return pd.DataFrame(
            {
                "model": np.repeat(self._names, count),
                "window": np.tile(np.array(windows, dtype=object), len(self.model_names)),
                "total": window_total.ravel().astype(np.int64),
                "errors": window_errors.ravel().astype(np.int64),
                "coverage": self._coverage(serving, moment, window_seconds).ravel(),
            }
        )

    def _latency_frame(
        self,
        serving: Serving,
        exposure: np.ndarray,
        windows: list[str],
        window_seconds: np.ndarray,
        moment: float,
        config: Config,
        warnings: list[str],
    ) -> pd.DataFrame:
        count = len(windows)
        histogram_total = self._model_sum(np.floor(exposure), serving)
        total = histogram_total[:, :1] - histogram_total[:, 1 : 1 + count]
        coverage = self._coverage(serving, moment, window_seconds)
        per_model = [
            {
                (slo.name, float(slo.threshold_seconds or 0.0))
                for slo in config.slos_for(name)
                if slo.kind == "latency"
            }
            for name in self.model_names
        ]
        pairs = sorted(set().union(*per_model))
        thresholds = sorted({threshold for _, threshold in pairs})
        fast_by_threshold: dict[float, np.ndarray] = {}
        for threshold in thresholds:
            bucket = _bucket_at_or_under(threshold)
            if bucket is None:
                warnings.append(f"latency threshold {threshold}s is below every demo bucket")
                fast_by_threshold[threshold] = np.zeros_like(total)
                continue
            if LATENCY_BOUNDS[bucket] != threshold:
                warnings.append(
                    f"latency threshold {threshold}s is not a demo bucket bound; "
                    f"counting requests at or under {LATENCY_BOUNDS[bucket]}s"
                )
            cumulative = np.floor(serving.latency_cdf[:, bucket, None] * exposure)
            fast = self._model_sum(cumulative, serving)
            fast_by_threshold[threshold] = fast[:, :1] - fast[:, 1 : 1 + count]
        columns: dict[str, object] = {
            "model": np.repeat(self._names, count),
            "window": np.tile(np.array(windows, dtype=object), len(self.model_names)),
            "total": total.ravel().astype(np.int64),
        }
        if len(thresholds) <= 1:
            fast = fast_by_threshold[thresholds[0]] if thresholds else np.zeros_like(total)
            columns["fast"] = fast.ravel().astype(np.int64)
            columns["coverage"] = coverage.ravel()
            return pd.DataFrame(columns)
        # Several thresholds: one row set per latency SLO, labelled with its name.
        frames = []
        for slo_name, threshold in pairs:
            applies = np.array([(slo_name, threshold) in mine for mine in per_model])
            frame = pd.DataFrame(
                {
                    **columns,
                    "fast": fast_by_threshold[threshold].ravel().astype(np.int64),
                    "coverage": coverage.ravel(),
                    "slo": slo_name,
                }
            )
            frames.append(frame[np.repeat(applies, count)])
        return pd.concat(frames, ignore_index=True)

    def _feature_frame(self, phases: np.ndarray, base: int, config: Config) -> pd.DataFrame:
        counters = self._counters
        cumulative = counters.feature_counts(phases[..., base : base + 4])
        current = _decumulate(cumulative[:, 1] - cumulative[:, 0], counters)
        reference = _decumulate(cumulative[:, 3] - cumulative[:, 2], counters)
        frame = pd.DataFrame(
            {
                "model": self._names[counters.row_model],
                "feature": counters.feature_name[counters.row_feature],
                "kind": counters.feature_kind[counters.row_feature],
                "bin": counters.row_bin,
                "reference": reference.astype(np.int64),
                "current": current.astype(np.int64),
            }
        )
        selected = {
            name: set(config.drift_for(name).features)
            for name in self.model_names
            if config.drift_for(name).features
        }
        if selected:
            keep = [
                name not in selected or feature in selected[name]
                for name, feature in zip(frame["model"], frame["feature"], strict=True)
            ]
            frame = frame[np.array(keep, dtype=bool)].reset_index(drop=True)
        return frame

    def _outcomes_frame(
        self, serving: Serving, exposure: np.ndarray, base: int, config: Config
    ) -> pd.DataFrame:
        predicted_columns = [base + 4, 0, base + 2, base + 3]  # fairness start, now, reference
        labelled_columns = [base + 5, base + 6, base + 2, base + 3]  # shifted by the label delay
        predicted = self._model_sum(
            np.floor(serving.prediction_share[:, :, None] * exposure[:, None, predicted_columns]),
            serving,
        )
        labelled = self._model_sum(
            np.floor(serving.labelled_share[:, :, None] * exposure[:, None, labelled_columns]),
            serving,
        )
        count = len(self.model_names)
        keys = len(PREDICTION_KEYS)
        # (models, window, key, label 0 / 1 / unlabelled)
        table = np.zeros((count, 2, keys, 3))
        for window, (start, end) in enumerate(((0, 1), (2, 3))):
            made = predicted[:, :, end] - predicted[:, :, start]
            known = (labelled[:, :, end] - labelled[:, :, start]).reshape(count, keys, 2)
            table[:, window, :, :2] = known
            table[:, window, :, 2] = np.maximum(0.0, made - known.sum(axis=2))
        attributes = np.array([key[0] for key in PREDICTION_KEYS], dtype=object)
        groups = np.array([key[1] for key in PREDICTION_KEYS], dtype=object)
        predictions = np.array([key[2] for key in PREDICTION_KEYS], dtype=np.int64)
        per_model = 2 * keys * 3
        frame = pd.DataFrame(
            {
                "model": np.repeat(self._names, per_model),
                "window": np.tile(
                    np.repeat(np.array(["current", "reference"], dtype=object), keys * 3), count
                ),
                "attribute": np.tile(np.repeat(attributes, 3), 2 * count),
                "group": np.tile(np.repeat(groups, 3), 2 * count),
                "prediction": np.tile(np.repeat(predictions, 3), 2 * count),
                "label": np.tile(np.array([0.0, 1.0, np.nan]), 2 * keys * count),
                "count": table.ravel().astype(np.int64),
            }
        )
        wanted = _outcome_attributes(config)
        if wanted is not None:
            frame = frame[frame["attribute"].isin(wanted)].reset_index(drop=True)
        return frame

    def _freshness_frame(self, serving: Serving, moment: float) -> pd.DataFrame:
        started = serving.first_move <= moment
        last_seen = np.minimum(self._counters.stop, moment)[started]
        names = self._names[started]
        kinds = len(FRESHNESS_SIGNALS)
        return pd.DataFrame(
            {
                "model": np.repeat(names, kinds),
                "signal": np.tile(np.array(FRESHNESS_SIGNALS, dtype=object), len(names)),
                "last_seen": np.repeat(last_seen, kinds),
            }
        )

    # -- hourly series -------------------------------------------------------------------------

    def series(self, at: datetime, config: Config) -> pd.DataFrame:
        """Hourly accuracy, error ratio and request rate per model over the last 7 days."""
        return self._series(self._serving(), at.timestamp(), config)

    def _series(self, serving: Serving, moment: float, config: Config) -> pd.DataFrame:
        count = len(self.model_names)
        last_hour = np.floor(moment / 3600.0) * 3600.0
        edges = last_hour - 3600.0 * np.arange(SERIES_HOURS, -1, -1)
        exposure = self._counters.version_exposure(serving, np.tile(edges, (count, 1)))
        requests = np.floor(self._model_sum(exposure, serving))
        error_share = serving.code_share[:, 2] + serving.code_share[:, 3]
        errors = np.floor(self._model_sum(error_share[:, None] * exposure, serving))
        labelled_share, correct_share = self._quality_shares(serving, config)
        labelled = np.floor(self._model_sum(labelled_share[:, None] * exposure, serving))
        correct = np.floor(self._model_sum(correct_share[:, None] * exposure, serving))
        hourly_requests = np.diff(requests, axis=1)
        hourly_labelled = np.diff(labelled, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            error_ratio = np.diff(errors, axis=1) / hourly_requests
            accuracy = np.diff(correct, axis=1) / hourly_labelled
        hour_index = (edges[1:] // 3600.0).astype(np.int64)
        error_ratio = _with_sampling_noise(error_ratio, hourly_requests, self.seed, hour_index, 1)
        accuracy = _with_sampling_noise(accuracy, hourly_labelled, self.seed, hour_index, 2)
        delay = np.array(
            [parse_duration(config.quality_for(name).label_delay) for name in self.model_names]
        )
        hour_end = edges[1:]
        accuracy[hour_end[None, :] > (moment - delay)[:, None]] = np.nan
        rate = hourly_requests / 3600.0
        rate[hourly_requests == 0] = np.nan
        values = np.stack([accuracy, error_ratio, rate], axis=1)  # (models, signal, hour)
        signals = np.array(["accuracy", "error_ratio", "request_rate"], dtype=object)
        hours = len(hour_end)
        flat = values.ravel()
        keep = np.isfinite(flat)
        return pd.DataFrame(
            {
                "model": np.repeat(self._names, 3 * hours)[keep],
                "signal": np.tile(np.repeat(signals, hours), count)[keep],
                "timestamp": np.tile(hour_end.astype(np.int64), 3 * count)[keep],
                "value": flat[keep],
            }
        )

    def _quality_shares(self, serving: Serving, config: Config) -> tuple[np.ndarray, np.ndarray]:
        """Labelled and correctly predicted share of requests on each model's quality attribute."""
        key_attribute = np.array([key[0] for key in LABELLED_KEYS], dtype=object)
        correct_key = np.array([key[2] == key[3] for key in LABELLED_KEYS])
        per_model = np.array(
            [_quality_attribute(config, name) for name in self.model_names], dtype=object
        )
        mv_attribute = per_model[serving.mv_model] if len(serving.mv_model) else per_model[:0]
        mask = key_attribute[None, :] == mv_attribute[:, None]
        labelled = (serving.labelled_share * mask).sum(axis=1)
        correct = (serving.labelled_share * (mask & correct_key[None, :])).sum(axis=1)
        return labelled, correct

    # -- metric samples ------------------------------------------------------------------------

    def _catalog(self, serving: Serving, prefix: str) -> _Catalog:
        if self._catalog_cache is not None:
            cached_serving, cached_prefix, catalog = self._catalog_cache
            if cached_serving is serving and cached_prefix == prefix:
                return catalog
        catalog = _Catalog.build(self, serving, prefix)
        self._catalog_cache = (serving, prefix, catalog)
        return catalog

    def sample_matrix(
        self, times: Sequence[float], *, prefix: str = "ml_"
    ) -> tuple[list[SeriesKey], np.ndarray, np.ndarray]:
        """Every series (name, labels), its values at each time (times x series) and the time
        each series first exists (a version's series appear when it first serves)."""
        serving = self._serving()
        catalog = self._catalog(serving, prefix)
        moments = np.asarray(times, dtype=float)
        grid = np.tile(moments, (len(self.model_names), 1))
        exposure = self._counters.version_exposure(serving, grid)
        phases = self._counters.phase_exposure(serving, grid)
        return catalog.keys, catalog.values(serving, exposure, phases).T, catalog.first

    def samples(self, at: float, *, prefix: str = "ml_") -> list[Sample]:
        """Cumulative metric-convention samples at unix time `at` (counters never decrease)."""
        keys, values, first = self.sample_matrix([at], prefix=prefix)
        exists = (first <= at).tolist()
        with gc_paused():
            return [
                (name, labels, value)
                for (name, labels), value, present in zip(
                    keys, values[0].tolist(), exists, strict=True
                )
                if present
            ]


class _Catalog:
    """The exported series in a fixed order, and how to compute all their values at once."""

    def __init__(
        self,
        keys: list[SeriesKey],
        first: np.ndarray,
        counters: CounterModel,
        feature_is_sum: np.ndarray,
        feature_index: np.ndarray,
    ) -> None:
        self.keys = keys
        self.first = first
        self._counters = counters
        self._feature_is_sum = feature_is_sum
        self._feature_index = feature_index

    @classmethod
    def build(cls, fleet: DemoFleet, serving: Serving, prefix: str) -> _Catalog:
        with gc_paused():
            return cls._build(fleet, serving, prefix)

    @classmethod
    def _build(cls, fleet: DemoFleet, serving: Serving, prefix: str) -> _Catalog:
        counters = fleet._counters
        names = fleet.model_names
        owners = [
            (names[position], version)
            for position, version in zip(serving.mv_model.tolist(), serving.mv_version, strict=True)
        ]
        keys: list[SeriesKey] = []
        first: list[float] = []
        bounds = [format_bound(bound) for bound in LATENCY_BOUNDS] + ["+Inf"]
        requests_name = f"{prefix}requests_total"
        for model, version in owners:
            for code in STATUS_CODES:
                keys.append((requests_name, {"model": model, "version": version, "code": code}))
        bucket_name = f"{prefix}request_duration_seconds_bucket"
        count_name = f"{prefix}request_duration_seconds_count"
        sum_name = f"{prefix}request_duration_seconds_sum"
        for model, version in owners:
            for bound in bounds:
                keys.append((bucket_name, {"model": model, "version": version, "le": bound}))
            keys.append((count_name, {"model": model, "version": version}))
            keys.append((sum_name, {"model": model, "version": version}))
        mv_first = serving.mv_first
        first.extend(np.repeat(mv_first, len(STATUS_CODES)).tolist())
        first.extend(np.repeat(mv_first, len(bounds) + 2).tolist())
        # numeric features: buckets, then _count and _sum, feature by feature
        row_bin = counters.row_bin.tolist()
        row_model = counters.row_model.tolist()
        row_feature = counters.row_feature.tolist()
        feature_name = counters.feature_name.tolist()
        feature_model = counters.feature_model.tolist()
        model_first = serving.first_move.tolist()
        row_start = np.searchsorted(counters.row_feature, np.arange(len(feature_name))).tolist()
        row_end = [*row_start[1:], len(row_bin)]
        feature_is_sum: list[bool] = []
        feature_index: list[int] = []
        value_bucket = f"{prefix}feature_value_bucket"
        value_count = f"{prefix}feature_value_count"
        value_sum = f"{prefix}feature_value_sum"
        for index in np.flatnonzero(counters.feature_kind == "numeric").tolist():
            model = names[feature_model[index]]
            feature = feature_name[index]
            rows = range(row_start[index], row_end[index])
            for row in rows:
                keys.append(
                    (value_bucket, {"model": model, "feature": feature, "le": row_bin[row]})
                )
            keys.append((value_count, {"model": model, "feature": feature}))
            keys.append((value_sum, {"model": model, "feature": feature}))
            feature_index.extend([*rows, rows[-1], index])
            feature_is_sum.extend([False] * (len(rows) + 1) + [True])
            first.extend([model_first[feature_model[index]]] * (len(rows) + 2))
        category_name = f"{prefix}feature_category_total"
        for row in np.flatnonzero(~counters.row_numeric).tolist():
            model_position = row_model[row]
            keys.append(
                (
                    category_name,
                    {
                        "model": names[model_position],
                        "feature": feature_name[row_feature[row]],
                        "category": row_bin[row],
                    },
                )
            )
            feature_index.append(row)
            feature_is_sum.append(False)
            first.append(model_first[model_position])
        predictions_name = f"{prefix}predictions_total"
        for model, version in owners:
            for attribute, group, prediction in PREDICTION_KEYS:
                keys.append(
                    (
                        predictions_name,
                        {
                            "model": model,
                            "version": version,
                            "attribute": attribute,
                            "group": group,
                            "prediction": str(prediction),
                        },
                    )
                )
        labelled_name = f"{prefix}labeled_predictions_total"
        for model, version in owners:
            for attribute, group, prediction, label in LABELLED_KEYS:
                keys.append(
                    (
                        labelled_name,
                        {
                            "model": model,
                            "version": version,
                            "attribute": attribute,
                            "group": group,
                            "prediction": str(prediction),
                            "label": str(label),
                        },
                    )
                )
        first.extend(np.repeat(mv_first, len(PREDICTION_KEYS)).tolist())
        first.extend(np.repeat(mv_first, len(LABELLED_KEYS)).tolist())
        return cls(
            keys,
            np.array(first, dtype=float),
            counters,
            np.array(feature_is_sum, dtype=bool),
            np.array(feature_index, dtype=np.int64),
        )

    def values(self, serving: Serving, exposure: np.ndarray, phases: np.ndarray) -> np.ndarray:
        """Values of every series (series x times)."""
        times = exposure.shape[1]
        requests = np.floor(serving.code_share[:, :, None] * exposure[:, None, :])
        buckets = np.floor(serving.latency_cdf[:, :, None] * exposure[:, None, :])
        duration = np.concatenate(
            [
                buckets,
                buckets[:, -1:, :],
                (serving.latency_mean[:, None] * exposure)[:, None, :],
            ],
            axis=1,
        )
        counters = self._counters
        rows = counters.feature_counts(phases)
        sums = counters.feature_sums(phases)
        is_sum = self._feature_is_sum
        index = self._feature_index
        features = np.empty((len(index), times))
        features[~is_sum] = rows[index[~is_sum]]
        features[is_sum] = sums[index[is_sum]]
        predicted = np.floor(serving.prediction_share[:, :, None] * exposure[:, None, :])
        labelled = np.floor(serving.labelled_share[:, :, None] * exposure[:, None, :])
        return np.concatenate(
            [
                requests.reshape(-1, times),
                duration.reshape(-1, times),
                features,
                predicted.reshape(-1, times),
                labelled.reshape(-1, times),
            ],
            axis=0,
        )


def _decumulate(values: np.ndarray, counters: CounterModel) -> np.ndarray:
    """Cumulative bucket counts to per-bin counts within each numeric feature."""
    result = values.copy()
    later = np.flatnonzero(counters.row_numeric & ~counters.row_first)
    result[later] = values[later] - values[later - 1]
    return result


def _bucket_at_or_under(threshold: float) -> int | None:
    """Index of the largest latency bucket bound at or under a threshold (matched numerically)."""
    candidates = [i for i, bound in enumerate(LATENCY_BOUNDS) if bound <= threshold + 1e-12]
    return candidates[-1] if candidates else None


def _request_windows(config: Config) -> list[str]:
    """Burn-rate windows plus every SLO period the config uses, shortest first."""
    periods = {slo.period for slo in config.slos}
    for override in config.models.overrides.values():
        for slo in override.slos or []:
            periods.add(slo.period)
    extra = sorted((period for period in periods if period not in BURN_WINDOWS), key=parse_duration)
    return [*BURN_WINDOWS, *extra]


def _quality_attribute(config: Config, model: str) -> str:
    """The attribute accuracy is computed on: configured, else the first fairness attribute."""
    quality = config.quality_for(model)
    if quality.attribute:
        return quality.attribute
    attributes = config.fairness_for(model).attributes
    return attributes[0] if attributes else ATTRIBUTES[0][0]


def _outcome_attributes(config: Config) -> set[str] | None:
    """Attributes to report (None: all); the quality attribute always stays."""
    wanted: set[str] = set()
    everything = False
    sections = [(config.fairness, config.quality)]
    for override in config.models.overrides.values():
        sections.append((override.fairness or config.fairness, override.quality or config.quality))
    for fairness, quality in sections:
        if not fairness.attributes:
            everything = True
        wanted.update(fairness.attributes)
        if quality.attribute:
            wanted.add(quality.attribute)
    return None if everything else wanted


def _hour_normals(seed: int, models: int, hour_index: np.ndarray, stream: int) -> np.ndarray:
    """Standard normals fixed by (seed, model, hour, stream), whatever the evaluation time."""
    mask = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        key = (
            np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
            + np.arange(models, dtype=np.uint64)[:, None] * np.uint64(0xBF58476D1CE4E5B9)
            + hour_index.astype(np.uint64)[None, :] * np.uint64(0x94D049BB133111EB)
            + np.uint64(stream) * np.uint64(0xD6E8FEB86659FD93)
        ) & mask
        halves = []
        for salt in (np.uint64(1), np.uint64(2)):
            value = key ^ salt
            value = (value ^ (value >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            value = (value ^ (value >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            value = value ^ (value >> np.uint64(31))
            halves.append(((value >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53))
    first, second = halves
    return np.sqrt(-2.0 * np.log(first)) * np.cos(2.0 * np.pi * second)


def _with_sampling_noise(
    ratio: np.ndarray, trials: np.ndarray, seed: int, hour_index: np.ndarray, stream: int
) -> np.ndarray:
    """An hourly ratio as an observed one would look: binomial sampling noise around it.

    The counters are closed-form expectations, so without this the hourly series are flat to
    1e-6 and the MAD-based anomaly score would flag rounding as anomalies.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.sqrt(np.clip(ratio * (1.0 - ratio), 0.0, None) / trials)
    noisy = ratio + spread * _hour_normals(seed, ratio.shape[0], hour_index, stream)
    return np.where(np.isfinite(noisy), np.clip(noisy, 0.0, 1.0), ratio)
