"""The candidate gate: vet a model version before promotion, and record the verdict on it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govtui.analysis.policy import fairness_status, quality_status, quality_threshold
from govtui.errors import ActionFailed, GovtuiError, ReadOnlyRefused
from govtui.sources.registry.base import (
    DEFAULT_ALIAS,
    GATE_TAG,
    Lineage,
    ModelRegistry,
    ModelVersion,
)
from govtui.sources.registry.lineage import ModelRef, printable, resolve_ref

if TYPE_CHECKING:
    from govtui.actions.audit import AuditLog
    from govtui.config import Config

CANDIDATE_FORMAT = "govtui.candidate/v1"
AUDIT_ACTION = "gate.record"
# The recorded tag stays short: the verdict, then the first failures (MLflow limits tag values).
TAG_DETAIL_LIMIT = 240


@dataclass(frozen=True)
class GateCheck:
    """One check of the gate: ok True (passes), False (fails the gate) or None (not applicable)."""

    name: str
    ok: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class GateVerdict:
    """What the gate concluded about one version, with every check it ran."""

    model: str
    version: str
    passed: bool
    checks: tuple[GateCheck, ...]
    status: str = ""
    run_id: str | None = None
    champion: str | None = None  # the version the candidate was compared with
    previous_gate: str | None = None  # the tag value recorded before this run

    @property
    def verdict(self) -> str:
        """`passed` or `failed`, the first word of the recorded tag."""
        return "passed" if self.passed else "failed"

    @property
    def failures(self) -> tuple[GateCheck, ...]:
        """The checks that failed, in the order they ran."""
        return tuple(check for check in self.checks if check.ok is False)

    @property
    def target(self) -> str:
        """`MODEL:VERSION`, as the audit log names a version."""
        return f"{self.model}:{self.version}"

    def tag_value(self) -> str:
        """What `--record` writes to `govtui.gate`: `passed`, or `failed: <first failures>`."""
        if self.passed:
            return "passed"
        detail = "; ".join(check.detail for check in self.failures)
        text = f"failed: {' '.join(detail.split())}"
        if len(text) > TAG_DETAIL_LIMIT:
            text = text[: TAG_DETAIL_LIMIT - 3].rstrip() + "..."
        return text

    def to_dict(self) -> dict[str, Any]:
        """The verdict as `govtui.candidate/v1` data."""
        return {
            "format": CANDIDATE_FORMAT,
            "model": self.model,
            "version": self.version,
            "status": self.status,
            "run_id": self.run_id,
            "champion": self.champion,
            "passed": self.passed,
            "verdict": self.verdict,
            "checks": [check.to_dict() for check in self.checks],
            "previous_gate": self.previous_gate,
            "tag_value": self.tag_value(),
        }


def _shown(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)


def _metric_check(
    name: str, metrics: Mapping[str, float], metric: str
) -> tuple[float | None, GateCheck | None]:
    """The metric's value, or a failing check when it is logged but not a finite number."""
    value = metrics.get(metric)
    if value is None:
        return None, None
    if not math.isfinite(value):
        return None, GateCheck(name, False, f"{metric} is {value} (not a finite number)")
    return value, None


def _lineage_check(lineage: Lineage) -> GateCheck:
    gaps = lineage.gaps
    if not gaps:
        datasets = len(lineage.datasets)
        return GateCheck(
            "lineage",
            True,
            f"complete: run, code version, {datasets} dataset(s) with digests, "
            f"{len(lineage.features)} feature(s) with source columns",
        )
    return GateCheck("lineage", False, "lineage incomplete: " + "; ".join(gaps))


def _tag_checks(candidate: ModelVersion, required: list[str]) -> list[GateCheck]:
    checks = []
    for key in required:
        value = candidate.tags.get(key, "")
        if value.strip():
            checks.append(GateCheck(f"tag {key}", True, f"{key} = {printable(value)}"))
        else:
            checks.append(GateCheck(f"tag {key}", False, f"required tag {key} missing"))
    return checks


def _accuracy_checks(
    metrics: Mapping[str, float],
    config: Config,
    champion: ModelVersion | None,
    champion_metrics: Mapping[str, float] | None,
    candidate: ModelVersion,
) -> list[GateCheck]:
    gate = config.gate
    metric = gate.accuracy_metric
    value, bad = _metric_check("accuracy", metrics, metric)
    if bad is not None:
        return [bad]
    checks = []
    if gate.min_accuracy is not None:
        if value is None:
            checks.append(
                GateCheck("min accuracy", False, f"{metric} not logged (min {gate.min_accuracy})")
            )
        elif value < gate.min_accuracy:
            detail = f"{metric} {_shown(value)} < min {_shown(gate.min_accuracy)}"
            checks.append(GateCheck("min accuracy", False, detail))
        else:
            detail = f"{metric} {_shown(value)} >= min {_shown(gate.min_accuracy)}"
            checks.append(GateCheck("min accuracy", True, detail))
    if value is None:
        checks.append(GateCheck("accuracy", None, f"{metric} not logged on the run"))
        return checks
    if champion is None:
        checks.append(GateCheck("accuracy", None, f"{metric} {_shown(value)}; no champion"))
        return checks
    if champion.version == candidate.version:
        checks.append(GateCheck("accuracy", True, f"{metric} {_shown(value)} (is the champion)"))
        return checks
    reference = (champion_metrics or {}).get(metric)
    if reference is None or not math.isfinite(reference):
        detail = f"{metric} {_shown(value)}; champion {champion.version} logged none"
        checks.append(GateCheck("accuracy", None, detail))
        return checks
    status = quality_status(value, reference, config.quality)
    floor = quality_threshold(reference, config.quality, "crit")
    compared = f"champion {champion.version} {_shown(reference)}"
    if status == "crit":
        detail = (
            f"{metric} {_shown(value)} <= {compared} - {_shown(config.quality.crit_drop)} "
            f"(= {_shown(floor)})"
        )
        checks.append(GateCheck("accuracy", False, detail))
    else:
        note = " (warn: below the warn drop)" if status == "warn" else ""
        checks.append(GateCheck("accuracy", True, f"{metric} {_shown(value)} vs {compared}{note}"))
    return checks


def _fairness_checks(metrics: Mapping[str, float], config: Config) -> list[GateCheck]:
    gate = config.gate
    fairness = config.fairness
    checks = []
    ratio, bad = _metric_check("parity ratio", metrics, gate.parity_ratio_metric)
    if bad is not None:
        checks.append(bad)
    elif ratio is not None:
        status = fairness_status(ratio, fairness)
        if status == "crit":
            detail = f"{gate.parity_ratio_metric} {_shown(ratio)} < {_shown(fairness.crit_ratio)}"
            checks.append(GateCheck("parity ratio", False, detail))
        else:
            detail = f"{gate.parity_ratio_metric} {_shown(ratio)} >= {_shown(fairness.crit_ratio)}"
            checks.append(GateCheck("parity ratio", True, detail))
    rates: dict[str, dict[str, float]] = {}
    prefix = gate.selection_rate_prefix
    for name, value in sorted(metrics.items()):
        if not name.startswith(prefix):
            continue
        attribute, _, group = name[len(prefix) :].partition(".")
        if not attribute or not group:
            continue
        if not math.isfinite(value):
            checks.append(GateCheck(f"parity {attribute}", False, f"{name} is {value}"))
            continue
        rates.setdefault(attribute, {})[group] = value
    for attribute, groups in rates.items():
        check = f"parity {attribute}"
        if len(groups) < 2:
            checks.append(GateCheck(check, None, f"one group only ({', '.join(groups)})"))
            continue
        low_group = min(groups, key=lambda key: groups[key])
        high_group = max(groups, key=lambda key: groups[key])
        high = groups[high_group]
        if high <= 0:
            checks.append(GateCheck(check, None, "no group is ever selected"))
            continue
        ratio_value = groups[low_group] / high
        status = fairness_status(ratio_value, fairness)
        spread = (
            f"{attribute} selection rate {low_group} {_shown(groups[low_group])} / "
            f"{high_group} {_shown(high)} = {_shown(round(ratio_value, 4))}"
        )
        if status == "crit":
            checks.append(GateCheck(check, False, f"{spread} < {_shown(fairness.crit_ratio)}"))
        else:
            checks.append(GateCheck(check, True, f"{spread} >= {_shown(fairness.crit_ratio)}"))
    return checks


def _bound_checks(metrics: Mapping[str, float], config: Config) -> list[GateCheck]:
    checks = []
    for metric, bound in sorted(config.gate.min_metrics.items()):
        checks.append(_bound(metrics, metric, bound, minimum=True))
    for metric, bound in sorted(config.gate.max_metrics.items()):
        checks.append(_bound(metrics, metric, bound, minimum=False))
    return checks


def _bound(metrics: Mapping[str, float], metric: str, bound: float, *, minimum: bool) -> GateCheck:
    name = f"{'min' if minimum else 'max'} {metric}"
    value = metrics.get(metric)
    if value is None:
        return GateCheck(
            name, False, f"{metric} not logged (required by gate.{name.split()[0]}_metrics)"
        )
    if not math.isfinite(value):
        return GateCheck(name, False, f"{metric} is {value}")
    if minimum:
        ok = value >= bound
        relation = ">=" if ok else "<"
    else:
        ok = value <= bound
        relation = "<=" if ok else ">"
    return GateCheck(name, ok, f"{metric} {_shown(value)} {relation} {_shown(bound)}")


def evaluate_candidate(
    candidate: ModelVersion,
    lineage: Lineage,
    config: Config,
    *,
    champion: ModelVersion | None = None,
    champion_metrics: Mapping[str, float] | None = None,
) -> GateVerdict:
    """Run every check on a version (pure: the caller read the registry)."""
    checks: list[GateCheck] = []
    if candidate.status == "FAILED":
        checks.append(GateCheck("status", False, "status FAILED"))
    else:
        checks.append(GateCheck("status", True, f"status {candidate.status}"))
    checks.append(_lineage_check(lineage))
    checks.extend(_tag_checks(candidate, config.gate.required_tags))
    metrics = lineage.run.metrics if lineage.run is not None else {}
    checks.extend(_accuracy_checks(metrics, config, champion, champion_metrics, candidate))
    checks.extend(_fairness_checks(metrics, config))
    checks.extend(_bound_checks(metrics, config))
    return GateVerdict(
        model=candidate.model,
        version=candidate.version,
        passed=all(check.ok is not False for check in checks),
        checks=tuple(checks),
        status=candidate.status,
        run_id=candidate.run_id,
        champion=champion.version if champion is not None else None,
        previous_gate=candidate.tags.get(GATE_TAG),
    )


def vet_candidate(registry: ModelRegistry, model: str, version: str, config: Config) -> GateVerdict:
    """Read the candidate, its lineage and the champion's run from the registry, then judge.

    An unknown model or version raises an InputError (exit 2).
    """
    candidate = resolve_ref(registry, ModelRef(model, version=version), DEFAULT_ALIAS)
    lineage = registry.lineage(model, version)
    champion = registry.get_alias(model, config.sources.registry.alias)
    champion_metrics: Mapping[str, float] | None = None
    if champion is not None:
        if champion.version == version:
            champion_metrics = lineage.run.metrics if lineage.run is not None else None
        else:
            champion_run = registry.lineage(model, champion.version).run
            champion_metrics = champion_run.metrics if champion_run is not None else None
    return evaluate_candidate(
        candidate, lineage, config, champion=champion, champion_metrics=champion_metrics
    )


def _audit_params(verdict: GateVerdict, value: str, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "tag": GATE_TAG,
        "value": value,
        "verdict": verdict.verdict,
        "previous": verdict.previous_gate,
        "champion": verdict.champion,
        "failed_checks": [check.to_dict() for check in verdict.failures],
    }
    params.update(extra)
    return params


def record_verdict(
    registry: ModelRegistry,
    verdict: GateVerdict,
    *,
    read_only: bool,
    audit: AuditLog | None = None,
    incident: str | None = None,
) -> str:
    """Write the verdict to the version tag `govtui.gate`, read it back; audit intent and outcome.

    Read-only refuses (exit 3) before anything is written; a write that fails or cannot be read
    back raises ActionFailed (exit 4). Returns the tag value written.
    """
    value = verdict.tag_value()
    if read_only:
        refusal = ReadOnlyRefused(f"read-only mode: recording the gate of {verdict.target} refused")
        if audit is not None:
            audit.append(
                AUDIT_ACTION,
                verdict.target,
                outcome="refused",
                params=_audit_params(verdict, value, error=str(refusal)),
                incident=incident,
            )
        raise refusal
    if audit is not None:
        audit.append(
            AUDIT_ACTION,
            verdict.target,
            outcome="intent",
            params=_audit_params(verdict, value),
            incident=incident,
        )
    try:
        registry.set_version_tag(verdict.model, verdict.version, GATE_TAG, value)
    except ReadOnlyRefused:
        raise
    except Exception as exc:
        error = str(exc) if isinstance(exc, GovtuiError) else f"{type(exc).__name__}: {exc}"
        _audit_failure(audit, verdict, value, "failed", error, incident)
        raise ActionFailed(f"recording the gate of {verdict.target} failed: {error}") from None
    try:
        read_back = registry.get_version(verdict.model, verdict.version)
    except Exception as exc:
        error = str(exc) if isinstance(exc, GovtuiError) else f"{type(exc).__name__}: {exc}"
        _audit_failure(audit, verdict, value, "unconfirmed", f"cannot read back: {error}", incident)
        raise ActionFailed(
            f"recording the gate of {verdict.target} unconfirmed: cannot read back: {error}"
        ) from None
    found = read_back.tags.get(GATE_TAG) if read_back is not None else None
    if found != value:
        error = f"read-back shows {GATE_TAG} = {found!r}, not {value!r}"
        _audit_failure(audit, verdict, value, "failed", error, incident)
        raise ActionFailed(f"recording the gate of {verdict.target} failed: {error}")
    if audit is not None:
        audit.append(
            AUDIT_ACTION,
            verdict.target,
            outcome="recorded",
            params=_audit_params(verdict, value),
            incident=incident,
        )
    return value


def _audit_failure(
    audit: AuditLog | None,
    verdict: GateVerdict,
    value: str,
    outcome: str,
    error: str,
    incident: str | None,
) -> None:
    if audit is not None:
        audit.append(
            AUDIT_ACTION,
            verdict.target,
            outcome=outcome,
            params=_audit_params(verdict, value, error=error),
            incident=incident,
        )
