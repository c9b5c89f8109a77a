"""Pilot tests of `:` command mode (every command, completion, history, errors) and the palette."""

from __future__ import annotations

from typing import Any

import pytest
from textual.command import CommandList, CommandPalette

from govtui.ui import commands
from govtui.ui.screens.alerts import AlertsScreen
from govtui.ui.screens.audit import AuditScreen
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.screens.help import HelpScreen
from govtui.ui.screens.lineage import LineageScreen
from govtui.ui.screens.model import ModelScreen
from govtui.ui.widgets.command_line import CommandLine, PromptScreen
from govtui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app_harness import (
    AT,
    make_app,
    shared_collector,
    wait_for,
    wait_for_fleet,
    wait_for_screen,
)

__all__ = ["shared_collector"]

SIZE = (120, 40)


def notes(app: Any) -> list[str]:
    return [str(note.message) for note in app._notifications]


async def run_command(pilot: Any, text: str) -> None:
    await pilot.press("colon")
    await wait_for_screen(pilot, PromptScreen)
    await pilot.press(*text)
    await pilot.press("enter")
    await pilot.pause()


async def test_model_and_fleet_commands(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        target = app.snapshot.report.models[3].model
        await run_command(pilot, f"model {target}")
        screen = await wait_for_screen(pilot, ModelScreen)
        assert screen.model == target
        await run_command(pilot, "alerts")
        await wait_for_screen(pilot, AlertsScreen)
        await run_command(pilot, "fleet")
        await wait_for_screen(pilot, FleetScreen)
        assert len(app.screen_stack) == 2


async def test_unknown_model_and_command_are_errors_not_crashes(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await run_command(pilot, "model fraud-scorr")
        assert isinstance(app.screen, FleetScreen)
        assert any("did you mean fraud-scorer" in note for note in notes(app))
        await run_command(pilot, "modle x")
        assert any("unknown command :modle" in note for note in notes(app))
        await run_command(pilot, "theme")
        assert any("usage: :theme THEME" in note for note in notes(app))
        await run_command(pilot, "at yesterday")
        assert any("invalid time" in note for note in notes(app))
        assert app.is_running


async def test_lineage_command_with_and_without_a_name(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        named = app.snapshot.report.models[1].model
        await run_command(pilot, f"lineage {named}")
        screen = await wait_for_screen(pilot, LineageScreen)
        assert screen.model == named
        await wait_for(pilot, lambda: screen.lineage is not None, what="lineage")
        await run_command(pilot, "fleet")
        await wait_for_screen(pilot, FleetScreen)
        selected = app.screen.selected_model()
        await run_command(pilot, "lineage")
        screen = await wait_for_screen(pilot, LineageScreen)
        assert screen.model == selected


async def test_theme_command_recolours_cells(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        fleet = app.screen
        worst = fleet.table.row_keys[0]
        before = fleet.table.shown(worst)[2]
        await run_command(pilot, "theme monochrome")
        assert app.theme == "monochrome"
        after = fleet.table.shown(worst)[2]
        assert before.plain == after.plain
        assert before.spans != after.spans or before.style != after.style
        assert "monochrome" in str(app.screen.query_one(StatusBar).text)
        await run_command(pilot, "theme no-such-theme")
        assert app.theme == "monochrome"
        assert any("unknown theme" in note for note in notes(app))


async def test_at_and_live_commands_switch_replay(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await run_command(pilot, "at 2026-01-14T06:00:00Z")
        await wait_for(
            pilot,
            lambda: app.snapshot.evaluated_at == AT - 30 * 3600,
            what="a snapshot at the new time",
        )
        assert "REPLAY @ 2026-01-14T06:00:00Z" in str(app.screen.query_one(StatusBar).text)
        await run_command(pilot, "live")
        await wait_for(pilot, lambda: not app.snapshot.replay, what="a live snapshot")
        line = str(app.screen.query_one(StatusBar).text)
        assert "REPLAY" not in line
        assert line.rstrip().endswith("Z"), "live mode shows the UTC clock"


async def test_help_audit_and_quit_commands(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await run_command(pilot, "help")
        await wait_for_screen(pilot, HelpScreen)
        await run_command(pilot, "audit")
        await wait_for_screen(pilot, AuditScreen)
        await run_command(pilot, "q")
        await wait_for(pilot, lambda: not app.is_running, what="exit")


async def test_completion_history_and_escape(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("colon", "m", "o")
        prompt = await wait_for_screen(pilot, PromptScreen)
        line = prompt.query_one(CommandLine)
        await wait_for(pilot, lambda: line._suggestion == ":model ", what="suggestion")
        await pilot.press("tab")
        assert line.value == ":model "
        await pilot.press("f", "r")
        await wait_for(pilot, lambda: line._suggestion == ":model fraud-scorer", what="model")
        await pilot.press("tab", "enter")
        await wait_for_screen(pilot, ModelScreen)
        await pilot.press("colon")
        prompt = await wait_for_screen(pilot, PromptScreen)
        await pilot.press("up")
        assert prompt.query_one(CommandLine).value == ":model fraud-scorer"
        await pilot.press("escape")
        await wait_for_screen(pilot, ModelScreen)
        assert app.screen.model == "fraud-scorer"


async def test_command_palette_runs_the_same_commands(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        target = app.snapshot.report.models[2].model
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"model {target}")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, CommandPalette)
                and app.screen.query_one(CommandList).option_count > 0
            ),
            what="palette hits",
        )
        first = app.screen.query_one(CommandList).get_option_at_index(0)
        assert f"model {target}" in str(first.prompt)
        await pilot.press("enter")
        screen = await wait_for_screen(pilot, ModelScreen)
        assert screen.model == target


def test_every_required_command_is_registered() -> None:
    for name in ("fleet", "model", "alerts", "audit", "lineage", "theme", "at", "live", "q"):
        assert commands.find(name) is not None, name
    assert commands.find("quit") is commands.find("q")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("", "empty command"),
        (":zzz", "unknown command"),
        (":model", "usage: :model MODEL"),
        (":fleet now", "takes no argument"),
    ],
)
def test_parse_rejects_with_a_message(line: str, problem: str) -> None:
    with pytest.raises(commands.CommandError, match=problem):
        commands.parse(line)


def test_dangerous_commands_are_hidden_and_refused_when_read_only() -> None:
    calls: list[str] = []
    command = commands.Command(
        "zap", "test only", lambda app, arg: calls.append(arg), dangerous=True
    )
    commands.register(command)
    try:
        assert command in commands.available(read_only=False)
        assert command not in commands.available(read_only=True)

        class _App:
            def __init__(self) -> None:
                self.read_only = True
                self.messages: list[str] = []

            def notify(self, message: str, **_: Any) -> None:
                self.messages.append(message)

        app = _App()
        assert commands.run(app, ":zap") is False  # type: ignore[arg-type]
        assert calls == [] and "read-only" in app.messages[-1]
        app.read_only = False
        assert commands.run(app, ":zap") is True  # type: ignore[arg-type]
        assert calls == [""]
    finally:
        del commands.COMMANDS["zap"]
