"""SSH ergonomics: keymap, read-only removal of dangerous bindings, copy over OSC 52, ASCII mode,
80x24, and a Collector that dies under the console."""

from __future__ import annotations

import base64
import os
import signal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.binding import Binding, BindingType

from govtui.errors import ConfigError, UsageError
from govtui.ui import bindings
from govtui.ui.screens.base import GovtuiScreen
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.screens.help import HelpScreen, key_help
from govtui.ui.screens.model import ModelScreen
from govtui.ui.startup import check_settings, known_binding_ids
from govtui.ui.widgets.command_line import PromptScreen
from govtui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app_harness import (
    console_settings,
    make_app,
    shared_collector,
    start_collector,
    wait_for,
    wait_for_fleet,
    wait_for_screen,
)

__all__ = ["shared_collector"]

SIZE = (120, 40)


async def test_keymap_remaps_a_binding_by_id(shared_collector: Any) -> None:
    app = make_app(shared_collector, keymap={"fleet.filter": "f", "help": "f1"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen), "/ no longer filters"
        await pilot.press("f")
        await wait_for_screen(pilot, PromptScreen)
        await pilot.press("escape")
        await pilot.press("f1")
        help_screen = await wait_for_screen(pilot, HelpScreen)
        keys = {item.binding_id: item.key for item in key_help(app, help_screen.target)}
        assert keys["fleet.filter"] == "f"


def test_every_binding_has_an_id_and_a_description() -> None:
    from govtui.ui.app import GovtuiApp
    from govtui.ui.screens.alerts import AlertsScreen
    from govtui.ui.screens.audit import AuditScreen
    from govtui.ui.screens.runbook import RunbookScreen

    for owner in (GovtuiApp, FleetScreen, AlertsScreen, AuditScreen, RunbookScreen, HelpScreen):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id and binding.description, (owner.__name__, binding)
    ids = known_binding_ids()
    assert {"command", "help", "refresh", "pause", "copy", "back", "fleet.filter"} <= ids
    assert "model.runbook" in ids, "the model screen's bindings can be remapped too"


def test_startup_rejects_unknown_keymap_ids_and_themes() -> None:
    with pytest.raises(ConfigError, match=r"ui.keymap.nope: unknown binding id"):
        check_settings(console_settings(keymap={"nope": "x"}))
    with pytest.raises(UsageError, match="unknown theme 'plaid'"):
        check_settings(console_settings(theme="plaid"))
    check_settings(console_settings(theme="monochrome", keymap={"refresh": "f5"}))


class ArmedScreen(FleetScreen):
    """The fleet with a dangerous binding, standing in for rollback/silence of later steps."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *FleetScreen.BINDINGS,
        bindings.dangerous(Binding("X", "zap", "Zap", id="test.zap")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.zapped = 0

    def action_zap(self) -> None:
        self.zapped += 1


@pytest.mark.parametrize("read_only", [False, True])
async def test_dangerous_bindings_are_removed_in_read_only_mode(
    shared_collector: Any, read_only: bool
) -> None:
    app = make_app(shared_collector, read_only=read_only)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        armed = ArmedScreen()
        app.push_screen(armed)
        await pilot.pause()
        shown = {active.binding.id for active in armed.active_bindings.values()}
        await pilot.press("X")
        await pilot.pause()
        assert ("test.zap" in shown) is not read_only
        assert armed.zapped == (0 if read_only else 1)
        line = str(armed.query_one(StatusBar).text)
        assert ("READ-ONLY" in line) is read_only
        assert bindings.is_dangerous("zap") and bindings.is_dangerous("screen.zap")
        assert isinstance(armed, GovtuiScreen)


async def test_copy_puts_the_fleet_in_the_clipboard(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    written: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        original = app._driver.write  # type: ignore[union-attr]

        def capture(data: str) -> None:
            written.append(data)
            original(data)

        app._driver.write = capture  # type: ignore[union-attr,method-assign]
        await pilot.press("y")
        await pilot.pause()
        text = app.clipboard
        assert text.splitlines()[0].split()[:3] == ["MODEL", "VER", "HEALTH"]
        assert all(report.model in text for report in app.snapshot.report.models)
        osc = [item for item in written if item.startswith("\x1b]52;c;")]
        assert osc and base64.b64decode(osc[-1][7:-1]).decode() == text


async def test_ascii_mode_draws_nothing_above_0x7f(shared_collector: Any) -> None:
    app = make_app(shared_collector, ascii_mode=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_fleet(pilot)
        for keys, screen_type in (((), FleetScreen), (("enter",), ModelScreen)):
            await pilot.press(*keys)
            await wait_for_screen(pilot, screen_type)
            await pilot.pause()
            text = app.screen_text()
            assert text.isascii(), [char for char in text if not char.isascii()][:5]
            svg_text = app.export_screenshot()
            assert "+" in svg_text or "-" in svg_text


async def test_80x24_shows_every_fleet_column(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_fleet(pilot)
        text = app.screen_text()
        header = next(line for line in text.splitlines() if "MODEL" in line)
        for label in ("VER", "HEALTH", "BUDGET", "BURN", "PSI", "DRIFT", "PARITY", "dACC"):
            assert label in header
        assert "ALERTS" in header and "STALE" in header
        assert "REPLAY @ 2026-01-15T12:00:00Z" in text


async def test_the_console_survives_its_collector(tmp_path: Path) -> None:
    collector = start_collector(tmp_path)
    app = make_app(collector)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_fleet(pilot)
            assert collector.pid is not None
            os.kill(collector.pid, signal.SIGKILL)
            await wait_for(pilot, lambda: app.collector_error is not None, what="collector down")
            line = str(app.screen.query_one(StatusBar).text)
            assert "collector down" in line
            assert len(app.screen.table.row_keys) == 12, "the last data stays on screen"
            await pilot.press("r", "p", "enter")  # requests to a dead collector are no-ops
            await wait_for_screen(pilot, ModelScreen)
            assert app.is_running
    finally:
        collector.close()
