"""Pilot tests of the model screen inside a host app: selection, reflow, incremental snapshots, keys."""

from __future__ import annotations

import dataclasses

import pytest
from textual.widgets import DataTable, Static

from govtui.ui.screens.model import ModelScreen
from govtui.ui.widgets.panels import Panel, SyncedTable
from govtui.ui.widgets.panels.drift import DriftPanel
from govtui.ui.widgets.plots import DistributionPlot, ThemedPlot, TimeSeriesPlot
from tests.ui.test_model_fixtures import (
    MODEL,
    ModelHostApp,
    model_detail,
    model_report,
    snapshot,
)


def _screen(app: ModelHostApp) -> ModelScreen:
    screen = app.screen
    assert isinstance(screen, ModelScreen)
    return screen


def _tables(screen: ModelScreen) -> list[SyncedTable]:
    return list(screen.query(SyncedTable))


def _plots(screen: ModelScreen) -> list[ThemedPlot]:
    return list(screen.query(ThemedPlot))


async def test_mount_asks_for_detail_and_shows_every_panel() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        assert app.focused_models == [MODEL]
        assert [panel.border_title for panel in screen.panels] == [
            "SLO",
            "Drift",
            "Fairness",
            "Quality",
            "Alerts",
            "Versions",
        ]
        header = screen.query_one("#model-header", Static)
        assert "credit-risk  version 7  CRIT" in str(header.render())
        slo = screen.query_one("#slo-table", SyncedTable)
        assert slo.column_labels == ("", "availability", "latency")
        assert slo.shown("burn:1h") is not None
        assert slo.shown("burn:1h")[1].plain == "15.2"  # type: ignore[index]
        note = screen.query_one("#fairness-note", Static)
        assert "convention, not a legal test" in str(note.render())
        violations = screen.query_one("#alerts-violations", SyncedTable)
        assert len(violations.row_keys) == 4
        firing = screen.query_one("#alerts-firing", SyncedTable)
        states = [firing.shown(key)[2].plain for key in firing.row_keys]  # type: ignore[index]
        assert states == ["firing", "silenced"]  # the other model's alert is not here
    assert app.focused_models[-1] is None  # unmounting stops the detail


async def test_enter_on_a_feature_shows_its_distributions() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        plot = screen.query_one("#drift-plot", DistributionPlot)
        assert plot.distribution is not None and plot.distribution.feature == "income"
        replots = plot.replots
        table = screen.query_one("#drift-features", SyncedTable)
        table.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        panel = screen.query_one(DriftPanel)
        assert panel.selected_feature == "region"
        assert plot.distribution is not None and plot.distribution.feature == "region"
        assert plot.distribution.current == (0.40, 0.20, 0.20, 0.20)
        assert plot.replots == replots + 1
        numbers = str(screen.query_one("#drift-numbers", Static).render())
        assert "region (categorical)" in numbers and "north" in numbers
        # A new snapshot keeps the operator's selection.
        app.deliver(snapshot(generation=2))
        await pilot.pause()
        assert panel.selected_feature == "region"
        # A feature without a distribution in the detail says so instead of plotting stale data.
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert panel.selected_feature == "tenure"
        assert plot.distribution is None
        assert "no distribution" in str(screen.query_one("#drift-numbers", Static).render())


async def test_narrow_terminals_stack_panels_and_show_numbers() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        assert screen.has_class("-narrow")
        panels = screen.panels
        assert len({panel.virtual_region.x for panel in panels}) == 1  # one column
        tops = [panel.virtual_region.y for panel in panels]
        assert tops == sorted(tops) and len(set(tops)) == len(tops)
        assert all(not plot.display for plot in _plots(screen))
        numbers = screen.query_one("#quality-numbers", Static)
        assert numbers.display
        assert "now 0.861" in str(numbers.render())
        assert "-9h 0.870!" in str(numbers.render())  # the anomaly is marked

        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert screen.has_class("-medium")
        assert len({panel.virtual_region.x for panel in screen.panels}) == 2  # two columns
        assert all(plot.display for plot in _plots(screen))
        assert not screen.query_one("#quality-numbers", Static).display

        await pilot.resize_terminal(220, 50)
        await pilot.pause()
        assert screen.has_class("-wide")
        assert len({panel.virtual_region.x for panel in screen.panels}) == 3


async def test_a_new_snapshot_updates_only_the_changed_cells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        writes: list[tuple[str | None, str, str]] = []
        original = DataTable.update_cell

        def spy(self: DataTable, row_key, column_key, value, **kwargs):  # type: ignore[no-untyped-def]
            writes.append((self.id, str(row_key), str(column_key)))
            return original(self, row_key, column_key, value, **kwargs)

        monkeypatch.setattr(DataTable, "update_cell", spy)
        rebuilds = {table.id: table.rebuilds for table in _tables(screen)}
        replots = {plot.id: plot.replots for plot in _plots(screen)}
        header = screen.query_one("#model-header", Static)
        header_text = header.render()

        # Same data, new generation: nothing is written.
        app.deliver(snapshot(generation=2))
        await pilot.pause()
        assert writes == []
        assert {plot.id: plot.replots for plot in _plots(screen)} == replots

        # One burn rate moves: exactly that cell is written, no table is rebuilt, no replot.
        app.deliver(snapshot(generation=3, report=model_report(burn_1h=22.0)))
        await pilot.pause()
        assert writes == [("slo-table", "burn:1h", "1")]
        table = screen.query_one("#slo-table", SyncedTable)
        assert table.get_cell("burn:1h", "1").plain == "22.0"
        assert {table.id: table.rebuilds for table in _tables(screen)} == rebuilds
        assert {plot.id: plot.replots for plot in _plots(screen)} == replots
        assert header.render() == header_text

        # A distribution changes: only the drift plot redraws.
        writes.clear()
        new_detail = model_detail(current_income=(0.5, 0.2, 0.1, 0.1, 0.1))
        app.deliver(snapshot(generation=4, report=model_report(burn_1h=22.0), detail=new_detail))
        await pilot.pause()
        assert writes == []
        changed = {plot.id for plot in _plots(screen) if plot.replots != replots[plot.id]}
        assert changed == {"drift-plot"}

        # A PSI moves: its cell and the drift summary line change.
        app.deliver(
            snapshot(
                generation=5,
                report=model_report(burn_1h=22.0, income_psi=0.52),
                detail=new_detail,
            )
        )
        await pilot.pause()
        assert writes == [("drift-features", "income", "2")]
        summary = str(screen.query_one("#drift-summary", Static).render())
        assert "max PSI 0.520" in summary


async def test_rows_changing_order_rebuild_the_table_and_keep_the_cursor() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        table = screen.query_one("#drift-features", SyncedTable)
        table.focus()
        await pilot.press("down")  # region
        report = model_report()
        features = list(reversed(report.drift.features))
        reordered = dataclasses.replace(
            report, drift=dataclasses.replace(report.drift, features=features)
        )
        app.deliver(snapshot(generation=2, report=reordered))
        await pilot.pause()
        assert table.row_keys == ["tenure", "age", "region", "income"]
        assert table.cursor_key == "region"
        assert table.rebuilds == 2  # the first fill and this one


async def test_stale_checks_are_marked_on_their_panels() -> None:
    app = ModelHostApp(snapshot(stale={"drift": 45.0}))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        subtitles = {panel.border_title: panel.border_subtitle for panel in screen.panels}
        assert subtitles["Drift"] == "stale 45s"
        assert subtitles["SLO"] == ""
        assert "stale: drift 45s" in str(screen.query_one("#model-header", Static).render())
        app.deliver(snapshot(generation=2))
        await pilot.pause()
        assert screen.query_one("#panel-drift", Panel).border_subtitle == ""


async def test_a_model_missing_from_the_snapshot_is_said_not_crashed() -> None:
    app = ModelHostApp(snapshot(), model="gone-model")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        assert "not in the latest snapshot" in str(
            screen.query_one("#model-header", Static).render()
        )
        assert screen.query_one("#drift-features", SyncedTable).row_keys == []
        assert "no series" in str(screen.query_one("#quality-numbers", Static).render())


async def test_no_snapshot_yet_then_one_arrives() -> None:
    app = ModelHostApp(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        assert screen.view is not None and screen.view.report is None
        app.deliver(snapshot())
        await pilot.pause()
        assert screen.view.report is not None
        assert screen.query_one("#drift-features", SyncedTable).row_keys[0] == "income"


async def test_b_opens_the_runbook_of_the_selected_panel_or_violation() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        screen.query_one("#slo-table", SyncedTable).focus()
        await pilot.press("b")
        screen.query_one("#drift-features", SyncedTable).focus()
        await pilot.press("b")
        screen.query_one("#fairness-groups", SyncedTable).focus()
        await pilot.press("b")
        violations = screen.query_one("#alerts-violations", SyncedTable)
        violations.focus()
        await pilot.press("down", "down", "b")  # slo_page, fairness, quality
        firing = screen.query_one("#alerts-firing", SyncedTable)
        firing.focus()
        await pilot.press("down", "b")  # the silenced drift alert carries check=drift
        await pilot.pause()
        assert app.runbooks == [
            ("slo_page", MODEL),
            ("drift", MODEL),
            ("fairness", MODEL),
            ("quality", MODEL),
            ("drift", MODEL),
        ]


async def test_b_on_the_latency_column_opens_the_budget_runbook() -> None:
    report = model_report()
    from govtui.analysis.results import Violation

    with_budget = dataclasses.replace(
        report,
        violations=[
            *report.violations,
            Violation("slo_budget", "latency", 0.21, 0.25, "warn", "latency budget low"),
        ],
    )
    app = ModelHostApp(snapshot(report=with_budget))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        screen.query_one("#slo-table", SyncedTable).focus()
        await pilot.press("right", "b")
        await pilot.pause()
        assert app.runbooks == [("slo_budget", MODEL)]


async def test_l_opens_lineage_and_bindings_carry_ids() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert app.lineages == [MODEL]
        screen = _screen(app)
        bindings = {binding.id: binding for binding in screen.BINDINGS if hasattr(binding, "id")}
        assert bindings["model.runbook"].key == "b"  # type: ignore[union-attr]
        assert bindings["model.lineage"].key == "l"  # type: ignore[union-attr]
        assert all(binding.description for binding in bindings.values())  # type: ignore[union-attr]
        table_bindings = {
            binding.id: binding for binding in screen.query_one("#drift-features").BINDINGS
        }  # type: ignore[union-attr]
        assert table_bindings["model.select_feature"].key == "enter"  # type: ignore[union-attr]


async def test_theme_change_restyles_cells_and_replots() -> None:
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        table = screen.query_one("#slo-table", SyncedTable)
        before = table.get_cell("burn:1h", "1").style
        plot = screen.query_one("#quality-plot", TimeSeriesPlot)
        replots = plot.replots
        app.theme = "monochrome"
        await pilot.pause()
        after = table.get_cell("burn:1h", "1").style
        assert before != after and "reverse" in str(after)
        assert plot.replots > replots


async def test_ascii_mode_plots_emit_no_byte_above_0x7f() -> None:
    app = ModelHostApp(snapshot(), ascii_mode=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        assert screen.has_class("-ascii")
        for plot in _plots(screen):
            rendered = plot.render()
            plain = getattr(rendered, "plain", "")
            assert plain.strip(), plot.id
            assert plain.isascii(), plot.id
        assert screen.copy_text().isascii()


async def test_unicode_plots_draw_a_frame_and_markers() -> None:
    """The ASCII test could pass on empty plots: check the plots really draw in Unicode mode."""
    app = ModelHostApp(snapshot())
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        screen = _screen(app)
        quality = screen.query_one("#quality-plot", TimeSeriesPlot)
        plain = quality.render().plain  # type: ignore[union-attr]
        assert "accuracy" in plain and "anomaly" in plain
        assert "now" in plain and "-12h" in plain
        assert not plain.isascii()


async def test_plots_draw_degenerate_data_without_failing() -> None:
    """One point, constant values, gaps, one bin, one attribute: each still renders."""
    from textual.app import App, ComposeResult

    from govtui.fleet.snapshot import FeatureDistribution
    from govtui.ui.widgets.plots import LevelLine, ParityPlot, TimeLine, TimePlotData
    from tests.ui.test_model_fixtures import AT, hourly

    class PlotApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TimeSeriesPlot("series", id="series")
            yield DistributionPlot(id="distribution")
            yield ParityPlot(id="parity")

    cases = [
        hourly([0.9]),
        hourly([0.9, 0.9, 0.9]),
        hourly([None, 0.5, None, 0.6]),
        hourly([None, None]),
        hourly([float("nan"), float("inf"), 0.5]),
    ]
    app = PlotApp()
    async with app.run_test(size=(80, 40)) as pilot:
        series = app.query_one("#series", TimeSeriesPlot)
        for case in cases:
            series.set_data(
                TimePlotData(AT, (TimeLine("x", case),), (LevelLine("ref", 0.9),), (AT - 1800,))
            )
            await pilot.pause()
            assert "cannot draw" not in series.render().plain  # type: ignore[union-attr]
        distribution = app.query_one("#distribution", DistributionPlot)
        for bins in ((("a",), (1.0,), (1.0,)), (("a", "b"), (0.0, 0.0), (0.0, 0.0))):
            distribution.set_distribution(FeatureDistribution("f", "categorical", *bins))
            await pilot.pause()
            drawn = distribution.render().plain  # type: ignore[union-attr]
            assert "f: reference vs current" in drawn and "cannot draw" not in drawn
        parity = app.query_one("#parity", ParityPlot)
        for ratios in ([("sex", 0.5)], [("sex", None)], []):
            parity.set_ratios(ratios, 0.8)
            await pilot.pause()
            assert "cannot draw" not in parity.render().plain  # type: ignore[union-attr]
