"""OpenMetrics backfill of the demo fleet, for `promtool tsdb create-blocks-from openmetrics`.

Samples are taken at times aligned to their step, so that every window the analysis asks for
(all multiples of five minutes) starts and ends on a sample: Prometheus's `increase()` then
returns exactly the counter difference the in-process demo computes. Recent history is written
at a fine step, older history hourly (enough for the 30 d budget, the 7 d drift reference and
the hourly plots) to keep the file small. A sparse backfill (`family_times`) goes further: each
metric family gets only the sample times the analysis reads at one evaluation time (window
starts and ends, and the hourly grid the plot series read), for fleets too large for a grid.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
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


def _drift_windows(config: Config) -> list[Any]:
    """The drift settings of the fleet and of every override."""
    settings = [config.drift]
    settings.extend(override.drift or config.drift for override in config.models.overrides.values())
    return settings


def _window_span(window: Any, end: float) -> tuple[float, float]:
    """Start and end of a drift window evaluated at `end`."""
    if window.start is not None and window.end is not None:
        return parse_instant(window.start).timestamp(), parse_instant(window.end).timestamp()
    window_end = end - parse_duration(window.offset)
    return window_end - parse_duration(window.duration), window_end


def family_times(config: Config, end: float, *, series: bool = True) -> dict[str, list[int]]:
    """For each metric family (without the prefix), the sample times one evaluation at `end`
    reads: the start and end of each window its queries ask for, plus (with `series`) the hourly
    grid over the quality lookback that the plot series read. Nothing else is needed for that
    evaluation, so a backfill of just these is tiny next to a scrape grid.

    `end` should be a multiple of every coverage subquery step (a whole day is) so that the
    sample starting the SLO period is seen by the coverage query.
    """
    slo_windows = set(BURN_WINDOWS) | {slo.period for slo in config.slos}
    fairness_settings = [config.fairness]
    quality_settings = [config.quality]
    for override in config.models.overrides.values():
        slo_windows |= {slo.period for slo in override.slos or ()}
        fairness_settings.append(override.fairness or config.fairness)
        quality_settings.append(override.quality or config.quality)
    slo = {end} | {end - parse_duration(window) for window in slo_windows}
    drift = {end}
    reference: set[float] = set()
    for settings in _drift_windows(config):
        drift.update(_window_span(settings.current, end))
        reference.update(_window_span(settings.reference, end))
    drift |= reference
    predictions = {end} | reference
    labelled = {end} | reference
    for fairness in fairness_settings:
        window = parse_duration(fairness.window)
        predictions.add(end - window)
        for quality in quality_settings:
            delay = parse_duration(quality.label_delay)
            labelled.update((end - delay, end - delay - window))
    if series:
        lookback = max(parse_duration(quality.anomaly_lookback) for quality in quality_settings)
        hour_end = int(end // 3600) * 3600
        grid = range(hour_end - lookback - 3600, hour_end + 1, 3600)
        requests = slo | set(grid)
        labelled = labelled | set(grid)
    else:
        requests = slo
    found = {
        "requests": requests,
        "request_duration_seconds": slo,
        "feature_value": drift,
        "feature_category": drift,
        "predictions": predictions,
        "labeled_predictions": labelled,
    }
    return {
        family: sorted({int(moment) for moment in moments}) for family, moments in found.items()
    }


def write_openmetrics(
    handle: IO[str],
    keys: Sequence[tuple[str, dict[str, str]]],
    matrix: np.ndarray,
    times: Sequence[int],
    *,
    help_texts: dict[str, str] | None = None,
    only_at: Mapping[str, Collection[int]] | None = None,
    eof: bool = True,
) -> int:
    """Write families in order, each series' samples in time order; returns samples written.

    `only_at` maps a family name to the only times it is written at (a sparse backfill);
    `eof=False` leaves the file open for more families (each family in one call only).
    """
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
        allowed = None
        if only_at is not None and family in only_at:
            wanted = {int(moment) for moment in only_at[family]}
            allowed = np.array([int(moment) in wanted for moment in times], dtype=bool)
        for row in rows:
            name, labels = keys[row]
            prefix = f"{name}{format_labels(labels)} "
            present = ~np.isnan(matrix[row])
            if allowed is not None:
                present &= allowed
            columns = np.flatnonzero(present).tolist()
            values = matrix[row, columns].tolist()
            handle.writelines(
                f"{prefix}{_value_text(value)} {time_text[column]}\n"
                for column, value in zip(columns, values, strict=True)
            )
            written += len(columns)
    if eof:
        handle.write("# EOF\n")
    return written


def _value_text(value: float) -> str:
    """format_value for a plain float, with the common whole-number case first."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format_value(value)


def backfill(
    sampler: FleetSampler,
    out: Path,
    *,
    end: float,
    hours: float = 31 * 24,
    tiers: Sequence[tuple[int, int]] = DEFAULT_TIERS,
    edges: Iterable[float] = (),
    help_texts: dict[str, str] | None = None,
    sparse: Mapping[str, Collection[int]] | None = None,
) -> BackfillSummary:
    """Write the OpenMetrics backfill atomically (a temp file renamed into place).

    With `sparse` (`family_times(...)`, keyed by family without the prefix) only those times
    are written, each family at its own; `tiers` and `edges` are then not used.
    """
    if sparse is None:
        times = sample_times(end, hours=hours, tiers=tiers, edges=edges)
        only_at = None
    else:
        start = end - hours * 3600
        only_at = {
            sampler.prefix + family: [t for t in moments if start <= t <= end]
            for family, moments in sparse.items()
        }
        times = sorted({moment for moments in only_at.values() for moment in moments})
        if not times:
            raise ValueError("no sample time of the sparse backfill lies within `hours`")
    keys, matrix = collect(sampler, times)
    with atomic_replace(out, mode=existing_mode(out, 0o644)) as handle:
        written = write_openmetrics(
            handle, keys, matrix, times, help_texts=help_texts, only_at=only_at
        )
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
