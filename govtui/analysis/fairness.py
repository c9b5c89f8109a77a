"""Group fairness of every model at once: selection rates, TPR/FPR and the parity figures.

The outcomes frame is summed once into a confusion table per (model, window, attribute, group),
which quality reuses; the per-attribute figures are segment reductions over that table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from govtui.analysis.encoding import (
    counts,
    dense_groups,
    encode,
    encode_against,
    kept,
    name_index,
    numbers,
    run_heads,
    to_optional,
)
from govtui.analysis.policy import fairness_status
from govtui.analysis.records import group_stats
from govtui.analysis.results import FairnessResult
from govtui.config import FairnessConfig

CURRENT = 0
REFERENCE = 1
_WINDOW_NAMES = {"current": CURRENT, "reference": REFERENCE}


@dataclass(frozen=True)
class OutcomeTable:
    """Summed outcomes per (model, window, attribute, group), sorted in that order.

    Attributes and groups are numbered in name order. `predicted` counts every prediction,
    labelled or not; the four confusion cells count labelled ones only.
    """

    model: np.ndarray
    window: np.ndarray
    attribute: np.ndarray
    group: np.ndarray
    attribute_names: list[str]
    group_names: list[str]
    predicted: np.ndarray
    predicted_positive: np.ndarray
    true_positive: np.ndarray
    false_negative: np.ndarray
    false_positive: np.ndarray
    true_negative: np.ndarray

    @classmethod
    def empty(cls) -> OutcomeTable:
        """No outcomes at all."""
        codes = np.empty(0, dtype=np.intp)
        nothing = np.empty(0)
        return cls(codes, codes, codes, codes, [], [], *([nothing] * 6))


def _window_codes(frame: pd.DataFrame) -> np.ndarray:
    """0 for current (also a missing window or column), 1 for reference, -1 for anything else."""
    if "window" not in frame.columns:
        return np.zeros(len(frame), dtype=np.intp)
    codes, values = encode(frame["window"])
    mapped = np.array(
        [_WINDOW_NAMES.get(str(value).strip().lower(), -1) for value in values.tolist()]
        + [CURRENT],
        dtype=np.intp,
    )
    return mapped[np.where(codes >= 0, codes, len(values))]


def outcome_table(outcomes: pd.DataFrame | None, models: Sequence[str]) -> OutcomeTable:
    """Sum the outcomes frame per (model, window, attribute, group) with the confusion cells."""
    if outcomes is None or len(outcomes) == 0 or not models:
        return OutcomeTable.empty()
    model_codes = encode_against(outcomes["model"], name_index(models))
    window_codes = _window_codes(outcomes)
    attribute_codes, attribute_values = encode(outcomes["attribute"], sort=True)
    group_codes, group_values = encode(outcomes["group"], sort=True)
    prediction = numbers(outcomes["prediction"])
    label = numbers(outcomes["label"])
    weight = np.nan_to_num(counts(outcomes["count"]), nan=0.0)
    keep = (model_codes >= 0) & (window_codes >= 0) & (attribute_codes >= 0) & (group_codes >= 0)
    keep &= (prediction == 0) | (prediction == 1)
    if not keep.any():
        return OutcomeTable.empty()
    model_codes, window_codes, attribute_codes, group_codes, weight, prediction, label = kept(
        keep, model_codes, window_codes, attribute_codes, group_codes, weight, prediction, label
    )
    cells = dense_groups(
        [model_codes, window_codes, attribute_codes, group_codes],
        [len(models), 2, len(attribute_values), len(group_values)],
    )
    group_ids, size = cells.ids, cells.count
    model, window, attribute, group = cells.parts
    positive = prediction == 1
    labelled_positive = label == 1
    labelled_negative = label == 0

    def total(mask: np.ndarray | None) -> np.ndarray:
        weights = weight if mask is None else weight * mask
        return np.bincount(group_ids, weights=weights, minlength=size)

    return OutcomeTable(
        model=model,
        window=window,
        attribute=attribute,
        group=group,
        attribute_names=[str(value) for value in attribute_values.tolist()],
        group_names=[str(value) for value in group_values.tolist()],
        predicted=total(None),
        predicted_positive=total(positive),
        true_positive=total(positive & labelled_positive),
        false_negative=total(~positive & labelled_positive),
        false_positive=total(positive & labelled_negative),
        true_negative=total(~positive & labelled_negative),
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def _spread(values: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per segment: max, min and how many non-null values (NaN is skipped)."""
    if len(values) == 0:
        nothing = np.empty(0)
        return nothing, nothing, np.empty(0, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        high = np.fmax.reduceat(values, starts)
        low = np.fmin.reduceat(values, starts)
    present = np.add.reduceat((~np.isnan(values)).astype(np.intp), starts)
    return high, low, present


def evaluate_fairness(
    table: OutcomeTable, models: Sequence[str], settings: Sequence[FairnessConfig]
) -> list[list[FairnessResult]]:
    """Fairness per model and attribute over the current window, aligned with `models`."""
    results: list[list[FairnessResult]] = [[] for _ in models]
    current = table.window == CURRENT
    attribute_count = len(table.attribute_names)
    restricted = np.fromiter((bool(item.attributes) for item in settings), dtype=bool)
    if restricted.any() and attribute_count:
        position = {name: index for index, name in enumerate(table.attribute_names)}
        allowed = np.zeros(len(models) * attribute_count, dtype=bool)
        for owner in np.flatnonzero(restricted).tolist():
            for name in settings[owner].attributes:
                if name in position:
                    allowed[owner * attribute_count + position[name]] = True
        keys = table.model * attribute_count + table.attribute
        current &= ~restricted[table.model] | allowed[keys]
    rows = np.flatnonzero(current)
    model, attribute, group = table.model[rows], table.attribute[rows], table.group[rows]
    predicted = table.predicted[rows]
    min_samples = np.fromiter((item.min_samples for item in settings), dtype=np.float64)
    sufficient = predicted >= min_samples[model]
    selection_rate = _ratio(table.predicted_positive[rows], predicted)
    true_positive, false_positive = table.true_positive[rows], table.false_positive[rows]
    tpr = _ratio(true_positive, true_positive + table.false_negative[rows])
    fpr = _ratio(false_positive, false_positive + table.true_negative[rows])

    starts = run_heads(model * max(attribute_count, 1) + attribute)
    high, low, groups = _spread(np.where(sufficient, selection_rate, np.nan), starts)
    tpr_high, tpr_low, tpr_count = _spread(np.where(sufficient, tpr, np.nan), starts)
    fpr_high, fpr_low, fpr_count = _spread(np.where(sufficient, fpr, np.nan), starts)
    two = groups >= 2
    parity_difference = np.where(two, high - low, np.nan)
    parity_ratio = np.where(two & (high > 0), low / np.where(high > 0, high, 1.0), np.nan)
    opportunity = np.where(tpr_count >= 2, tpr_high - tpr_low, np.nan)
    false_positive_spread = np.where(fpr_count >= 2, fpr_high - fpr_low, np.nan)
    equalized_odds = np.fmax(opportunity, false_positive_spread)

    every_group = [
        group_stats(table.group_names[code], round(count), rate, true_rate, false_rate, enough)
        for code, count, rate, true_rate, false_rate, enough in zip(
            group.tolist(),
            predicted.tolist(),
            to_optional(selection_rate),
            to_optional(tpr),
            to_optional(fpr),
            sufficient.tolist(),
            strict=True,
        )
    ]
    ends = [*starts.tolist()[1:], len(rows)] if len(starts) else []
    seen: set[tuple[int, str]] = set()
    for start, end, dpd, ratio, eod, odds in zip(
        starts.tolist(),
        ends,
        to_optional(parity_difference),
        to_optional(parity_ratio),
        to_optional(opportunity),
        to_optional(equalized_odds),
        strict=True,
    ):
        owner = int(model[start])
        name = table.attribute_names[int(attribute[start])]
        seen.add((owner, name))
        results[owner].append(
            FairnessResult(
                attribute=name,
                groups=every_group[start:end],
                demographic_parity_difference=dpd,
                demographic_parity_ratio=ratio,
                equal_opportunity_difference=eod,
                equalized_odds_difference=odds,
                status=fairness_status(ratio, settings[owner]),
            )
        )
    # Attributes a model's config asks for but the data lacks are reported, as unknown.
    for owner in np.flatnonzero(restricted).tolist():
        wanted = dict.fromkeys(settings[owner].attributes)
        missing = [name for name in wanted if (owner, name) not in seen]
        if missing:
            results[owner].extend(
                FairnessResult(name, [], None, None, None, None, "unknown") for name in missing
            )
            results[owner].sort(key=lambda item: item.attribute)
    return results
