"""ModelDetail for the model on screen: series with anomaly flags, distributions, versions.

Built in the Collector from the frames it already holds, so focusing a model costs no fetch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from govtui.analysis.quality import anomalies
from govtui.fleet.snapshot import (
    AliasMoveInfo,
    FeatureDistribution,
    ModelDetail,
    Series,
    VersionInfo,
)
from govtui.timeutil import parse_duration, parse_instant

if TYPE_CHECKING:
    from govtui.analysis.results import ModelReport
    from govtui.config import Config
    from govtui.sources.registry.base import AliasMove, ModelVersion

GATE_TAGS = ("govtui.gate", "gate")


def _seconds(values: pd.Series) -> np.ndarray:
    """Timestamps (unix seconds, or datetimes) as float unix seconds."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.to_datetime(values, utc=True)
        return np.asarray(stamps.astype("int64"), dtype=np.float64) / 1e9
    return np.asarray(pd.to_numeric(values, errors="coerce"), dtype=np.float64)


def _optional(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def series_for(
    frame: pd.DataFrame | None,
    model: str,
    config: Config,
    report: ModelReport | None,
) -> dict[str, Series]:
    """Every series of one model, time-ordered, with anomalies over the quality lookback."""
    if frame is None or frame.empty:
        return {}
    rows = frame[frame["model"] == model]
    if rows.empty:
        return {}
    settings = config.quality_for(model)
    lookback = parse_duration(settings.anomaly_lookback)
    result: dict[str, Series] = {}
    for signal, group in rows.groupby("signal", sort=True):
        stamps = _seconds(group["timestamp"])
        values = np.asarray(pd.to_numeric(group["value"], errors="coerce"), dtype=np.float64)
        order = np.argsort(stamps, kind="stable")
        stamps, values = stamps[order], values[order]
        plain = [_optional(value) for value in values]
        flags = [False] * len(plain)
        if len(stamps):
            recent = stamps >= stamps[-1] - lookback
            start = int(np.argmax(recent))
            flags[start:] = anomalies(plain[start:], z=settings.anomaly_z)
        result[str(signal)] = Series(
            signal=str(signal),
            timestamps=tuple(float(stamp) for stamp in stamps),
            values=tuple(plain),
            anomalies=tuple(bool(flag) for flag in flags),
            reference=_reference(str(signal), report),
        )
    return result


def _reference(signal: str, report: ModelReport | None) -> float | None:
    """The level a series is judged against: the reference accuracy for accuracy series."""
    if report is not None and "accuracy" in signal:
        return report.quality.reference_accuracy
    return None


def distributions_for(frame: pd.DataFrame | None, model: str) -> dict[str, FeatureDistribution]:
    """Reference and current proportions per feature, bins in the frame's order."""
    if frame is None or frame.empty:
        return {}
    rows = frame[frame["model"] == model]
    result: dict[str, FeatureDistribution] = {}
    for feature, group in rows.groupby("feature", sort=False):
        reference = np.asarray(pd.to_numeric(group["reference"], errors="coerce"), dtype=float)
        current = np.asarray(pd.to_numeric(group["current"], errors="coerce"), dtype=float)
        reference = np.nan_to_num(reference, nan=0.0)
        current = np.nan_to_num(current, nan=0.0)
        result[str(feature)] = FeatureDistribution(
            feature=str(feature),
            kind=str(group["kind"].iloc[0]),
            bins=tuple(str(item) for item in group["bin"]),
            reference=_proportions(reference),
            current=_proportions(current),
        )
    return result


def _proportions(counts: np.ndarray) -> tuple[float, ...]:
    total = float(counts.sum())
    if total <= 0:
        return tuple(0.0 for _ in counts)
    return tuple(float(count) / total for count in counts)


def _gate(version: ModelVersion) -> str | None:
    return next((version.tags[tag] for tag in GATE_TAGS if tag in version.tags), None)


def versions_info(versions: Sequence[ModelVersion]) -> tuple[VersionInfo, ...]:
    """Registry versions as the Versions panel lists them."""
    return tuple(
        VersionInfo(
            version=item.version,
            status=item.status,
            aliases=tuple(item.aliases),
            created=item.created,
            gate=_gate(item),
            run_id=item.run_id,
        )
        for item in versions
    )


def alias_moves_info(moves: Sequence[AliasMove]) -> tuple[AliasMoveInfo, ...]:
    """Alias moves with unix times, for markers on the time plots (unparsable times skipped)."""
    result: list[AliasMoveInfo] = []
    for move in moves:
        try:
            moment = parse_instant(move.time).timestamp()
        except ValueError:
            continue
        result.append(
            AliasMoveInfo(
                alias=move.alias,
                from_version=move.from_version,
                to_version=move.to_version,
                time=moment,
                actor=move.actor,
                reason=move.reason,
            )
        )
    return tuple(result)


def model_detail(
    model: str,
    frames: dict[str, pd.DataFrame | None],
    config: Config,
    report: ModelReport | None,
    versions: Sequence[ModelVersion] = (),
    moves: Sequence[AliasMove] = (),
) -> ModelDetail:
    """Everything the model screen shows beyond the fleet row."""
    return ModelDetail(
        model=model,
        series=series_for(frames.get("series"), model, config, report),
        distributions=distributions_for(frames.get("feature_bins"), model),
        versions=versions_info(versions),
        alias_moves=alias_moves_info(moves),
    )
