"""SLOs of every model at once: burn rates, error budget, time to exhaustion, multiwindow alerts.

Counts from the `requests` (availability) and `latency` frames are laid out as a matrix of
(model, window) cells; every configured (model, SLO) pair reads its row of that matrix, so the
arithmetic runs once over the whole fleet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from govtui.analysis.encoding import (
    counts,
    encode,
    encode_against,
    name_index,
    numbers,
    to_optional,
)
from govtui.analysis.policy import (
    BUDGET_EPSILON,
    BURN_RATE_ALERTS,
    ERROR_RATIO_WINDOW,
    EXHAUSTION_WINDOW,
    alert_for,
    slo_status,
)
from govtui.analysis.results import Alert, SloResult
from govtui.config import BURN_WINDOWS, SloConfig
from govtui.timeutil import parse_duration

__all__ = ["SloSpecs", "WindowCounts", "alert_for", "evaluate_slos", "window_counts"]


@dataclass(frozen=True)
class WindowCounts:
    """Counts laid out by (row, window): rows are models, or (model, SLO) pairs for latency."""

    total: np.ndarray
    bad: np.ndarray
    present: np.ndarray
    coverage: np.ndarray

    @classmethod
    def empty(cls, rows: int, windows: int) -> WindowCounts:
        """No data for any row."""
        shape = (rows, windows)
        return cls(np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool), np.ones(shape))

    def take(self, rows: np.ndarray) -> WindowCounts:
        """The rows asked for, in that order (-1 gives an empty row)."""
        valid = rows >= 0
        index = np.maximum(rows, 0)
        if len(self.total) == 0:
            return WindowCounts.empty(len(rows), self.total.shape[1])
        return WindowCounts(
            np.where(valid[:, None], self.total[index], 0.0),
            np.where(valid[:, None], self.bad[index], 0.0),
            valid[:, None] & self.present[index],
            np.where(valid[:, None], self.coverage[index], 1.0),
        )

    def prefer(self, other: WindowCounts) -> WindowCounts:
        """Cell by cell, this one's counts where present, else the other's."""
        mine = self.present
        return WindowCounts(
            np.where(mine, self.total, other.total),
            np.where(mine, self.bad, other.bad),
            mine | other.present,
            np.where(mine, self.coverage, other.coverage),
        )


@dataclass(frozen=True)
class SloSpecs:
    """The (model, SLO) pairs to evaluate, as columns."""

    model: np.ndarray
    slos: list[SloConfig]

    @classmethod
    def build(cls, models: Sequence[str], slos_by_model: Sequence[list[SloConfig]]) -> SloSpecs:
        """One row per SLO of each model, models in order, SLOs in config order."""
        lengths = np.fromiter((len(items) for items in slos_by_model), dtype=np.intp)
        flat = [slo for items in slos_by_model for slo in items]
        return cls(np.repeat(np.arange(len(models), dtype=np.intp), lengths), flat)


def _window_positions(series: pd.Series, windows: Sequence[int]) -> np.ndarray:
    """Column of each row's window among `windows` (seconds), -1 when unparsable or unused."""
    codes, uniques = encode(series)
    lookup = {seconds: position for position, seconds in enumerate(windows)}
    mapped = np.full(len(uniques) + 1, -1, dtype=np.intp)
    for position, text in enumerate(uniques):
        try:
            mapped[position] = lookup.get(parse_duration(str(text)), -1)
        except ValueError:
            continue
    return mapped[np.where(codes >= 0, codes, len(uniques))]


def window_counts(
    frame: pd.DataFrame,
    row_codes: np.ndarray,
    rows: int,
    windows: Sequence[int],
    good_column: str | None,
    bad_column: str | None,
) -> WindowCounts:
    """Sum counts per (row, window); a window is present when a row with a finite total gave it.

    Either `bad_column` (errors) or `good_column` (fast; bad = total - fast) names the part.
    Bad counts are clipped to [0, total]; coverage is the smallest reported (1.0 when absent).
    """
    shape = (rows, len(windows))
    window_codes = _window_positions(frame["window"], windows)
    total = counts(frame["total"])
    if bad_column is not None:
        bad = counts(frame[bad_column])
    else:
        assert good_column is not None, "window_counts needs a good or a bad column"
        bad = total - counts(frame[good_column])
    bad = np.clip(bad, 0.0, total)
    keep = (row_codes >= 0) & (window_codes >= 0) & ~np.isnan(total) & ~np.isnan(bad)
    cell = row_codes[keep] * len(windows) + window_codes[keep]
    size = rows * len(windows)
    total_sum = np.bincount(cell, weights=total[keep], minlength=size).reshape(shape)
    bad_sum = np.bincount(cell, weights=bad[keep], minlength=size).reshape(shape)
    present = (np.bincount(cell, minlength=size) > 0).reshape(shape)
    coverage = np.ones(size)
    if "coverage" in frame.columns:
        reported = np.clip(numbers(frame["coverage"])[keep], 0.0, 1.0)
        known = ~np.isnan(reported)
        np.minimum.at(coverage, cell[known], reported[known])
    return WindowCounts(total_sum, bad_sum, present, coverage.reshape(shape))


def _latency_counts(
    latency: pd.DataFrame,
    model_index: pd.Index,
    specs: SloSpecs,
    windows: Sequence[int],
) -> WindowCounts:
    """Counts per latency spec: rows naming the SLO win over rows for all latency SLOs."""
    model_codes = encode_against(latency["model"], model_index)
    general = np.ones(len(latency), dtype=bool)
    specific: WindowCounts | None = None
    spec_names = name_index([slo.name for slo in specs.slos])
    if "slo" in latency.columns and len(specs.slos):
        slo_codes, slo_names = encode(latency["slo"])
        blank = np.array([str(name).strip() == "" for name in slo_names.tolist()] + [True])
        slo_codes = np.where(blank[np.where(slo_codes >= 0, slo_codes, -1)], -1, slo_codes)
        general = slo_codes < 0
        if len(slo_names):
            slo_count = len(slo_names)
            row_keys = np.where(slo_codes >= 0, model_codes * slo_count + slo_codes, -1)
            row_keys = np.where(model_codes >= 0, row_keys, -1)
            spec_slo = np.asarray(name_index(slo_names).get_indexer(spec_names), dtype=np.intp)
            spec_of_key = np.full(len(model_index) * slo_count, -1, dtype=np.intp)
            named = (spec_slo >= 0) & np.array([slo.kind == "latency" for slo in specs.slos])
            spec_of_key[specs.model[named] * slo_count + spec_slo[named]] = np.flatnonzero(named)
            spec_rows = np.where(row_keys >= 0, spec_of_key[np.maximum(row_keys, 0)], -1)
            specific = window_counts(latency, spec_rows, len(specs.model), windows, "fast", None)
    general_codes = np.where(general, model_codes, -1)
    per_model = window_counts(latency, general_codes, len(model_index), windows, "fast", None).take(
        specs.model
    )
    return specific.prefer(per_model) if specific is not None else per_model


def evaluate_slos(
    requests: pd.DataFrame | None,
    latency: pd.DataFrame | None,
    models: Sequence[str],
    slos_by_model: Sequence[list[SloConfig]],
    budget_warn_remaining: float,
) -> list[list[SloResult]]:
    """Every configured SLO of every model, aligned with `models` (an absent frame gives nulls)."""
    specs = SloSpecs.build(models, slos_by_model)
    spec_count = len(specs.slos)
    results: list[list[SloResult]] = [[] for _ in models]
    if spec_count == 0:
        return results
    model_index = name_index(models)
    period_seconds_of = {
        period: parse_duration(period) for period in {slo.period for slo in specs.slos}
    }
    periods = [period_seconds_of[slo.period] for slo in specs.slos]
    windows = sorted({parse_duration(window) for window in BURN_WINDOWS} | set(periods))
    position = {seconds: index for index, seconds in enumerate(windows)}

    is_latency = np.array([slo.kind == "latency" for slo in specs.slos], dtype=bool)
    cells = WindowCounts.empty(spec_count, len(windows))
    if requests is not None and len(requests) and (~is_latency).any():
        model_codes = encode_against(requests["model"], model_index)
        by_model = window_counts(requests, model_codes, len(models), windows, None, "errors")
        cells = by_model.take(np.where(is_latency, -1, specs.model))
    if latency is not None and len(latency) and is_latency.any():
        latency_cells = _latency_counts(latency, model_index, specs, windows)
        cells = WindowCounts(
            np.where(is_latency[:, None], latency_cells.total, cells.total),
            np.where(is_latency[:, None], latency_cells.bad, cells.bad),
            np.where(is_latency[:, None], latency_cells.present, cells.present),
            np.where(is_latency[:, None], latency_cells.coverage, cells.coverage),
        )

    objective = np.array([slo.objective for slo in specs.slos], dtype=np.float64)
    allowed = 1.0 - objective
    usable = cells.present & (cells.total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        error_ratio = np.where(usable, cells.bad / np.where(usable, cells.total, 1.0), np.nan)
    burn_columns = [position[parse_duration(window)] for window in BURN_WINDOWS]
    burn = error_ratio[:, burn_columns] / allowed[:, None]
    rows = np.arange(spec_count)
    period_columns = np.array([position[seconds] for seconds in periods], dtype=np.intp)
    period_ratio = error_ratio[rows, period_columns]
    remaining = 1.0 - period_ratio / allowed
    sli = 1.0 - period_ratio
    day_ratio = error_ratio[:, position[parse_duration(ERROR_RATIO_WINDOW)]]

    used = np.zeros((spec_count, len(windows)), dtype=bool)
    used[:, burn_columns] = True
    used[rows, period_columns] = True
    used &= cells.present
    coverage = np.where(used, cells.coverage, np.inf).min(axis=1)
    coverage[~used.any(axis=1)] = np.nan

    burn_hour = burn[:, BURN_WINDOWS.index(EXHAUSTION_WINDOW)]
    period_seconds = np.array(periods, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        exhaustion = np.where(
            burn_hour > 0,
            remaining * period_seconds / np.where(burn_hour > 0, burn_hour, 1),
            np.nan,
        )
    exhaustion = np.where(remaining <= BUDGET_EPSILON, 0.0, exhaustion)
    alerts = _alerts(burn)

    burn_lists = [to_optional(burn[:, column]) for column in range(len(BURN_WINDOWS))]
    burn_dicts = [
        dict(zip(BURN_WINDOWS, values, strict=True)) for values in zip(*burn_lists, strict=True)
    ]
    for model, slo, burn_rates, alert, budget, level, cover, to_empty, ratio in zip(
        specs.model.tolist(),
        specs.slos,
        burn_dicts,
        alerts,
        to_optional(remaining),
        to_optional(sli),
        to_optional(coverage),
        to_optional(exhaustion),
        to_optional(day_ratio),
        strict=True,
    ):
        results[model].append(
            SloResult(
                name=slo.name,
                kind=slo.kind,
                objective=slo.objective,
                sli=level,
                error_budget_remaining=budget,
                coverage=cover,
                burn_rates=burn_rates,
                alert=alert,
                status=slo_status(alert, budget, budget_warn_remaining),
                period=slo.period,
                time_to_exhaustion_seconds=to_empty,
                error_ratio=ratio,
            )
        )
    return results


def _alerts(burn: np.ndarray) -> list[Alert]:
    """The alert table applied to every row of burn rates (columns in BURN_WINDOWS order)."""
    column = {window: index for index, window in enumerate(BURN_WINDOWS)}
    page = np.zeros(len(burn), dtype=bool)
    ticket = np.zeros(len(burn), dtype=bool)
    with np.errstate(invalid="ignore"):
        for condition in BURN_RATE_ALERTS:
            firing = (burn[:, column[condition.long_window]] > condition.factor) & (
                burn[:, column[condition.short_window]] > condition.factor
            )
            if condition.severity == "page":
                page |= firing
            else:
                ticket |= firing
    labels = np.where(page, "page", np.where(ticket, "ticket", "none"))
    return cast(list[Alert], labels.tolist())
