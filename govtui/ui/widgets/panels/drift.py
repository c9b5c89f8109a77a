"""Drift panel: features by PSI with JS, KS and status; Enter shows a feature's two distributions.

`l` on a feature row asks for that feature's lineage (its source columns and datasets): the panel
posts `FeatureLineageRequested`, and the model screen opens the lineage screen on it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static

from govtui.ui.render.model_text import (
    DRIFT_COLUMNS,
    ModelView,
    Palette,
    distribution_text,
    drift_rows,
    drift_summary,
)
from govtui.ui.widgets.panels import Panel, SyncedTable, set_text
from govtui.ui.widgets.plots import DistributionPlot


class FeatureLineageRequested(Message):
    """The operator asked where a drifting feature comes from (`l` on its row)."""

    def __init__(self, feature: str) -> None:
        super().__init__()
        self.feature = feature


class FeatureTable(SyncedTable):
    """The drift features; Enter selects the feature under the cursor, `l` opens its lineage."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Compare distributions",
            id="model.select_feature",
            tooltip="Show the feature's reference and current distributions",
        ),
        Binding(
            "l",
            "feature_lineage",
            "Feature lineage",
            id="model.feature_lineage",
            tooltip="Open the lineage on this feature: its source columns and datasets",
        ),
    ]

    def action_feature_lineage(self) -> None:
        """`l`: the lineage of the feature under the cursor."""
        feature = self.cursor_key
        if feature is not None:
            self.post_message(FeatureLineageRequested(feature))


class DriftPanel(Panel):
    """Features worst first; the selected feature's reference and current distributions."""

    TITLE = "Drift"
    CHECK = "drift"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.selected_feature: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="drift-summary", classes="panel-line")
        yield FeatureTable(DRIFT_COLUMNS, id="drift-features")
        yield DistributionPlot(id="drift-plot", classes="plot")
        yield Static(id="drift-numbers", classes="numeric")

    def update_view(self, view: ModelView, palette: Palette) -> None:
        report = view.report
        set_text(
            self.query_one("#drift-summary", Static),
            drift_summary(report, palette) if report else drift_summary_missing(),
        )
        rows = drift_rows(report, palette) if report else []
        self.query_one("#drift-features", FeatureTable).sync(rows)
        features = [key for key, _ in rows]
        if self.selected_feature not in features:
            self.selected_feature = features[0] if features else None
        self._show_selected()

    def select_feature(self, feature: str) -> None:
        """Show `feature`'s distributions and move the cursor to it."""
        table = self.query_one("#drift-features", FeatureTable)
        if feature in table.row_keys:
            table.move_cursor(row=table.row_keys.index(feature), animate=False)
        self.selected_feature = feature
        self._show_selected()

    def on_data_table_row_selected(self, event: SyncedTable.RowSelected) -> None:
        """Enter on a feature row selects it."""
        if event.data_table.id != "drift-features":
            return
        event.stop()
        key = event.row_key.value
        if key is not None:
            self.select_feature(key)

    def _show_selected(self) -> None:
        view = self.view
        feature = self.selected_feature
        distribution = None
        if view is not None and view.detail is not None and feature is not None:
            distribution = view.detail.distributions.get(feature)
        self.query_one("#drift-plot", DistributionPlot).set_distribution(distribution)
        set_text(self.query_one("#drift-numbers", Static), distribution_text(distribution, feature))

    def runbook_check(self) -> str | None:
        return "drift"

    def replot(self) -> None:
        self.query_one("#drift-plot", DistributionPlot).replot()


def drift_summary_missing() -> Text:
    """The summary line when the model has no report."""
    return Text("no drift data", style="dim")
