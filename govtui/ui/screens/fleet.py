"""The fleet screen: every model, worst first, updated in place as snapshots arrive."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from govtui.analysis.results import ModelReport
from govtui.ui.bindings import FLEET_BINDINGS, SCREEN_BINDINGS
from govtui.ui.render.action_text import ASCII_NOTE_MARKER
from govtui.ui.render.fleet_rows import FleetRow, FleetRowBuilder, fleet_text
from govtui.ui.render.model_text import Palette, status_word
from govtui.ui.screens.base import SnapshotScreen
from govtui.ui.widgets.command_line import PromptScreen, open_prompt
from govtui.ui.widgets.fleet_table import FleetTable


@dataclass(frozen=True)
class FleetFilter:
    """A `/` filter: a regex over each row's text; a leading `!` keeps the rows that do not match."""

    text: str
    pattern: re.Pattern[str] | None
    inverted: bool

    def matches(self, row_text: str) -> bool:
        """Whether a row stays visible."""
        if self.pattern is None:
            return True
        found = self.pattern.search(row_text) is not None
        return found != self.inverted


NO_FILTER = FleetFilter("", None, False)


def parse_filter(text: str) -> FleetFilter:
    """A filter from what was typed; ValueError with the regex problem when it does not compile.

    Smart case: lower-case patterns ignore case, a pattern with a capital letter does not.
    """
    inverted = text.startswith("!")
    body = text[1:] if inverted else text
    if not body:
        return NO_FILTER if not inverted else FleetFilter(text, None, False)
    flags = 0 if any(char.isupper() for char in body) else re.IGNORECASE
    try:
        pattern = re.compile(body, flags)
    except re.error as exc:
        raise ValueError(f"invalid regex {body!r}: {exc}") from None
    return FleetFilter(text, pattern, inverted)


def worst_violation(report: ModelReport) -> str | None:
    """The check key of a model's worst violation (violations come worst first)."""
    ranked = sorted(
        report.violations, key=lambda item: {"crit": 0, "warn": 1}.get(item.severity, 2)
    )
    return ranked[0].check if ranked else None


class FleetScreen(SnapshotScreen):
    """The console's home: one row per model."""

    BINDINGS: ClassVar[list[BindingType]] = [*SCREEN_BINDINGS, *FLEET_BINDINGS]
    breadcrumb = "fleet"

    DEFAULT_CSS = """
    FleetScreen #fleet-summary {
        height: 1;
        padding: 0 1;
        color: $foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.filter = NO_FILTER
        self.rows: list[FleetRow] = []
        self.row_builder = FleetRowBuilder()
        self.palette = Palette()

    def compose_body(self) -> ComposeResult:
        yield Static("", id="fleet-summary", markup=False)
        yield FleetTable()

    @property
    def table(self) -> FleetTable:
        """The fleet table."""
        return self.query_one(FleetTable)

    def on_mount(self) -> None:
        """Show what the app already has; follow theme changes."""
        if getattr(self.app, "ascii_mode", False):
            self.row_builder.note_marker = ASCII_NOTE_MARKER
        self.palette = Palette.from_theme(self.app.theme_variables)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())
        self.table.focus()
        self.apply_latest()

    def on_unmount(self) -> None:
        """Stop following the theme (the signal's callback would keep this screen alive)."""
        self.app.theme_changed_signal.unsubscribe(self)

    def apply_snapshot(self, snapshot: Any) -> None:
        """Diff the snapshot's rows into the table."""
        super().apply_snapshot(snapshot)
        self.rows = self.row_builder.rows(snapshot, self.palette)
        self._show()
        self._summarise(snapshot)

    def _show(self) -> None:
        visible = [row for row in self.rows if self.filter.matches(row.search_text)]
        self.table.apply(visible)

    def _summarise(self, snapshot: Any) -> None:
        counts = Counter(report.status for report in snapshot.report.models)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{len(snapshot.report.models)} models")
        for status in ("crit", "warn", "unknown", "ok"):
            if counts.get(status):
                text.append("  ")
                text.append(f"{counts[status]} {status_word(status)}", self.palette.status(status))
        if self.filter.text:
            shown = len(self.table.row_keys)
            text.append(f"   filter /{self.filter.text} ({shown} shown)")
        self.query_one("#fleet-summary", Static).update(text)

    def _theme_changed(self) -> None:
        self.palette = Palette.from_theme(self.app.theme_variables)
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None:
            self.apply_snapshot(snapshot)

    # ------------------------------------------------------------------ filter

    def set_filter(self, text: str) -> str | None:
        """Apply a filter; returns the regex error instead of applying an invalid one."""
        try:
            self.filter = parse_filter(text)
        except ValueError as exc:
            return str(exc)
        self._show()
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None:
            self._summarise(snapshot)
        return None

    async def action_filter(self) -> None:
        """`/`: type a regex; rows filter as you type; Esc restores the previous filter.

        The prompt is awaited, so keys typed (or pasted) right after `/` reach it.
        """
        previous = self.filter.text

        def done(result: str | None) -> None:
            if result is None:
                self.set_filter(previous)
            elif (error := self.set_filter(result)) is not None:
                self.notify(error, title="filter", severity="error", markup=False)
                self.set_filter(previous)

        prompt = PromptScreen("filter", value=previous, on_change=self.set_filter)
        await open_prompt(self.app, prompt, done)

    def action_back(self) -> None:
        """Esc on the fleet clears the filter (there is nowhere further back)."""
        if self.filter.text:
            self.set_filter("")

    # ------------------------------------------------------------------ drill-down

    def selected_model(self) -> str | None:
        """The model under the cursor."""
        return self.table.cursor_key

    def on_data_table_row_selected(self, event: FleetTable.RowSelected) -> None:
        """Enter (or a click) on a row opens the model."""
        event.stop()
        self.action_open_model()

    def action_open_model(self) -> None:
        """Enter: drill into the selected model."""
        model = self.selected_model()
        if model is not None:
            app: Any = self.app
            app.open_model(model)

    def action_lineage(self) -> None:
        """`l`: lineage of the selected model's champion."""
        model = self.selected_model()
        if model is not None:
            app: Any = self.app
            app.open_lineage(model)

    def action_alerts(self) -> None:
        """`a`: alerts and violations of the fleet."""
        app: Any = self.app
        app.open_alerts()

    def action_runbook(self) -> None:
        """`b`: the runbook of the selected model's worst violation."""
        model = self.selected_model()
        snapshot = getattr(self.app, "snapshot", None)
        if model is None or snapshot is None:
            return
        report = next((item for item in snapshot.report.models if item.model == model), None)
        check = worst_violation(report) if report is not None else None
        if check is None:
            self.notify(f"{model} has no violation", title="runbook", markup=False)
            return
        app: Any = self.app
        app.open_runbook(check, model)

    def copy_text(self) -> str:
        """The visible rows as aligned text."""
        visible = [row for row in self.rows if self.filter.matches(row.search_text)]
        return fleet_text(visible)
