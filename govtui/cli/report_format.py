"""Render a FleetReport as text, JSON (govtui.check/v1) or JUnit XML; pure, no pandas.

Which models fail the gate is decided in one place (`failing_models`), so the exit code, the
text summary, the JSON `gate` and the JUnit failures always agree.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from govtui.analysis import policy
from govtui.analysis.policy import FailOn
from govtui.analysis.results import FleetReport, ModelReport, Violation, worst

FAIL_ON_CHOICES: tuple[FailOn, ...] = ("crit", "warn", "unknown")
FORMATS = ("text", "json", "junit")

# Control characters would corrupt a terminal or make the XML invalid; show them escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def failing_models(report: FleetReport, fail_on: FailOn) -> list[str]:
    """Names of the models that fail the gate, in report order (the policy decides)."""
    return policy.failing_models(report.models, fail_on)


def exit_code(report: FleetReport, fail_on: FailOn) -> int:
    """The gate's exit code: 1 when a model fails or no model was evaluated, else 0."""
    return policy.check_exit_code(report, fail_on)


def printable(text: object) -> str:
    """External text with control characters escaped, safe for a terminal and for XML."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def _cell(text: object) -> str:
    """Printable text that also stays on one line and in its column."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


# --- text -----------------------------------------------------------------------------------


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [len(title) for title in header]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = []
    for row in (header, *rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _reasons(model: ModelReport, limit: int = 2, width: int = 110) -> str:
    """The top reasons in one cell; the violations table below carries the full detail."""
    if policy.nothing_computable(model) and not model.reasons:
        return "no check could be computed"
    shown = [_cell(reason) for reason in model.reasons[:limit]]
    extra = len(model.reasons) - limit
    text = "; ".join(shown) if shown else "-"
    suffix = f" (+{extra} more)" if extra > 0 else ""
    return _clip(text, width - len(suffix)) + suffix


def render_text(report: FleetReport, fail_on: FailOn) -> str:
    """A compact table of models and their violations, plain text (no colour codes)."""
    failing = set(failing_models(report, fail_on))
    verdict = "FAIL" if exit_code(report, fail_on) else "PASS"
    counted = (
        f"{len(failing)} of {len(report.models)} models fail at --fail-on {fail_on}"
        if report.models
        else "no model was evaluated"
    )
    lines = [
        f"govtui check at {report.evaluated_at}: fleet {report.status}, {counted}: {verdict}",
        "",
    ]
    rows = [
        (
            _cell(model.model),
            _cell(model.version) if model.version else "-",
            model.status,
            "FAIL" if model.model in failing else "pass",
            _reasons(model),
        )
        for model in report.models
    ]
    lines += _table(("MODEL", "VERSION", "STATUS", "GATE", "REASONS"), rows)
    violations = [(model, violation) for model in report.models for violation in model.violations]
    if violations:
        lines += ["", "VIOLATIONS"]
        lines += _table(
            ("SEVERITY", "MODEL", "CHECK", "SUBJECT", "VALUE", "THRESHOLD", "MESSAGE"),
            [
                (
                    violation.severity,
                    _cell(model.model),
                    violation.check,
                    _cell(violation.subject),
                    _number(violation.value, 4),
                    _number(violation.threshold, 4),
                    _cell(violation.message),
                )
                for model, violation in violations
            ],
        )
    if report.warnings:
        lines += ["", "WARNINGS"]
        lines += [f"- {_cell(warning)}" for warning in report.warnings]
    return "\n".join(lines) + "\n"


# --- JSON -----------------------------------------------------------------------------------


def render_json(report: FleetReport, fail_on: FailOn) -> str:
    """The govtui.check/v1 document, plus the gate verdict this run applied."""
    document = report.to_dict()
    failing = failing_models(report, fail_on)
    document["gate"] = {
        "fail_on": fail_on,
        "passed": exit_code(report, fail_on) == 0,
        "failing_models": failing,
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- JUnit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckCase:
    """One JUnit test case: a check of a model, its status, its figures and its violations."""

    name: str
    status: str
    summary: str
    findings: tuple[Violation, ...] = ()


def _findings(
    model: ModelReport, checks: tuple[str, ...], subject: str | None = None
) -> tuple[Violation, ...]:
    """The model's violations of these checks (about one subject when given)."""
    return tuple(
        violation
        for violation in model.violations
        if violation.check in checks and (subject is None or violation.subject == subject)
    )


def check_cases(model: ModelReport) -> list[CheckCase]:
    """The model's checks as test cases: slo:<name>, drift, fairness:<attr>, quality, source."""
    cases = [
        CheckCase(
            f"slo:{slo.name}",
            slo.status,
            f"alert={slo.alert} sli={_number(slo.sli, 5)} objective={slo.objective} "
            f"error_budget_remaining={_number(slo.error_budget_remaining)}",
            _findings(model, ("slo_page", "slo_ticket", "slo_budget"), slo.name),
        )
        for slo in model.slos
    ]
    drift = model.drift
    cases.append(
        CheckCase(
            "drift",
            drift.status,
            f"drifted_share={_number(drift.drifted_share)} max_psi={_number(drift.max_psi)}",
            _findings(model, ("drift",)),
        )
    )
    cases += [
        CheckCase(
            f"fairness:{item.attribute}",
            item.status,
            f"demographic_parity_ratio={_number(item.demographic_parity_ratio)} "
            f"demographic_parity_difference={_number(item.demographic_parity_difference)}",
            _findings(model, ("fairness",), item.attribute),
        )
        for item in model.fairness
    ]
    if not model.fairness:
        cases.append(CheckCase("fairness", model.checks.get("fairness", "unknown"), "no attribute"))
    quality = model.quality
    cases.append(
        CheckCase(
            "quality",
            quality.status,
            f"accuracy={_number(quality.accuracy)} "
            f"reference_accuracy={_number(quality.reference_accuracy)}",
            _findings(model, ("quality",)),
        )
    )
    source_findings = _findings(model, ("source_down",))
    source_status: str = model.checks.get("source") or worst(
        ["ok", *(violation.severity for violation in source_findings)]
    )
    cases.append(
        CheckCase(
            "source",
            source_status,
            "no source_down violation" if not source_findings else "source_down",
            source_findings,
        )
    )
    return cases


def _junit_timestamp(evaluated_at: str) -> str:
    """JUnit's timestamp is ISO 8601 without a zone (the evaluation time is UTC)."""
    return evaluated_at.removesuffix("Z").split("+")[0]


def _unknown_reasons(model: ModelReport) -> list[str]:
    """The model's reasons that are not violation messages: why checks are unknown."""
    messages = {violation.message for violation in model.violations}
    return [reason for reason in model.reasons if reason not in messages]


def _add_case(
    suite: ET.Element, model: ModelReport, case: CheckCase, fail_on: FailOn, uncomputable: bool
) -> str:
    """Append one <testcase>; returns its outcome: failure, skipped or passed."""
    element = ET.SubElement(
        suite,
        "testcase",
        {
            "name": printable(case.name),
            "classname": printable(f"govtui.{model.model}"),
            "time": "0",
        },
    )
    lines = [printable(case.summary)]
    lines += [printable(f"{item.severity}: {item.message}") for item in case.findings]
    # A model none of whose checks was computed fails at every level; so do its unknown checks.
    forced = uncomputable and case.status == "unknown" and case.name != "source"
    if policy.fails(case.status, fail_on) or forced:
        message = f"{case.name} is {case.status}"
        if case.findings:
            message += f": {case.findings[0].message}"
        elif forced:
            message += ": no check of this model could be computed"
        if case.status == "unknown":
            lines += [printable(reason) for reason in _unknown_reasons(model)]
        failure = ET.SubElement(
            element, "failure", {"message": printable(message), "type": case.status}
        )
        failure.text = "\n".join(lines)
        return "failure"
    if case.status == "unknown":
        reasons = [printable(reason) for reason in _unknown_reasons(model)]
        skipped = ET.SubElement(
            element, "skipped", {"message": printable(f"{case.name} is unknown")}
        )
        skipped.text = "\n".join([*lines, *reasons])
        return "skipped"
    ET.SubElement(element, "system-out").text = "\n".join(lines)
    return "passed"


def render_junit(report: FleetReport, fail_on: FailOn) -> str:
    """One <testsuite> per model, one <testcase> per check; failures at the --fail-on level."""
    root = ET.Element("testsuites", {"name": "govtui check"})
    totals = {"tests": 0, "failure": 0, "skipped": 0}
    for model in report.models:
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": printable(model.model),
                "timestamp": _junit_timestamp(report.evaluated_at),
                "time": "0",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("version", model.version or ""),
            ("status", model.status),
            ("fail_on", fail_on),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": printable(value)})
        uncomputable = policy.nothing_computable(model)
        outcomes = [
            _add_case(suite, model, case, fail_on, uncomputable) for case in check_cases(model)
        ]
        counts = {key: outcomes.count(key) for key in ("failure", "skipped")}
        suite.set("tests", str(len(outcomes)))
        suite.set("failures", str(counts["failure"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        totals["tests"] += len(outcomes)
        totals["failure"] += counts["failure"]
        totals["skipped"] += counts["skipped"]
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failure"]))
    root.set("errors", "0")
    root.set("skipped", str(totals["skipped"]))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: FleetReport, output_format: str, fail_on: FailOn) -> str:
    """Render in one of FORMATS."""
    if output_format == "json":
        return render_json(report, fail_on)
    if output_format == "junit":
        return render_junit(report, fail_on)
    return render_text(report, fail_on)
