"""Shared pieces of the console tests: a real Collector process on the demo fleet, settings with a
fixed replay time and operator, and a helper that waits for a condition instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from govtui.demo.config import demo_config
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.timeutil import parse_instant
from govtui.ui.app import GovtuiApp
from govtui.ui.settings import ConsoleSettings

AT_TEXT = "2026-01-15T12:00:00Z"
AT = parse_instant(AT_TEXT).timestamp()
OPERATOR = "oncall@bastion"
CONTEXT = "demo fleet (test)"


def console_settings(**changes: Any) -> ConsoleSettings:
    """Settings every console test starts from: the demo config, replaying AT, fixed operator."""
    values: dict[str, Any] = {
        "loaded": demo_config(),
        "context": CONTEXT,
        "theme": "dark",
        "replay_at": AT,
        "operator": OPERATOR,
        "demo": True,
    }
    values.update(changes)
    return ConsoleSettings(**values)


def start_collector(state_dir: Path, *, models: int = 12, at: float | None = AT) -> CollectorClient:
    """A real Collector process on the demo fleet, its registry in `state_dir`."""
    spec = CollectorSpec(
        loaded=demo_config(), demo=True, demo_models=models, state_dir=str(state_dir), at=at
    )
    return CollectorClient.start(spec)


@pytest.fixture(scope="module")
def shared_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorClient]:
    """One Collector for a module's tests (each test gets a fresh app)."""
    client = start_collector(tmp_path_factory.mktemp("state"))
    yield client
    client.close()


def make_app(collector: CollectorClient, **changes: Any) -> GovtuiApp:
    """A console app on a collector, reset to the fleet's unfocused, unpaused state."""
    from govtui.fleet.requests import FocusModel, Resume, SetEvaluationTime

    settings = console_settings(**changes)
    collector.send(Resume())
    collector.send(FocusModel(None))
    collector.send(SetEvaluationTime(settings.replay_at))
    return GovtuiApp(settings, collector)


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], *, timeout: float = 20.0, what: str = ""
) -> None:
    """Let the app process messages until `condition()` holds (fail after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def wait_for_fleet(pilot: Pilot[Any], models: int = 12) -> None:
    """Until the fleet table shows the demo fleet."""
    from govtui.ui.screens.fleet import FleetScreen

    app: Any = pilot.app

    def ready() -> bool:
        screen = app.screen
        return isinstance(screen, FleetScreen) and len(screen.table.row_keys) == models

    await wait_for(pilot, ready, what=f"{models} fleet rows")


async def wait_for_screen(pilot: Pilot[Any], kind: type, what: str = "") -> Any:
    """Until the active screen is of `kind`; returns it."""
    app: Any = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, kind), what=what or kind.__name__)
    await pilot.pause()
    return app.screen


def test_harness_waits_fail_loudly() -> None:
    """The wait helper must be able to fail, or every test using it could pass vacuously."""
    import asyncio

    class _FakePilot:
        app = None

        async def pause(self, delay: float | None = None) -> None:
            await asyncio.sleep(0)

    with pytest.raises(AssertionError, match="never"):
        asyncio.run(wait_for(_FakePilot(), lambda: False, timeout=0.05, what="never"))  # type: ignore[arg-type]
