"""Kill and restart the real Prometheus under a running console: stale with its age, then live."""

from __future__ import annotations

import time
from typing import Any

import pytest

from govtui.config import load_config
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.ui.app import GovtuiApp
from govtui.ui.settings import ConsoleSettings

REFRESH = (
    "ui:\n  refresh:\n    slo: 1s\n    drift: 1s\n    fairness: 1s\n    quality: 1s\n"
    "    alerts: 1s\n    registry: 5s\n"
)


async def _until(pilot: Any, condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.05)


def _source_state(app: GovtuiApp) -> tuple[str, float | None] | None:
    snapshot = getattr(app, "snapshot", None)
    if snapshot is None:
        return None
    for source in snapshot.sources:
        if source.name == "prometheus":
            return source.state, source.age_seconds
    return None


async def test_prometheus_killed_and_restarted_under_the_console(stack) -> None:  # type: ignore[no-untyped-def]
    block = f"  prometheus:\n    url: {stack.url}\n    timeout: 5s\n    retries: 0\n"
    path = stack.config_file("console.yaml", block)
    text = path.read_text(encoding="utf-8").replace("ui:\n  theme: dark\n", REFRESH)
    path.write_text(text, encoding="utf-8")
    loaded = load_config(path)
    spec = CollectorSpec(loaded=loaded, demo=False, state_dir=str(stack.state_dir), at=None)
    collector = CollectorClient.start(spec)
    settings = ConsoleSettings(
        loaded=loaded, context="resilience test", theme="dark", operator="test", demo=False
    )
    prometheus = stack.prometheus.prometheus
    try:
        app = GovtuiApp(settings, collector)
        async with app.run_test(size=(160, 48)) as pilot:
            await _until(
                pilot,
                lambda: (_source_state(app) or ("", None))[0] == "live",
                60,
                "Prometheus live",
            )
            rows = len(app.snapshot.report.models)
            assert rows == 12
            prometheus.stop()
            await _until(
                pilot,
                lambda: (_source_state(app) or ("", None))[0] in ("stale", "down"),
                60,
                "Prometheus stale after the kill",
            )
            _state, age = _source_state(app)  # type: ignore[misc]
            assert age is not None and age >= 0
            # The last data stays on screen.
            assert len(app.snapshot.report.models) == rows
            assert "fraud-scorer" in app.screen_text()
            await pilot.pause(0.2)
            shown = app.screen_text().lower()
            assert "stale" in shown or "down" in shown, shown[-400:]
            prometheus.restart()
            await _until(
                pilot,
                lambda: (_source_state(app) or ("", None))[0] == "live",
                60,
                "Prometheus live again",
            )
            assert len(app.snapshot.report.models) == rows
    finally:
        collector.close()
        if prometheus.process.poll() is not None:
            prometheus.restart()


@pytest.fixture(autouse=True)
def _keep_prometheus_up(stack):  # type: ignore[no-untyped-def]
    """Whatever happens here, later tests get a running Prometheus."""
    yield
    if stack.prometheus.prometheus.process.poll() is not None:
        stack.prometheus.prometheus.restart()
