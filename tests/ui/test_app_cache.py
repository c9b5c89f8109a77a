"""The console shows the cached picture (marked stale) until the Collector's first snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govtui.fleet import snapshot_cache
from govtui.fleet.requests import Request
from govtui.ui.app import GovtuiApp
from govtui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app_harness import console_settings, wait_for
from tests.unit.test_collector_cache import collect_snapshot


class SilentCollector:
    """A Collector that never answers (slow to start, or stuck)."""

    exitcode = None

    def __init__(self) -> None:
        self.sent: list[Request] = []

    def send(self, request: Request) -> bool:
        self.sent.append(request)
        return True

    def receive(self, timeout: float = 0.25) -> object | None:
        import time

        time.sleep(timeout)
        return None

    def close(self, timeout: float = 3.0) -> None:
        return None


async def test_cached_fleet_is_shown_stale_until_the_collector_answers(tmp_path: Path) -> None:
    snapshot = await collect_snapshot(tmp_path / "state")
    path = tmp_path / "cache.snapshot"
    snapshot_cache.save_snapshot(path, snapshot)
    app = GovtuiApp(console_settings(snapshot_cache=path), SilentCollector())  # type: ignore[arg-type]
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: len(getattr(app.screen, "rows", [])) == 12, what="rows")
        assert app.snapshot is not None and app.snapshot.generation == 0
        table = app.screen.table
        assert table.row_keys == [report.model for report in snapshot.report.models]
        stale = table.shown(table.row_keys[0])[-1].plain.strip()
        assert stale.endswith("s") or stale.endswith("m"), f"stale marker {stale!r}"
        line = str(app.screen.query_one(StatusBar).text)
        assert "demo stale" in line and "registry stale" in line


async def test_a_real_snapshot_is_saved_on_exit(tmp_path: Path) -> None:
    path = tmp_path / "cache.snapshot"
    app = GovtuiApp(console_settings(snapshot_cache=path), SilentCollector())  # type: ignore[arg-type]
    snapshot = await collect_snapshot(tmp_path / "state")
    async with app.run_test(size=(120, 30)) as pilot:
        from govtui.ui.messages import CollectorMessage

        app.post_message(CollectorMessage(snapshot))
        await wait_for(pilot, lambda: app.snapshot is snapshot, what="snapshot")
    assert snapshot_cache.load_snapshot(path) == snapshot


async def test_a_cache_for_another_time_is_not_used(tmp_path: Path) -> None:
    snapshot = await collect_snapshot(tmp_path / "state")
    path = tmp_path / "cache.snapshot"
    snapshot_cache.save_snapshot(path, snapshot)
    settings: Any = console_settings(snapshot_cache=path, replay_at=snapshot.evaluated_at - 60)
    app = GovtuiApp(settings, SilentCollector())  # type: ignore[arg-type]
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        assert app.snapshot is None
