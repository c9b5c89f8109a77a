"""The model screen inside the real console, fed by the real Collector on the demo fleet."""

from __future__ import annotations

from typing import Any

import pytest

from govtui.ui.app import GovtuiApp
from govtui.ui.screens.lineage import LineageScreen, LineageTree
from govtui.ui.screens.model import ModelScreen
from govtui.ui.screens.runbook import RunbookScreen
from govtui.ui.widgets.panels import SyncedTable
from govtui.ui.widgets.panels.drift import DriftPanel
from govtui.ui.widgets.panels.quality import QualityPanel
from govtui.ui.widgets.plots import DistributionPlot, TimeSeriesPlot
from tests.ui.test_model_fixtures import DEMO_MODEL, MakeApp, console, open_demo_model, wait_for

__all__ = ["console"]  # the fixture, imported so pytest finds it here


async def test_drill_down_feature_lineage_runbook_and_copy(
    console: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = console("dark")
    async with app.run_test(size=(160, 48)) as pilot:
        await open_demo_model(pilot)
        screen = app.screen
        assert isinstance(screen, ModelScreen)
        assert screen.view is not None and screen.view.detail is not None
        # The Collector sends the demo's hourly series; the quality plot draws accuracy with the
        # champion's alias move marked.
        quality = screen.query_one("#quality-plot", TimeSeriesPlot)
        assert quality.data is not None
        assert quality.data.lines[0].series.signal == "accuracy"
        assert quality.data.moves, "the promotion that dropped accuracy is marked"
        slo_plot = screen.query_one("#slo-plot", TimeSeriesPlot)
        assert slo_plot.data is not None and slo_plot.data.lines[0].label == "availability"

        # Enter on the second feature shows its distributions from the Collector's detail.
        table = screen.query_one("#drift-features", SyncedTable)
        second = table.row_keys[1]
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.query_one(DriftPanel).selected_feature == second
        plot = screen.query_one("#drift-plot", DistributionPlot)
        assert plot.distribution is not None and plot.distribution.feature == second
        assert abs(sum(plot.distribution.current) - 1.0) < 1e-9

        # `l`: the lineage screen, answered by the Collector from the demo registry.
        await pilot.press("l")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, LineageScreen) and app.screen.lineage is not None,
            "the lineage reply",
        )
        lineage_screen = app.screen
        assert isinstance(lineage_screen, LineageScreen)
        root = lineage_screen.query_one(LineageTree).root
        assert root.label.plain.startswith("deployment")
        assert any("training run" in child.label.plain for child in root.children[0].children)

        # Esc back, then `b` on the (focusable) quality panel opens the quality runbook.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the model screen again")
        screen.query_one(QualityPanel).focus()
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, RunbookScreen), "the runbook")
        runbook_screen: Any = app.screen
        assert runbook_screen.runbook.check == "quality"
        assert runbook_screen.runbook.model == DEMO_MODEL
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the model screen again")

        # `y` copies the model screen's own text form.
        copied: list[str] = []
        monkeypatch.setattr(GovtuiApp, "copy_to_clipboard", lambda self, text: copied.append(text))
        await pilot.press("y")
        await pilot.pause()
        assert copied and copied[0].startswith(f"{DEMO_MODEL}  version ")
        assert "Quality\naccuracy " in copied[0]


async def test_escape_to_the_fleet_stops_the_detail(console: MakeApp) -> None:
    app = console("dark")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_demo_model(pilot)
        sent: list[object] = []
        original = app.collector.send

        def record(request: Any) -> bool:
            sent.append(request)
            return original(request)

        app.collector.send = record  # type: ignore[method-assign]
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ModelScreen), "the fleet")
        await pilot.pause()
        focus_requests = [
            getattr(item, "model", "-") for item in sent if type(item).__name__ == "FocusModel"
        ]
        assert focus_requests == [None]
