"""The single source of thresholds and status rules: console colours, `govtui check` and alert rules.

It imports neither numpy nor pandas (the one array helper loads numpy when called), so the
console and the rules generator can import it cheaply.
Numeric thresholds that operators tune live in the config (`drift`, `fairness`, `quality`,
`policy` sections, with per-model overrides); the rules here say how they turn figures into
statuses. The burn-rate alert table is fixed: it is the SRE workbook's, whatever the SLO period.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from govtui.analysis.results import STATUS_RANK, Alert, Status, worst
from govtui.errors import EXIT_CHECK_FAILED, EXIT_OK

if TYPE_CHECKING:
    import numpy as np

    from govtui.analysis.results import FleetReport, ModelReport
    from govtui.config import DriftConfig, FairnessConfig, QualityConfig

FailOn = Literal["crit", "warn", "unknown"]


@dataclass(frozen=True)
class AlertCondition:
    """One row of the multiwindow, multi-burn-rate alert table: both windows above `factor`."""

    severity: Literal["page", "ticket"]
    long_window: str
    short_window: str
    factor: float


# SRE workbook, "Alerting on SLOs", multiwindow multi-burn-rate table (2% / 5% / 10% of a 30d
# budget). Order matters only for messages: the first matching row explains the alert.
BURN_RATE_ALERTS: tuple[AlertCondition, ...] = (
    AlertCondition("page", "1h", "5m", 14.4),
    AlertCondition("page", "6h", "30m", 6.0),
    AlertCondition("ticket", "1d", "2h", 3.0),
    AlertCondition("ticket", "3d", "6h", 1.0),
)
ALERT_SEVERITY_ORDER: tuple[Literal["page", "ticket"], ...] = ("page", "ticket")
# The window whose burn rate projects when the budget runs out.
EXHAUSTION_WINDOW = "1h"
# The window whose error ratio the console shows beside the SLI.
ERROR_RATIO_WINDOW = "1d"

# The four-fifths (80%) convention for disparate impact: a convention, not a legal test.
FOUR_FIFTHS = 0.8
# An error ratio exactly at the objective exhausts the budget despite float rounding (1 - 0.999).
BUDGET_EPSILON = 1e-12
# Quality: accuracy exactly `crit_drop` below the reference must be crit despite float rounding.
QUALITY_EPSILON = 1e-12
# Anomalies: modified z-score (Iglewicz and Hoaglin) with the 0.6745 consistency constant.
MAD_SCALE = 0.6745
# A check is shown stale once it has missed a refresh (2 intervals old).
STALE_AFTER_REFRESHES = 2.0

# Which checks each signal kind feeds (for `source_down` and absent frames).
SIGNAL_CHECKS: dict[str, tuple[str, ...]] = {
    "requests": ("slo",),
    "latency": ("slo",),
    "feature_bins": ("drift",),
    "outcomes": ("fairness", "quality"),
}
# Which SLO kind each SLO signal feeds.
SIGNAL_SLO_KIND: dict[str, str] = {"requests": "availability", "latency": "latency"}
# The checks that say something about the model itself (a model with none computable fails).
MODEL_CHECKS: tuple[str, ...] = ("slo", "drift", "fairness", "quality")


def _above(value: float | None, factor: float) -> bool:
    return value is not None and not math.isnan(value) and value > factor


def alert_for(burn_rates: Mapping[str, float | None]) -> Alert:
    """Page, ticket or none from burn rates by window; a null or missing window never alerts."""
    condition = firing_condition(burn_rates)
    return condition.severity if condition is not None else "none"


def firing_condition(burn_rates: Mapping[str, float | None]) -> AlertCondition | None:
    """The first table row whose long and short windows both burn above its factor."""
    for severity in ALERT_SEVERITY_ORDER:
        for condition in BURN_RATE_ALERTS:
            if condition.severity != severity:
                continue
            long_rate = burn_rates.get(condition.long_window)
            short_rate = burn_rates.get(condition.short_window)
            if _above(long_rate, condition.factor) and _above(short_rate, condition.factor):
                return condition
    return None


def slo_status(
    alert: Alert, error_budget_remaining: float | None, budget_warn_remaining: float
) -> Status:
    """Crit on page or an exhausted budget; warn on ticket or a low budget; unknown without data."""
    if alert == "page":
        return "crit"
    if error_budget_remaining is not None and error_budget_remaining <= BUDGET_EPSILON:
        return "crit"
    if alert == "ticket":
        return "warn"
    if error_budget_remaining is None:
        return "unknown"
    if error_budget_remaining < budget_warn_remaining:
        return "warn"
    return "ok"


def budget_severity(
    error_budget_remaining: float | None, budget_warn_remaining: float
) -> Status | None:
    """Severity of an `slo_budget` violation, None when the budget is fine or unknown."""
    if error_budget_remaining is None:
        return None
    if error_budget_remaining <= BUDGET_EPSILON:
        return "crit"
    if error_budget_remaining < budget_warn_remaining:
        return "warn"
    return None


def drift_feature_status(psi: float | None, settings: DriftConfig) -> Status:
    """Feature drift: crit at PSI >= crit_psi, warn at >= warn_psi, unknown without data."""
    if psi is None or math.isnan(psi):
        return "unknown"
    if psi >= settings.crit_psi:
        return "crit"
    if psi >= settings.warn_psi:
        return "warn"
    return "ok"


# Feature drift levels as small integers, for fleet-sized tables (index into this tuple).
DRIFT_LEVELS: tuple[Status, ...] = ("ok", "warn", "crit", "unknown")


def drift_feature_levels(psi: np.ndarray, warn_psi: np.ndarray, crit_psi: np.ndarray) -> np.ndarray:
    """`drift_feature_status` over arrays at once, as indexes into DRIFT_LEVELS (NaN: unknown)."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.select(
            [np.isnan(psi), psi >= crit_psi, psi >= warn_psi],
            [DRIFT_LEVELS.index("unknown"), DRIFT_LEVELS.index("crit"), DRIFT_LEVELS.index("warn")],
            default=DRIFT_LEVELS.index("ok"),
        )


def drift_model_status(
    crit: int, warn: int, with_data: int, settings: DriftConfig
) -> tuple[float | None, Status]:
    """Drifted share (crit features / features with data) and the model's drift status."""
    if with_data == 0:
        return None, "unknown"
    share = crit / with_data
    if share >= settings.crit_share:
        return share, "crit"
    if crit or warn:
        return share, "warn"
    return share, "ok"


def fairness_status(parity_ratio: float | None, settings: FairnessConfig) -> Status:
    """Parity ratio below crit_ratio (the four-fifths convention at 0.8) is crit, below warn_ratio warn."""
    if parity_ratio is None or math.isnan(parity_ratio):
        return "unknown"
    if parity_ratio < settings.crit_ratio:
        return "crit"
    if parity_ratio < settings.warn_ratio:
        return "warn"
    return "ok"


def quality_status(
    accuracy: float | None, reference_accuracy: float | None, settings: QualityConfig
) -> Status:
    """Accuracy crit_drop below the reference is crit, warn_drop below is warn."""
    if accuracy is None or reference_accuracy is None:
        return "unknown"
    if math.isnan(accuracy) or math.isnan(reference_accuracy):
        return "unknown"
    if accuracy <= reference_accuracy - settings.crit_drop + QUALITY_EPSILON:
        return "crit"
    if accuracy <= reference_accuracy - settings.warn_drop + QUALITY_EPSILON:
        return "warn"
    return "ok"


def quality_threshold(reference_accuracy: float, settings: QualityConfig, severity: str) -> float:
    """The accuracy at or below which the given severity applies."""
    drop = settings.crit_drop if severity == "crit" else settings.warn_drop
    return reference_accuracy - drop


def model_status(checks: Mapping[str, str]) -> Status:
    """Health of a model: the worst of its checks (crit > warn > unknown > ok)."""
    return worst(tuple(checks.values()))


def fails(status: str, fail_on: FailOn) -> bool:
    """Whether a status fails a gate set at `fail_on` (crit < warn < unknown in strictness)."""
    failing: dict[str, tuple[str, ...]] = {
        "crit": ("crit",),
        "warn": ("crit", "warn"),
        "unknown": ("crit", "warn", "unknown"),
    }
    if fail_on not in failing:
        raise ValueError(f"fail_on must be crit, warn or unknown, not {fail_on!r}")
    if status not in STATUS_RANK:
        raise ValueError(f"unknown status {status!r}")
    return status in failing[fail_on]


def nothing_computable(report: ModelReport) -> bool:
    """True when none of a model's own checks could be computed (it then fails every gate).

    One SLO or one attribute with a status is enough: the slo and fairness checks are the worst
    of their parts, so they read unknown as soon as any part lacks data.
    """
    if any(report.checks.get(check, "unknown") != "unknown" for check in MODEL_CHECKS):
        return False
    parts = [slo.status for slo in report.slos] + [item.status for item in report.fairness]
    return all(status == "unknown" for status in parts)


def model_fails(report: ModelReport, fail_on: FailOn) -> bool:
    """A model fails the gate on its status, or always when no check of it was computable."""
    return fails(report.status, fail_on) or nothing_computable(report)


def check_exit_code(report: FleetReport, fail_on: FailOn) -> int:
    """Exit code of `govtui check`: 1 when a model fails (or no model was evaluated), else 0."""
    if not report.models:
        return EXIT_CHECK_FAILED
    failed = any(model_fails(model, fail_on) for model in report.models)
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def failing_models(models: Sequence[ModelReport], fail_on: FailOn) -> list[str]:
    """Names of the models that fail the gate, in report order."""
    return [model.model for model in models if model_fails(model, fail_on)]
