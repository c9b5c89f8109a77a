"""FleetSnapshot: the compact, picklable state the Collector process sends the console (no pandas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from govtui.analysis.results import FleetReport

SourceStateName = Literal["live", "stale", "down", "paused"]


@dataclass(frozen=True)
class SourceState:
    """Health of one backend as the status bar shows it."""

    name: str
    state: SourceStateName
    age_seconds: float | None = None
    message: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Series:
    """A time series for a plot, with anomaly flags aligned to the values."""

    signal: str
    timestamps: tuple[float, ...]
    values: tuple[float | None, ...]
    anomalies: tuple[bool, ...] = ()
    reference: float | None = None


@dataclass(frozen=True)
class FeatureDistribution:
    """Reference and current proportions of one feature, bin by bin."""

    feature: str
    kind: str
    bins: tuple[str, ...]
    reference: tuple[float, ...]
    current: tuple[float, ...]


@dataclass(frozen=True)
class AlertInfo:
    """A firing or pending alert, from Alertmanager (with silences) or Prometheus."""

    name: str
    model: str | None
    severity: str
    state: str
    silenced: bool = False
    summary: str = ""
    starts_at: str = ""
    runbook: str = ""
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VersionInfo:
    """A registry version as the Versions panel shows it."""

    version: str
    status: str
    aliases: tuple[str, ...] = ()
    created: str | None = None
    gate: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class AliasMoveInfo:
    """An alias move, drawn as a marker on the time plots."""

    alias: str
    from_version: str | None
    to_version: str
    time: float
    actor: str = ""
    reason: str = ""


@dataclass(frozen=True)
class NoteInfo:
    """An operator's note on a model (from the audit log), newest last."""

    time: str
    actor: str
    text: str


@dataclass(frozen=True)
class ModelDetail:
    """What the model screen needs beyond the fleet row; sent only for models the console focuses."""

    model: str
    series: dict[str, Series] = field(default_factory=dict)
    distributions: dict[str, FeatureDistribution] = field(default_factory=dict)
    versions: tuple[VersionInfo, ...] = ()
    alias_moves: tuple[AliasMoveInfo, ...] = ()


@dataclass(frozen=True)
class FleetSnapshot:
    """One Collector refresh: the analysed fleet, details for focused models, source health."""

    generation: int
    taken_at: float
    evaluated_at: float
    replay: bool
    report: FleetReport
    sources: tuple[SourceState, ...] = ()
    alerts: tuple[AlertInfo, ...] = ()
    details: dict[str, ModelDetail] = field(default_factory=dict)
    stale_checks: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: dict[str, tuple[NoteInfo, ...]] = field(default_factory=dict)
    incident: str | None = None
