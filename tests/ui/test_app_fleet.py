"""The fleet screen: `/` filter, in-place updates (only changed cells), refresh and pause."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult

from govtui.ui.render.fleet_rows import COLUMNS, FleetRow
from govtui.ui.screens.fleet import FleetScreen, parse_filter
from govtui.ui.widgets.command_line import PromptScreen
from govtui.ui.widgets.fleet_table import FleetTable
from govtui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app_harness import (
    make_app,
    shared_collector,
    wait_for,
    wait_for_fleet,
    wait_for_screen,
)

__all__ = ["shared_collector"]

SIZE = (120, 40)


# ---------------------------------------------------------------- filter


async def type_filter(pilot: Any, text: str) -> PromptScreen:
    await pilot.press("slash")
    prompt = await wait_for_screen(pilot, PromptScreen)
    await pilot.press(*text)
    await pilot.pause()
    return prompt


async def test_filter_narrows_as_you_type_and_enter_keeps_it(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        fleet = app.screen
        await type_filter(pilot, "fraud")
        assert fleet.table.row_keys == ["fraud-scorer"]
        await pilot.press("enter")
        await wait_for_screen(pilot, FleetScreen)
        assert fleet.table.row_keys == ["fraud-scorer"]
        assert "filter /fraud (1 shown)" in str(fleet.query_one("#fleet-summary").render())
        await pilot.press("escape")  # Esc on the fleet clears the filter
        assert len(fleet.table.row_keys) == 12


async def test_inverted_filter_and_status_words(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        fleet = app.screen
        await type_filter(pilot, "!fraud")
        assert "fraud-scorer" not in fleet.table.row_keys
        assert len(fleet.table.row_keys) == 11
        await pilot.press("escape")  # Esc in the prompt restores the filter from before
        await wait_for_screen(pilot, FleetScreen)
        assert len(fleet.table.row_keys) == 12
        await type_filter(pilot, "crit")
        crit = [m.model for m in app.snapshot.report.models if m.status == "crit"]
        assert fleet.table.row_keys == crit


async def test_invalid_regex_is_shown_not_raised(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        fleet = app.screen
        await type_filter(pilot, "eta")
        assert fleet.table.row_keys == ["eta-estimator"]
        prompt = await type_filter_more(pilot, "(")
        error = prompt.query_one("#prompt-error")
        assert "invalid regex" in str(error.render())
        assert fleet.table.row_keys == ["eta-estimator"], "the last valid filter stays"
        await pilot.press("enter")
        await wait_for_screen(pilot, FleetScreen)
        assert app.is_running
        assert any("invalid regex" in str(note.message) for note in app._notifications)
        assert len(fleet.table.row_keys) == 12, "an invalid filter falls back to the one before"


async def type_filter_more(pilot: Any, text: str) -> PromptScreen:
    await pilot.press(*text)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, PromptScreen)
    return screen


@pytest.mark.parametrize(
    ("text", "row", "shown"),
    [
        ("fraud", "fraud-scorer v4 CRIT slo", True),
        ("FRAUD", "fraud-scorer v4 CRIT slo", False),  # a capital makes it case-sensitive
        ("!fraud", "fraud-scorer v4 CRIT slo", False),
        ("!", "anything", True),
        ("^f.*r$", "fraud-scorer", True),
    ],
)
def test_parse_filter(text: str, row: str, shown: bool) -> None:
    assert parse_filter(text).matches(row) is shown


def test_parse_filter_reports_bad_regex() -> None:
    with pytest.raises(ValueError, match="invalid regex"):
        parse_filter("[a-")


# ---------------------------------------------------------------- in-place updates


def rows(names: list[str], value: str = "1") -> list[FleetRow]:
    return [
        FleetRow(
            name,
            tuple(Text(" " + (name if column.key == "model" else value)) for column in COLUMNS),
            name,
        )
        for name in names
    ]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield FleetTable()


async def test_table_updates_only_changed_cells_and_keeps_the_cursor() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(FleetTable)
        table.apply(rows(["a", "b", "c", "d"]))
        await pilot.pause()
        table.move_cursor(row=2)
        assert table.cursor_key == "c"
        changed = rows(["a", "b", "c", "d"])
        changed[1] = dataclasses.replace(
            changed[1], cells=(*changed[1].cells[:3], Text(" 9"), *changed[1].cells[4:])
        )
        table.apply(changed)
        assert table.cells_updated == 1 and table.rebuilds == 0
        assert table.get_cell("b", "budget").plain == " 9"
        # c moves to the top, e arrives, a leaves: the cursor follows c
        table.apply(rows(["c", "b", "d", "e"]))
        await pilot.pause()
        assert table.row_keys == ["c", "b", "d", "e"]
        assert [table.get_row_at(i)[0].plain.strip() for i in range(4)] == ["c", "b", "d", "e"]
        assert table.cursor_key == "c" and table.cursor_row == 0
        assert (table.rows_added, table.rows_removed, table.rebuilds) == (5, 1, 0)
        assert table.reorders >= 1


async def test_table_rebuilds_only_when_most_rows_leave_at_once() -> None:
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(FleetTable)
        many = [f"m{index:03d}" for index in range(200)]
        table.apply(rows(many))
        await pilot.pause()
        table.apply(rows(many[:10]))
        assert table.rebuilds == 1 and table.row_keys == many[:10]
        table.apply(rows(many[:10], value="2"))
        assert table.rebuilds == 1
        assert table.cells_updated == 10 * (len(COLUMNS) - 1)


async def test_a_refresh_of_unchanged_data_writes_no_cell(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        fleet = app.screen
        table = fleet.table
        generation = app.snapshot.generation
        before = (table.cells_updated, table.rebuilds, table.rows_added)
        await pilot.press("r")
        await wait_for(pilot, lambda: fleet.generation > generation, what="refreshed snapshot")
        assert (table.cells_updated, table.rebuilds, table.rows_added) == before


# ---------------------------------------------------------------- pause


async def test_pause_and_resume(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("p")
        bar = app.screen.query_one(StatusBar)
        assert "PAUSED" in str(bar.text)
        await wait_for(
            pilot,
            lambda: any(state.state == "paused" for state in app.snapshot.sources),
            what="paused sources",
        )
        generation = app.snapshot.generation
        await pilot.press("r")  # a refresh asked for while paused still runs once
        await wait_for(pilot, lambda: app.snapshot.generation > generation, what="refresh")
        await pilot.press("p")
        assert "PAUSED" not in str(bar.text)
        await wait_for(
            pilot,
            lambda: all(state.state == "live" for state in app.snapshot.sources),
            what="live sources",
        )
