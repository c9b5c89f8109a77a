"""Keypress latency inside the console: from key dispatch to the next screen refresh.

The console runs headless (App.run_test) against a real Collector process on a simulated fleet
of 1000 models in live mode, with every signal kind refreshing every few seconds, so snapshots
keep arriving (and are diffed into the fleet table) while keys are pressed. Each key is posted to
the app the way the driver posts it; the latency ends when the app next hands a screen update to
its driver. Prints one JSON line. Target: p95 < 50 ms.

    python benchmarks/bench_key_latency.py [--models 1000] [--keys 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual import events

from govtui.config import LoadedConfig, RefreshConfig
from govtui.demo.config import demo_config
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.ui import app as app_module
from govtui.ui.app import GovtuiApp
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.settings import ConsoleSettings

KEYS = ("down", "down", "down", "pagedown", "up", "up", "pageup", "down")


def fast_refresh(loaded: LoadedConfig, seconds: int) -> LoadedConfig:
    """The demo config with every signal kind refreshing every `seconds`."""
    every = f"{seconds}s"
    refresh = RefreshConfig(
        slo=every, drift=every, fairness=every, quality=every, alerts=every, registry=every
    )
    ui = loaded.config.ui.model_copy(update={"refresh": refresh})
    return LoadedConfig(config=loaded.config.model_copy(update={"ui": ui}), path=loaded.path)


class TimedApp(GovtuiApp):
    """The console, noting when each screen update reaches the driver."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pressed_at: float | None = None
        self.latencies: list[float] = []
        self.snapshots_applied = 0
        self.apply_seconds: list[float] = []

    def _display(self, screen: Any, renderable: Any) -> None:
        super()._display(screen, renderable)
        if renderable is not None and self.pressed_at is not None:
            self.latencies.append(time.perf_counter() - self.pressed_at)
            self.pressed_at = None


class TimedFleetScreen(FleetScreen):
    """The fleet screen, noting how long applying each snapshot takes on the event loop."""

    def apply_snapshot(self, snapshot: Any) -> None:
        started = time.perf_counter()
        super().apply_snapshot(snapshot)
        app: Any = self.app
        app.snapshots_applied += 1
        app.apply_seconds.append(time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(models: int, keys: int, refresh: int, state_dir: str) -> dict[str, Any]:
    loaded = fast_refresh(demo_config(), refresh)
    client = CollectorClient.start(
        CollectorSpec(loaded=loaded, demo=True, demo_models=models, state_dir=state_dir)
    )
    settings = ConsoleSettings(loaded=loaded, context="bench", operator="bench@host", demo=True)
    app = TimedApp(settings, client)
    app_module.FleetScreen = TimedFleetScreen  # type: ignore[misc]  # the app pushes this one
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.monotonic() + 120
            while not (
                isinstance(app.screen, FleetScreen) and len(app.screen.table.row_keys) == models
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the fleet never arrived")
                await pilot.pause(0.05)
            await pilot.pause(0.2)
            first_snapshots = app.snapshots_applied
            started = time.monotonic()
            for index in range(keys):
                key = KEYS[index % len(KEYS)]
                app.pressed_at = time.perf_counter()
                app.post_message(events.Key(key, None))
                while app.pressed_at is not None:
                    await asyncio.sleep(0)
                await asyncio.sleep(0.02)  # a fast typist: ~50 keys per second
            elapsed = time.monotonic() - started
            during = app.snapshots_applied - first_snapshots
            table = app.screen.table
            cells = table.cells_updated
            rebuilds = table.rebuilds
    finally:
        client.close()
    milliseconds = [value * 1000 for value in app.latencies]
    applies = [value * 1000 for value in app.apply_seconds]
    return {
        "benchmark": "key_latency",
        "models": models,
        "keys": len(milliseconds),
        "seconds": round(elapsed, 1),
        "snapshots_applied_during_keys": during,
        "refresh_seconds": refresh,
        "p50_ms": round(percentile(milliseconds, 0.50), 1),
        "p95_ms": round(percentile(milliseconds, 0.95), 1),
        "max_ms": round(max(milliseconds), 1),
        "fleet_apply_ms_median": round(statistics.median(applies), 1) if applies else None,
        "fleet_apply_ms_max": round(max(applies), 1) if applies else None,
        "fleet_cells_updated": cells,
        "fleet_table_rebuilds": rebuilds,
        "target_p95_ms": 50,
        "under_target": percentile(milliseconds, 0.95) < 50,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--refresh", type=int, default=2, help="seconds between refreshes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govtui-bench-") as state_dir:
        result = asyncio.run(measure(args.models, args.keys, args.refresh, state_dir))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
