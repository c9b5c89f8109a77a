"""The model screen's pure rendering: numbers, cells, styles from the policy, plain text."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.policy import BURN_RATE_ALERTS, alert_for
from govtui.config import BURN_WINDOWS, FairnessConfig
from govtui.fleet.snapshot import FeatureDistribution
from govtui.ui.render.model_text import (
    FOUR_FIFTHS_NOTE,
    ModelView,
    Palette,
    alert_rows,
    burn_window_states,
    check_of_violation_key,
    distribution_text,
    drift_rows,
    fairness_group_rows,
    fairness_summary_rows,
    fmt_burn,
    fmt_exhaustion,
    fmt_objective,
    fmt_since,
    fmt_small_percent,
    header_text,
    model_view,
    model_view_text,
    parity_line,
    parity_text,
    plain_table,
    resolve_variable,
    series_text,
    slo_columns,
    slo_rows,
    status_word,
    theme_colour,
    version_rows,
    violation_rows,
)
from govtui.ui.theme import load_themes
from tests.ui.test_model_fixtures import (
    AT,
    MODEL,
    alerts,
    hourly,
    model_detail,
    model_report,
    slo_results,
    snapshot,
)

PALETTE = Palette(crit="CRIT-STYLE", warn="WARN-STYLE", ok="OK-STYLE", unknown="dim", muted="dim")

burn_rate = st.one_of(st.none(), st.floats(min_value=0, max_value=50, allow_nan=False))


# ---------------------------------------------------------------- numbers


@settings(deadline=None)
@given(st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False))
def test_burn_rates_fit_five_columns(value: float) -> None:
    text = fmt_burn(value)
    assert len(text) <= 5
    assert text.isascii()


def test_burn_rate_formats_and_missing_values() -> None:
    assert fmt_burn(0.123) == "0.12"
    assert fmt_burn(14.4) == "14.4"
    assert fmt_burn(120.4) == "120"
    assert fmt_burn(12345) == "12k"
    assert fmt_burn(None) == "-"
    assert fmt_burn(math.nan) == "-"
    assert fmt_burn(math.inf) == "-"


def test_objectives_and_small_percentages_keep_their_digits() -> None:
    assert fmt_objective(0.999) == "99.9%"
    assert fmt_objective(0.9995) == "99.95%"
    assert fmt_objective(0.99) == "99%"
    assert fmt_small_percent(0.001) == "0.10%"
    assert fmt_small_percent(0.0004) == "0.040%"
    assert fmt_small_percent(0.25) == "25.0%"
    assert fmt_small_percent(None) == "-"


def test_time_to_exhaustion() -> None:
    paging, low = slo_results()
    assert fmt_exhaustion(paging) == "exhausted"  # budget below zero
    assert fmt_exhaustion(low) == "10d12h"
    no_burn = dataclasses.replace(low, time_to_exhaustion_seconds=None)
    assert fmt_exhaustion(no_burn) == "-"
    soon = dataclasses.replace(low, time_to_exhaustion_seconds=2 * 3600 + 5 * 60 + 7)
    assert fmt_exhaustion(soon) == "2h5m"


def test_since_is_relative_to_the_evaluation_time() -> None:
    assert fmt_since("2026-01-15T11:20:00Z", AT) == "40m"
    assert fmt_since("2026-01-15T11:20:00Z", None) == "2026-01-15 11:20Z"
    assert fmt_since("", AT) == "-"
    assert fmt_since("yesterday", AT) == "yesterday"


def test_status_words() -> None:
    assert [status_word(s) for s in ("ok", "warn", "crit", "unknown")] == [
        "OK",
        "WARN",
        "CRIT",
        "UNKN",
    ]


# ---------------------------------------------------------------- SLO highlighting = policy


@settings(deadline=None, max_examples=300)
@given(st.fixed_dictionaries({window: burn_rate for window in BURN_WINDOWS}))
def test_highlighted_windows_agree_with_the_alert_table(rates: dict[str, float | None]) -> None:
    """Windows are highlighted exactly when the policy alerts, with the policy's severity."""
    states = burn_window_states(rates)
    alert = alert_for(rates)
    if alert == "none":
        assert states == {}
    else:
        assert alert in states.values()
        assert "page" not in states.values() or alert == "page"
    for window, state in states.items():
        rows = [
            row
            for row in BURN_RATE_ALERTS
            if window in (row.long_window, row.short_window) and row.severity == state
        ]
        assert any(
            (rates[row.long_window] or 0) > row.factor
            and (rates[row.short_window] or 0) > row.factor
            for row in rows
        )


def test_slo_table_has_a_column_per_slo_and_styles_firing_windows() -> None:
    report = model_report()
    assert slo_columns(report) == ("", "availability", "latency")
    rows = dict(slo_rows(report, PALETTE))
    assert rows["burn:5m"][1].plain == "16.0"
    assert rows["burn:5m"][1].style == "CRIT-STYLE"  # page: 1h and 5m above 14.4
    assert rows["burn:1h"][1].style == "CRIT-STYLE"
    assert rows["burn:30m"][1].style == ""  # 30m above 6 but 6h is not: no page from them
    assert rows["burn:6h"][1].style == "WARN-STYLE"  # ticket: 3d and 6h above 1
    assert rows["burn:3d"][2].plain == "-"
    assert rows["alert"][1].plain == "page"
    assert rows["budget"][1].plain == "-18.0%"
    assert rows["budget"][1].style == "CRIT-STYLE"
    assert rows["budget"][2].style == "WARN-STYLE"  # warn without a ticket: low budget
    assert rows["error_ratio"][1].plain == "0.21%/0.10%"
    assert rows["error_ratio"][1].style == "WARN-STYLE"
    assert rows["error_ratio"][2].style == ""
    assert rows["coverage"][2].plain == "50%"
    assert next(iter(rows.values()))[0].plain == "burn 5m"


def test_slo_rows_without_a_report_keep_their_labels() -> None:
    rows = slo_rows(None, PALETTE)
    assert all(len(cells) == 1 for _, cells in rows)
    assert slo_columns(None) == ("",)


# ---------------------------------------------------------------- drift, fairness, alerts


def test_drift_rows_keep_analysis_order_and_show_missing_as_dash() -> None:
    rows = drift_rows(model_report(), PALETTE)
    assert [key for key, _ in rows] == ["income", "region", "age", "tenure"]
    income = rows[0][1]
    assert [cell.plain for cell in income] == ["income", "num", "0.410", "0.290", "0.310", "CRIT"]
    assert income[2].style == "CRIT-STYLE"
    region = rows[1][1]
    assert region[4].plain == "-"  # KS is null for categorical features
    assert rows[3][1][5].plain == "UNKN"


def test_distribution_text_lists_bins_as_percentages() -> None:
    distribution = FeatureDistribution(
        "income", "numeric", ("10", "+Inf"), (0.25, 0.75), (0.5, 0.5)
    )
    text = distribution_text(distribution, "income").plain
    assert "10      25.0%    50.0%" in text
    assert "+Inf    75.0%    50.0%" in text
    assert "no distribution" in distribution_text(None, "income").plain
    assert "select a feature" in distribution_text(None, None).plain


def test_fairness_rows_mark_insufficient_groups_and_compare_with_the_line() -> None:
    report = model_report()
    summary = dict(fairness_summary_rows(report, PALETTE, 0.8))
    assert summary["sex"][2].plain == "< 0.80"
    assert summary["sex"][2].style == "CRIT-STYLE"
    assert summary["age_band"][2].plain == ">= 0.80"
    groups = fairness_group_rows(report, PALETTE)
    notes = {key.split("\x00")[1]: cells[6].plain for key, cells in groups}
    assert notes == {"female": "", "male": "", "18-30": "", "31-60": "", "60+": "insufficient"}
    assert len({key for key, _ in groups}) == len(groups)
    with_threshold = fairness_group_rows(report, PALETTE, 100)
    assert with_threshold[-1][1][6].plain == "insufficient (<100)"
    assert "0.705 < 0.80 line" in parity_text(report.fairness, 0.8).plain


def test_parity_line_follows_the_config() -> None:
    assert parity_line(None) == 0.8
    assert parity_line(FairnessConfig(crit_ratio=0.7, warn_ratio=0.9)) == 0.7


def test_violations_sort_worst_first_and_carry_their_runbook_key() -> None:
    rows = violation_rows(model_report(), PALETTE)
    assert [check_of_violation_key(key) for key, _ in rows] == [
        "slo_page",
        "fairness",
        "quality",
        "drift",
    ]
    assert rows[0][1][3].plain == "15.2/14.4"


def test_alert_rows_show_silenced_alerts_as_silenced() -> None:
    rows = alert_rows(alerts()[:2], PALETTE, AT)
    firing, silenced = (cells for _, cells in rows)
    assert firing[2].plain == "firing"
    assert firing[1].style == "CRIT-STYLE"
    assert firing[3].plain == "40m"
    assert silenced[2].plain == "silenced"
    assert silenced[0].style == "dim"


def test_versions_show_aliases_and_gate() -> None:
    rows = dict(version_rows(model_detail().versions, PALETTE))
    assert rows["7"][2].plain == "champion"
    assert rows["5"][2].plain == "-"
    assert rows["6"][4].plain == "pass"


def test_series_text_marks_anomalies_and_the_evaluation_hour() -> None:
    series = hourly([0.9, 0.91, 0.5, 0.9], [False, False, True, False], reference=0.9)
    text = series_text(series, AT).plain
    assert "-1h 0.500!" in text
    assert "now 0.900" in text
    assert "reference 0.900" in text
    assert "(! = anomaly)" in text
    assert "no series" in series_text(None, AT).plain


# ---------------------------------------------------------------- view and copy


def test_model_view_cuts_one_model_out_of_the_snapshot() -> None:
    item = snapshot(stale={"drift": 45.0}, extra_models=2)
    view = model_view(item, MODEL)
    assert view.report is not None and view.report.model == MODEL
    assert view.detail is not None
    assert [alert.model for alert in view.alerts] == [MODEL, MODEL]
    assert view.stale == {"drift": 45.0}
    missing = model_view(item, "no-such-model")
    assert missing.report is None and missing.detail is None and missing.alerts == ()


def test_copied_text_is_ascii_and_has_every_panel() -> None:
    text = model_view_text(model_view(snapshot(), MODEL))
    assert text.isascii()
    for needle in (
        "credit-risk  version 7  CRIT",
        "burn 1h",
        "15.2",
        "income",
        "60+",
        "insufficient",
        FOUR_FIFTHS_NOTE,
        "accuracy 0.861",
        "GovtuiDrift",
        "silenced",
        "champion",
        "6 -> 7",
    ):
        assert needle in text, needle


def test_copy_of_a_model_without_report_says_so() -> None:
    text = model_view_text(ModelView(model="ghost", report=None, detail=None))
    assert "ghost  not in the latest snapshot" in text


def test_header_lists_checks_and_caps_reasons() -> None:
    report = dataclasses.replace(
        model_report(), reasons=["first reason", "second reason", "third", "fourth"]
    )
    view = ModelView(model=MODEL, report=report, detail=None, evaluated_at=AT, replay=True)
    lines = header_text(view, PALETTE).plain.splitlines()
    assert lines[0] == "credit-risk  version 7  CRIT  REPLAY @ 2026-01-15 12:00Z"
    assert lines[1] == "slo CRIT  drift WARN  fairness CRIT  quality CRIT"
    assert lines[2] == "first reason; second reason (+2 more)"
    live = dataclasses.replace(view, replay=False, stale={"drift": 90.0})
    assert (
        header_text(live, PALETTE)
        .plain.splitlines()[0]
        .endswith("at 2026-01-15 12:00Z  stale: drift 1m30s")
    )


def test_plain_table_aligns_columns() -> None:
    rows = violation_rows(model_report(), Palette())
    lines = plain_table(("check", "subject", "severity", "value/limit", "message"), rows)
    header, first = lines.splitlines()[:2]
    assert header.index("subject") == first.index("availability")


# ---------------------------------------------------------------- palette from the theme


def test_palette_reads_the_shipped_themes_variables() -> None:
    themes = load_themes()
    dark = themes["dark"]
    variables = {**dark.variables, "error": dark.error or "", "warning": dark.warning or ""}
    palette = Palette.from_theme(variables)
    assert palette.crit == f"bold {dark.variables['status-crit']}"
    mono = themes["monochrome"]
    palette = Palette.from_theme(dict(mono.variables))
    assert palette.crit.startswith("bold reverse")


def test_theme_variables_follow_references_and_drop_alpha() -> None:
    variables = {"status-crit": "$error", "error": "#B93C5B", "muted": "#E0E0E099", "loop": "$loop"}
    assert resolve_variable(variables, "status-crit") == "#B93C5B"
    assert resolve_variable(variables, "loop") is None
    assert resolve_variable(variables, "absent") is None
    assert theme_colour(variables, "muted") == "#E0E0E0"
    assert theme_colour({"x": "auto 87%"}, "x") == ""
    assert Palette.from_theme(variables).crit == "bold #B93C5B"
