"""Closed-form cumulative counters of the demo fleet, vectorised over every model.

Request rate r(t) = r0 (1 + a sin(2 pi t / 1 d + phase)) has the integral
F(t) = r0 (t - a / w cos(w t + phase)), w = 2 pi / 1 d. Every counter is a share of the
requests served in piecewise-constant segments (a version serving; a drift phase), so its value
at any t is sum(share x (F(clip(t, start, end)) - F(start))), floored to whole events. Window
counts are differences of counters, which is what Prometheus computes from the same samples.

Feature distributions wobble over the day: the bin shares are p + m(t) (q - p), q a shifted
twin of p and m(t) = h (1 + sin(w t + theta)) with a seeded h and theta per (model, feature).
Their counters need the integral of r(t) sin(w t + psi), also in closed form (`wave_integral`),
so a 1 h current window differs a little from a 1 d reference window, as in real traffic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from govtui.demo.scenarios import (
    ATTRIBUTES,
    DAY,
    LABELLED_SHARE,
    LATENCY_BOUNDS,
    LATENCY_SLO_THRESHOLD,
    Behaviour,
    ModelSpec,
)
from govtui.sources.registry.base import DEFAULT_ALIAS, AliasMove
from govtui.timeutil import parse_instant

_OMEGA = 2 * math.pi / DAY
_ERF = np.frompyfunc(math.erf, 1, 1)

# Outcome series keys, the same for every model: (attribute, group, prediction[, label]).
PREDICTION_KEYS: tuple[tuple[str, str, int], ...] = tuple(
    (attribute, group, prediction)
    for attribute, groups in ATTRIBUTES
    for group in groups
    for prediction in (0, 1)
)
LABELLED_KEYS: tuple[tuple[str, str, int, int], ...] = tuple(
    (attribute, group, prediction, label)
    for attribute, group, prediction in PREDICTION_KEYS
    for label in (0, 1)
)
GROUPS_PER_MODEL = sum(len(groups) for _, groups in ATTRIBUTES)


def format_bound(value: float) -> str:
    """A histogram bound as its `le` label: `+Inf`, whole numbers without a decimal point."""
    if math.isinf(value):
        return "+Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _behaviour_row(behaviour: Behaviour) -> list[float]:
    return [
        behaviour.error_ratio,
        behaviour.client_error_ratio,
        behaviour.slow_ratio,
        behaviour.latency_sigma,
        behaviour.tpr,
        behaviour.fpr,
    ]


@dataclass(frozen=True)
class Serving:
    """Which version served when (from the champion alias history) and how each behaves."""

    mv_model: np.ndarray  # (MV,) model index of each (model, version) series owner
    mv_version: list[str]
    mv_first: np.ndarray  # (MV,) first time the version served (inf if never)
    seg_mv: np.ndarray  # (S,) owner of each serving segment
    seg_start: np.ndarray
    seg_end: np.ndarray
    first_move: np.ndarray  # (M,) start of the model's traffic (inf without history)
    code_share: np.ndarray  # (MV, codes) share of requests per status code
    latency_cdf: np.ndarray  # (MV, bounds + 1) share at or under each bound, +Inf last
    latency_mean: np.ndarray  # (MV,)
    prediction_share: np.ndarray  # (MV, len(PREDICTION_KEYS)) per prediction, per attribute
    labelled_share: np.ndarray  # (MV, len(LABELLED_KEYS))


class CounterModel:
    """The static part of the fleet (rates, groups, features) and the counter arithmetic."""

    def __init__(self, specs: Sequence[ModelSpec], anchor: float) -> None:
        self.specs = list(specs)
        self.anchor = anchor
        self.names = [spec.name for spec in self.specs]
        self.index = {name: position for position, name in enumerate(self.names)}
        count = len(self.specs)
        self.rate = np.array([spec.requests_per_second for spec in self.specs])
        self.amplitude = np.array([spec.amplitude for spec in self.specs])
        self.phase = np.array([spec.phase for spec in self.specs])
        self.stop = np.array(
            [anchor + spec.stale_stop if spec.stale_stop is not None else np.inf for spec in specs]
        )
        self.onset = np.array(
            [
                anchor + spec.drift_onset if spec.drift_onset is not None else np.inf
                for spec in specs
            ]
        )
        self._group_arrays()
        self._behaviours: dict[tuple[int, str], int] = {}
        rows: list[list[float]] = []
        self._default_row = np.zeros(count, dtype=np.int64)
        for position, spec in enumerate(self.specs):
            self._default_row[position] = len(rows)
            rows.append(_behaviour_row(spec.default_behaviour))
            for version in spec.versions:
                self._behaviours[(position, version.version)] = len(rows)
                rows.append(_behaviour_row(version.behaviour))
        self._behaviour = np.array(rows, dtype=float)
        self._feature_arrays()
        self._serving_cache: tuple[object, Serving] | None = None

    # -- static tables -------------------------------------------------------------------------

    def _group_arrays(self) -> None:
        share, base_factor, rate_scale, tpr_factor, fpr_factor = [], [], [], [], []
        for spec in self.specs:
            row_share, row_base, row_scale, row_tpr, row_fpr = [], [], [], [], []
            for attribute, groups in ATTRIBUTES:
                by_name = {group.name: group for group in spec.groups[attribute]}
                for name in groups:
                    group = by_name[name]
                    row_share.append(group.share)
                    row_base.append(group.base_rate_factor)
                    row_scale.append(group.rate_scale)
                    row_tpr.append(group.tpr_factor)
                    row_fpr.append(group.fpr_factor)
            share.append(row_share)
            base_factor.append(row_base)
            rate_scale.append(row_scale)
            tpr_factor.append(row_tpr)
            fpr_factor.append(row_fpr)
        self.group_share = np.array(share)
        self.group_base_factor = np.array(base_factor)
        self.group_rate_scale = np.array(rate_scale)
        self.group_tpr_factor = np.array(tpr_factor)
        self.group_fpr_factor = np.array(fpr_factor)
        self.base_rate = np.array([spec.base_rate for spec in self.specs])

    def _feature_arrays(self) -> None:
        """One row per exported bucket or category; cumulative shares for numeric buckets.

        Each distribution (before and after the drift onset) has a shifted twin it mixes with
        over the day (the wobble); rows keep both, features keep the wobble's weight and phase.
        """
        row_model: list[int] = []
        row_feature: list[int] = []
        row_bin: list[str] = []
        row_shares: list[list[float]] = []  # before, after, shifted before, shifted after
        row_first: list[bool] = []
        feature_model: list[int] = []
        feature_name: list[str] = []
        feature_kind: list[str] = []
        feature_mean: list[list[float]] = []
        feature_wobble: list[tuple[float, float]] = []
        for position, spec in enumerate(self.specs):
            for feature in spec.features:
                before = np.array(feature.baseline)
                after = np.array(feature.drifted if feature.drifted is not None else before)
                shifted_before = np.array(feature.shifted or feature.baseline)
                shifted_after = (
                    np.array(feature.shifted_drifted)
                    if feature.shifted_drifted is not None
                    else shifted_before
                    if feature.drifted is None
                    else after
                )
                shares = np.stack([before, after, shifted_before, shifted_after])
                if feature.kind == "numeric":
                    bounds = [float(x) for x in feature.bins]
                    labels = [format_bound(x) for x in bounds] + ["+Inf"]
                    values = np.cumsum(shares, axis=1)
                    values[:, -1] = 1.0
                    mean = (shares @ _bin_middles(bounds)).tolist()
                else:
                    labels = list(feature.bins)
                    values = shares
                    mean = [0.0] * 4
                feature_index = len(feature_name)
                feature_model.append(position)
                feature_name.append(feature.name)
                feature_kind.append(feature.kind)
                feature_mean.append(mean)
                feature_wobble.append((feature.wobble, feature.wobble_phase))
                for offset, label in enumerate(labels):
                    row_model.append(position)
                    row_feature.append(feature_index)
                    row_bin.append(label)
                    row_shares.append(values[:, offset].tolist())
                    row_first.append(offset == 0)
        self.row_model = np.array(row_model, dtype=np.int64)
        self.row_feature = np.array(row_feature, dtype=np.int64)
        self.row_bin = np.array(row_bin, dtype=object)
        self.row_shares = np.array(row_shares, dtype=float).reshape(-1, 4)
        self.row_first = np.array(row_first, dtype=bool)
        self.feature_model = np.array(feature_model, dtype=np.int64)
        self.feature_name = np.array(feature_name, dtype=object)
        self.feature_kind = np.array(feature_kind, dtype=object)
        self.feature_mean = np.array(feature_mean, dtype=float).reshape(-1, 4)
        wobble = np.array(feature_wobble, dtype=float).reshape(-1, 2)
        self.feature_wobble = wobble[:, 0]
        self.feature_wobble_phase = wobble[:, 1]
        self.row_numeric = self.feature_kind[self.row_feature] == "numeric"

    # -- serving from the alias history --------------------------------------------------------

    def serving(self, histories: Mapping[str, Sequence[AliasMove]]) -> Serving:
        """Serving segments for the champion alias history (cached while it is unchanged)."""
        key = tuple(
            (
                name,
                tuple(
                    (m.time, m.to_version)
                    for m in histories.get(name, ())
                    if m.alias == DEFAULT_ALIAS
                ),
            )
            for name in self.names
        )
        if self._serving_cache is not None and self._serving_cache[0] == key:
            return self._serving_cache[1]
        serving = self._build_serving(key)
        self._serving_cache = (key, serving)
        return serving

    def _build_serving(self, key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> Serving:
        mv_index: dict[tuple[int, str], int] = {}
        mv_model: list[int] = []
        mv_version: list[str] = []
        mv_row: list[int] = []
        seg_mv: list[int] = []
        seg_start: list[float] = []
        seg_end: list[float] = []
        first_move = np.full(len(self.names), np.inf)
        for position, (_, moves) in enumerate(key):
            timed = sorted(
                ((parse_instant(time).timestamp(), version) for time, version in moves),
                key=lambda item: item[0],
            )
            if not timed:
                continue
            first_move[position] = timed[0][0]
            stop = float(self.stop[position])
            for number, (start, version) in enumerate(timed):
                end = timed[number + 1][0] if number + 1 < len(timed) else np.inf
                end = min(end, stop)
                owner = mv_index.get((position, version))
                if owner is None:
                    owner = len(mv_model)
                    mv_index[(position, version)] = owner
                    mv_model.append(position)
                    mv_version.append(version)
                    mv_row.append(
                        self._behaviours.get((position, version), int(self._default_row[position]))
                    )
                if end > start:
                    seg_mv.append(owner)
                    seg_start.append(start)
                    seg_end.append(end)
        rows = np.array(mv_row, dtype=np.int64)
        models = np.array(mv_model, dtype=np.int64)
        order = np.argsort(np.array(seg_mv, dtype=np.int64), kind="stable")
        owners = np.array(seg_mv, dtype=np.int64)[order]  # sorted, so sums can use reduceat
        starts = np.array(seg_start, dtype=float)[order]
        ends = np.array(seg_end, dtype=float)[order]
        first = np.full(len(mv_model), np.inf)
        np.minimum.at(first, owners, starts)
        code, cdf, mean, predicted, labelled = self._behaviour_arrays(rows, models)
        return Serving(
            mv_model=models,
            mv_version=mv_version,
            mv_first=first,
            seg_mv=owners,
            seg_start=starts,
            seg_end=ends,
            first_move=first_move,
            code_share=code,
            latency_cdf=cdf,
            latency_mean=mean,
            prediction_share=predicted,
            labelled_share=labelled,
        )

    def _behaviour_arrays(
        self, rows: np.ndarray, models: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        table = self._behaviour[rows].reshape(-1, 6)
        errors, client, slow, sigma, tpr, fpr = (table[:, column] for column in range(6))
        code = np.stack([1 - errors - client, client, 0.7 * errors, 0.3 * errors], axis=1)
        quantile = np.array([NormalDist().inv_cdf(1 - value) for value in slow])
        log_median = math.log(LATENCY_SLO_THRESHOLD) - sigma * quantile
        bounds = np.log(np.array(LATENCY_BOUNDS))
        z = (bounds[None, :] - log_median[:, None]) / (sigma[:, None] * math.sqrt(2))
        cdf = 0.5 * (1 + _ERF(z).astype(float)) if len(rows) else np.zeros((0, len(bounds)))
        cdf = np.concatenate([cdf.reshape(len(rows), -1), np.ones((len(rows), 1))], axis=1)
        mean = np.exp(log_median + sigma**2 / 2)
        share = self.group_share[models]
        positive = np.clip(self.base_rate[models][:, None] * self.group_base_factor[models], 0, 1)
        scale = self.group_rate_scale[models]
        group_tpr = np.clip(tpr[:, None] * scale * self.group_tpr_factor[models], 0, 1)
        group_fpr = np.clip(fpr[:, None] * scale * self.group_fpr_factor[models], 0, 1)
        predicted_one = positive * group_tpr + (1 - positive) * group_fpr
        predicted = np.stack([share * (1 - predicted_one), share * predicted_one], axis=2)
        joint = np.stack(
            [
                (1 - positive) * (1 - group_fpr),  # prediction 0, label 0
                positive * (1 - group_tpr),  # prediction 0, label 1
                (1 - positive) * group_fpr,  # prediction 1, label 0
                positive * group_tpr,  # prediction 1, label 1
            ],
            axis=2,
        )
        labelled = LABELLED_SHARE * share[:, :, None] * joint
        return (
            code,
            cdf,
            mean,
            predicted.reshape(len(rows), -1),
            labelled.reshape(len(rows), -1),
        )

    # -- exposure: requests served in each segment up to given times ---------------------------

    def rate_integral(self, model: np.ndarray, times: np.ndarray) -> np.ndarray:
        """F(t) for each model row (broadcast over the time columns)."""
        rate = self.rate[model][:, None]
        amplitude = self.amplitude[model][:, None]
        phase = self.phase[model][:, None]
        return np.asarray(rate * (times - amplitude / _OMEGA * np.cos(_OMEGA * times + phase)))

    def wave_integral(self, model: np.ndarray, times: np.ndarray, shift: float) -> np.ndarray:
        """Integral of r(t) sin(w t + shift) for each model row (the wobble's closed form):
        r0 (-cos(w t + shift) / w + a / 2 (t cos(phase - shift) - sin(2 w t + phase + shift)
        / (2 w)))."""
        rate = self.rate[model][:, None]
        amplitude = self.amplitude[model][:, None]
        phase = self.phase[model][:, None]
        wave = -np.cos(_OMEGA * times + shift) / _OMEGA
        product = times * np.cos(phase - shift) - np.sin(2 * _OMEGA * times + phase + shift) / (
            2 * _OMEGA
        )
        return np.asarray(rate * (wave + amplitude / 2 * product))

    def _segment_exposure(
        self,
        seg_model: np.ndarray,
        seg_start: np.ndarray,
        seg_end: np.ndarray,
        times: np.ndarray,
        integral: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Requests (or another integral) within each segment up to each time: (S, K)."""
        segment_times = times[seg_model]
        clipped = np.clip(segment_times, seg_start[:, None], seg_end[:, None])
        if integral is None:
            start = self.rate_integral(seg_model, seg_start[:, None])
            return np.maximum(self.rate_integral(seg_model, clipped) - start, 0.0)
        return np.asarray(integral(seg_model, clipped) - integral(seg_model, seg_start[:, None]))

    def version_exposure(self, serving: Serving, times: np.ndarray) -> np.ndarray:
        """Requests served by each (model, version) up to each time; `times` is (models, K)."""
        if not len(serving.seg_mv):
            return np.zeros((len(serving.mv_version), times.shape[1]))
        seg_model = serving.mv_model[serving.seg_mv]
        values = self._segment_exposure(seg_model, serving.seg_start, serving.seg_end, times)
        return group_sum(values, serving.seg_mv, len(serving.mv_version))

    def phase_exposure(self, serving: Serving, times: np.ndarray) -> np.ndarray:
        """Per model, before and after its drift onset, up to each time: requests and the
        integrals of r(t) sin(w t) and r(t) cos(w t) (for the wobble): (models, 2, 3, K)."""
        if not len(serving.seg_mv):
            return np.zeros((len(self.names), 2, 3, times.shape[1]))
        seg_model = serving.mv_model[serving.seg_mv]
        onset = self.onset[seg_model]
        start, end = serving.seg_start, serving.seg_end
        # Pieces that do not exist collapse to zero length at the segment start.
        has_before = onset > start
        has_after = onset < end
        before_end = np.where(has_before, np.minimum(end, onset), start)
        after_start = np.where(has_after, np.maximum(start, onset), start)
        after_end = np.where(has_after, end, start)
        integrals: list[Callable[[np.ndarray, np.ndarray], np.ndarray] | None] = [
            None,
            lambda model, at: self.wave_integral(model, at, 0.0),
            lambda model, at: self.wave_integral(model, at, math.pi / 2),
        ]
        pieces = [
            np.stack(
                [
                    self._segment_exposure(seg_model, start, before_end, times, integral)
                    for integral in integrals
                ],
                axis=1,
            ),
            np.stack(
                [
                    self._segment_exposure(seg_model, after_start, after_end, times, integral)
                    for integral in integrals
                ],
                axis=1,
            ),
        ]
        return group_sum(np.stack(pieces, axis=1), seg_model, len(self.names))

    def wobble_exposure(self, phases: np.ndarray) -> np.ndarray:
        """Per feature and drift phase, the integral of r(t) x the wobble's mixing weight
        h (1 + sin(w t + phase)) up to each time: (features, 2, K)."""
        per_feature = phases[self.feature_model]  # (features, 2, 3, K)
        weight = self.feature_wobble[:, None, None]
        angle = self.feature_wobble_phase[:, None, None]
        return np.asarray(
            weight
            * (
                per_feature[:, :, 0]
                + np.cos(angle) * per_feature[:, :, 1]
                + np.sin(angle) * per_feature[:, :, 2]
            )
        )

    def feature_counts(self, phases: np.ndarray) -> np.ndarray:
        """Cumulative bucket / category counters per feature row at each time: (rows, K)."""
        wobble = self.wobble_exposure(phases)[self.row_feature]
        requests = phases[self.row_model, :, 0, :]
        shares = self.row_shares[:, :, None]
        return np.asarray(
            np.floor(
                shares[:, 0] * requests[:, 0]
                + shares[:, 1] * requests[:, 1]
                + (shares[:, 2] - shares[:, 0]) * wobble[:, 0]
                + (shares[:, 3] - shares[:, 1]) * wobble[:, 1]
            )
        )

    def feature_sums(self, phases: np.ndarray) -> np.ndarray:
        """The histograms' `_sum` per feature at each time (representative bin values)."""
        wobble = self.wobble_exposure(phases)
        requests = phases[self.feature_model, :, 0, :]
        mean = self.feature_mean[:, :, None]
        return np.asarray(
            mean[:, 0] * requests[:, 0]
            + mean[:, 1] * requests[:, 1]
            + (mean[:, 2] - mean[:, 0]) * wobble[:, 0]
            + (mean[:, 3] - mean[:, 1]) * wobble[:, 1]
        )


def group_sum(values: np.ndarray, groups: np.ndarray, count: int) -> np.ndarray:
    """Sum rows of `values` per group; `groups` is sorted (rows of one group are adjacent)."""
    result = np.zeros((count, *values.shape[1:]))
    if len(groups):
        starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        result[groups[starts]] = np.add.reduceat(values, starts, axis=0)
    return result


def _bin_middles(bounds: list[float]) -> np.ndarray:
    """A representative value per bucket (for `_sum`), all positive so `_sum` only grows."""
    edges = [0.0, *bounds]
    middles = [(edges[index] + edges[index + 1]) / 2 for index in range(len(bounds))]
    middles.append(bounds[-1] * 1.5)
    return np.array(middles)
