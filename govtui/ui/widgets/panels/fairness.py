"""Fairness panel: groups with count, selection rate, TPR, FPR; parity ratio against the 0.8 line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from govtui.ui.render.model_text import (
    FAIRNESS_GROUP_COLUMNS,
    FAIRNESS_SUMMARY_COLUMNS,
    FOUR_FIFTHS_NOTE,
    ModelView,
    Palette,
    fairness_group_rows,
    fairness_summary_rows,
    parity_text,
)
from govtui.ui.widgets.panels import Panel, SyncedTable, set_text
from govtui.ui.widgets.plots import ParityPlot


class FairnessPanel(Panel):
    """Per protected attribute: parity ratio against the line, and every group's rates."""

    TITLE = "Fairness"
    CHECK = "fairness"

    def __init__(
        self, *, line: float, min_samples: int | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.line = line
        self.min_samples = min_samples

    def compose(self) -> ComposeResult:
        yield SyncedTable(FAIRNESS_SUMMARY_COLUMNS, id="fairness-summary")
        yield SyncedTable(FAIRNESS_GROUP_COLUMNS, id="fairness-groups")
        yield ParityPlot(id="fairness-plot", classes="plot")
        yield Static(id="fairness-numbers", classes="numeric")
        yield Static(FOUR_FIFTHS_NOTE, id="fairness-note", classes="panel-line note")

    def update_view(self, view: ModelView, palette: Palette) -> None:
        report = view.report
        fairness = report.fairness if report else []
        self.query_one("#fairness-summary", SyncedTable).sync(
            fairness_summary_rows(report, palette, self.line) if report else []
        )
        self.query_one("#fairness-groups", SyncedTable).sync(
            fairness_group_rows(report, palette, self.min_samples) if report else []
        )
        self.query_one("#fairness-plot", ParityPlot).set_ratios(
            [(item.attribute, item.demographic_parity_ratio) for item in fairness], self.line
        )
        set_text(self.query_one("#fairness-numbers", Static), parity_text(fairness, self.line))

    def runbook_check(self) -> str | None:
        return "fairness"

    def replot(self) -> None:
        self.query_one("#fairness-plot", ParityPlot).replot()
