"""Ageing a report whose sources stopped answering: stale with its age, then unknown.

A check keeps its last value and status while its source fails; after it has missed a refresh
it is marked stale with its age; older than `policy.stale_after_factor` refresh intervals it
becomes unknown (analysis.health.effective_status decides). The model's health is recomputed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from govtui.analysis.health import effective_status, model_status
from govtui.analysis.results import FleetReport, ModelReport, Violation, worst

# Which check each refresh kind feeds.
KIND_CHECKS: dict[str, tuple[str, ...]] = {
    "slo": ("slo",),
    "drift": ("drift",),
    "fairness": ("fairness",),
    "quality": ("quality",),
}


@dataclass(frozen=True)
class KindAge:
    """How old one signal kind's data is, and why it is not fresher."""

    kind: str
    age_seconds: float | None
    refresh_seconds: float
    error: str | None = None
    source: str = ""


def age_report(
    report: FleetReport, ages: Mapping[str, KindAge], stale_after_factor: float
) -> tuple[FleetReport, dict[str, dict[str, float]]]:
    """The report as of now, and model -> check -> age for every stale check."""
    stale: dict[str, dict[str, float]] = {}
    models: list[ModelReport] = []
    changed_any = False
    for model in report.models:
        checks = dict(model.checks)
        model_stale: dict[str, float] = {}
        extra: list[Violation] = []
        for kind, age in ages.items():
            for check in KIND_CHECKS.get(kind, ()):
                if check not in checks:
                    continue
                status, is_stale = effective_status(
                    checks[check], age.age_seconds, age.refresh_seconds, stale_after_factor
                )
                if is_stale and age.age_seconds is not None:
                    model_stale[check] = age.age_seconds
                checks[check] = status
            if age.error is not None and not any(v.subject == age.source for v in extra):
                extra.append(_source_down(age))
        if model_stale:
            stale[model.model] = model_stale
        if checks != model.checks or extra:
            changed_any = True
            models.append(
                dataclasses.replace(
                    model,
                    checks=checks,
                    status=model_status(checks),
                    violations=[*extra, *model.violations],
                )
            )
        else:
            models.append(model)
    if not changed_any:
        return report, stale
    models.sort(key=ModelReport.sort_key)
    aged = dataclasses.replace(
        report, models=models, status=worst([model.status for model in models])
    )
    return aged, stale


def _source_down(age: KindAge) -> Violation:
    """The violation that points the operator at the `source_down` runbook."""
    since = "never fetched" if age.age_seconds is None else f"last good {age.age_seconds:.0f}s ago"
    return Violation(
        check="source_down",
        subject=age.source,
        value=age.age_seconds,
        threshold=None,
        severity="crit",
        message=f"{age.source} failing ({since}): {age.error}",
    )
