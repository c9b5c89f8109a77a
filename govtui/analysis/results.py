"""Plain result dataclasses (no pandas), shared by `govtui check`, the Collector and the console.

Field names match the `govtui.check/v1` JSON schema, so `to_dict()` is the JSON document.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "crit", "unknown"]
Severity = Literal["warn", "crit", "unknown"]
Alert = Literal["page", "ticket", "none"]

STATUS_RANK: dict[str, int] = {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}
CHECK_SCHEMA = "govtui.check/v1"


def worst(statuses: list[str] | tuple[str, ...]) -> Status:
    """Worst status, ranked crit > warn > unknown > ok; `unknown` for an empty list."""
    if not statuses:
        return "unknown"
    worst_status: Status = "ok"
    for status in statuses:
        if STATUS_RANK[status] > STATUS_RANK[worst_status]:
            worst_status = status  # type: ignore[assignment]
    return worst_status


def clean_number(value: float | int | None) -> float | int | None:
    """NaN and infinities become None so JSON stays valid and 'no data' stays explicit."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class SloResult:
    """One SLO of one model at the evaluation time."""

    name: str
    kind: Literal["availability", "latency"]
    objective: float
    sli: float | None
    error_budget_remaining: float | None
    coverage: float | None
    burn_rates: dict[str, float | None]
    alert: Alert
    status: Status
    period: str = "30d"
    time_to_exhaustion_seconds: float | None = None
    error_ratio: float | None = None


@dataclass(frozen=True)
class FeatureDrift:
    """Drift of one feature between the reference and current windows."""

    feature: str
    kind: Literal["numeric", "categorical"]
    psi: float | None
    js: float | None
    ks: float | None
    status: Status


@dataclass(frozen=True)
class DriftResult:
    """Drift of one model: its features (worst first) and the share drifted."""

    features: list[FeatureDrift]
    drifted_share: float | None
    status: Status

    @property
    def max_psi(self) -> float | None:
        """Largest PSI across features with data."""
        values = [feature.psi for feature in self.features if feature.psi is not None]
        return max(values) if values else None

    @property
    def drifted_features(self) -> int:
        """Number of features at crit."""
        return sum(1 for feature in self.features if feature.status == "crit")


@dataclass(frozen=True)
class GroupStats:
    """Outcome statistics of one group of one protected attribute."""

    group: str
    count: int
    selection_rate: float | None
    tpr: float | None
    fpr: float | None
    sufficient: bool


@dataclass(frozen=True)
class FairnessResult:
    """Group fairness for one protected attribute of one model."""

    attribute: str
    groups: list[GroupStats]
    demographic_parity_difference: float | None
    demographic_parity_ratio: float | None
    equal_opportunity_difference: float | None
    equalized_odds_difference: float | None
    status: Status


@dataclass(frozen=True)
class QualityResult:
    """Accuracy now against the reference window."""

    accuracy: float | None
    reference_accuracy: float | None
    status: Status
    labelled: int = 0
    reference_labelled: int = 0

    @property
    def accuracy_change(self) -> float | None:
        """Accuracy minus reference accuracy (negative is worse)."""
        if self.accuracy is None or self.reference_accuracy is None:
            return None
        return self.accuracy - self.reference_accuracy


@dataclass(frozen=True)
class Violation:
    """A check that is not ok, keyed by the runbook key it maps to."""

    check: str
    subject: str
    value: float | None
    threshold: float | None
    severity: Severity
    message: str


@dataclass(frozen=True)
class ModelReport:
    """Everything govtui concluded about one model."""

    model: str
    version: str | None
    status: Status
    reasons: list[str]
    slos: list[SloResult]
    drift: DriftResult
    fairness: list[FairnessResult]
    quality: QualityResult
    violations: list[Violation]
    checks: dict[str, Status] = field(default_factory=dict)

    @property
    def worst_slo(self) -> SloResult | None:
        """The SLO with the lowest budget remaining (ties: highest status)."""
        if not self.slos:
            return None
        return min(
            self.slos,
            key=lambda slo: (
                slo.error_budget_remaining if slo.error_budget_remaining is not None else math.inf,
                -STATUS_RANK[slo.status],
            ),
        )

    @property
    def worst_parity_ratio(self) -> float | None:
        """Lowest demographic parity ratio across attributes."""
        values = [
            item.demographic_parity_ratio
            for item in self.fairness
            if item.demographic_parity_ratio is not None
        ]
        return min(values) if values else None

    def sort_key(self) -> tuple[int, float, str]:
        """Fleet order: worst health first, then lowest budget remaining, then name."""
        worst_slo = self.worst_slo
        budget = worst_slo.error_budget_remaining if worst_slo is not None else None
        return (-STATUS_RANK[self.status], budget if budget is not None else math.inf, self.model)


@dataclass(frozen=True)
class FleetReport:
    """The result of one evaluation of the whole fleet."""

    evaluated_at: str
    status: Status
    models: list[ModelReport]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `govtui.check/v1` JSON document."""
        return _clean({"schema": CHECK_SCHEMA, **asdict(self)})


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, float):
        return clean_number(value)
    return value
