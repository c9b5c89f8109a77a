"""A synthetic fleet in the metric convention, backfilled sparsely into a real Prometheus.

Shared by the fleet benchmarks: `FleetShape` is the size of the fleet (1000 models x 20
features x 10 buckets, 3 protected attributes x 4 groups by default), `write_fleet` writes its
counters as OpenMetrics at only the sample times one evaluation reads
(`govtui.demo.openmetrics.family_times`), and `start_fleet_prometheus` turns that into TSDB
blocks with promtool (`--max-block-duration`) and starts Prometheus on a loopback port in a temp
dir. Counters grow linearly, so every window's increase is exact; one model in ten drifts (its
feature mix changes for the last hour) and one in ten is unfair to one group.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from govtui.config import Config, parse_config
from govtui.demo.openmetrics import family_times, write_openmetrics
from govtui.demo.prometheus_stack import PrometheusProcess, create_blocks, start_prometheus

SeriesKey = tuple[str, dict[str, str]]
DAY = 86400
# The evaluation time: a whole day, so every coverage subquery step lands on the window starts.
END = 1_768_435_200  # 2026-01-15T00:00:00Z
DRIFT_ONSET = END - 3600
LATENCY_BOUNDS = ("0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf")
CODES = ("200", "404", "500")


@dataclass(frozen=True)
class FleetShape:
    """How big the synthetic fleet is."""

    models: int = 1000
    features: int = 20
    buckets: int = 10
    attributes: int = 3
    groups: int = 4
    categorical_every: int = 4  # every 4th feature is categorical (a quarter)
    seed: int = 0

    def model_names(self) -> list[str]:
        return [f"model-{index:04d}" for index in range(self.models)]


def config_text(url: str, prefix: str = "ml_", shape: FleetShape = FleetShape()) -> str:
    """The govtui config the benchmarks judge the synthetic fleet by."""
    attributes = ", ".join(f"attr_{index}" for index in range(shape.attributes))
    return f"""\
sources:
  prometheus:
    url: {url}
    metric_prefix: {prefix}
    timeout: 300s
    retries: 0
slos:
  - {{name: availability, kind: availability, objective: 0.999, period: 30d}}
  - {{name: latency, kind: latency, objective: 0.99, threshold_seconds: 0.5, period: 30d}}
drift:
  current: {{duration: 1h}}
  reference: {{duration: 1d, offset: 7d}}
fairness:
  attributes: [{attributes}]
  window: 1d
quality:
  attribute: attr_0
  label_delay: 2h
"""


def bench_config(url: str = "http://127.0.0.1:9", prefix: str = "ml_") -> Config:
    return parse_config(config_text(url, prefix), "benchmark config")


def _elapsed(times: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Seconds of traffic before and after the drift onset at each time (history starts 30d
    before END, with a minute already counted so the first sample is not zero)."""
    moments = np.asarray(times, dtype=np.float64)
    start = END - 30 * DAY - 60
    before = np.clip(np.minimum(moments, DRIFT_ONSET) - start, 0, None)
    after = np.clip(moments - DRIFT_ONSET, 0, None)
    return before, after


def _counters(
    rates_before: np.ndarray, rates_after: np.ndarray, times: Sequence[int]
) -> np.ndarray:
    """(series, times) integer counter values from per-series rates before/after the onset."""
    before, after = _elapsed(times)
    values = rates_before[:, None] * before[None, :] + rates_after[:, None] * after[None, :]
    return np.floor(values)


class _Writer:
    """Writes one family at a time and counts samples."""

    def __init__(self, handle: IO[str], prefix: str, times: Mapping[str, list[int]]) -> None:
        self.handle = handle
        self.prefix = prefix
        self.times = times
        self.samples = 0
        self.series = 0

    def family(self, short: str, keys: list[SeriesKey], matrix: np.ndarray) -> None:
        times = self.times[short]
        self.samples += write_openmetrics(self.handle, keys, matrix, times, eof=False)
        self.series += len(keys)


def write_fleet(
    handle: IO[str], shape: FleetShape, prefix: str, times: Mapping[str, list[int]]
) -> tuple[int, int]:
    """Write the fleet's families (no `# EOF`); returns (series, samples)."""
    rng = np.random.default_rng(shape.seed)
    names = shape.model_names()
    rate = rng.uniform(1, 50, size=shape.models)
    error_ratio = rng.choice([0.0002, 0.0008, 0.02], p=[0.9, 0.07, 0.03], size=shape.models)
    writer = _Writer(handle, prefix, times)

    # requests: by code, one version.
    keys: list[SeriesKey] = []
    shares = []
    for index, model in enumerate(names):
        for code, share in zip(
            CODES, (1 - 0.01 - error_ratio[index], 0.01, error_ratio[index]), strict=True
        ):
            keys.append((f"{prefix}requests_total", {"model": model, "version": "1", "code": code}))
            shares.append(rate[index] * share)
    per_second = np.array(shares)
    writer.family("requests", keys, _counters(per_second, per_second, times["requests"]))

    # latency histogram: cumulative buckets, count and sum.
    keys = []
    rows = []
    slow = rng.uniform(0.0, 0.02, size=shape.models)
    mix = rng.dirichlet(np.full(len(LATENCY_BOUNDS), 2.0), size=shape.models)
    fast_part = (1 - slow)[:, None] * mix[:, :6] / mix[:, :6].sum(axis=1, keepdims=True)
    slow_part = slow[:, None] * mix[:, 6:] / mix[:, 6:].sum(axis=1, keepdims=True)
    cumulative = np.cumsum(np.concatenate([fast_part, slow_part], axis=1), axis=1)
    for index, model in enumerate(names):
        for bound, share in zip(LATENCY_BOUNDS, cumulative[index], strict=True):
            keys.append(
                (
                    f"{prefix}request_duration_seconds_bucket",
                    {"model": model, "version": "1", "le": bound},
                )
            )
            rows.append(rate[index] * min(share, 1.0))
        keys.append((f"{prefix}request_duration_seconds_count", {"model": model, "version": "1"}))
        rows.append(rate[index])
        keys.append((f"{prefix}request_duration_seconds_sum", {"model": model, "version": "1"}))
        rows.append(rate[index] * 0.12)
    per_second = np.array(rows)
    writer.family(
        "request_duration_seconds",
        keys,
        _counters(per_second, per_second, times["request_duration_seconds"]),
    )

    # features: numeric histograms and categorical counters; one model in ten drifts.
    bounds = [f"{value:g}" for value in np.linspace(0.1, 0.9, shape.buckets - 1)] + ["+Inf"]
    levels = [f"level_{index}" for index in range(shape.buckets)]
    numeric_keys: list[SeriesKey] = []
    numeric_before: list[float] = []
    numeric_after: list[float] = []
    category_keys: list[SeriesKey] = []
    category_before: list[float] = []
    category_after: list[float] = []
    for index, model in enumerate(names):
        drifting = index % 10 == 3
        reference = rng.dirichlet(np.full(shape.buckets, 2.0), size=shape.features)
        current = (
            rng.dirichlet(np.full(shape.buckets, 2.0), size=shape.features)
            if drifting
            else reference
        )
        for feature in range(shape.features):
            name = f"feature_{feature:02d}"
            if feature % shape.categorical_every == shape.categorical_every - 1:
                for level, before, after in zip(
                    levels, reference[feature], current[feature], strict=True
                ):
                    category_keys.append(
                        (
                            f"{prefix}feature_category_total",
                            {"model": model, "feature": name, "category": level},
                        )
                    )
                    category_before.append(rate[index] * before)
                    category_after.append(rate[index] * after)
                continue
            before_cum = np.minimum(np.cumsum(reference[feature]), 1.0)
            after_cum = np.minimum(np.cumsum(current[feature]), 1.0)
            for bound, before, after in zip(bounds, before_cum, after_cum, strict=True):
                numeric_keys.append(
                    (
                        f"{prefix}feature_value_bucket",
                        {"model": model, "feature": name, "le": bound},
                    )
                )
                numeric_before.append(rate[index] * before)
                numeric_after.append(rate[index] * after)
            numeric_keys.append((f"{prefix}feature_value_count", {"model": model, "feature": name}))
            numeric_before.append(rate[index])
            numeric_after.append(rate[index])
            numeric_keys.append((f"{prefix}feature_value_sum", {"model": model, "feature": name}))
            numeric_before.append(rate[index] * 0.5)
            numeric_after.append(rate[index] * 0.5)
    writer.family(
        "feature_value",
        numeric_keys,
        _counters(np.array(numeric_before), np.array(numeric_after), times["feature_value"]),
    )
    del numeric_keys, numeric_before, numeric_after
    writer.family(
        "feature_category",
        category_keys,
        _counters(np.array(category_before), np.array(category_after), times["feature_category"]),
    )
    del category_keys, category_before, category_after

    # outcomes: predictions per attribute/group/prediction, labelled ones per label too.
    prediction_keys: list[SeriesKey] = []
    prediction_rates: list[float] = []
    labelled_keys: list[SeriesKey] = []
    labelled_rates: list[float] = []
    for index, model in enumerate(names):
        unfair = index % 10 == 5
        for attribute in range(shape.attributes):
            group_shares = rng.dirichlet(np.full(shape.groups, 5.0))
            for group in range(shape.groups):
                selection = 0.3 * (0.6 if unfair and attribute == 0 and group == 0 else 1.0)
                for prediction, share in (("1", selection), ("0", 1 - selection)):
                    labels = {
                        "model": model,
                        "version": "1",
                        "attribute": f"attr_{attribute}",
                        "group": f"group_{group}",
                        "prediction": prediction,
                    }
                    predicted = rate[index] * group_shares[group] * share
                    prediction_keys.append((f"{prefix}predictions_total", labels))
                    prediction_rates.append(predicted)
                    agree = 0.85 if prediction == "1" else 0.9
                    for label, label_share in (
                        (prediction, agree),
                        ("0" if prediction == "1" else "1", 1 - agree),
                    ):
                        labelled_keys.append(
                            (f"{prefix}labeled_predictions_total", {**labels, "label": label})
                        )
                        labelled_rates.append(predicted * 0.8 * label_share)
    per_second = np.array(prediction_rates)
    writer.family(
        "predictions", prediction_keys, _counters(per_second, per_second, times["predictions"])
    )
    per_second = np.array(labelled_rates)
    writer.family(
        "labeled_predictions",
        labelled_keys,
        _counters(per_second, per_second, times["labeled_predictions"]),
    )
    return writer.series, writer.samples


@dataclass
class FleetPrometheus:
    """The running Prometheus and what was backfilled into it."""

    prometheus: PrometheusProcess
    workdir: Path
    series: int
    samples: int
    openmetrics_bytes: int
    write_seconds: float
    promtool_seconds: float
    start_seconds: float

    @property
    def url(self) -> str:
        return self.prometheus.url

    def stop(self) -> None:
        """Stop Prometheus by its PID and remove the temp dir."""
        try:
            self.prometheus.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


def start_fleet_prometheus(fleets: Sequence[tuple[FleetShape, str]]) -> FleetPrometheus:
    """Backfill each (shape, metric prefix) fleet and start Prometheus on it."""
    workdir = Path(tempfile.mkdtemp(prefix="govtui-bench-prometheus-"))
    try:
        openmetrics = workdir / "fleet.om"
        started = time.perf_counter()
        series = samples = 0
        with openmetrics.open("w", encoding="utf-8") as handle:
            for shape, prefix in fleets:
                times = family_times(bench_config(prefix=prefix), float(END))
                written = write_fleet(handle, shape, prefix, times)
                series += written[0]
                samples += written[1]
            handle.write("# EOF\n")
        size = openmetrics.stat().st_size
        written_at = time.perf_counter()
        create_blocks(openmetrics, workdir / "data")
        openmetrics.unlink()
        blocks_at = time.perf_counter()
        config = '{"global": {"scrape_interval": "1m", "evaluation_interval": "1m"}}\n'
        prometheus = start_prometheus(workdir, config, data_dir=workdir / "data", timeout=120)
        ready_at = time.perf_counter()
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return FleetPrometheus(
        prometheus,
        workdir,
        series,
        samples,
        size,
        round(written_at - started, 1),
        round(blocks_at - written_at, 1),
        round(ready_at - blocks_at, 1),
    )


def evaluation_time() -> float:
    return float(END)
