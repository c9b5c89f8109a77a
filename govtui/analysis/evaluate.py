"""One evaluation of the whole fleet: every check of every model, violations, and the verdict.

The checks run vectorised over all models (slo, drift, fairness, quality); this module then
applies source problems (failed or stale signals make the checks they feed unknown), turns
results into violations with human messages, and assembles the plain-dataclass FleetReport.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np

from govtui.analysis.drift import evaluate_drift
from govtui.analysis.encoding import dense_groups, encode, encode_against, name_index, numbers
from govtui.analysis.fairness import evaluate_fairness, outcome_table
from govtui.analysis.frames import Signals
from govtui.analysis.health import model_status
from govtui.analysis.policy import (
    FOUR_FIFTHS,
    SIGNAL_CHECKS,
    SIGNAL_SLO_KIND,
    budget_severity,
    firing_condition,
    quality_threshold,
)
from govtui.analysis.quality import evaluate_quality
from govtui.analysis.results import (
    STATUS_RANK,
    DriftResult,
    FairnessResult,
    FleetReport,
    ModelReport,
    QualityResult,
    Severity,
    SloResult,
    Status,
    Violation,
    worst,
)
from govtui.analysis.slo import evaluate_slos
from govtui.config import Config, DriftConfig, FairnessConfig, QualityConfig
from govtui.timeutil import format_duration, format_instant, parse_duration

# How each signal kind is named in "no ... data" reasons.
SIGNAL_LABELS: dict[str, str] = {
    "requests": "requests",
    "latency": "latency",
    "feature_bins": "feature",
    "outcomes": "outcomes",
}


@dataclass
class _SourceProblems:
    """Per model: signals that failed or went quiet, and the violations saying so."""

    affected: list[set[str]]
    violations: list[list[Violation]]
    absent: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def source_down(
        self,
        index: int,
        signal: str,
        severity: Severity,
        message: str,
        *,
        value: float | None = None,
        threshold: float | None = None,
    ) -> None:
        """Mark `signal` as affected for model `index`, with the source_down violation saying why."""
        self.affected[index].add(signal)
        self.violations[index].append(
            Violation(
                check="source_down",
                subject=signal,
                value=value,
                threshold=threshold,
                severity=severity,
                message=message,
            )
        )


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _age_text(seconds: float) -> str:
    """Ages in whole minutes past the first minute (`2h13m`), seconds below it."""
    if seconds >= 60:
        seconds = math.floor(seconds / 60) * 60
    return format_duration(seconds)


def _source_problems(
    signals: Signals, models: Sequence[str], config: Config, at: datetime
) -> _SourceProblems:
    problems = _SourceProblems(affected=[set() for _ in models], violations=[[] for _ in models])
    frames = {
        "requests": signals.requests,
        "latency": signals.latency,
        "feature_bins": signals.feature_bins,
        "outcomes": signals.outcomes,
    }
    problems.absent = {name for name, frame in frames.items() if frame is None}
    for signal, message in sorted(signals.failed.items()):
        first_line = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
        if signal not in SIGNAL_CHECKS:
            # Series and other display-only signals fail no check; say so once for the fleet.
            problems.warnings.append(f"{signal} source failed: {first_line}")
            continue
        for index in range(len(models)):
            problems.source_down(index, signal, "crit", f"{signal} source failed: {first_line}")
    freshness = signals.freshness
    if freshness is None or len(freshness) == 0 or not models:
        return problems
    model_codes = encode_against(freshness["model"], name_index(models))
    signal_codes, signal_names = encode(freshness["signal"], sort=True)
    last_seen = numbers(freshness["last_seen"])
    keep = (model_codes >= 0) & (signal_codes >= 0) & ~np.isnan(last_seen)
    if not keep.any():
        return problems
    pairs = dense_groups([model_codes[keep], signal_codes[keep]], [len(models), len(signal_names)])
    group_model, group_signal = pairs.parts
    newest = np.full(pairs.count, -np.inf)
    np.maximum.at(newest, pairs.ids, last_seen[keep])
    age = at.timestamp() - newest
    limit = float(parse_duration(config.policy.source_down_after))
    for position in np.flatnonzero(age > limit).tolist():
        index = int(group_model[position])
        signal = str(signal_names[group_signal[position]])
        if signal not in SIGNAL_CHECKS or signal in problems.affected[index]:
            continue  # display-only signals gate nothing; a failed source already said so
        seconds = float(age[position])
        problems.source_down(
            index,
            signal,
            "warn",
            f"no samples from {signal} for {_age_text(seconds)}",
            value=seconds,
            threshold=limit,
        )
    return problems


def _slo_violations(slo: SloResult, budget_warn_remaining: float) -> list[Violation]:
    found: list[Violation] = []
    condition = firing_condition(slo.burn_rates) if slo.alert != "none" else None
    if condition is not None:
        long_rate = slo.burn_rates[condition.long_window] or 0.0
        short_rate = slo.burn_rates[condition.short_window] or 0.0
        found.append(
            Violation(
                check="slo_page" if condition.severity == "page" else "slo_ticket",
                subject=slo.name,
                value=long_rate,
                threshold=condition.factor,
                severity="crit" if condition.severity == "page" else "warn",
                message=(
                    f"{slo.name}: burning error budget {long_rate:.1f}x over "
                    f"{condition.long_window} and {short_rate:.1f}x over "
                    f"{condition.short_window} ({condition.severity} above {condition.factor:g}x)"
                ),
            )
        )
    remaining = slo.error_budget_remaining
    severity = budget_severity(remaining, budget_warn_remaining)
    if remaining is not None and severity is not None:
        if severity == "crit":
            threshold = 0.0
            message = (
                f"{slo.name}: {slo.period} error budget exhausted ({_percent(remaining)} left)"
            )
        else:
            threshold = budget_warn_remaining
            message = (
                f"{slo.name}: {_percent(remaining)} of the {slo.period} error budget left "
                f"(warn below {_percent(budget_warn_remaining)})"
            )
        found.append(
            Violation("slo_budget", slo.name, remaining, threshold, severity, message)  # type: ignore[arg-type]
        )
    return found


def _drift_violations(drift: DriftResult, settings: DriftConfig) -> list[Violation]:
    found: list[Violation] = []
    if drift.status not in ("warn", "crit"):
        return found
    for feature in drift.features:
        if feature.status not in ("warn", "crit") or feature.psi is None:
            continue
        threshold = settings.crit_psi if feature.status == "crit" else settings.warn_psi
        found.append(
            Violation(
                check="drift",
                subject=feature.feature,
                value=feature.psi,
                threshold=threshold,
                severity=feature.status,
                message=(
                    f"feature {feature.feature} drifted: PSI {feature.psi:.3f} "
                    f"({feature.status} at {threshold:g})"
                ),
            )
        )
    share = drift.drifted_share
    if drift.status == "crit" and share is not None:
        with_data = sum(1 for feature in drift.features if feature.status != "unknown")
        found.append(
            Violation(
                check="drift",
                subject="drifted_share",
                value=share,
                threshold=settings.crit_share,
                severity="crit",
                message=(
                    f"{drift.drifted_features} of {with_data} features drifted "
                    f"({_percent(share)}; crit at {_percent(settings.crit_share)})"
                ),
            )
        )
    return found


def _fairness_violations(
    results: Sequence[FairnessResult], settings: FairnessConfig
) -> list[Violation]:
    found: list[Violation] = []
    for item in results:
        ratio = item.demographic_parity_ratio
        if item.status not in ("warn", "crit") or ratio is None:
            continue
        threshold = settings.crit_ratio if item.status == "crit" else settings.warn_ratio
        convention = " (four-fifths convention)" if threshold == FOUR_FIFTHS else ""
        found.append(
            Violation(
                check="fairness",
                subject=item.attribute,
                value=ratio,
                threshold=threshold,
                severity=item.status,
                message=(
                    f"{item.attribute}: demographic parity ratio {ratio:.2f}, "
                    f"{item.status} below {threshold:g}{convention}"
                ),
            )
        )
    return found


def _quality_violations(quality: QualityResult, settings: QualityConfig) -> list[Violation]:
    accuracy, reference = quality.accuracy, quality.reference_accuracy
    if quality.status not in ("warn", "crit") or accuracy is None or reference is None:
        return []
    drop = settings.crit_drop if quality.status == "crit" else settings.warn_drop
    return [
        Violation(
            check="quality",
            subject="accuracy",
            value=accuracy,
            threshold=quality_threshold(reference, settings, quality.status),
            severity=quality.status,
            message=(
                f"accuracy {accuracy:.3f} vs reference {reference:.3f} "
                f"({accuracy - reference:+.3f}; {quality.status} at -{drop:g})"
            ),
        )
    ]


def _signal_reason(signal: str, problems: _SourceProblems, affected: set[str]) -> str | None:
    """Why a check fed by `signal` has no value, when the source explains it; else None."""
    if signal in affected:
        return ""
    if signal in problems.absent:
        return f"no {SIGNAL_LABELS[signal]} data"
    return None


def _unknown_reasons(
    checks: Mapping[str, Status],
    slos: Sequence[SloResult],
    fairness: Sequence[FairnessResult],
    quality: QualityResult,
    problems: _SourceProblems,
    affected: set[str],
) -> list[str]:
    """Why each unknown check is unknown ('' reasons are covered by a source_down violation)."""
    reasons: list[str] = []
    if checks["slo"] == "unknown":
        if not slos:
            reasons.append("no SLOs configured")
        for slo in slos:
            if slo.status != "unknown":
                continue
            signal = "requests" if slo.kind == "availability" else "latency"
            reason = _signal_reason(signal, problems, affected)
            reasons.append(reason if reason is not None else f"{slo.name}: no {signal} data")
    if checks["drift"] == "unknown":
        reason = _signal_reason("feature_bins", problems, affected)
        reasons.append(
            reason if reason is not None else "drift: no feature with data in both windows"
        )
    if checks["fairness"] == "unknown":
        reason = _signal_reason("outcomes", problems, affected)
        if reason is not None:
            reasons.append(reason)
        elif not fairness:
            reasons.append("fairness: no outcomes data")
        for item in fairness if reason is None else ():
            if item.status == "unknown":
                reasons.append(f"fairness {item.attribute}: fewer than 2 groups with enough data")
    if checks["quality"] == "unknown":
        reason = _signal_reason("outcomes", problems, affected)
        if reason is None:
            missing = "current" if quality.accuracy is None else "reference"
            reason = f"accuracy: no labelled predictions in the {missing} window"
        reasons.append(reason)
    return [reason for reason in dict.fromkeys(reasons) if reason]


def _mark_unknown(
    affected: set[str],
    slos: list[SloResult],
    drift: DriftResult,
    fairness: list[FairnessResult],
    quality: QualityResult,
) -> tuple[list[SloResult], DriftResult, list[FairnessResult], QualityResult]:
    """Checks fed by a failed or quiet signal keep their figures but say unknown."""
    kinds = {SIGNAL_SLO_KIND[signal] for signal in affected if signal in SIGNAL_SLO_KIND}
    if kinds:
        slos = [replace(slo, status="unknown") if slo.kind in kinds else slo for slo in slos]
    if "feature_bins" in affected:
        drift = replace(drift, status="unknown")
    if "outcomes" in affected:
        fairness = [replace(item, status="unknown") for item in fairness]
        quality = replace(quality, status="unknown")
    return slos, drift, fairness, quality


def _by_severity(violations: list[Violation]) -> list[Violation]:
    if len(violations) < 2:
        return violations
    return sorted(violations, key=lambda item: -STATUS_RANK[item.severity])


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of result objects are built.

    Those allocations trigger full collections that walk every live object (the frames too):
    measured at about a sixth of a 1000-model evaluation. Nothing built here forms cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_fleet(
    signals: Signals,
    config: Config,
    at: datetime,
    versions: Mapping[str, str | None] | None = None,
) -> FleetReport:
    """Evaluate every selected model's checks at `at` and gather the fleet's verdict."""
    with gc_paused():
        return _evaluate_fleet(signals, config, at, versions)


def _evaluate_fleet(
    signals: Signals,
    config: Config,
    at: datetime,
    versions: Mapping[str, str | None] | None,
) -> FleetReport:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    models = list(dict.fromkeys(name for name in signals.models if config.models.selects(name)))
    drift_settings = [config.drift_for(name) for name in models]
    fairness_settings = [config.fairness_for(name) for name in models]
    quality_settings = [config.quality_for(name) for name in models]
    budget_warn = config.policy.budget_warn_remaining

    slo_results = evaluate_slos(
        signals.requests,
        signals.latency,
        models,
        [config.slos_for(name) for name in models],
        budget_warn,
    )
    drift_results = evaluate_drift(signals.feature_bins, models, drift_settings)
    table = outcome_table(signals.outcomes, models)
    fairness_results = evaluate_fairness(table, models, fairness_settings)
    quality_results = evaluate_quality(table, models, quality_settings)
    problems = _source_problems(signals, models, config, at)

    reports: list[ModelReport] = []
    for index, name in enumerate(models):
        affected = problems.affected[index]
        slos, drift = slo_results[index], drift_results[index]
        fairness, quality = fairness_results[index], quality_results[index]
        if affected:
            slos, drift, fairness, quality = _mark_unknown(affected, slos, drift, fairness, quality)
        violations = list(problems.violations[index])
        for slo in slos:
            if slo.status in ("warn", "crit"):
                violations.extend(_slo_violations(slo, budget_warn))
        if drift.status != "unknown":
            violations.extend(_drift_violations(drift, drift_settings[index]))
        violations.extend(_fairness_violations(fairness, fairness_settings[index]))
        if quality.status != "unknown":
            violations.extend(_quality_violations(quality, quality_settings[index]))
        violations = _by_severity(violations)
        source_problems = problems.violations[index]
        checks: dict[str, Status] = {
            "slo": worst([slo.status for slo in slos]),
            "drift": drift.status,
            "fairness": worst([item.status for item in fairness]),
            "quality": quality.status,
            "source": worst([item.severity for item in source_problems])
            if source_problems
            else "ok",
        }
        reasons = [item.message for item in violations]
        if "unknown" in checks.values():
            reasons += _unknown_reasons(checks, slos, fairness, quality, problems, affected)
        reports.append(
            ModelReport(
                model=name,
                version=versions.get(name) if versions is not None else None,
                status=model_status(checks),
                reasons=list(dict.fromkeys(reasons)),
                slos=slos,
                drift=drift,
                fairness=fairness,
                quality=quality,
                violations=violations,
                checks=checks,
            )
        )
    reports.sort(key=ModelReport.sort_key)
    return FleetReport(
        evaluated_at=format_instant(at),
        status=worst([report.status for report in reports]),
        models=reports,
        warnings=[*signals.warnings, *problems.warnings],
    )
