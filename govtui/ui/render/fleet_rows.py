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
from govtui.ui.render.action_text import NOTE_MARKER
from govtui.ui.render.model_text import (
    MISSING,
    Palette,
    cell,
    fmt_age,
    fmt_burn,
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


def _burn_meaning(report: ModelReport) -> str:
    alerts = [slo.alert for slo in report.slos]
    if "page" in alerts:
        return "page"
    return "ticket" if "ticket" in alerts else ""


# A cell before styling: its text and what it means ("crit", "page", "accent", "" ...).
CellValue = tuple[str, str]


def row_values(
    report: ModelReport,
    alerts: Sequence[AlertInfo],
    stale: dict[str, float] | None,
    note_marker: str = "",
) -> tuple[CellValue, ...]:
    """One model's cells as plain (text, meaning) pairs, in column order (cheap to compare).

    `note_marker` is drawn beside the name of a model that carries operator notes.
    """
    worst_slo = report.worst_slo
    drift = report.drift.status
    values = {
        "model": (f"{report.model} {note_marker}" if note_marker else report.model, ""),
        "version": (report.version or MISSING, ""),
        "health": (status_word(report.status), report.status),
        "budget": (budget_text(report), worst_slo.status if worst_slo else "unknown"),
        "burn": (fmt_burn(worst_burn_rate(report)), _burn_meaning(report)),
        "psi": (_ratio(report.drift.max_psi), drift),
        "drift": (drifted_text(report), drift),
        "parity": (_ratio(report.worst_parity_ratio), report.checks.get("fairness", "unknown")),
        "accuracy": (accuracy_change_text(report), report.quality.status),
        "alerts": (alerts_text(alerts), "crit" if alerts else ""),
        "stale": (stale_text(stale), "accent"),
    }
    return tuple(values[key] for key in COLUMN_KEYS)


def _style(meaning: str, palette: Palette) -> str:
    if meaning == "":
        return ""
    return palette.accent if meaning == "accent" else palette.status(meaning)


def build_row(key: str, values: tuple[CellValue, ...], search: str, palette: Palette) -> FleetRow:
    """Rich cells from plain values (model names go in verbatim, never parsed as markup)."""
    cells = []
    for column, (text, meaning) in zip(COLUMNS, values, strict=True):
        value = cell(text, _style(meaning, palette))
        value.pad_left(CELL_GAP)
        if column.numeric:
            value.justify = "right"
        cells.append(value)
    return FleetRow(key, tuple(cells), search)


def search_text(report: ModelReport) -> str:
    """What `/` matches: name, version, health and the checks that are not ok."""
    troubled = sorted(check for check, status in report.checks.items() if status != "ok")
    return " ".join([report.model, report.version or "", status_word(report.status), *troubled])


def fleet_row(
    report: ModelReport,
    alerts: Sequence[AlertInfo],
    stale: dict[str, float] | None,
    palette: Palette,
) -> FleetRow:
    """One model's row."""
    return build_row(report.model, row_values(report, alerts, stale), search_text(report), palette)


class FleetRowBuilder:
    """Builds the fleet's rows, reusing the Rich cells of every model whose figures did not change.

    A refresh of 1000 models usually changes a few; building 11,000 styled Text cells each time
    would cost tens of milliseconds on the console's event loop.
    """

    def __init__(self, note_marker: str = NOTE_MARKER) -> None:
        self.note_marker = note_marker
        self._palette: Palette | None = None
        self._cache: dict[str, tuple[tuple[CellValue, ...], str, FleetRow]] = {}

    def rows(self, snapshot: FleetSnapshot, palette: Palette) -> list[FleetRow]:
        """Every model's row in the fleet's order (worst health, lowest budget, name)."""
        if palette != self._palette:
            self._palette = palette
            self._cache = {}
        by_model: dict[str, list[AlertInfo]] = {}
        for alert in snapshot.alerts:
            if alert.model is not None:
                by_model.setdefault(alert.model, []).append(alert)
        notes = getattr(snapshot, "notes", None) or {}  # older cached snapshots have none
        cache: dict[str, tuple[tuple[CellValue, ...], str, FleetRow]] = {}
        result = []
        for report in snapshot.report.models:
            values = row_values(
                report,
                by_model.get(report.model, []),
                snapshot.stale_checks.get(report.model),
                self.note_marker if notes.get(report.model) else "",
            )
            search = search_text(report)
            known = self._cache.get(report.model)
            if known is not None and known[0] == values and known[1] == search:
                row = known[2]
            else:
                row = build_row(report.model, values, search, palette)
            cache[report.model] = (values, search, row)
            result.append(row)
        self._cache = cache
        return result


def fleet_rows(snapshot: FleetSnapshot, palette: Palette) -> list[FleetRow]:
    """Every model's row in the fleet's order (worst health, lowest budget, name)."""
    return FleetRowBuilder().rows(snapshot, palette)


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
