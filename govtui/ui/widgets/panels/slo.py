"""SLO panel: burn rate per window with page/ticket windows highlighted, budget, exhaustion, 24 h ratio."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from govtui.analysis.results import SloResult
from govtui.fleet.snapshot import ModelDetail, Series
from govtui.ui.render.model_text import (
    ModelView,
    Palette,
    fmt_small_percent,
    series_text,
    slo_columns,
    slo_rows,
)
from govtui.ui.widgets.panels import Panel, SyncedTable, set_text, worst_violation_check
from govtui.ui.widgets.plots import LevelLine, TimeLine, TimePlotData, TimeSeriesPlot

SLO_CHECKS = ("slo_page", "slo_ticket", "slo_budget")
_LINE_COLOURS = ("plot-current", "plot-marker", "primary", "secondary")


def error_ratio_series(detail: ModelDetail | None, slo: SloResult) -> Series | None:
    """The hourly error-ratio series of one SLO, by the names the Collector may give it.

    A bare `error_ratio` (what the demo and the metric convention give: the 5xx share) belongs
    to availability SLOs; latency SLOs need a series named after them.
    """
    if detail is None:
        return None
    for name in (
        f"error_ratio:{slo.name}",
        f"{slo.name}:error_ratio",
        f"{slo.name}_error_ratio",
        f"error_ratio_{slo.name}",
        f"{slo.kind}_error_ratio",
        f"error_ratio:{slo.kind}",
        *(("error_ratio",) if slo.kind == "availability" else ()),
    ):
        if name in detail.series:
            return detail.series[name]
    return None


class SloPanel(Panel):
    """Per SLO: burn rates 5m..3d, budget remaining, time to exhaustion, error ratio vs allowed."""

    TITLE = "SLO"
    CHECK = "slo"

    def compose(self) -> ComposeResult:
        yield SyncedTable(cursor="column", label_column=True, id="slo-table")
        yield TimeSeriesPlot(
            "error ratio, last 24 h (%)", ylabel="%", id="slo-plot", classes="plot"
        )
        yield Static(id="slo-numbers", classes="numeric")

    def update_view(self, view: ModelView, palette: Palette) -> None:
        report = view.report
        self.query_one("#slo-table", SyncedTable).sync(
            slo_rows(report, palette), columns=slo_columns(report)
        )
        slos = report.slos if report else []
        self.query_one("#slo-plot", TimeSeriesPlot).set_data(self._plot_data(view, slos))
        set_text(self.query_one("#slo-numbers", Static), self._numbers(view, slos))

    def _plot_data(self, view: ModelView, slos: Iterable[SloResult]) -> TimePlotData | None:
        lines: list[TimeLine] = []
        levels: list[LevelLine] = []
        for index, slo in enumerate(slos):
            series = error_ratio_series(view.detail, slo)
            colour = _LINE_COLOURS[index % len(_LINE_COLOURS)]
            if series is None:
                continue
            recent = _since(series, view.evaluated_at - 86400)
            lines.append(TimeLine(slo.name, recent, colour))
            levels.append(LevelLine(f"{slo.name} allowed", 1 - slo.objective, "status-warn"))
        if not lines:
            return None
        moves = tuple(move.time for move in view.detail.alias_moves) if view.detail else ()
        return TimePlotData(view.evaluated_at, tuple(lines), tuple(levels), moves, scale=100.0)

    def _numbers(self, view: ModelView, slos: Iterable[SloResult]) -> Text:
        parts: list[Text] = []
        for slo in slos:
            series = error_ratio_series(view.detail, slo)
            parts.append(
                Text.assemble(
                    (f"{slo.name} error ratio by hour", "bold"),
                    (f" (allowed {fmt_small_percent(1 - slo.objective)})", "dim"),
                )
            )
            if series is not None:
                parts.append(
                    series_text(
                        _since(series, view.evaluated_at - 86400), view.evaluated_at, percent=True
                    )
                )
            else:
                parts.append(Text("no hourly series in this snapshot", style="dim"))
        return Text("\n").join(parts) if parts else Text("no SLOs", style="dim")

    def runbook_check(self) -> str | None:
        """The selected SLO column's alert (page, ticket) or budget violation, else the worst."""
        view = self.view
        if view is None or view.report is None:
            return None
        table = self.query_one("#slo-table", SyncedTable)
        column = table.cursor_column
        selected = table.column_labels[column] if 0 < column < len(table.column_labels) else None
        slo = next((item for item in view.report.slos if item.name == selected), None)
        if slo is not None:
            if slo.alert == "page":
                return "slo_page"
            if slo.alert == "ticket":
                return "slo_ticket"
            subjects = {
                violation.check
                for violation in view.report.violations
                if violation.check in SLO_CHECKS and violation.subject == slo.name
            }
            for check in SLO_CHECKS:
                if check in subjects:
                    return check
        return worst_violation_check(view, SLO_CHECKS) or "slo_budget"

    def replot(self) -> None:
        self.query_one("#slo-plot", TimeSeriesPlot).replot()


def _since(series: Series, cutoff: float) -> Series:
    """The part of a series at or after `cutoff` (anomaly flags kept aligned)."""
    keep = [index for index, timestamp in enumerate(series.timestamps) if timestamp >= cutoff]
    flags = list(series.anomalies)
    return Series(
        signal=series.signal,
        timestamps=tuple(series.timestamps[index] for index in keep),
        values=tuple(series.values[index] for index in keep),
        anomalies=tuple(flags[index] for index in keep if index < len(flags)),
        reference=series.reference,
    )
