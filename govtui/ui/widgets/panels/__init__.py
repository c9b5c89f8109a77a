"""Panels of the model screen and what they share: a bordered section and a table that diffs.

A panel receives a `ModelView` (one model cut from a FleetSnapshot) and updates only what changed:
tables compare each cell with what they already show and call `update_cell` for the differing ones,
plots replot only when their data changed. Rebuilding a table happens only when its rows change
order or membership.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from govtui.ui.render.model_text import (
    FOUR_FIFTHS_NOTE,
    ModelView,
    Palette,
    Row,
    fmt_age,
)


class SyncedTable(DataTable[Text]):
    """A DataTable that applies a new list of rows by updating only the cells that changed."""

    DEFAULT_CSS = """
    SyncedTable {
        height: auto;
        max-height: 18;
    }
    SyncedTable:focus > .datatable--cursor {
        background: $primary 35%;
        text-style: bold;
    }
    SyncedTable > .datatable--header-cursor {
        background: $primary 35%;
        color: $foreground;
    }
    """

    def __init__(
        self,
        columns: Sequence[str] = (),
        *,
        cursor: Literal["row", "column", "cell", "none"] = "row",
        label_column: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(
            id=id,
            cursor_type=cursor,
            zebra_stripes=False,
            cell_padding=1,
            fixed_columns=1 if label_column else 0,
            show_cursor=False,
            cursor_foreground_priority="renderable",  # status colours stay readable under it
        )
        self._first_column_is_label = label_column
        self._column_labels: tuple[str, ...] = tuple(columns)
        self._columns_shown: tuple[str, ...] | None = None
        self._order: list[str] = []
        self._shown: dict[str, tuple[Text, ...]] = {}
        self.cells_updated = 0
        self.rebuilds = 0

    @property
    def row_keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._order)

    @property
    def column_labels(self) -> tuple[str, ...]:
        """The column headers shown."""
        return self._columns_shown or ()

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, None when the table is empty."""
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    def on_focus(self) -> None:
        """Only the focused table shows its cursor, so one selection is visible at a time."""
        self.show_cursor = True

    def on_blur(self) -> None:
        self.show_cursor = False

    def shown(self, key: str) -> tuple[Text, ...] | None:
        """The cells a row currently shows."""
        return self._shown.get(key)

    def sync(self, rows: Sequence[Row], columns: Sequence[str] | None = None) -> int:
        """Show `rows` (key, cells) under `columns`; returns how many cells were written."""
        labels = tuple(columns) if columns is not None else self._column_labels
        if labels != self._columns_shown:
            self.clear(columns=True)
            for index, label in enumerate(labels):
                self.add_column(Text(label), key=str(index))  # never parsed as markup
            self._columns_shown = labels
            self._order = []
            self._shown = {}
        keys = [key for key, _ in rows]
        if keys != self._order:
            return self._rebuild(rows)
        written = 0
        for key, cells in rows:
            old = self._shown[key]
            for index, (before, after) in enumerate(zip(old, cells, strict=True)):
                if not same_text(before, after):
                    self.update_cell(key, str(index), after, update_width=True)
                    written += 1
            self._shown[key] = cells
        self.cells_updated += written
        return written

    def _rebuild(self, rows: Sequence[Row]) -> int:
        """Rows changed order or membership: re-add them all, keeping the cursor on its row."""
        keep_row = self.cursor_key
        keep_column = self.cursor_column
        self.clear()
        self._order = []
        self._shown = {}
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._order.append(key)
            self._shown[key] = cells
        row = self._order.index(keep_row) if keep_row in self._shown else 0
        if self._first_column_is_label:
            keep_column = max(1, min(keep_column, len(self._columns_shown or ()) - 1))
        self.move_cursor(row=row, column=keep_column, animate=False)
        self.rebuilds += 1
        written = sum(len(cells) for _, cells in rows)
        self.cells_updated += written
        return written


class Panel(Vertical, can_focus=False):
    """A bordered section of the model screen with a stale marker and a default runbook key."""

    DEFAULT_CSS = """
    Panel {
        height: auto;
        border: round $primary 60%;
        border-title-color: $foreground;
        border-title-style: bold;
        border-subtitle-color: $warning;
        padding: 0 1;
        background: $surface;
    }
    Panel:focus-within, Panel:focus {
        border: round $primary;
    }
    Panel .panel-line {
        height: auto;
    }
    Panel .numeric {
        display: none;
        height: auto;
    }
    Panel .plot-box {
        height: auto;
    }
    """

    TITLE: ClassVar[str] = ""
    CHECK: ClassVar[str | None] = None
    """The check (slo, drift, fairness, quality) whose staleness this panel reports."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = self.TITLE
        self.palette = Palette()
        self.view: ModelView | None = None

    def apply(self, view: ModelView, palette: Palette) -> None:
        """Show a new view of the model, touching only what changed."""
        self.palette = palette
        self.view = view
        stale_age = view.stale.get(self.CHECK) if self.CHECK else None
        subtitle = f"stale {fmt_age(stale_age)}" if stale_age is not None else ""
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle
        self.update_view(view, palette)

    def update_view(self, view: ModelView, palette: Palette) -> None:
        """Panel-specific application of a view (subclasses)."""

    def runbook_check(self) -> str | None:
        """The runbook key `b` opens from this panel (its selection, else its check)."""
        return None

    def replot(self) -> None:
        """Redraw the panel's plots (after a theme change)."""


def same_text(first: Text | None, second: Text | None) -> bool:
    """Equal text, base style and spans (Rich's `==` ignores the base style)."""
    if first is None or second is None:
        return first is second
    return (
        first.plain == second.plain
        and str(first.style) == str(second.style)
        and first.spans == second.spans
    )


def set_text(widget: Static, text: Text) -> bool:
    """Update a Static only when its text changed; returns whether it did."""
    previous = getattr(widget, "_govtui_text", None)
    if same_text(previous, text):
        return False
    widget._govtui_text = text  # type: ignore[attr-defined]
    widget.update(text)
    return True


def worst_violation_check(view: ModelView, checks: Sequence[str]) -> str | None:
    """The check key of the worst violation among `checks` (crit before warn), else None."""
    if view.report is None:
        return None
    rank = {"crit": 0, "warn": 1, "unknown": 2}
    candidates = [violation for violation in view.report.violations if violation.check in checks]
    if not candidates:
        return None
    return min(candidates, key=lambda violation: rank.get(violation.severity, 3)).check


__all__ = [
    "FOUR_FIFTHS_NOTE",
    "Panel",
    "SyncedTable",
    "set_text",
    "worst_violation_check",
]
