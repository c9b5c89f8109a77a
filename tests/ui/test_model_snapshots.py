"""Snapshot tests of the model screen in the real console on the demo fleet, replayed at a fixed time.

The console runs with its real Collector process (demo fleet, state in a temporary directory) at
`--at 2026-01-15T12:00:00Z`, so the figures do not drift. `credit-limit` is the demo's model
whose accuracy dropped after a promotion: every panel has something to show, and the alias move
is marked on the time plots.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.ui.test_model_fixtures import MakeApp, console, open_demo_model

__all__ = ["console"]  # the fixture, imported so pytest finds it here


@pytest.mark.parametrize("theme", ["dark", "monochrome"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_model_screen(
    snap_compare: Callable[..., bool], console: MakeApp, theme: str, size: tuple[int, int]
) -> None:
    assert snap_compare(console(theme), terminal_size=size, run_before=open_demo_model)
