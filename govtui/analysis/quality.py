"""Model quality: accuracy now against the reference window, and anomaly flags on hourly series.

`quality.label_delay` is applied by the sources, not here: they shift the labelled windows back
by the time ground truth takes to arrive, so the outcomes frame already holds the labelled
predictions of comparable periods. Analysis only counts what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from govtui.analysis.encoding import to_optional
from govtui.analysis.fairness import CURRENT, REFERENCE, OutcomeTable
from govtui.analysis.policy import MAD_SCALE, quality_status
from govtui.analysis.results import QualityResult
from govtui.config import QualityConfig


def _chosen_attributes(
    table: OutcomeTable, models: Sequence[str], settings: Sequence[QualityConfig]
) -> np.ndarray:
    """Attribute code per model: the configured one, else its first by name (-1 when none)."""
    attribute_count = len(table.attribute_names)
    first = np.full(len(models), attribute_count, dtype=np.intp)
    np.minimum.at(first, table.model, table.attribute)
    chosen = np.where(first < attribute_count, first, -1)
    position = {name: index for index, name in enumerate(table.attribute_names)}
    for model, item in enumerate(settings):
        if item.attribute is not None:
            chosen[model] = position.get(item.attribute, -1)
    return chosen


def evaluate_quality(
    table: OutcomeTable, models: Sequence[str], settings: Sequence[QualityConfig]
) -> list[QualityResult]:
    """Accuracy over labelled predictions, current and reference windows, aligned with `models`."""
    attribute_count = max(len(table.attribute_names), 1)
    chosen = _chosen_attributes(table, models, settings)
    correct = table.true_positive + table.true_negative
    labelled = correct + table.false_positive + table.false_negative
    cell = (table.model * 2 + table.window) * attribute_count + table.attribute
    size = len(models) * 2 * attribute_count
    shape = (len(models), 2, attribute_count)
    correct_sum = np.bincount(cell, weights=correct, minlength=size).reshape(shape)
    labelled_sum = np.bincount(cell, weights=labelled, minlength=size).reshape(shape)
    rows = np.arange(len(models))
    pick = np.maximum(chosen, 0)
    has_attribute = chosen >= 0

    def window(code: int) -> tuple[np.ndarray, np.ndarray]:
        right = np.where(has_attribute, correct_sum[rows, code, pick], 0.0)
        total = np.where(has_attribute, labelled_sum[rows, code, pick], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            accuracy = np.where(total > 0, right / np.where(total > 0, total, 1.0), np.nan)
        return accuracy, total

    accuracy, current_labelled = window(CURRENT)
    reference_accuracy, reference_labelled = window(REFERENCE)
    return [
        QualityResult(
            accuracy=now,
            reference_accuracy=before,
            status=quality_status(now, before, item),
            labelled=round(count),
            reference_labelled=round(reference_count),
        )
        for now, before, count, reference_count, item in zip(
            to_optional(accuracy),
            to_optional(reference_accuracy),
            current_labelled.tolist(),
            reference_labelled.tolist(),
            settings,
            strict=True,
        )
    ]


def anomalies(values: Sequence[float | None], z: float = 3.5) -> list[bool]:
    """Flags |0.6745 (x - median) / MAD| > z; NaN (and None, inf) is ignored and never flagged.

    The caller passes the lookback it wants (the last 7 days, hourly). When the MAD is 0 (a flat
    series) nothing is flagged, since the modified z-score is undefined.
    """
    data = np.array([np.nan if value is None else value for value in values], dtype=np.float64)
    if data.size == 0:
        return []
    finite = np.isfinite(data)
    if not finite.any():
        return [False] * data.size
    median = np.median(data[finite])
    deviation = np.abs(data[finite] - median)
    mad = np.median(deviation)
    if mad == 0:
        return [False] * data.size
    flags = np.zeros(data.size, dtype=bool)
    with np.errstate(over="ignore"):  # a subnormal MAD gives an infinite z, which is flagged
        flags[finite] = np.abs(MAD_SCALE * (data[finite] - median) / mad) > z
    return flags.tolist()
