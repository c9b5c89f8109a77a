"""Quality panel: accuracy over time with anomalies marked, the reference level and alias moves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from govtui.fleet.snapshot import ModelDetail, Series
from govtui.ui.render.model_text import ModelView, Palette, quality_summary, series_text
from govtui.ui.widgets.panels import Panel, set_text
from govtui.ui.widgets.plots import LevelLine, TimeLine, TimePlotData, TimeSeriesPlot

ACCURACY_SIGNALS = ("accuracy", "quality:accuracy", "quality")


def accuracy_series(detail: ModelDetail | None) -> Series | None:
    """The hourly accuracy series, by the names the Collector may give it."""
    if detail is None:
        return None
    return next((detail.series[name] for name in ACCURACY_SIGNALS if name in detail.series), None)


class QualityPanel(Panel, can_focus=True):
    """Accuracy now against the reference, and its hourly history (focusable: it has no table)."""

    TITLE = "Quality"
    CHECK = "quality"

    def compose(self) -> ComposeResult:
        yield Static(id="quality-summary", classes="panel-line")
        yield TimeSeriesPlot("accuracy by hour", id="quality-plot", classes="plot")
        yield Static(id="quality-numbers", classes="numeric")

    def update_view(self, view: ModelView, palette: Palette) -> None:
        report = view.report
        set_text(
            self.query_one("#quality-summary", Static),
            quality_summary(report, palette) if report else Text("no quality data", style="dim"),
        )
        series = accuracy_series(view.detail)
        reference = report.quality.reference_accuracy if report else None
        if reference is None and series is not None:
            reference = series.reference
        data = None
        if series is not None:
            levels = (LevelLine("reference", reference),) if reference is not None else ()
            moves = tuple(move.time for move in view.detail.alias_moves) if view.detail else ()
            data = TimePlotData(view.evaluated_at, (TimeLine("accuracy", series),), levels, moves)
        self.query_one("#quality-plot", TimeSeriesPlot).set_data(data)
        set_text(self.query_one("#quality-numbers", Static), series_text(series, view.evaluated_at))

    def runbook_check(self) -> str | None:
        return "quality"

    def replot(self) -> None:
        self.query_one("#quality-plot", TimeSeriesPlot).replot()
