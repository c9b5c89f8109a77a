"""Rendering a FleetReport: the gate verdict agrees across text, JSON, JUnit and the exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import govtui
from govtui.analysis.results import (
    DriftResult,
    FairnessResult,
    FeatureDrift,
    FleetReport,
    GroupStats,
    ModelReport,
    QualityResult,
    SloResult,
    Status,
    Violation,
    worst,
)
from govtui.cli.report_format import (
    check_cases,
    exit_code,
    failing_models,
    printable,
    render,
    render_json,
    render_junit,
    render_text,
)

REPO = Path(govtui.__file__).resolve().parents[1]
BURN = {"5m": 1.0, "30m": 1.0, "1h": 1.0, "2h": 1.0, "6h": 1.0, "1d": 1.0, "3d": 1.0}


def slo(name: str = "availability", status: Status = "ok", alert: str = "none") -> SloResult:
    return SloResult(
        name=name,
        kind="availability",
        objective=0.999,
        sli=0.9995,
        error_budget_remaining=0.5,
        coverage=1.0,
        burn_rates=dict(BURN),
        alert=alert,  # type: ignore[arg-type]
        status=status,
    )


def model(
    name: str,
    *,
    slo_status: Status = "ok",
    drift_status: Status = "ok",
    fairness_status: Status = "ok",
    quality_status: Status = "ok",
    violations: tuple[Violation, ...] = (),
    status: Status | None = None,
) -> ModelReport:
    checks: dict[str, Status] = {
        "slo": slo_status,
        "drift": drift_status,
        "fairness": fairness_status,
        "quality": quality_status,
        "source": "ok",
    }
    return ModelReport(
        model=name,
        version="7",
        status=status or worst(list(checks.values())),
        reasons=[violation.message for violation in violations],
        slos=[slo(status=slo_status)],
        drift=DriftResult(
            features=[FeatureDrift("amount", "numeric", 0.01, 0.02, 0.03, drift_status)],
            drifted_share=0.0,
            status=drift_status,
        ),
        fairness=[
            FairnessResult(
                attribute="sex",
                groups=[GroupStats("f", 500, 0.2, 0.8, 0.1, True)],
                demographic_parity_difference=0.01,
                demographic_parity_ratio=0.95,
                equal_opportunity_difference=None,
                equalized_odds_difference=None,
                status=fairness_status,
            )
        ],
        quality=QualityResult(accuracy=0.9, reference_accuracy=0.9, status=quality_status),
        violations=list(violations),
        checks=checks,
    )


def fleet(*models: ModelReport) -> FleetReport:
    status = worst([item.status for item in models])
    return FleetReport(evaluated_at="2026-01-15T12:00:00Z", status=status, models=list(models))


TICKET = Violation("slo_ticket", "availability", 4.0, 3.0, "warn", "availability: ticket")
PAGE = Violation("slo_page", "availability", 20.0, 14.4, "crit", "availability: page")


@pytest.mark.parametrize(
    ("level", "expected"),
    [("crit", ["paging", "blind"]), ("warn", ["paging", "ticket", "blind"]),
     ("unknown", ["paging", "ticket", "partial", "blind"])],
)  # fmt: skip
def test_failing_models_per_level(level: str, expected: list[str]) -> None:
    report = fleet(
        model("paging", slo_status="crit", violations=(PAGE,)),
        model("ticket", slo_status="warn", violations=(TICKET,)),
        model("partial", quality_status="unknown"),
        model(
            "blind",
            slo_status="unknown",
            drift_status="unknown",
            fairness_status="unknown",
            quality_status="unknown",
        ),
        model("fine"),
    )
    assert failing_models(report, level) == expected  # type: ignore[arg-type]
    assert exit_code(report, level) == 1  # type: ignore[arg-type]
    document = json.loads(render_json(report, level))  # type: ignore[arg-type]
    assert document["gate"]["failing_models"] == expected
    assert document["gate"]["passed"] is False


def test_empty_fleet_fails_the_gate() -> None:
    report = fleet()
    assert exit_code(report, "crit") == 1
    assert "no model was evaluated: FAIL" in render_text(report, "crit")
    assert json.loads(render_json(report, "crit"))["gate"]["passed"] is False


def test_passing_fleet() -> None:
    report = fleet(model("fine"), model("ticket", slo_status="warn", violations=(TICKET,)))
    assert exit_code(report, "crit") == 0
    text = render_text(report, "crit")
    assert text.splitlines()[0].endswith("0 of 2 models fail at --fail-on crit: PASS")
    assert json.loads(render_json(report, "crit"))["gate"]["passed"] is True


def test_json_is_the_report_dict_plus_the_gate() -> None:
    report = fleet(model("paging", slo_status="crit", violations=(PAGE,)))
    document = json.loads(render(report, "json", "crit"))
    gate = document.pop("gate")
    assert document == report.to_dict()
    assert gate == {"fail_on": "crit", "passed": False, "failing_models": ["paging"]}


def test_json_is_strict_even_with_nan_in_results() -> None:
    nan_slo = SloResult(**{**slo().__dict__, "sli": float("nan"), "coverage": float("inf")})
    report = fleet(ModelReport(**{**model("nan").__dict__, "slos": [nan_slo]}))
    text = render_json(report, "crit")
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["models"][0]["slos"][0]["sli"] is None


def test_check_cases_names_and_violation_matching() -> None:
    report = model(
        "m",
        slo_status="crit",
        fairness_status="crit",
        violations=(
            PAGE,
            Violation("fairness", "sex", 0.6, 0.8, "crit", "sex: parity 0.60"),
            Violation("fairness", "age", 0.7, 0.8, "crit", "age: parity 0.70"),
        ),
    )
    cases = {case.name: case for case in check_cases(report)}
    assert list(cases) == ["slo:availability", "drift", "fairness:sex", "quality", "source"]
    assert [item.message for item in cases["fairness:sex"].findings] == ["sex: parity 0.60"]
    assert [item.message for item in cases["slo:availability"].findings] == ["availability: page"]


def test_source_case_follows_source_down_violations() -> None:
    down = Violation("source_down", "requests", None, None, "crit", "requests source failed: 503")
    report = model("m", slo_status="unknown", violations=(down,))
    report = ModelReport(**{**report.__dict__, "checks": {**report.checks, "source": "crit"}})
    root = ET.fromstring(render_junit(fleet(report), "crit"))
    source = next(case for case in root.iter("testcase") if case.get("name") == "source")
    failure = source.find("failure")
    assert failure is not None
    assert failure.get("message") == "source is crit: requests source failed: 503"


def test_text_table_lines_up_and_escapes_control_characters() -> None:
    hostile = Violation("quality", "accuracy", 0.8, 0.85, "crit", "drop\x1b[31m red")
    report = fleet(model("m\x1b]0;pwned\x07\nx", quality_status="crit", violations=(hostile,)))
    text = render_text(report, "crit")
    assert "\x1b" not in text and "\x07" not in text
    assert "m\\x1b]0;pwned\\x07\\nx" in text
    header, first = text.splitlines()[2:4]
    assert header.index("STATUS") == first.index("crit")


def test_long_reasons_are_clipped_in_the_table_but_full_in_violations() -> None:
    long = Violation("drift", "f", 0.3, 0.25, "crit", "x" * 300)
    report = fleet(model("m", drift_status="crit", violations=(long, PAGE, TICKET)))
    lines = render_text(report, "crit").splitlines()
    row = next(line for line in lines if line.startswith("m "))
    assert row.endswith("... (+1 more)")
    assert len(row) < 160
    assert any(line.endswith("x" * 300) for line in lines)


def test_printable_keeps_text_and_escapes_controls() -> None:
    assert printable("naïve → ok") == "naïve → ok"
    assert printable("a\x00b\x7fc\u009b") == "a\\x00b\\x7fc\\x9b"
    assert printable("tab\tnewline\n") == "tab\tnewline\n"


def test_report_format_imports_no_pandas() -> None:
    code = (
        "import sys\n"
        "import govtui.cli.report_format\n"
        "print('pandas' in sys.modules, 'numpy' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "False False"


def test_check_command_offers_exactly_the_rendered_formats_and_levels() -> None:
    from govtui.cli import check, report_format

    assert check.FORMATS == report_format.FORMATS
    assert check.FAIL_ON_CHOICES == report_format.FAIL_ON_CHOICES
