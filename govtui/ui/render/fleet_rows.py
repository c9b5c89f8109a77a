"""FleetSnapshot -> the fleet table's rows (Rich Text cells) and their plain-text form.

Pure functions (Rich only): the fleet screen diffs these rows against what it shows, and `y`
copies the same figures as text. Model names and versions go into `Text` verbatim, never parsed
as markup.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text

from govtui.analysis.results import ModelReport
from govtui.fleet.snapshot import AlertInfo, FleetSnapshot
from govtui.ui.render.model_text import (
    MISSING,
    Palette,
    cell,
    fmt_age,
    fmt_burn,
    status_cell,
    status_word,
)


@dataclass(frozen=True)
class Column:
    """One fleet table column: key, header, right-justified (numeric) or not."""

    key: str
    label: str
    numeric: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("model", "MODEL", numeric=False),
    Column("version", "VER", numeric=False),
    Column("health", "HEALTH", numeric=False),
    Column("budget", "BUDGET"),
    Column("burn", "BURN"),
    Column("psi", "PSI"),
    Column("drift", "DRIFT"),
    Column("parity", "PARITY"),
    Column("accuracy", "dACC"),
    Column("alerts", "ALERTS"),
    Column("stale", "STALE"),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
# Each cell starts with one space, so columns stay apart even when the table drops its padding
# to fit 80 columns.
CELL_GAP = 1


@dataclass(frozen=True)
class FleetRow:
    """One model's row: its cells in column order, and the text the `/` filter searches."""

    key: str
    cells: tuple[Text, ...]
    search_text: str


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def worst_burn_rate(report: ModelReport) -> float | None:
    """The highest burn rate over every SLO and window of a model."""
    rates = [rate for slo in report.slos for rate in slo.burn_rates.values() if _finite(rate)]
    return max(rates) if rates else None  # type: ignore[type-var]


def drifted_text(report: ModelReport) -> str:
    """Drifted (crit) features over features with data, like `3/20`."""
    with_data = [feature for feature in report.drift.features if feature.psi is not None]
    if not with_data:
        return MISSING
    return f"{report.drift.drifted_features}/{len(with_data)}"


def budget_text(report: ModelReport) -> str:
    """The worst SLO's error budget remaining as a percentage (negative when overspent)."""
    slo = report.worst_slo
    if slo is None or not _finite(slo.error_budget_remaining):
        return MISSING
    return f"{slo.error_budget_remaining * 100:.0f}%"  # type: ignore[operator]


def accuracy_change_text(report: ModelReport) -> str:
    """Accuracy minus reference accuracy in percentage points, like `-6.1`."""
    change = report.quality.accuracy_change
    if not _finite(change):
        return MISSING
    points = round(change * 100, 1) + 0.0  # type: ignore[operator]  # no "-0.0"
    return f"{points:+.1f}"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if _finite(value) else MISSING


def alerts_text(alerts: Sequence[AlertInfo]) -> str:
    """Firing alerts, with silenced ones counted apart (`2`, `1+1s`)."""
    firing = sum(1 for alert in alerts if not alert.silenced)
    silenced = len(alerts) - firing
    if not alerts:
        return MISSING
    return f"{firing}+{silenced}s" if silenced else str(firing)


def stale_text(ages: dict[str, float] | None) -> str:
    """The oldest stale check's age, empty when nothing is stale."""
    if not ages:
        return ""
    return fmt_age(max(ages.values()))


def _slo_style(report: ModelReport, palette: Palette) -> str:
    slo = report.worst_slo
    return palette.status(slo.status) if slo is not None else palette.unknown


def _burn_style(report: ModelReport, palette: Palette) -> str:
    alerts = [slo.alert for slo in report.slos]
    if "page" in alerts:
        return palette.crit
    if "ticket" in alerts:
        return palette.warn
    return ""


def _fairness_status(report: ModelReport) -> str:
    return report.checks.get("fairness", "unknown")


def fleet_row(
    report: ModelReport,
    alerts: Sequence[AlertInfo],
    stale: dict[str, float] | None,
    palette: Palette,
) -> FleetRow:
    """One model's cells."""
    drift_style = palette.status(report.drift.status)
    values = {
        "model": cell(report.model),
        "version": cell(report.version or MISSING),
        "health": status_cell(report.status, palette),
        "budget": cell(budget_text(report), _slo_style(report, palette)),
        "burn": cell(fmt_burn(worst_burn_rate(report)), _burn_style(report, palette)),
        "psi": cell(_ratio(report.drift.max_psi), drift_style),
        "drift": cell(drifted_text(report), drift_style),
        "parity": cell(_ratio(report.worst_parity_ratio), palette.status(_fairness_status(report))),
        "accuracy": cell(accuracy_change_text(report), palette.status(report.quality.status)),
        "alerts": cell(alerts_text(alerts), palette.crit if alerts else ""),
        "stale": cell(stale_text(stale), palette.accent),
    }
    for column in COLUMNS:
        value = values[column.key]
        value.pad_left(CELL_GAP)
        if column.numeric:
            value.justify = "right"
    troubled = sorted(check for check, status in report.checks.items() if status != "ok")
    search = " ".join([report.model, report.version or "", status_word(report.status), *troubled])
    return FleetRow(report.model, tuple(values[key] for key in COLUMN_KEYS), search)


def fleet_rows(snapshot: FleetSnapshot, palette: Palette) -> list[FleetRow]:
    """Every model's row in the fleet's order (worst health, lowest budget, name)."""
    by_model: dict[str, list[AlertInfo]] = {}
    for alert in snapshot.alerts:
        if alert.model is not None:
            by_model.setdefault(alert.model, []).append(alert)
    return [
        fleet_row(
            report,
            by_model.get(report.model, []),
            snapshot.stale_checks.get(report.model),
            palette,
        )
        for report in snapshot.report.models
    ]


def fleet_text(rows: Iterable[FleetRow]) -> str:
    """The table as aligned plain text, for `y` (copy the view)."""
    materialised = list(rows)
    headers = [column.label for column in COLUMNS]
    table = [headers] + [[text.plain.strip() for text in row.cells] for row in materialised]
    widths = [max(len(line[index]) for line in table) for index in range(len(headers))]
    lines = []
    for line in table:
        parts = [
            value.rjust(width) if column.numeric else value.ljust(width)
            for value, width, column in zip(line, widths, COLUMNS, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"
