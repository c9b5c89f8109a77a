"""OpenMetrics backfill of the demo fleet, for `promtool tsdb create-blocks-from openmetrics`.

Samples are taken at times aligned to their step, so that every window the analysis asks for
(all multiples of five minutes) starts and ends on a sample: Prometheus's `increase()` then
returns exactly the counter difference the in-process demo computes. Recent history is written
at a fine step, older history hourly (enough for the 30 d budget, the 7 d drift reference and
the hourly plots) to keep the file small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np

from govtui.analysis.promql import quote
from govtui.config import BURN_WINDOWS, Config
from govtui.fsutil import atomic_replace, existing_mode
from govtui.timeutil import parse_duration, parse_instant

SampleTuple = tuple[str, dict[str, str], float]
SeriesKey = tuple[str, dict[str, str]]
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


class SampleSource(Protocol):
    """Anything that gives cumulative metric-convention samples at a unix time (DemoFleet)."""

    def samples(self, at: float) -> list[SampleTuple]: ...


@dataclass(frozen=True)
class BackfillSummary:
    """What a backfill wrote."""

    path: Path
    series: int
    samples: int
    start: float
    end: float
    times: int


# (span back from the end, step): every 5 minutes where short windows and live rules look,
# hourly over the drift reference and the 7 d plots, every 6 h back to the 30 d SLO period.
# Steps are epoch-aligned and divide each other, so coverage subqueries land on samples.
DEFAULT_TIERS: tuple[tuple[int, int], ...] = (
    (26 * 3600, 300),
    (8 * 86400 + 3600, 3600),
    (31 * 86400, 21600),
)

FINEST_STEP = min(step for _span, step in DEFAULT_TIERS)


def sample_times(
    end: float,
    *,
    hours: float,
    tiers: Sequence[tuple[int, int]] = DEFAULT_TIERS,
    edges: Iterable[float] = (),
) -> list[int]:
    """Sample times over the last `hours` before `end`: each tier's step aligned to the epoch,
    plus `edges` (window starts) so every window the analysis asks for begins on a sample.

    `end` is rounded down to the finest step and is the last sample.
    """
    if hours <= 0:
        raise ValueError("hours must be positive")
    finest = min(step for _span, step in tiers)
    aligned_end = int(math.floor(end / finest) * finest)
    start = aligned_end - int(hours * 3600)
    times: set[int] = {aligned_end}
    for span, step in tiers:
        if step <= 0:
            raise ValueError("steps must be positive")
        first = max(start, aligned_end - span)
        first = -(-first // step) * step
        times.update(range(first, aligned_end + 1, step))
    times.update(int(edge) for edge in edges if start <= edge <= aligned_end)
    return sorted(times)


def family_of(name: str, histogram_families: set[str]) -> tuple[str, str]:
    """(family, type) of a sample name: `x_total` is counter `x`, `x_bucket` histogram `x`."""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in histogram_families:
            return name[: -len(suffix)], "histogram"
    if name.endswith("_total"):
        return name[: -len("_total")], "counter"
    return name, "gauge"


def format_value(value: float) -> str:
    """A sample value as OpenMetrics text (integers without a fraction)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def format_labels(labels: dict[str, str]) -> str:
    """`{a="x",b="y"}` with values escaped; empty string for no labels."""
    if not labels:
        return ""
    return "{" + ",".join(f"{key}={quote(value)}" for key, value in sorted(labels.items())) + "}"


class FleetSampler:
    """The demo fleet's samples as an exporter would expose them.

    A series exists from the time its version first serves; a model whose source goes stale
    stops being exported at its stop time (so Prometheus sees it go stale, as the demo says).
    """

    def __init__(self, fleet: Any, *, prefix: str = "ml_") -> None:
        self.fleet = fleet
        self.prefix = prefix
        anchor = fleet.anchor.timestamp()
        self.stops = {
            spec.name: anchor + spec.stale_stop
            for spec in fleet.specs
            if getattr(spec, "stale_stop", None) is not None
        }

    def matrix(self, times: Sequence[float]) -> tuple[list[SeriesKey], np.ndarray]:
        """Series keys and their values (series x times), NaN where a series is absent."""
        keys, values, first = self.fleet.sample_matrix(list(times), prefix=self.prefix)
        moments = np.asarray(times, dtype=float)
        matrix = np.array(values, dtype=float).T
        matrix[moments[None, :] < np.asarray(first, dtype=float)[:, None]] = np.nan
        for row, (_name, labels) in enumerate(keys):
            stop = self.stops.get(labels.get("model", ""))
            if stop is not None:
                matrix[row, moments > stop] = np.nan
        return list(keys), matrix

    def samples(self, at: float) -> list[SampleTuple]:
        """Samples present at unix time `at`."""
        keys, matrix = self.matrix([at])
        column = matrix[:, 0]
        return [
            (name, labels, float(column[row]))
            for row, (name, labels) in enumerate(keys)
            if not math.isnan(column[row])
        ]


def collect(
    sampler: FleetSampler, times: Sequence[int], *, chunk: int = 256
) -> tuple[list[SeriesKey], np.ndarray]:
    """Series keys and a (series, times) matrix, computed a chunk of times at a time."""
    keys: list[SeriesKey] = []
    parts = []
    for offset in range(0, len(times), chunk):
        keys, part = sampler.matrix(times[offset : offset + chunk])
        parts.append(part)
    matrix = np.concatenate(parts, axis=1) if parts else np.zeros((0, 0))
    return keys, matrix


def window_edges(config: Config, end: float) -> list[float]:
    """Start and end of every window the analysis reads at `end` (so samples fall on them)."""
    edges = {end}
    windows = set(BURN_WINDOWS) | {slo.period for slo in config.slos}
    drift_settings = [config.drift]
    fairness_settings = [config.fairness]
    quality_settings = [config.quality]
    for override in config.models.overrides.values():
        windows |= {slo.period for slo in override.slos or ()}
        drift_settings.append(override.drift or config.drift)
        fairness_settings.append(override.fairness or config.fairness)
        quality_settings.append(override.quality or config.quality)
    edges.update(end - parse_duration(window) for window in windows)
    for drift in drift_settings:
        for window in (drift.current, drift.reference):
            if window.start is not None and window.end is not None:
                edges.update(
                    (parse_instant(window.start).timestamp(), parse_instant(window.end).timestamp())
                )
            else:
                window_end = end - parse_duration(window.offset)
                edges.update((window_end, window_end - parse_duration(window.duration)))
    for fairness in fairness_settings:
        edges.add(end - parse_duration(fairness.window))
        for quality in quality_settings:
            delay = parse_duration(quality.label_delay)
            edges.update((end - delay, end - delay - parse_duration(fairness.window)))
    return sorted(edges)


def write_openmetrics(
    handle: IO[str],
    keys: Sequence[tuple[str, dict[str, str]]],
    matrix: np.ndarray,
    times: Sequence[int],
    *,
    help_texts: dict[str, str] | None = None,
) -> int:
    """Write families in order, each series' samples in time order; returns samples written."""
    names = {name for name, _ in keys}
    histogram_families = {name[: -len("_bucket")] for name in names if name.endswith("_bucket")}
    by_family: dict[str, list[int]] = {}
    family_type: dict[str, str] = {}
    for row, (name, _labels) in enumerate(keys):
        family, kind = family_of(name, histogram_families)
        by_family.setdefault(family, []).append(row)
        family_type[family] = kind
    time_text = [str(int(moment)) for moment in times]
    written = 0
    for family in sorted(by_family):
        handle.write(f"# TYPE {family} {family_type[family]}\n")
        text = (help_texts or {}).get(family)
        if text:
            handle.write(f"# HELP {family} {text}\n")
        rows = sorted(
            by_family[family], key=lambda row: (keys[row][0], sorted(keys[row][1].items()))
        )
        for row in rows:
            name, labels = keys[row]
            prefix = f"{name}{format_labels(labels)} "
            values = matrix[row]
            present = np.flatnonzero(~np.isnan(values))
            handle.writelines(
                f"{prefix}{format_value(values[column])} {time_text[column]}\n"
                for column in present
            )
            written += len(present)
    handle.write("# EOF\n")
    return written


def backfill(
    sampler: FleetSampler,
    out: Path,
    *,
    end: float,
    hours: float = 31 * 24,
    tiers: Sequence[tuple[int, int]] = DEFAULT_TIERS,
    edges: Iterable[float] = (),
    help_texts: dict[str, str] | None = None,
) -> BackfillSummary:
    """Write the OpenMetrics backfill atomically (a temp file renamed into place)."""
    times = sample_times(end, hours=hours, tiers=tiers, edges=edges)
    keys, matrix = collect(sampler, times)
    with atomic_replace(out, mode=existing_mode(out, 0o644)) as handle:
        written = write_openmetrics(handle, keys, matrix, times, help_texts=help_texts)
    return BackfillSummary(out, len(keys), written, float(times[0]), float(times[-1]), len(times))


HELP_TEXTS = {
    "requests": "Requests served by the model server, by version and HTTP status code.",
    "request_duration_seconds": "Request latency of the model server.",
    "feature_value": "Distribution of a numeric input feature.",
    "feature_category": "Occurrences of each category of a categorical input feature.",
    "predictions": "Predictions, once per protected attribute they carry.",
    "labeled_predictions": "Predictions whose ground-truth label has arrived.",
}


def help_for(prefix: str, names: Iterable[str] = HELP_TEXTS) -> dict[str, str]:
    """HELP texts keyed by family name with the metric prefix."""
    return {prefix + name: HELP_TEXTS[name] for name in names}
