"""The policy module: the SRE workbook alert table case by case, status rules, the gate."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis import policy
from govtui.analysis.results import (
    DriftResult,
    FleetReport,
    ModelReport,
    QualityResult,
    SloResult,
)
from govtui.config import BURN_WINDOWS, DriftConfig, FairnessConfig, QualityConfig
from govtui.errors import EXIT_CHECK_FAILED, EXIT_OK

QUIET = dict.fromkeys(BURN_WINDOWS, 0.5)


def rates(**overrides: float | None) -> dict[str, float | None]:
    """Burn rates by window (`m5` for 5m, `h1` for 1h, `d1` for 1d ...), quiet elsewhere."""
    names = {"m5": "5m", "m30": "30m", "h1": "1h", "h2": "2h", "h6": "6h", "d1": "1d", "d3": "3d"}
    result: dict[str, float | None] = dict(QUIET)
    for key, value in overrides.items():
        result[names[key]] = value
    return result


def test_alert_table_is_the_sre_workbook_table() -> None:
    table = {(c.severity, c.long_window, c.short_window, c.factor) for c in policy.BURN_RATE_ALERTS}
    assert table == {
        ("page", "1h", "5m", 14.4),
        ("page", "6h", "30m", 6.0),
        ("ticket", "1d", "2h", 3.0),
        ("ticket", "3d", "6h", 1.0),
    }


@pytest.mark.parametrize(
    ("burn_rates", "expected"),
    [
        (rates(), "none"),
        # Fast burn: 1h and 5m both above 14.4.
        (rates(h1=14.5, m5=14.5), "page"),
        (rates(h1=14.4, m5=20.0), "none"),  # exactly at the factor is not above it
        (rates(h1=20.0, m5=14.4), "none"),
        (rates(h1=14.39, m5=14.39), "none"),
        (rates(h1=100.0), "none"),  # long window alone
        (rates(m5=100.0), "none"),  # short window alone
        # 6h and 30m above 6.
        (rates(h6=6.01, m30=6.01), "page"),
        (rates(h6=6.0, m30=7.0), "none"),
        (rates(h6=7.0, m30=6.0), "none"),
        (rates(h6=5.99, m30=100.0), "none"),
        # Ticket: 1d and 2h above 3.
        (rates(d1=3.01, h2=3.01), "ticket"),
        (rates(d1=3.0, h2=4.0), "none"),
        (rates(d1=4.0, h2=2.99), "none"),
        # Ticket: 3d and 6h above 1.
        (rates(d3=1.01, h6=1.01), "ticket"),
        (rates(d3=1.0, h6=2.0), "none"),
        (rates(d3=2.0, h6=1.0), "none"),
        # 6h above 6 with 3d above 1 but 30m quiet: a ticket, not a page.
        (rates(h6=7.0, d3=1.5), "ticket"),
        # Page wins over ticket.
        (rates(h1=15.0, m5=15.0, d1=4.0, h2=4.0), "page"),
        # Nulls never alert, even next to a burning partner.
        (rates(h1=None, m5=100.0), "none"),
        (rates(h1=100.0, m5=None), "none"),
        (rates(h6=None, m30=100.0, d3=100.0), "none"),
        (rates(d1=math.nan, h2=100.0), "none"),
        (dict.fromkeys(BURN_WINDOWS), "none"),
        ({}, "none"),
        ({"1h": 20.0, "5m": 20.0}, "page"),
    ],
)
def test_alert_for_case_by_case(burn_rates: dict[str, float | None], expected: str) -> None:
    assert policy.alert_for(burn_rates) == expected


def test_slo_module_exports_the_same_alert_for() -> None:
    from govtui.analysis import slo

    assert slo.alert_for is policy.alert_for


def test_firing_condition_explains_the_alert() -> None:
    condition = policy.firing_condition(rates(h6=7.0, m30=7.0, d3=2.0))
    assert condition is not None
    assert (condition.severity, condition.long_window, condition.short_window) == (
        "page",
        "6h",
        "30m",
    )
    assert policy.firing_condition(rates()) is None


@pytest.mark.parametrize(
    ("alert", "remaining", "expected"),
    [
        ("page", 0.9, "crit"),
        ("none", 0.0, "crit"),
        ("none", -0.5, "crit"),
        ("ticket", 0.9, "warn"),
        ("ticket", -1.0, "crit"),
        ("none", 0.2499, "warn"),
        ("none", 0.25, "ok"),
        ("none", 1.0, "ok"),
        ("none", None, "unknown"),
        ("ticket", None, "warn"),
        ("page", None, "crit"),
    ],
)
def test_slo_status(alert: str, remaining: float | None, expected: str) -> None:
    assert policy.slo_status(alert, remaining, 0.25) == expected  # type: ignore[arg-type]


def test_budget_severity() -> None:
    assert policy.budget_severity(None, 0.25) is None
    assert policy.budget_severity(0.5, 0.25) is None
    assert policy.budget_severity(0.1, 0.25) == "warn"
    assert policy.budget_severity(0.0, 0.25) == "crit"
    assert policy.budget_severity(-3.0, 0.25) == "crit"


def test_drift_feature_status_thresholds() -> None:
    settings_ = DriftConfig()
    assert policy.drift_feature_status(None, settings_) == "unknown"
    assert policy.drift_feature_status(math.nan, settings_) == "unknown"
    assert policy.drift_feature_status(0.0999, settings_) == "ok"
    assert policy.drift_feature_status(0.1, settings_) == "warn"
    assert policy.drift_feature_status(0.2499, settings_) == "warn"
    assert policy.drift_feature_status(0.25, settings_) == "crit"
    custom = DriftConfig(warn_psi=0.2, crit_psi=0.3)
    assert policy.drift_feature_status(0.25, custom) == "warn"


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.one_of(st.floats(0, 2, allow_nan=False), st.just(math.nan)), min_size=0, max_size=40
    ),
    st.floats(0.01, 0.5),
    st.floats(0.0, 0.5),
)
def test_vectorised_drift_statuses_agree_with_the_scalar_rule(
    values: list[float], warn_psi: float, extra: float
) -> None:
    config = DriftConfig(warn_psi=warn_psi, crit_psi=warn_psi + extra)
    psi = np.array(values, dtype=np.float64)
    levels = policy.drift_feature_levels(
        psi, np.full(len(psi), config.warn_psi), np.full(len(psi), config.crit_psi)
    )
    vector = [policy.DRIFT_LEVELS[level] for level in levels.tolist()]
    assert vector == [policy.drift_feature_status(value, config) for value in values]


def test_drift_model_status() -> None:
    config = DriftConfig()
    assert policy.drift_model_status(0, 0, 0, config) == (None, "unknown")
    assert policy.drift_model_status(0, 0, 10, config) == (0.0, "ok")
    assert policy.drift_model_status(0, 1, 10, config) == (0.0, "warn")
    assert policy.drift_model_status(1, 0, 10, config) == (0.1, "warn")
    assert policy.drift_model_status(5, 0, 10, config) == (0.5, "crit")
    assert policy.drift_model_status(4, 6, 10, config) == (0.4, "warn")


def test_fairness_status() -> None:
    config = FairnessConfig()
    assert policy.fairness_status(None, config) == "unknown"
    assert policy.fairness_status(0.79, config) == "crit"
    assert policy.fairness_status(0.8, config) == "warn"
    assert policy.fairness_status(0.89, config) == "warn"
    assert policy.fairness_status(0.9, config) == "ok"
    assert policy.fairness_status(1.0, config) == "ok"


def test_quality_status_with_epsilon() -> None:
    config = QualityConfig()
    assert policy.quality_status(None, 0.9, config) == "unknown"
    assert policy.quality_status(0.9, None, config) == "unknown"
    assert policy.quality_status(0.9, 0.9, config) == "ok"
    assert policy.quality_status(0.881, 0.9, config) == "ok"
    # 0.93 - 0.88 is 0.05000000000000004 in floating point; exactly 0.05 below is still crit.
    assert policy.quality_status(0.88, 0.93, config) == "crit"
    assert policy.quality_status(0.7, 0.72, config) == "warn"
    assert policy.quality_status(0.86, 0.9, config) == "warn"
    assert policy.quality_status(0.8, 0.9, config) == "crit"


@pytest.mark.parametrize(
    ("status", "fail_on", "expected"),
    [
        ("crit", "crit", True),
        ("warn", "crit", False),
        ("unknown", "crit", False),
        ("ok", "crit", False),
        ("crit", "warn", True),
        ("warn", "warn", True),
        ("unknown", "warn", False),
        ("ok", "warn", False),
        ("crit", "unknown", True),
        ("warn", "unknown", True),
        ("unknown", "unknown", True),
        ("ok", "unknown", False),
    ],
)
def test_fails(status: str, fail_on: str, expected: bool) -> None:
    assert policy.fails(status, fail_on) is expected  # type: ignore[arg-type]


def test_fails_rejects_programming_errors() -> None:
    with pytest.raises(ValueError):
        policy.fails("crit", "sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        policy.fails("red", "crit")  # type: ignore[arg-type]


def _model(name: str, status: str, checks: dict[str, str]) -> ModelReport:
    return ModelReport(
        model=name,
        version=None,
        status=status,  # type: ignore[arg-type]
        reasons=[],
        slos=[],
        drift=DriftResult([], None, "unknown"),
        fairness=[],
        quality=QualityResult(None, None, "unknown"),
        violations=[],
        checks=checks,  # type: ignore[arg-type]
    )


def test_check_exit_code() -> None:
    computed = {"slo": "ok", "drift": "unknown", "fairness": "unknown", "quality": "unknown"}
    healthy = _model("a", "unknown", computed)
    warned = _model("b", "warn", {**computed, "slo": "warn"})
    blind = _model(
        "c", "unknown", dict.fromkeys(("slo", "drift", "fairness", "quality"), "unknown")
    )
    report = FleetReport("2026-01-01T00:00:00Z", "warn", [healthy, warned])
    assert policy.check_exit_code(report, "crit") == EXIT_OK
    assert policy.check_exit_code(report, "warn") == EXIT_CHECK_FAILED
    assert policy.check_exit_code(report, "unknown") == EXIT_CHECK_FAILED
    # A model with no computable check fails at every level.
    blind_report = FleetReport("2026-01-01T00:00:00Z", "unknown", [blind])
    for level in ("crit", "warn", "unknown"):
        assert policy.check_exit_code(blind_report, level) == EXIT_CHECK_FAILED  # type: ignore[arg-type]
    assert policy.failing_models([healthy, warned, blind], "crit") == ["c"]
    # One computed SLO is a computable check, even when the slo check reads unknown.
    partly = dataclasses.replace(
        blind,
        model="d",
        slos=[
            SloResult("availability", "availability", 0.999, 1.0, 1.0, 1.0, {}, "none", "ok"),
            SloResult("latency", "latency", 0.99, None, None, None, {}, "none", "unknown"),
        ],
    )
    assert policy.failing_models([partly], "crit") == []
    assert policy.failing_models([partly], "unknown") == ["d"]
    # No model at all: nothing was verified.
    assert policy.check_exit_code(FleetReport("x", "unknown", []), "crit") == EXIT_CHECK_FAILED


def test_policy_imports_neither_numpy_nor_pandas_at_import_time() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, govtui.analysis.policy; print('pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()
    assert output == ["False", "False"]
