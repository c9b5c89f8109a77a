"""The snapshot cache: round trip, refusal of foreign pickles, stale marking, when it is used."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import time
from pathlib import Path

from govtui.demo.config import demo_config
from govtui.fleet import snapshot_cache
from govtui.fleet.client import CollectorSpec
from govtui.fleet.collector import Collector
from govtui.fleet.snapshot import FleetSnapshot

AT = 1768478400.0


async def collect_snapshot(state_dir: Path) -> FleetSnapshot:
    """One real snapshot of the demo fleet at AT, from the Collector run in process."""
    sent: list[object] = []
    collector = Collector(
        CollectorSpec(loaded=demo_config(), demo=True, state_dir=str(state_dir), at=AT),
        sent.append,
    )
    await collector.open()
    await collector.refresh(collector.due_kinds(time.monotonic()))
    await collector._send_snapshot()
    snapshot = sent[-1]
    assert isinstance(snapshot, FleetSnapshot)
    return snapshot


def demo_snapshot(state_dir: Path) -> FleetSnapshot:
    return asyncio.run(collect_snapshot(state_dir))


def test_round_trip_and_stale_marking(tmp_path: Path) -> None:
    snapshot = demo_snapshot(tmp_path)
    key = snapshot_cache.cache_key(demo_config(), demo=True, models=12, seed=7)
    path = snapshot_cache.cache_path(tmp_path, key)
    snapshot_cache.save_snapshot(path, snapshot)
    assert path.stat().st_mode & 0o777 == 0o600
    loaded = snapshot_cache.load_snapshot(path)
    assert loaded == snapshot
    cached = snapshot_cache.as_cached(loaded, snapshot.taken_at + 300)
    assert cached.generation == snapshot_cache.CACHED_GENERATION < snapshot.generation
    assert all(state.state == "stale" and state.age_seconds >= 300 for state in cached.sources)
    for report in cached.report.models:
        assert cached.stale_checks[report.model]["slo"] == 300


def test_key_changes_with_what_is_shown() -> None:
    loaded = demo_config()
    base = snapshot_cache.cache_key(loaded, demo=True, models=12, seed=7)
    assert base == snapshot_cache.cache_key(loaded, demo=True, models=12, seed=7)
    assert base != snapshot_cache.cache_key(loaded, demo=True, models=13, seed=7)
    assert base != snapshot_cache.cache_key(loaded, demo=True, models=12, seed=8)
    assert base != snapshot_cache.cache_key(loaded, demo=False, models=12, seed=7)


def test_replay_and_live_caches_do_not_mix(tmp_path: Path) -> None:
    snapshot = demo_snapshot(tmp_path)
    assert snapshot.replay
    assert snapshot_cache.usable(snapshot, AT)
    assert not snapshot_cache.usable(snapshot, AT - 3600)
    assert not snapshot_cache.usable(snapshot, None)
    live = dataclasses.replace(snapshot, replay=False)
    assert snapshot_cache.usable(live, None) and not snapshot_cache.usable(live, AT)


class Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("owned",))


def test_foreign_or_broken_files_are_ignored(tmp_path: Path) -> None:
    evil = tmp_path / "evil.snapshot"
    evil.write_bytes(pickle.dumps(Evil()))
    assert snapshot_cache.load_snapshot(evil) is None
    torn = tmp_path / "torn.snapshot"
    torn.write_bytes(b"\x80\x05garbage")
    assert snapshot_cache.load_snapshot(torn) is None
    assert snapshot_cache.load_snapshot(tmp_path / "absent.snapshot") is None
