"""evaluate_fleet end to end on a small hand-built fleet, and the govtui.check/v1 JSON."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.evaluate import evaluate_fleet
from govtui.analysis.frames import Signals
from govtui.analysis.results import FleetReport, ModelReport
from govtui.config import (
    BURN_WINDOWS,
    CHECK_KEYS,
    Config,
    FairnessConfig,
    ModelOverride,
    ModelsConfig,
    SloConfig,
)

AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
WINDOWS = (*BURN_WINDOWS, "30d")
MODELS = ["healthy", "burning", "drifting", "unfair", "degraded", "blind", "excluded"]


def traffic(model: str, error_ratio: float, slow_ratio: float) -> tuple[list, list]:
    requests = [(model, window, 100_000, round(100_000 * error_ratio)) for window in WINDOWS]
    latency = [
        (model, window, 100_000, 100_000 - round(100_000 * slow_ratio)) for window in WINDOWS
    ]
    return requests, latency


def bins(model: str, shifted: bool) -> list[tuple]:
    rows = []
    for feature in ("age", "income", "score"):
        moved = shifted and feature != "score"
        for bound, ref, cur in (
            ("0.5", 500, 100 if moved else 500),
            ("+Inf", 500, 900 if moved else 500),
        ):
            rows.append((model, feature, "numeric", bound, ref, cur))
    return rows


def outcomes(model: str, unfair: bool, accuracy_drop: bool) -> list[tuple]:
    rows = []
    for window in ("current", "reference"):
        for group, selected in (("a", 50), ("b", 30 if unfair and window == "current" else 50)):
            wrong = 20 if accuracy_drop and window == "current" else 5
            rows += [
                (model, window, "sex", group, 1, 1.0, selected - wrong // 2),
                (model, window, "sex", group, 1, 0.0, wrong // 2),
                (model, window, "sex", group, 0, 0.0, 100 - selected - wrong // 2),
                (model, window, "sex", group, 0, 1.0, wrong // 2),
                (model, window, "sex", group, 1, math.nan, 20),
            ]
    return rows


def fleet_signals() -> Signals:
    requests, latency, feature_bins, outcome_rows = [], [], [], []
    for model in MODELS:
        if model == "blind":
            continue
        error_ratio = 0.02 if model == "burning" else 0.0001
        model_requests, model_latency = traffic(model, error_ratio, 0.001)
        requests += model_requests
        latency += model_latency
        feature_bins += bins(model, shifted=model == "drifting")
        outcome_rows += outcomes(model, unfair=model == "unfair", accuracy_drop=model == "degraded")
    return Signals(
        models=MODELS,
        requests=pd.DataFrame(requests, columns=["model", "window", "total", "errors"]),
        latency=pd.DataFrame(latency, columns=["model", "window", "total", "fast"]),
        feature_bins=pd.DataFrame(
            feature_bins, columns=["model", "feature", "kind", "bin", "reference", "current"]
        ),
        outcomes=pd.DataFrame(
            outcome_rows,
            columns=["model", "window", "attribute", "group", "prediction", "label", "count"],
        ),
        warnings=["from the source"],
    )


def config() -> Config:
    return Config(
        models=ModelsConfig(exclude=["excluded"]),
        fairness=FairnessConfig(min_samples=50),
    )


def by_name(report: FleetReport) -> dict[str, ModelReport]:
    return {model.model: model for model in report.models}


def checks_of(report: ModelReport) -> set[tuple[str, str]]:
    return {(violation.check, violation.severity) for violation in report.violations}


def test_each_problem_is_flagged_with_its_check_and_severity() -> None:
    report = evaluate_fleet(fleet_signals(), config(), AT, versions={"healthy": "7"})
    models = by_name(report)
    assert "excluded" not in models
    assert set(models) == set(MODELS) - {"excluded"}

    healthy = models["healthy"]
    assert healthy.status == "ok", healthy.reasons
    assert healthy.version == "7" and models["burning"].version is None
    assert healthy.violations == [] and healthy.reasons == []
    assert healthy.checks == {
        "slo": "ok",
        "drift": "ok",
        "fairness": "ok",
        "quality": "ok",
        "source": "ok",
    }

    burning = models["burning"]
    assert burning.status == "crit"
    assert {("slo_page", "crit"), ("slo_budget", "crit")} <= checks_of(burning)
    page = next(v for v in burning.violations if v.check == "slo_page")
    assert page.subject == "availability" and page.threshold == 14.4
    assert page.value == pytest.approx(20.0)
    assert "20.0x" in page.message and "page" in page.message

    drifting = models["drifting"]
    assert drifting.checks["drift"] == "crit" and drifting.status == "crit"
    subjects = {v.subject for v in drifting.violations if v.check == "drift"}
    assert subjects == {"age", "income", "drifted_share"}
    assert drifting.drift.features[-1].feature == "score"

    unfair = models["unfair"]
    assert unfair.checks["fairness"] == "crit"
    (violation,) = [v for v in unfair.violations if v.check == "fairness"]
    assert (violation.subject, violation.severity, violation.threshold) == ("sex", "crit", 0.8)
    assert violation.value == pytest.approx((30 + 20) / (50 + 20))  # unlabelled count too
    assert "four-fifths" in violation.message

    degraded = models["degraded"]
    assert ("quality", "crit") in checks_of(degraded)
    (violation,) = [v for v in degraded.violations if v.check == "quality"]
    assert violation.subject == "accuracy"
    reference = degraded.quality.reference_accuracy
    assert reference is not None
    assert violation.threshold == pytest.approx(reference - 0.05)

    blind = models["blind"]
    assert blind.status == "unknown"
    assert blind.violations == []
    assert set(blind.checks.values()) == {"unknown", "ok"}
    assert blind.reasons, "unknown checks say why"

    # Fleet order: crit first, then lowest budget, then name; unknown ranks above ok.
    assert report.models[0].model == "burning"  # the exhausted budget sorts first
    assert report.models[-1].model == "healthy"
    assert report.status == "crit"
    assert report.evaluated_at == "2026-03-04T05:06:07Z"
    assert report.warnings == ["from the source"]
    for model in report.models:
        assert model.reasons[: len(model.violations)] == [v.message for v in model.violations]
        assert all(v.check in CHECK_KEYS for v in model.violations)


def test_violations_are_sorted_crit_first() -> None:
    report = evaluate_fleet(fleet_signals(), config(), AT)
    for model in report.models:
        ranks = [{"crit": 0, "warn": 1}[v.severity] for v in model.violations]
        assert ranks == sorted(ranks)


def test_absent_frames_make_their_checks_unknown_with_a_reason() -> None:
    signals = fleet_signals()
    signals.latency = None
    signals.outcomes = None
    report = evaluate_fleet(signals, config(), AT)
    healthy = by_name(report)["healthy"]
    assert healthy.checks["fairness"] == "unknown"
    assert healthy.checks["quality"] == "unknown"
    assert healthy.checks["slo"] == "unknown"  # the latency SLO has no data
    assert healthy.status == "unknown"
    assert "no latency data" in healthy.reasons
    assert "no outcomes data" in healthy.reasons
    assert [slo.status for slo in healthy.slos] == ["ok", "unknown"]


def test_failed_sources_are_crit_source_down_for_every_model() -> None:
    signals = fleet_signals()
    signals.requests = None
    signals.failed = {"requests": "HTTP 503 from prometheus\ntraceback...", "series": "timeout"}
    report = evaluate_fleet(signals, config(), AT)
    for model in report.models:
        down = [v for v in model.violations if v.check == "source_down"]
        assert [(v.subject, v.severity) for v in down] == [("requests", "crit")]
        assert down[0].message == "requests source failed: HTTP 503 from prometheus"
        assert model.checks["source"] == "crit"
        assert model.status == "crit"
        availability = next(slo for slo in model.slos if slo.kind == "availability")
        assert availability.status == "unknown"
    assert "series source failed: timeout" in report.warnings


def test_quiet_signals_are_warn_source_down_and_their_checks_unknown() -> None:
    signals = fleet_signals()
    signals.freshness = pd.DataFrame(
        [
            ("burning", "requests", (AT - timedelta(hours=2, minutes=13, seconds=9)).timestamp()),
            ("burning", "requests", (AT - timedelta(hours=3)).timestamp()),  # older row: ignored
            ("burning", "latency", (AT - timedelta(minutes=1)).timestamp()),
            ("unfair", "outcomes", (AT - timedelta(minutes=16)).timestamp()),
            ("healthy", "outcomes", (AT - timedelta(minutes=15)).timestamp()),  # not above 15m
            ("healthy", "requests", math.nan),
            ("ghost", "requests", 0.0),
            ("healthy", "series", 0.0),  # display-only: gates nothing
        ],
        columns=["model", "signal", "last_seen"],
    )
    models = by_name(evaluate_fleet(signals, config(), AT))
    burning = models["burning"]
    (down,) = [v for v in burning.violations if v.check == "source_down"]
    assert down.message == "no samples from requests for 2h13m"
    assert down.severity == "warn"
    assert down.value == pytest.approx(2 * 3600 + 13 * 60 + 9)
    assert down.threshold == 900
    # The availability SLO fed by the quiet signal is unknown; its page is not raised on stale data.
    assert [slo.status for slo in burning.slos] == ["unknown", "ok"]
    assert "slo_page" not in {v.check for v in burning.violations}
    assert burning.checks["source"] == "warn"
    unfair = models["unfair"]
    assert unfair.checks["fairness"] == "unknown" and unfair.checks["quality"] == "unknown"
    assert unfair.checks["source"] == "warn"
    assert "fairness" not in {v.check for v in unfair.violations}
    assert models["healthy"].status == "ok"


def test_a_model_missing_from_one_frame_keeps_its_other_checks() -> None:
    signals = fleet_signals()
    assert signals.feature_bins is not None
    signals.feature_bins = signals.feature_bins[signals.feature_bins["model"] != "healthy"]
    healthy = by_name(evaluate_fleet(signals, config(), AT))["healthy"]
    assert healthy.checks["drift"] == "unknown"
    assert healthy.checks["slo"] == "ok"
    assert healthy.status == "unknown"
    assert "drift: no feature with data in both windows" in healthy.reasons


def test_per_model_overrides_apply() -> None:
    base = config()
    lenient = Config(
        models=ModelsConfig(
            exclude=["excluded"],
            overrides={
                "burning": ModelOverride(
                    slos=[SloConfig(name="loose", kind="availability", objective=0.9)]
                ),
                "unfair": ModelOverride(fairness=FairnessConfig(min_samples=50, crit_ratio=0.5)),
            },
        ),
        fairness=base.fairness,
    )
    models = by_name(evaluate_fleet(fleet_signals(), lenient, AT))
    assert [slo.name for slo in models["burning"].slos] == ["loose"]
    assert models["burning"].status == "ok"
    assert models["unfair"].checks["fairness"] == "warn"


def test_no_models_and_empty_signals() -> None:
    report = evaluate_fleet(Signals(models=[]), Config(), AT)
    assert (report.status, report.models) == ("unknown", [])
    report = evaluate_fleet(Signals(models=["a", "a"]), Config(), AT)
    (only,) = report.models
    assert only.status == "unknown"
    assert only.checks["slo"] == "unknown"
    assert "no requests data" in only.reasons


def test_naive_times_are_taken_as_utc() -> None:
    report = evaluate_fleet(Signals(models=[]), Config(), datetime(2026, 1, 2, 3, 4, 5))
    assert report.evaluated_at == "2026-01-02T03:04:05Z"


SCHEMA_KEYS = {
    "report": {"schema", "evaluated_at", "status", "models"},
    "model": {
        "model",
        "version",
        "status",
        "reasons",
        "slos",
        "drift",
        "fairness",
        "quality",
        "violations",
    },
    "slo": {
        "name",
        "kind",
        "objective",
        "sli",
        "error_budget_remaining",
        "coverage",
        "burn_rates",
        "alert",
        "status",
    },
    "drift": {"features", "drifted_share", "status"},
    "feature": {"feature", "psi", "js", "ks", "status"},
    "fairness": {
        "attribute",
        "groups",
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equal_opportunity_difference",
        "equalized_odds_difference",
        "status",
    },
    "group": {"group", "count", "selection_rate", "tpr", "fpr", "sufficient"},
    "quality": {"accuracy", "reference_accuracy", "status"},
    "violation": {"check", "subject", "value", "threshold", "severity", "message"},
}
STATUSES = {"ok", "warn", "crit", "unknown"}


def test_json_document_has_every_schema_key() -> None:
    report = evaluate_fleet(fleet_signals(), config(), AT, versions={"healthy": "3"})
    document = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert SCHEMA_KEYS["report"] <= set(document)
    assert document["schema"] == "govtui.check/v1"
    assert document["status"] in STATUSES
    seen = set()
    for model in document["models"]:
        assert SCHEMA_KEYS["model"] <= set(model)
        assert model["status"] in STATUSES
        assert all(isinstance(reason, str) for reason in model["reasons"])
        for slo in model["slos"]:
            assert SCHEMA_KEYS["slo"] <= set(slo)
            assert slo["kind"] in {"availability", "latency"}
            assert set(slo["burn_rates"]) == set(BURN_WINDOWS)
            assert slo["alert"] in {"page", "ticket", "none"}
            seen.add("slo")
        assert SCHEMA_KEYS["drift"] <= set(model["drift"])
        for feature in model["drift"]["features"]:
            assert SCHEMA_KEYS["feature"] <= set(feature)
            seen.add("feature")
        for item in model["fairness"]:
            assert SCHEMA_KEYS["fairness"] <= set(item)
            for group in item["groups"]:
                assert SCHEMA_KEYS["group"] <= set(group)
                assert isinstance(group["count"], int)
                seen.add("group")
        assert SCHEMA_KEYS["quality"] <= set(model["quality"])
        for violation in model["violations"]:
            assert SCHEMA_KEYS["violation"] <= set(violation)
            assert violation["check"] in CHECK_KEYS
            assert violation["severity"] in {"warn", "crit"}
            seen.add("violation")
    assert seen == {"slo", "feature", "group", "violation"}


def test_results_hold_plain_python_values() -> None:
    """No numpy scalars leak into the dataclasses (the console never imports numpy)."""
    report = evaluate_fleet(fleet_signals(), config(), AT)
    kinds: set[type] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            kinds.add(type(value))

    walk(report.to_dict())
    assert kinds <= {type(None), float, int, str, bool}


MESSY_NUMBERS = st.one_of(
    st.integers(-10, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["12", "", "x", None]),
    st.just([1]),  # a cell no source should produce, still no crash
)
MESSY_TEXT = st.one_of(
    st.sampled_from(["a", "b", "", "1h", "5m", "30d", "current"]), st.none(), st.just(["a"])
)


@st.composite
def messy_frame(draw: st.DrawFn, columns: tuple[str, ...], numeric: set[str]) -> pd.DataFrame:
    size = draw(st.integers(0, 12))
    data = {
        column: [draw(MESSY_NUMBERS if column in numeric else MESSY_TEXT) for _ in range(size)]
        for column in columns
    }
    return pd.DataFrame(data, columns=list(columns))


@settings(deadline=None, max_examples=60)
@given(
    messy_frame(
        ("model", "window", "total", "errors", "coverage"), {"total", "errors", "coverage"}
    ),
    messy_frame(("model", "window", "total", "fast", "slo"), {"total", "fast"}),
    messy_frame(
        ("model", "feature", "kind", "bin", "reference", "current"), {"reference", "current"}
    ),
    messy_frame(
        ("model", "window", "attribute", "group", "prediction", "label", "count"),
        {"prediction", "label", "count"},
    ),
    messy_frame(("model", "signal", "last_seen"), {"last_seen"}),
)
def test_messy_data_never_raises(
    requests: pd.DataFrame,
    latency: pd.DataFrame,
    feature_bins: pd.DataFrame,
    outcome_rows: pd.DataFrame,
    freshness: pd.DataFrame,
) -> None:
    signals = Signals(
        models=["a", "b"],
        requests=requests,
        latency=latency,
        feature_bins=feature_bins,
        outcomes=outcome_rows,
        freshness=freshness,
    )
    report = evaluate_fleet(signals, Config(), AT)
    assert {model.model for model in report.models} == {"a", "b"}
    json.dumps(report.to_dict(), allow_nan=False)
