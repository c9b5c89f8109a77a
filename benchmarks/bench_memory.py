"""Console memory over many refreshes: is the resident set flat?

Thirty minutes of refreshes, quickly: the console runs headless (App.run_test, 160x48) against a
real Collector process on the demo fleet of 1000 models in live mode, every signal kind
refreshing every second, so every snapshot carries all of them (30 minutes at the default
intervals is 120 SLO refreshes and 30 of each other kind), while the operator scrolls now and
then. The console's resident set is read after each snapshot is applied, after a warm-up (every
row drawn once, a model screen opened once: lazily imported screens loaded, first caches
filled); the least-squares slope is compared with the noise. Then the operator opens a model
and comes back `--visits` times: the RSS after each visit shows how navigation fills Textual's
and Rich's render caches (bounded: the fleet table alone keeps up to 10,000 rendered cells).
Prints one JSON line. Target: flat within noise (fitted growth over the run no more than three
times the residual standard deviation, or 2 MB).

    python benchmarks/bench_memory.py [--snapshots 120] [--models 1000]
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

WARMUP = 15


def rss_mb(pid: int | str = "self") -> float:
    """Current resident set of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def fit(values: list[float]) -> tuple[float, float]:
    """Least-squares slope per step and the residual standard deviation."""
    count = len(values)
    xs = list(range(count))
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(values)
    var_x = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values, strict=True)) / var_x
    residuals = [y - (mean_y + slope * (x - mean_x)) for x, y in zip(xs, values, strict=True)]
    return slope, statistics.pstdev(residuals)


async def measure(models: int, snapshots: int, refresh: int, navigation: int) -> dict[str, Any]:
    from govtui.config import LoadedConfig, RefreshConfig
    from govtui.demo.config import demo_config
    from govtui.fleet.client import CollectorClient, CollectorSpec
    from govtui.ui.app import GovtuiApp
    from govtui.ui.screens.fleet import FleetScreen
    from govtui.ui.settings import ConsoleSettings

    every = f"{refresh}s"
    demo = demo_config()
    ui = demo.config.ui.model_copy(
        update={
            "refresh": RefreshConfig(
                slo=every, drift=every, fairness=every, quality=every, alerts=every, registry=every
            )
        }
    )
    loaded = LoadedConfig(config=demo.config.model_copy(update={"ui": ui}), path=demo.path)
    with tempfile.TemporaryDirectory(prefix="govtui-bench-") as state_dir:
        client = CollectorClient.start(
            CollectorSpec(loaded=loaded, demo=True, demo_models=models, state_dir=state_dir)
        )
        settings = ConsoleSettings(loaded=loaded, context="bench", operator="bench@host", demo=True)
        app = GovtuiApp(settings, client)
        console: list[float] = []
        collector: list[float] = []
        visits: list[float] = []
        started = time.monotonic()
        try:
            async with app.run_test(size=(160, 48)) as pilot:
                deadline = time.monotonic() + 120 + snapshots * 30
                seen = 0

                async def next_snapshot() -> None:
                    """Until a newer snapshot than the last one seen is on the fleet table."""
                    nonlocal seen
                    while True:
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"only {len(console)} snapshots arrived")
                        generation = app.snapshot.generation if app.snapshot else 0
                        screen = app.screen
                        if (
                            generation > seen
                            and isinstance(screen, FleetScreen)
                            and len(screen.table.row_keys) >= models
                        ):
                            seen = generation
                            await pilot.pause(0.1)  # let the fleet screen apply it
                            return
                        await pilot.pause(0.05)

                async def visit_model() -> None:
                    await pilot.press("enter")
                    await pilot.pause(0.5)
                    await pilot.press("escape")
                    await pilot.pause(0.2)

                # Warm-up: draw every row once, open a model once (lazy imports, first caches).
                await next_snapshot()
                await pilot.press("end", "home", *["pagedown"] * (models // 40 + 1), "home")
                await visit_model()
                for _ in range(WARMUP):
                    await next_snapshot()
                # Refreshes: what 30 minutes of watching the fleet does, scrolling now and then.
                for step in range(snapshots):
                    await next_snapshot()
                    console.append(rss_mb())
                    collector.append(rss_mb(client.pid or 0))
                    if step % 5 == 4:
                        await pilot.press("pagedown", "down", "down")
                # Navigation: open a model and come back, again and again.
                for _ in range(navigation):
                    await visit_model()
                    await next_snapshot()
                    visits.append(rss_mb())
        finally:
            client.close()
    elapsed = time.monotonic() - started
    measured = console
    slope, noise = fit(measured)
    growth = slope * (len(measured) - 1)
    allowed = max(3 * noise, 2.0)
    collector_slope, collector_noise = fit(collector)
    steps = [after - before for before, after in zip([measured[-1], *visits], visits, strict=False)]
    return {
        "benchmark": "console_memory",
        "models": models,
        "refresh_seconds": refresh,
        "snapshots": len(measured),
        "warmup_snapshots": WARMUP,
        "seconds": round(elapsed, 1),
        "console_rss_mb_first": round(measured[0], 1),
        "console_rss_mb_last": round(measured[-1], 1),
        "console_rss_mb_max": round(max(measured), 1),
        "console_slope_mb_per_100_refreshes": round(slope * 100, 2),
        "console_fitted_growth_mb": round(growth, 2),
        "console_noise_mb": round(noise, 2),
        "allowed_growth_mb": round(allowed, 2),
        "flat_within_noise": growth <= allowed,
        "console_rss_mb_series": [round(value, 1) for value in console],
        "model_visits": len(visits),
        "console_rss_mb_after_visits": [round(value, 1) for value in visits],
        "console_mb_per_visit_first_3": [round(value, 1) for value in steps[:3]],
        "console_mb_per_visit_last_3": [round(value, 1) for value in steps[-3:]],
        "collector_rss_mb_first": round(collector[0], 1),
        "collector_rss_mb_last": round(collector[-1], 1),
        "collector_slope_mb_per_100_refreshes": round(collector_slope * 100, 2),
        "collector_noise_mb": round(collector_noise, 2),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--snapshots", type=int, default=120)
    parser.add_argument("--refresh", type=int, default=1, help="seconds between refreshes")
    parser.add_argument("--visits", type=int, default=12, help="model screens opened at the end")
    args = parser.parse_args()
    result = asyncio.run(measure(args.models, args.snapshots, args.refresh, args.visits))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
