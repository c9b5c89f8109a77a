"""Snapshot tests of the fleet screen: 80x24 and 160x48, dark and monochrome, replaying a fixed
time from a fixed demo state so they never drift (no clock, fixed operator, no toasts)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.test_app_harness import make_app, shared_collector, wait_for_fleet

__all__ = ["shared_collector"]


@pytest.mark.parametrize("theme", ["dark", "monochrome"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_fleet_screen(
    snap_compare: Any, shared_collector: Any, theme: str, size: tuple[int, int]
) -> None:
    app = make_app(shared_collector, theme=theme)

    async def settle(pilot: Pilot[Any]) -> None:
        await wait_for_fleet(pilot)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settle)
