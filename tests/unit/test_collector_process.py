"""The Collector as a real process: spawn, snapshots over the pipe, requests, shutdown, and the
wire format that keeps numpy and pandas out of the console."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from govtui.demo.config import demo_config
from govtui.fleet import wire
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.fleet.requests import CollectorFailed, FocusModel, LineageReply, LineageRequest
from govtui.fleet.snapshot import FleetSnapshot

AT = 1768478400.0  # 2026-01-15T12:00:00Z


def receive_until(client: CollectorClient, wanted: type, timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = client.receive(0.2)
        if isinstance(message, CollectorFailed):
            raise AssertionError(message.message + "".join(message.details))
        if isinstance(message, wanted):
            return message
    raise AssertionError(f"no {wanted.__name__} within {timeout}s")


def test_spawned_collector_serves_snapshots_and_requests(tmp_path: Path) -> None:
    spec = CollectorSpec(loaded=demo_config(), demo=True, state_dir=str(tmp_path), at=AT)
    client = CollectorClient.start(spec)
    try:
        assert type(client._process).__name__ == "SpawnProcess"
        first = receive_until(client, FleetSnapshot)
        assert isinstance(first, FleetSnapshot)
        assert len(first.report.models) == 12 and first.evaluated_at == AT
        assert client.send(FocusModel("fraud-scorer"))
        focused = receive_until(client, FleetSnapshot)
        assert isinstance(focused, FleetSnapshot) and "fraud-scorer" in focused.details
        assert focused.generation > first.generation
        client.send(LineageRequest("fraud-scorer"))
        reply = receive_until(client, LineageReply)
        assert isinstance(reply, LineageReply) and reply.lineage is not None
    finally:
        client.close()
    assert client.exitcode == 0
    assert not client.send(FocusModel(None)), "a closed collector refuses requests"


def test_collector_reports_a_broken_registry_instead_of_dying(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text("models: [unclosed\n", encoding="utf-8")
    config = tmp_path / "govtui.yaml"
    config.write_text(
        "sources:\n  registry: {kind: file, path: registry.yaml}\n  signals_dir: missing\n",
        encoding="utf-8",
    )
    from govtui.config import load_config

    client = CollectorClient.start(
        CollectorSpec(loaded=load_config(config), state_dir=str(tmp_path))
    )
    try:
        snapshot = receive_until(client, FleetSnapshot)
        assert isinstance(snapshot, FleetSnapshot)
        states = {state.name: state for state in snapshot.sources}
        assert (
            states["csv"].state == "down" and "signals directory not found" in states["csv"].message
        )
        assert states["registry"].state == "down"
        assert "registry.yaml" in states["registry"].message
    finally:
        client.close()
    assert client.exitcode == 0


def test_wire_turns_numpy_and_pandas_scalars_into_plain_values() -> None:
    message = {
        "float": np.float64(0.25),
        "int": np.int64(7),
        "bool": np.bool_(True),
        "missing": pd.NA,
        "when": pd.Timestamp("2026-01-15T12:00:00Z"),
        "nested": [np.float32(1.5)],
    }
    decoded = wire.loads(wire.dumps(message))
    assert decoded == {
        "float": 0.25,
        "int": 7,
        "bool": True,
        "missing": None,
        "when": AT,
        "nested": [1.5],
    }
    assert type(decoded["float"]) is float and type(decoded["int"]) is int  # type: ignore[index]


def test_decoding_a_snapshot_imports_neither_numpy_nor_pandas(tmp_path: Path) -> None:
    import asyncio

    from govtui.fleet.collector import Collector

    sent: list[object] = []
    spec = CollectorSpec(loaded=demo_config(), demo=True, state_dir=str(tmp_path), at=AT)

    async def collect() -> None:
        collector = Collector(spec, sent.append)
        await collector.open()
        collector.focus = "credit-limit"
        await collector.refresh(collector.due_kinds(time.monotonic()))
        await collector._send_snapshot()

    asyncio.run(collect())
    payload = tmp_path / "snapshot.bin"
    payload.write_bytes(wire.dumps(sent[-1]))
    code = (
        "import sys; from govtui.fleet import wire; "
        f"snapshot = wire.loads(open({str(payload)!r}, 'rb').read()); "
        "assert 'credit-limit' in snapshot.details; "
        "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_a_large_snapshot_travels_in_parts_and_arrives_whole(tmp_path: Path) -> None:
    spec = CollectorSpec(
        loaded=demo_config(), demo=True, demo_models=250, state_dir=str(tmp_path), at=AT
    )
    client = CollectorClient.start(spec)
    try:
        snapshot = receive_until(client, FleetSnapshot)
        assert isinstance(snapshot, FleetSnapshot)
        assert len(snapshot.report.models) == 250
        assert [m.sort_key() for m in snapshot.report.models] == sorted(
            m.sort_key() for m in snapshot.report.models
        )
    finally:
        client.close()
    frames = wire.encode(snapshot)
    assert len(frames) == 1 + 3, "a head and three parts of at most 100 models"
    head = wire.loads(frames[0])
    assert isinstance(head, wire.SnapshotHead) and head.snapshot.report.models == []
