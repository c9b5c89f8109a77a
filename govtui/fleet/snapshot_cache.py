"""The last snapshot the console showed, kept in the state dir so the next start has a picture at once.

Starting the Collector costs about a second (a Python process that imports pandas and reads the
sources); until its first snapshot arrives the console shows the cached one, every source marked
stale with the cache's age, so nobody mistakes it for live data. The cache is keyed by what was
shown (config, demo size and seed) and read with an unpickler that only builds govtui's plain
snapshot dataclasses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtui.fleet import wire
from govtui.fleet.snapshot import FleetSnapshot, SourceState
from govtui.fsutil import atomic_replace

if TYPE_CHECKING:
    from govtui.config import LoadedConfig

CACHE_DIR = "snapshots"
CACHED_GENERATION = 0  # real snapshots count from 1, so the first one always replaces this
_ALLOWED_MODULES = frozenset(
    {"govtui.fleet.snapshot", "govtui.analysis.results", "govtui.sources.registry.base"}
)
_ALLOWED_BUILTINS = frozenset({"float", "int", "bool", "str", "tuple", "list", "dict", "set"})


def cache_key(loaded: LoadedConfig, *, demo: bool, models: int, seed: int) -> str:
    """What the cached picture depends on: the config's content and the demo's size and seed."""
    text = "\n".join(
        [loaded.config.model_dump_json(), str(loaded.path), str(demo), str(models), str(seed)]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def cache_path(state_dir: Path, key: str) -> Path:
    """Where the snapshot for one cache key lives."""
    return state_dir / CACHE_DIR / f"{key}.snapshot"


class _SnapshotUnpickler(pickle.Unpickler):
    """Builds only snapshot dataclasses and plain values; anything else is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _ALLOWED_MODULES or (module == "builtins" and name in _ALLOWED_BUILTINS):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a cached snapshot")


def load_snapshot(path: Path) -> FleetSnapshot | None:
    """The cached snapshot, or None when there is none or it cannot be read."""
    try:
        data = path.read_bytes()
        snapshot = _SnapshotUnpickler(io.BytesIO(data)).load()
    except Exception:  # a missing, torn or foreign cache is simply not used
        return None
    return snapshot if isinstance(snapshot, FleetSnapshot) else None


def save_snapshot(path: Path, snapshot: FleetSnapshot) -> None:
    """Write atomically (temp file, fsync, rename), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_replace(path, binary=True) as handle:
        handle.write(wire.dumps(snapshot))


def as_cached(snapshot: FleetSnapshot, now: float) -> FleetSnapshot:
    """The snapshot as a stand-in: every source stale with the cache's age, every check stale."""
    age = max(0.0, now - snapshot.taken_at)
    sources = tuple(
        SourceState(state.name, "stale", (state.age_seconds or 0.0) + age, "cached", ())
        for state in snapshot.sources
    )
    stale = {
        report.model: {check: age for check in report.checks} for report in snapshot.report.models
    }
    return dataclasses.replace(
        snapshot,
        generation=CACHED_GENERATION,
        taken_at=now,
        sources=sources,
        stale_checks=stale,
        details={},
    )


def usable(snapshot: FleetSnapshot, replay_at: float | None) -> bool:
    """A cached replay only stands in for the same replay time; a live one for live mode."""
    if replay_at is None:
        return not snapshot.replay
    return snapshot.replay and snapshot.evaluated_at == replay_at
