"""The metric convention read from Prometheus into the tidy frames analysis consumes.

One PromQL query per signal kind, every window of that kind batched into it (`label_replace`
tags each window, `or` joins them) and aggregated `by (model, ...)`, so the number of HTTP
requests per refresh depends on the signal kinds and never on the number of models. Every
query is a template that `sources.prometheus.queries.<name>` can replace (see `QUERY_NAMES`
and `govtui.sources.promql.PLACEHOLDERS`).
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from govtui.analysis.frames import FRAME_COLUMNS, Signals, frame_models
from govtui.config import BURN_WINDOWS, Config, LoadedConfig, PrometheusConfig, WindowConfig
from govtui.errors import ConfigError, SourceError
from govtui.sources import promql
from govtui.sources.prometheus import PrometheusClient, QueryResult, RangeResult, Sample
from govtui.timeutil import format_duration, parse_duration

# Batched windows carry this label; unusual enough not to collide with the user's labels.
WINDOW_LABEL = "govtui_window"
# Coverage is measured with this many subquery steps per window (error at most 1/steps).
COVERAGE_STEPS = 120
# Freshness looks this far back for the last sample of each signal.
FRESHNESS_LOOKBACK = "1d"
FRESHNESS_STEP = "1m"
# Hourly series for plots and anomaly flags, over the quality lookback.
SERIES_STEP_SECONDS = 3600
SIGNAL_KINDS = ("requests", "latency", "feature_bins", "outcomes", "series", "freshness")

DEFAULT_QUERIES: dict[str, str] = {
    "requests_total": (
        "sum by (model) (increase({prefix}requests_total{selector}[{window}]{offset}))"
    ),
    "requests_errors": (
        'sum by (model) (increase({prefix}requests_total{code=~"5..",{matchers}}'
        "[{window}]{offset}))"
    ),
    "latency_buckets": (
        "sum by (model, le) "
        "(increase({prefix}request_duration_seconds_bucket{selector}[{window}]{offset}))"
    ),
    "feature_buckets": (
        "sum by (model, feature, le) "
        "(increase({prefix}feature_value_bucket{selector}[{window}]{offset}))"
    ),
    "feature_categories": (
        "sum by (model, feature, category) "
        "(increase({prefix}feature_category_total{selector}[{window}]{offset}))"
    ),
    "predictions": (
        "sum by (model, attribute, group, prediction) "
        "(increase({prefix}predictions_total{selector}[{window}]{offset}))"
    ),
    "labeled_predictions": (
        "sum by (model, attribute, group, prediction, label) "
        "(increase({prefix}labeled_predictions_total{selector}[{window}]{offset}))"
    ),
    "oldest_sample": (
        "min by (model) "
        "(min_over_time(timestamp({prefix}requests_total{selector})[{window}:{step}]))"
    ),
    "last_seen": "max by (model) (timestamp({metric}{selector}))",
    "last_seen_before": (
        "max by (model) (max_over_time(timestamp({metric}{selector})[{window}:{step}]))"
    ),
    "series_request_rate": "sum by (model) (rate({prefix}requests_total{selector}[{window}]))",
    "series_error_ratio": (
        'sum by (model) (increase({prefix}requests_total{code=~"5..",{matchers}}[{window}])) '
        "/ sum by (model) (increase({prefix}requests_total{selector}[{window}]))"
    ),
    "series_accuracy": (
        "sum by (model) ("
        'increase({prefix}labeled_predictions_total{prediction="1",label="1",{matchers}}'
        "[{window}]) "
        'or increase({prefix}labeled_predictions_total{prediction="0",label="0",{matchers}}'
        "[{window}])) "
        "/ sum by (model) (increase({prefix}labeled_predictions_total{selector}[{window}]))"
    ),
}
QUERY_NAMES = tuple(DEFAULT_QUERIES)
# The metric whose last sample says when each signal kind was last seen ({metric} in last_seen).
FRESHNESS_METRICS = {
    "requests": "requests_total",
    "latency": "request_duration_seconds_count",
    "feature_bins": "feature_value_count",
    "outcomes": "predictions_total",
}
SERIES_SIGNALS = {
    "request_rate": "series_request_rate",
    "error_ratio": "series_error_ratio",
    "accuracy": "series_accuracy",
}


@dataclass(frozen=True)
class _Window:
    """A window as PromQL sees it: its tag, its range and its time modifier."""

    tag: str
    range: str
    modifier: str = ""


@dataclass
class _Round:
    """What one fetch gathered: results by query key, failures by signal kind, warnings."""

    results: dict[str, QueryResult] = field(default_factory=dict)
    errors: dict[str, SourceError] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def coverage_step(window_seconds: int) -> int:
    """Subquery step for measuring a window's history: about 1/120 of it, and for windows over
    a day a whole hour, 6 h or day, so sparse long-term samples (downsampled stores, backfills)
    still fall on steps."""
    step = max(1, window_seconds // COVERAGE_STEPS)
    if window_seconds <= 86400:
        return step
    for coarse in (3600, 21600, 86400):
        if coarse >= step:
            return coarse
    return step


def _canonical(duration: str) -> str:
    return format_duration(parse_duration(duration))


def _value(sample: Sample) -> float | None:
    return sample.value if math.isfinite(sample.value) else None


def validate_queries(config: PrometheusConfig) -> None:
    """Refuse unknown query names and placeholders in `sources.prometheus.queries` early."""
    for name, template in config.queries.items():
        if name not in DEFAULT_QUERIES:
            raise ConfigError(
                f"sources.prometheus.queries.{name}: unknown query name "
                f"(one of {', '.join(QUERY_NAMES)})"
            )
        values = dict.fromkeys(promql.PLACEHOLDERS, "x")
        values["metric"] = "x"
        promql.render(template, values, name=name)


class PrometheusSignalSource:
    """Fetch the tidy frames for every selected model at one evaluation time."""

    def __init__(self, loaded: LoadedConfig, *, client: PrometheusClient | None = None) -> None:
        prometheus = loaded.config.sources.prometheus
        if prometheus is None:
            raise ConfigError(f"{loaded.path or 'config'}: sources.prometheus is not configured")
        validate_queries(prometheus)
        self.loaded = loaded
        self.config: Config = loaded.config
        self.prometheus = prometheus
        self._owns_client = client is None
        self.client = client or PrometheusClient(prometheus, base_dir=loaded.base_dir)
        self.prefix = prometheus.metric_prefix
        self.matchers = promql.model_matchers(self.config.models)

    def __repr__(self) -> str:
        return f"PrometheusSignalSource(client={self.client!r})"

    async def aclose(self) -> None:
        """Close the HTTP client if this source created it."""
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> PrometheusSignalSource:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- query building -------------------------------------------------------------------

    def template(self, name: str) -> str:
        """The configured template for a query name, else the convention's default."""
        return self.prometheus.queries.get(name, DEFAULT_QUERIES[name])

    def render(
        self, name: str, window: _Window | None, at: datetime, matchers: str | None = None
    ) -> str:
        """One query filled in for one window."""
        values = {**self._selection(matchers), "at": f"{at.timestamp():.0f}"}
        if window is not None:
            values["window"] = window.range
            values["offset"] = window.modifier
        return promql.render(self.template(name), values, name=name)

    def _selection(self, matchers: str | None = None) -> dict[str, str]:
        """The placeholders for the metric prefix and the selected models (all when None)."""
        chosen = matchers if matchers is not None else self.matchers
        return {"prefix": self.prefix, "matchers": chosen, "selector": "{" + chosen + "}"}

    def batched(
        self, name: str, windows: Iterable[_Window], at: datetime, matchers: str | None = None
    ) -> str:
        """Every window of one query kind in one expression, each tagged with WINDOW_LABEL."""
        return promql.union(
            promql.label_window(self.render(name, window, at, matchers), WINDOW_LABEL, window.tag)
            for window in windows
        )

    def slo_windows(self) -> list[str]:
        """Burn-rate windows and every SLO period in the config (fleet and overrides)."""
        periods = {_canonical(slo.period) for slo in self.config.slos}
        for override in self.config.models.overrides.values():
            periods |= {_canonical(slo.period) for slo in override.slos or ()}
        windows = [_canonical(window) for window in BURN_WINDOWS]
        extra = sorted(periods - set(windows), key=parse_duration)
        return windows + extra

    def _groups(self, key_of: Any) -> dict[Any, str | None]:
        """Window settings shared by models -> matchers selecting those models (None = all)."""
        default_key = key_of(None)
        overridden: dict[Any, list[str]] = defaultdict(list)
        for model in self.config.models.overrides:
            key = key_of(model)
            if key != default_key:
                overridden[key].append(model)
        groups: dict[Any, str | None] = {default_key: None}
        for key, models in overridden.items():
            groups[key] = promql.model_matchers(self.config.models, only=models)
        return groups

    # -- fetching -------------------------------------------------------------------------

    async def fetch(self, at: datetime, *, kinds: Collection[str] | None = None) -> Signals:
        """The tidy frames at `at`; a failed query leaves its frame None and names it in `failed`."""
        wanted = set(SIGNAL_KINDS if kinds is None else kinds)
        unknown = wanted - set(SIGNAL_KINDS)
        if unknown:
            raise ValueError(f"unknown signal kinds {sorted(unknown)}")
        plan = self._plan(at, wanted)
        gathered = _Round()
        outcomes = await asyncio.gather(
            *(self._run(key, query, at) for key, (_kind, query) in plan.items()),
            return_exceptions=True,
        )
        for (key, (kind, _query)), outcome in zip(plan.items(), outcomes, strict=True):
            if isinstance(outcome, SourceError):
                gathered.errors.setdefault(kind, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                assert isinstance(outcome, QueryResult | RangeResult)
                gathered.results[key] = outcome  # type: ignore[assignment]
                gathered.warnings.extend(outcome.warnings)
        if plan and not gathered.results:
            raise next(iter(gathered.errors.values()))
        signals = self._assemble(at, wanted, gathered)
        if "freshness" in wanted and "freshness" not in signals.failed:
            await self._stale_last_seen(at, signals, gathered)
        return signals

    async def _run(self, key: str, query: str, at: datetime) -> QueryResult | RangeResult:
        if key.startswith("series:"):
            lookback = parse_duration(self.config.quality.anomaly_lookback)
            end = math.floor(at.timestamp() / SERIES_STEP_SECONDS) * SERIES_STEP_SECONDS
            return await self.client.query_range(query, end - lookback, end, SERIES_STEP_SECONDS)
        return await self.client.query(query, at)

    def _plan(self, at: datetime, wanted: set[str]) -> dict[str, tuple[str, str]]:
        """Query key -> (signal kind, PromQL)."""
        plan: dict[str, tuple[str, str]] = {}
        slo_windows = [_Window(tag, tag) for tag in self.slo_windows()]
        if "requests" in wanted:
            plan["requests_total"] = ("requests", self.batched("requests_total", slo_windows, at))
            plan["requests_errors"] = (
                "requests",
                self.batched("requests_errors", slo_windows, at),
            )
        if "latency" in wanted:
            plan["latency_buckets"] = (
                "latency",
                self.batched("latency_buckets", slo_windows, at),
            )
        if "requests" in wanted or "latency" in wanted:
            coverage_windows = []
            for window in slo_windows:
                step = coverage_step(parse_duration(window.range))
                coverage_windows.append((window, format_duration(step)))
            plan["oldest_sample"] = (
                "requests" if "requests" in wanted else "latency",
                promql.union(
                    promql.label_window(
                        promql.render(
                            self.template("oldest_sample"),
                            {
                                **self._selection(),
                                "window": window.range,
                                "step": step,
                                "at": f"{at.timestamp():.0f}",
                            },
                            name="oldest_sample",
                        ),
                        WINDOW_LABEL,
                        window.tag,
                    )
                    for window, step in coverage_windows
                ),
            )
        if "feature_bins" in wanted:
            for index, (spec, matchers) in enumerate(self._groups(self._drift_key).items()):
                current, reference = spec
                windows = [
                    _Window("current", *promql.window_modifier(current, at)),
                    _Window("reference", *promql.window_modifier(reference, at)),
                ]
                for name in ("feature_buckets", "feature_categories"):
                    plan[f"{name}:{index}"] = (
                        "feature_bins",
                        self.batched(name, windows, at, matchers),
                    )
        if "outcomes" in wanted:
            for index, (spec, matchers) in enumerate(self._groups(self._outcome_key).items()):
                fairness_window, reference, delay = spec
                current = _Window("current", _canonical(fairness_window))
                ref_range, ref_modifier = promql.window_modifier(reference, at)
                windows = [current, _Window("reference", ref_range, ref_modifier)]
                delay_seconds = parse_duration(delay)
                # Labels for the current window are still arriving; the reference window is
                # old enough for them to have arrived, so only the current one shifts back.
                labelled = [
                    _Window(current.tag, current.range, promql.shift_modifier("", delay_seconds)),
                    windows[1],
                ]
                for name, batch in (("predictions", windows), ("labeled_predictions", labelled)):
                    plan[f"{name}:{index}"] = (
                        "outcomes",
                        self.batched(name, batch, at, matchers),
                    )
        if "freshness" in wanted:
            plan["last_seen"] = ("freshness", self._freshness_query("last_seen", self.matchers, at))
        if "series" in wanted:
            hour = _Window("1h", "1h")
            for signal, name in SERIES_SIGNALS.items():
                plan[f"series:{signal}"] = ("series", self.render(name, hour, at))
        return plan

    def _freshness_query(
        self, name: str, matchers: str, at: datetime, step: str = FRESHNESS_STEP
    ) -> str:
        """Last sample time per model of every signal kind's metric, in one query."""
        parts = []
        for signal, metric in FRESHNESS_METRICS.items():
            query = promql.render(
                self.template(name),
                {
                    # "metric" right after "prefix" (which the selection sets again, in place).
                    "prefix": self.prefix,
                    "metric": self.prefix + metric,
                    **self._selection(matchers),
                    "window": FRESHNESS_LOOKBACK,
                    "step": step,
                    "at": f"{at.timestamp():.0f}",
                },
                name=name,
            )
            parts.append(promql.label_window(query, WINDOW_LABEL, signal))
        return promql.union(parts)

    async def _stale_last_seen(self, at: datetime, signals: Signals, gathered: _Round) -> None:
        """Second stage of freshness, only for models with a signal silent at `at`: the last
        sample within FRESHNESS_LOOKBACK (a subquery, so it is asked for the few silent ones)."""
        frame = signals.freshness
        if frame is None:
            return
        seen = set(zip(frame["model"], frame["signal"], strict=True))
        silent = sorted(
            {
                model
                for model in signals.models
                for signal in FRESHNESS_METRICS
                if (model, signal) not in seen
            }
        )
        if not silent:
            return
        matchers = promql.model_matchers(self.config.models, only=silent)
        query = self._freshness_query("last_seen_before", matchers, at)
        try:
            result = await self.client.query(query, at)
        except SourceError as exc:
            signals.warnings.append(f"freshness of silent models unknown: {exc}")
            return
        signals.warnings.extend(w for w in result.warnings if w not in signals.warnings)
        extra = self._freshness(result, _NonFinite())
        extra = extra[
            [(m, s) not in seen for m, s in zip(extra["model"], extra["signal"], strict=True)]
        ]
        if len(extra):
            signals.freshness = pd.concat([frame, extra], ignore_index=True)

    def _drift_key(self, model: str | None) -> tuple[WindowConfig, WindowConfig]:
        drift = self.config.drift if model is None else self.config.drift_for(model)
        return (drift.current, drift.reference)

    def _outcome_key(self, model: str | None) -> tuple[str, WindowConfig, str]:
        if model is None:
            fairness, drift, quality = self.config.fairness, self.config.drift, self.config.quality
        else:
            fairness = self.config.fairness_for(model)
            drift = self.config.drift_for(model)
            quality = self.config.quality_for(model)
        return (fairness.window, drift.reference, quality.label_delay)

    # -- assembling frames ------------------------------------------------------------------

    def _assemble(self, at: datetime, wanted: set[str], gathered: _Round) -> Signals:
        warnings = list(dict.fromkeys(gathered.warnings))
        failed = {kind: str(error) for kind, error in gathered.errors.items()}
        results = gathered.results
        skipped = _NonFinite()
        frames: dict[str, pd.DataFrame | None] = dict.fromkeys(SIGNAL_KINDS)

        coverage = self._coverage(at, results.get("oldest_sample"), skipped)
        if "requests" in wanted and "requests" not in failed:
            frames["requests"] = self._requests(results, coverage, skipped)
        if "latency" in wanted and "latency" not in failed:
            frames["latency"] = self._latency(results, coverage, skipped, warnings)
        if "feature_bins" in wanted and "feature_bins" not in failed:
            frames["feature_bins"] = self._feature_bins(results, skipped)
        if "outcomes" in wanted and "outcomes" not in failed:
            frames["outcomes"] = self._outcomes(results, skipped)
        if "freshness" in wanted and "freshness" not in failed:
            frames["freshness"] = self._freshness(results.get("last_seen"), skipped)
        if "series" in wanted and "series" not in failed:
            frames["series"] = self._series(results)
        models = frame_models(frames) | set(self.config.models.include)
        selected = sorted(name for name in models if self.config.models.selects(name))
        if skipped.count:
            warnings.append(
                f"prometheus: ignored {skipped.count} NaN/Inf sample values "
                f"({', '.join(sorted(skipped.queries))})"
            )
        return Signals.from_frames(selected, frames, failed=failed, warnings=warnings)

    def _coverage(
        self, at: datetime, result: QueryResult | None, skipped: _NonFinite
    ) -> dict[tuple[str, str], float]:
        """(model, window) -> share of the window the store holds history for."""
        coverage: dict[tuple[str, str], float] = {}
        if result is None:
            return coverage
        now = at.timestamp()
        for sample in result.samples:
            oldest = skipped.check(sample, "oldest_sample")
            model, window = sample.labels.get("model"), sample.labels.get(WINDOW_LABEL)
            if oldest is None or model is None or window is None:
                continue
            try:
                seconds = parse_duration(window)
            except ValueError:  # not a window we asked for (a custom query's label; tests/fuzz)
                continue
            if seconds <= 0:
                continue
            # The first step that sees a sample may be up to one step after history began.
            reach = now - oldest + coverage_step(seconds)
            coverage[(model, window)] = max(0.0, min(1.0, reach / seconds))
        return coverage

    def _requests(
        self,
        results: Mapping[str, Any],
        coverage: Mapping[tuple[str, str], float],
        skipped: _NonFinite,
    ) -> pd.DataFrame:
        totals = _by_model_window(results.get("requests_total"), skipped, "requests_total")
        errors = _by_model_window(results.get("requests_errors"), skipped, "requests_errors")
        rows = []
        for (model, window), total in totals.items():
            rows.append(
                {
                    "model": model,
                    "window": window,
                    "total": total,
                    "errors": min(errors.get((model, window), 0.0), total),
                    "coverage": coverage.get((model, window), math.nan),
                }
            )
        return _frame("requests", rows, extra=("coverage",))

    def _latency(
        self,
        results: Mapping[str, Any],
        coverage: Mapping[tuple[str, str], float],
        skipped: _NonFinite,
        warnings: list[str],
    ) -> pd.DataFrame:
        buckets: dict[tuple[str, str], dict[float, float]] = defaultdict(dict)
        result = results.get("latency_buckets")
        for sample in result.samples if result is not None else ():
            value = skipped.check(sample, "latency_buckets")
            model, window = sample.labels.get("model"), sample.labels.get(WINDOW_LABEL)
            bound = _bound(sample.labels.get("le"))
            if value is None or model is None or window is None or bound is None:
                continue
            buckets[(model, window)][bound] = buckets[(model, window)].get(bound, 0.0) + value
        thresholds = {
            slo.threshold_seconds
            for slo in self._all_slos()
            if slo.kind == "latency" and slo.threshold_seconds is not None
        }
        named = len(thresholds) > 1
        rows = []
        warned: set[tuple[str, float]] = set()
        for (model, window), by_bound in buckets.items():
            if math.inf not in by_bound:
                continue
            total = by_bound[math.inf]
            for slo in self.config.slos_for(model):
                if slo.kind != "latency" or slo.threshold_seconds is None:
                    continue
                fast, used = _fast_count(by_bound, slo.threshold_seconds)
                if used != slo.threshold_seconds and (model, slo.threshold_seconds) not in warned:
                    warned.add((model, slo.threshold_seconds))
                    below = "no bucket" if used is None else f"le={used:g}"
                    warnings.append(
                        f"prometheus: {model} has no latency bucket at "
                        f"{slo.threshold_seconds:g}s; using {below} (fast is undercounted)"
                    )
                row = {
                    "model": model,
                    "window": window,
                    "total": total,
                    "fast": min(fast, total),
                    "coverage": coverage.get((model, window), math.nan),
                }
                if named:
                    row["slo"] = slo.name
                rows.append(row)
                if not named:
                    break
        extra = ("coverage", "slo") if named else ("coverage",)
        return _frame("latency", rows, extra=extra)

    def _all_slos(self) -> list[Any]:
        slos = list(self.config.slos)
        for override in self.config.models.overrides.values():
            slos.extend(override.slos or ())
        return slos

    def _feature_bins(self, results: Mapping[str, Any], skipped: _NonFinite) -> pd.DataFrame:
        groups = list(self._groups(self._drift_key))
        numeric: dict[tuple[str, str], dict[str, dict[float, tuple[str, float]]]] = {}
        categories: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
        for index, key in enumerate(groups):
            for model, value, sample_labels in _group_samples(
                results, "feature_buckets", index, self._drift_key, key, skipped
            ):
                feature = sample_labels.get("feature")
                window = sample_labels.get(WINDOW_LABEL)
                le = sample_labels.get("le")
                bound = _bound(le)
                if value is None or feature is None or window is None or bound is None:
                    continue
                cumulative = numeric.setdefault((model, feature), {}).setdefault(window, {})
                label = "+Inf" if bound == math.inf else str(le)
                previous = cumulative.get(bound, (label, 0.0))[1]
                cumulative[bound] = (label, previous + value)
            for model, value, sample_labels in _group_samples(
                results, "feature_categories", index, self._drift_key, key, skipped
            ):
                feature = sample_labels.get("feature")
                window = sample_labels.get(WINDOW_LABEL)
                category = sample_labels.get("category")
                if value is None or feature is None or window is None or category is None:
                    continue
                per_window_categories = categories.setdefault((model, feature), {})
                counts = per_window_categories.setdefault(window, {})
                counts[category] = counts.get(category, 0.0) + value
        rows: list[dict[str, Any]] = []
        for (model, feature), per_window in sorted(numeric.items()):
            if not self._wants_feature(model, feature):
                continue
            decumulated = {window: _decumulate(by_bound) for window, by_bound in per_window.items()}
            bounds = sorted({bound for counts in decumulated.values() for bound in counts})
            labels = {
                bound: label
                for by_bound in per_window.values()
                for bound, (label, _) in by_bound.items()
            }
            for bound in bounds:
                rows.append(
                    {
                        "model": model,
                        "feature": feature,
                        "kind": "numeric",
                        "bin": labels[bound],
                        "reference": decumulated.get("reference", {}).get(bound, 0.0),
                        "current": decumulated.get("current", {}).get(bound, 0.0),
                    }
                )
        for (model, feature), per_window_counts in sorted(categories.items()):
            if (model, feature) in numeric or not self._wants_feature(model, feature):
                continue
            names = sorted({name for counts in per_window_counts.values() for name in counts})
            for name in names:
                rows.append(
                    {
                        "model": model,
                        "feature": feature,
                        "kind": "categorical",
                        "bin": name,
                        "reference": per_window_counts.get("reference", {}).get(name, 0.0),
                        "current": per_window_counts.get("current", {}).get(name, 0.0),
                    }
                )
        return _frame("feature_bins", rows)

    def _wants_feature(self, model: str, feature: str) -> bool:
        features = self.config.drift_for(model).features
        return not features or feature in features

    def _outcomes(self, results: Mapping[str, Any], skipped: _NonFinite) -> pd.DataFrame:
        groups = list(self._groups(self._outcome_key))
        predicted: dict[tuple[str, str, str, str, int], float] = defaultdict(float)
        labelled: dict[tuple[str, str, str, str, int, int], float] = defaultdict(float)
        for index, key in enumerate(groups):
            for model, value, sample_labels in _group_samples(
                results, "predictions", index, self._outcome_key, key, skipped
            ):
                parts = _outcome_parts(sample_labels)
                if value is None or parts is None:
                    continue
                predicted[(model, *parts)] += value
            for model, value, sample_labels in _group_samples(
                results, "labeled_predictions", index, self._outcome_key, key, skipped
            ):
                parts = _outcome_parts(sample_labels)
                label = _binary(sample_labels.get("label"))
                if value is None or parts is None or label is None:
                    continue
                labelled[(model, *parts, label)] += value
        rows: list[dict[str, Any]] = []
        labelled_by_prediction: dict[tuple[str, str, str, str, int], float] = defaultdict(float)
        for key, count in sorted(labelled.items()):
            prediction_key = key[:5]
            labelled_by_prediction[prediction_key] += count
            rows.append(_outcome_row(prediction_key, float(key[5]), count))
        for prediction_key, count in sorted(predicted.items()):
            unlabelled = count - labelled_by_prediction.get(prediction_key, 0.0)
            if unlabelled > 0:
                rows.append(_outcome_row(prediction_key, math.nan, unlabelled))
        frame = _frame("outcomes", rows)
        frame["prediction"] = frame["prediction"].astype("int64")
        frame["label"] = frame["label"].astype("float64")
        return frame

    def _freshness(self, result: QueryResult | None, skipped: _NonFinite) -> pd.DataFrame:
        rows = []
        for sample in _samples(result):
            value = skipped.check(sample, "last_seen")
            model, signal = sample.labels.get("model"), sample.labels.get(WINDOW_LABEL)
            if value is None or model is None or signal is None:
                continue
            rows.append({"model": model, "signal": signal, "last_seen": value})
        return _frame("freshness", rows)

    def _series(self, results: Mapping[str, Any]) -> pd.DataFrame:
        rows = []
        for signal in SERIES_SIGNALS:
            result = results.get(f"series:{signal}")
            if not isinstance(result, RangeResult):
                continue
            for series in result.series:
                model = series.labels.get("model")
                if model is None:
                    continue
                for timestamp, value in zip(series.timestamps, series.values, strict=True):
                    rows.append(
                        {
                            "model": model,
                            "signal": signal,
                            "timestamp": timestamp,
                            "value": value if math.isfinite(value) else math.nan,
                        }
                    )
        return _frame("series", rows)


class _NonFinite:
    """Counts NaN/Inf sample values dropped, by query, for one warning per refresh."""

    def __init__(self) -> None:
        self.count = 0
        self.queries: set[str] = set()

    def check(self, sample: Sample, query: str) -> float | None:
        value = _value(sample)
        if value is None:
            self.count += 1
            self.queries.add(query)
        return value


def _samples(result: QueryResult | None) -> list[Sample]:
    return result.samples if result is not None else []


def _group_samples(
    results: Mapping[str, Any],
    query: str,
    index: int,
    key_of: Callable[[str], Any],
    key: Any,
    skipped: _NonFinite,
) -> Iterator[tuple[str, float | None, Mapping[str, str]]]:
    """(model, value, labels) of the samples of one settings group's query (`query:index`) whose
    model has that group's settings (`key_of(model) == key`); NaN/Inf values come as None."""
    for sample in _samples(results.get(f"{query}:{index}")):
        model = sample.labels.get("model")
        if model is None or key_of(model) != key:
            continue
        yield model, skipped.check(sample, query), sample.labels


def _by_model_window(
    result: QueryResult | None, skipped: _NonFinite, query: str
) -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    for sample in _samples(result):
        value = skipped.check(sample, query)
        model, window = sample.labels.get("model"), sample.labels.get(WINDOW_LABEL)
        if value is None or model is None or window is None:
            continue
        values[(model, window)] = values.get((model, window), 0.0) + max(0.0, value)
    return values


def _bound(text: str | None) -> float | None:
    """A bucket bound from its `le` label, compared numerically (`0.5` == `0.50`)."""
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in ("+inf", "inf"):
        return math.inf
    try:
        bound = float(lowered)
    except ValueError:
        return None
    return bound if not math.isnan(bound) else None


def _fast_count(by_bound: Mapping[float, float], threshold: float) -> tuple[float, float | None]:
    """Requests at or under the threshold: the bucket equal to it, else the largest one below."""
    for bound in by_bound:
        if math.isclose(bound, threshold, rel_tol=1e-12, abs_tol=0.0):
            return by_bound[bound], threshold
    below = [bound for bound in by_bound if bound < threshold]
    if not below:
        return 0.0, None
    used = max(below)
    return by_bound[used], used


def _decumulate(by_bound: Mapping[float, tuple[str, float]]) -> dict[float, float]:
    """Cumulative `le` buckets to counts per bin, bounds ascending with +Inf last."""
    counts: dict[float, float] = {}
    previous = 0.0
    for bound in sorted(by_bound):
        cumulative = by_bound[bound][1]
        counts[bound] = max(0.0, cumulative - previous)
        previous = max(previous, cumulative)
    return counts


def _binary(text: str | None) -> int | None:
    return {"0": 0, "1": 1, "false": 0, "true": 1}.get((text or "").strip().lower())


def _outcome_parts(labels: Mapping[str, str]) -> tuple[str, str, str, int] | None:
    window = labels.get(WINDOW_LABEL)
    attribute, group = labels.get("attribute"), labels.get("group")
    prediction = _binary(labels.get("prediction"))
    if window is None or attribute is None or group is None or prediction is None:
        return None
    return window, attribute, group, prediction


def _outcome_row(key: tuple[str, str, str, str, int], label: float, count: float) -> dict[str, Any]:
    """An outcomes row from its (model, window, attribute, group, prediction), label and count."""
    model, window, attribute, group, prediction = key
    return {
        "model": model,
        "window": window,
        "attribute": attribute,
        "group": group,
        "prediction": prediction,
        "label": label,
        "count": count,
    }


def _frame(name: str, rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    columns = list(FRAME_COLUMNS[name]) + list(extra)
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    return pd.DataFrame(rows, columns=columns)


async def fetch_signals(loaded: LoadedConfig, at: datetime) -> Signals:
    """One fetch from the configured Prometheus (what `govtui check` calls)."""
    async with PrometheusSignalSource(loaded) as source:
        return await source.fetch(at)
