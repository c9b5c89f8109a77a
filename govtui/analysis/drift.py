"""Input drift of every feature of every model at once: PSI, Jensen-Shannon distance and KS.

Bins of all (model, feature) pairs are sorted into one array (features contiguous, numeric bins
by their numeric upper bound), so each metric is a handful of numpy segment reductions.
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
    factorize_values,
    kept,
    name_index,
    run_heads,
    to_optional,
)
from govtui.analysis.policy import DRIFT_LEVELS, drift_feature_levels, drift_model_status
from govtui.analysis.records import feature_drift
from govtui.analysis.results import DriftResult
from govtui.config import DriftConfig

# PSI replaces every proportion of exactly 0 by this before taking logs (no renormalisation).
PSI_ZERO_PROPORTION = 0.0001


@dataclass(frozen=True)
class FeatureTable:
    """One row per (model, feature), sorted by model then feature name."""

    model: np.ndarray
    feature: np.ndarray
    names: list[str]
    numeric: np.ndarray
    psi: np.ndarray
    js: np.ndarray
    ks: np.ndarray

    @classmethod
    def empty(cls) -> FeatureTable:
        """No features at all."""
        nothing = np.empty(0)
        return cls(
            np.empty(0, dtype=np.intp),
            np.empty(0, dtype=np.intp),
            [],
            np.empty(0, dtype=bool),
            nothing,
            nothing,
            nothing,
        )


def _segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts) if len(values) else np.empty(0)


def _bin_bounds(bin_values: np.ndarray) -> np.ndarray:
    """Numeric upper bound of each distinct bin label (`+Inf` is infinity, others NaN)."""
    text = pd.Series(bin_values, dtype=object).astype(str).str.strip()
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _allowed_rows(
    model_codes: np.ndarray,
    feature_codes: np.ndarray,
    feature_names: np.ndarray,
    settings: Sequence[DriftConfig],
) -> np.ndarray:
    """Rows kept by each model's `features` list (an empty list keeps every feature)."""
    restricted = np.fromiter((bool(item.features) for item in settings), dtype=bool)
    keep = np.ones(len(model_codes), dtype=bool)
    if not restricted.any():
        return keep
    feature_count = len(feature_names)
    position = {str(name): index for index, name in enumerate(feature_names.tolist())}
    allowed = [
        model * feature_count + position[name]
        for model in np.flatnonzero(restricted).tolist()
        for name in settings[model].features
        if name in position
    ]
    in_restricted = restricted[np.maximum(model_codes, 0)] & (model_codes >= 0)
    keys = model_codes * feature_count + feature_codes
    keep[in_restricted] = np.isin(keys[in_restricted], np.asarray(allowed, dtype=np.int64))
    return keep


def feature_table(
    feature_bins: pd.DataFrame, models: Sequence[str], settings: Sequence[DriftConfig]
) -> FeatureTable:
    """PSI, JS and KS for every (model, feature) in the frame (NaN where a window is empty)."""
    if len(feature_bins) == 0 or not models:
        return FeatureTable.empty()
    model_codes = encode_against(feature_bins["model"], name_index(models))
    feature_codes, feature_names = encode(feature_bins["feature"], sort=True)
    bin_codes, bin_values = encode(feature_bins["bin"])
    keep = (model_codes >= 0) & (feature_codes >= 0) & (bin_codes >= 0)
    keep &= _allowed_rows(model_codes, feature_codes, feature_names, settings)
    if not keep.any():
        return FeatureTable.empty()
    kept_rows = np.flatnonzero(keep)
    reference = np.nan_to_num(counts(feature_bins["reference"]), nan=0.0)
    current = np.nan_to_num(counts(feature_bins["current"]), nan=0.0)
    model_codes, feature_codes, bin_codes, reference, current = kept(
        keep, model_codes, feature_codes, bin_codes, reference, current
    )
    features = dense_groups([model_codes, feature_codes], [len(models), len(feature_names)])
    group_ids = features.ids

    # A feature is numeric when it says so and every bin label is a number (or +Inf).
    kinds = feature_bins["kind"].to_numpy()[kept_rows[features.first]]
    kind_codes, kind_values = factorize_values(kinds)
    says_numeric = np.array(
        [str(value).strip().lower() == "numeric" for value in kind_values] + [False]
    )[np.where(kind_codes >= 0, kind_codes, len(kind_values))]
    bounds = _bin_bounds(bin_values)
    valid_bound = ~np.isnan(bounds)
    bound_rank = np.full(len(bin_values), -1, dtype=np.intp)
    distinct_bounds, rank = np.unique(bounds[valid_bound], return_inverse=True)
    bound_rank[valid_bound] = rank
    unparsable = np.bincount(group_ids, weights=~valid_bound[bin_codes], minlength=features.count)
    numeric = says_numeric & (unparsable == 0)

    # Numeric bins keyed by their bound's rank (merging "0.5" and "0.50"), categories by label.
    bin_key = np.where(numeric[group_ids], bound_rank[bin_codes], bin_codes)
    key_space = max(len(distinct_bounds), len(bin_values))
    bins = dense_groups([group_ids, bin_key], [features.count, key_space])
    bin_ids, bin_group, bin_count = bins.ids, bins.parts[0], bins.count
    reference_bins = np.bincount(bin_ids, weights=reference, minlength=bin_count)
    current_bins = np.bincount(bin_ids, weights=current, minlength=bin_count)
    starts = run_heads(bin_group)

    reference_total = _segment_sum(reference_bins, starts)
    current_total = _segment_sum(current_bins, starts)
    has_data = (reference_total > 0) & (current_total > 0)
    reference_scale = np.where(has_data, reference_total, 1.0)[bin_group]
    current_scale = np.where(has_data, current_total, 1.0)[bin_group]
    p_reference = reference_bins / reference_scale
    p_current = current_bins / current_scale

    psi_reference = np.where(p_reference == 0, PSI_ZERO_PROPORTION, p_reference)
    psi_current = np.where(p_current == 0, PSI_ZERO_PROPORTION, p_current)
    log_ratio = np.log(psi_current) - np.log(psi_reference)  # no overflow on tiny proportions
    psi = _segment_sum((psi_current - psi_reference) * log_ratio, starts)

    # scipy's rel_entr form, p * log(p / m), so small distances agree with it to the last digits.
    mixture = (p_reference + p_current) / 2.0
    safe_mixture = np.where(mixture > 0, mixture, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.where(p_reference > 0, p_reference * np.log(p_reference / safe_mixture), 0.0)
        right = np.where(p_current > 0, p_current * np.log(p_current / safe_mixture), 0.0)
    divergence = _segment_sum(left + right, starts) / np.log(2.0)
    js = np.sqrt(np.maximum(divergence / 2.0, 0.0))

    # CDFs from cumulative counts (exact for whole counts), offset to each feature's start.
    reference_cumulative = np.cumsum(reference_bins)
    current_cumulative = np.cumsum(current_bins)
    reference_offset = (reference_cumulative[starts] - reference_bins[starts])[bin_group]
    current_offset = (current_cumulative[starts] - current_bins[starts])[bin_group]
    gap = np.abs(
        (reference_cumulative - reference_offset) / reference_scale
        - (current_cumulative - current_offset) / current_scale
    )
    ks = np.maximum.reduceat(gap, starts)

    missing = ~has_data
    psi[missing] = np.nan
    js[missing] = np.nan
    ks[missing | ~numeric] = np.nan
    return FeatureTable(
        model=features.parts[0],
        feature=features.parts[1],
        names=[str(name) for name in feature_names.tolist()],
        numeric=numeric,
        psi=psi,
        js=js,
        ks=ks,
    )


def evaluate_drift(
    feature_bins: pd.DataFrame | None, models: Sequence[str], settings: Sequence[DriftConfig]
) -> list[DriftResult]:
    """Drift per model, aligned with `models`; features by PSI descending (no data last)."""
    if feature_bins is None:
        table = FeatureTable.empty()
    else:
        table = feature_table(feature_bins, models, settings)
    sort_psi = np.where(np.isnan(table.psi), np.inf, -table.psi)
    order = np.lexsort((table.feature, sort_psi, table.model))
    model_codes = table.model[order]
    psi = table.psi[order]
    warn_psi = np.fromiter((item.warn_psi for item in settings), dtype=np.float64)
    crit_psi = np.fromiter((item.crit_psi for item in settings), dtype=np.float64)
    levels = drift_feature_levels(psi, warn_psi[model_codes], crit_psi[model_codes])
    model_count = len(models)
    per_level = np.bincount(
        model_codes * len(DRIFT_LEVELS) + levels, minlength=model_count * len(DRIFT_LEVELS)
    ).reshape(model_count, len(DRIFT_LEVELS))
    crit = per_level[:, DRIFT_LEVELS.index("crit")]
    warn = per_level[:, DRIFT_LEVELS.index("warn")]
    with_data = per_level.sum(axis=1) - per_level[:, DRIFT_LEVELS.index("unknown")]
    # Object lookups hand out the same few str objects instead of 20k new ones.
    status_names = np.array(DRIFT_LEVELS, dtype=object)[levels].tolist()
    kind_names = np.array(("categorical", "numeric"), dtype=object)[
        table.numeric[order].astype(np.intp)
    ]
    names = table.names
    features = [
        feature_drift(names[feature], kind, value, js, ks, status)
        for feature, kind, value, js, ks, status in zip(
            table.feature[order].tolist(),
            kind_names.tolist(),
            to_optional(psi),
            to_optional(table.js[order]),
            to_optional(table.ks[order]),
            status_names,
            strict=True,
        )
    ]
    bounds = np.searchsorted(model_codes, np.arange(model_count + 1)).tolist()
    results = []
    for model, model_settings in enumerate(settings):
        share, status = drift_model_status(
            int(crit[model]), int(warn[model]), int(with_data[model]), model_settings
        )
        model_features = features[bounds[model] : bounds[model + 1]]
        results.append(DriftResult(model_features, share, status))
    return results
