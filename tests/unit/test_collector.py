"""The Collector's logic, driven directly: schedules, stale data, replay, pause, focus, replies."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govtui.analysis.frames import Signals
from govtui.analysis.health import model_status
from govtui.config import LoadedConfig, parse_config
from govtui.demo.config import demo_config
from govtui.errors import SourceError
from govtui.fleet.client import CollectorSpec
from govtui.fleet.collector import Collector, read_audit_tail
from govtui.fleet.requests import (
    AuditReply,
    AuditRequest,
    FocusModel,
    LineageReply,
    LineageRequest,
    Pause,
    RefreshNow,
    Resume,
    SetEvaluationTime,
    Shutdown,
)
from govtui.fleet.schedule import Schedule
from govtui.fleet.snapshot import FleetSnapshot
from govtui.fleet.sources import (
    CsvSignalSource,
    PrometheusSignalAdapter,
    UnavailableSource,
    signal_source,
)

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class Flaky:
    """Wraps a signal source; fails with a SourceError while `failing` is set."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.failing = False
        self.calls = 0

    async def fetch(self, at: datetime, frames: frozenset[str]) -> Signals:
        self.calls += 1
        if self.failing:
            raise SourceError("demo", "connection refused")
        result: Signals = await self.inner.fetch(at, frames)
        return result

    def versions(self, at: datetime) -> dict[str, str | None]:
        result: dict[str, str | None] = self.inner.versions(at)
        return result

    async def close(self) -> None:
        return None


def demo_spec(state_dir: Path, *, at: datetime | None = AT, **changes: Any) -> CollectorSpec:
    return CollectorSpec(
        loaded=demo_config(),
        demo=True,
        state_dir=str(state_dir),
        at=at.timestamp() if at is not None else None,
        **changes,
    )


async def opened(spec: CollectorSpec, sent: list[object]) -> Collector:
    collector = Collector(spec, sent.append)
    await collector.open()
    return collector


def snapshots(sent: list[object]) -> list[FleetSnapshot]:
    return [item for item in sent if isinstance(item, FleetSnapshot)]


def age_by(collector: Collector, seconds: float) -> None:
    """Pretend the last good fetch of every signal kind happened `seconds` earlier."""
    for schedule in collector.schedules.values():
        if schedule.last_success is not None:
            schedule.last_success -= seconds


# ---------------------------------------------------------------- schedules


def test_schedule_backs_off_exponentially_and_recovers() -> None:
    schedule = Schedule("slo", interval=15.0)
    assert schedule.due(0.0)
    schedule.failed(100.0, "down")
    assert schedule.next_due == 130.0
    schedule.failed(130.0, "down")
    assert schedule.next_due == 130.0 + 30.0, "capped at 2 intervals"
    for _ in range(10):
        schedule.failed(200.0, "down")
    assert schedule.next_due == 200.0 + 30.0, "capped at 2 intervals"
    schedule.succeeded(300.0)
    assert (schedule.failures, schedule.next_due, schedule.failing) == (0, 315.0, False)
    assert schedule.age(310.0) == 10.0
    schedule.hold()
    assert not schedule.due(1e12)
    schedule.force()
    assert schedule.due(0.0)


def test_backoff_never_exceeds_five_minutes() -> None:
    schedule = Schedule("drift", interval=200.0)
    for _ in range(6):
        schedule.failed(0.0, "down")
    assert schedule.backoff() == 300.0


# ---------------------------------------------------------------- refreshes and stale data


async def test_first_refresh_evaluates_the_demo_fleet(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    snapshot = collector.build_snapshot()
    assert snapshot is not None and snapshot.replay
    assert snapshot.evaluated_at == AT.timestamp()
    assert len(snapshot.report.models) == 12
    assert [state.name for state in snapshot.sources] == ["demo", "registry"]
    assert all(state.state == "live" for state in snapshot.sources)
    assert all(report.version for report in snapshot.report.models)
    assert snapshot.stale_checks == {}


async def test_a_failing_source_keeps_values_goes_stale_then_unknown(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path, at=None), sent)
    flaky = Flaky(collector.signals)
    collector.signals = flaky
    await collector.refresh(collector.due_kinds(time.monotonic()))
    good = collector.build_snapshot()
    assert good is not None
    statuses = {report.model: report.status for report in good.report.models}

    flaky.failing = True
    age_by(collector, 40.0)  # older than 2 refreshes of the 15s SLO kind, younger than 10
    collector._force_all()
    await collector.refresh(collector.due_kinds(time.monotonic()))
    stale = collector.build_snapshot()
    assert stale is not None
    demo = stale.sources[0]
    assert demo.state == "stale" and "connection refused" in demo.message
    assert demo.age_seconds is not None and demo.age_seconds >= 40
    for report in stale.report.models:
        assert report.violations[0].check == "source_down"
        assert stale.stale_checks[report.model]["slo"] >= 40
        assert report.checks["slo"] == next(
            item.checks["slo"] for item in good.report.models if item.model == report.model
        ), "the last value stays"
    assert {report.model: report.status for report in stale.report.models} == statuses

    age_by(collector, 1000.0)  # past stale_after_factor x every interval
    gone = collector.build_snapshot()
    assert gone is not None
    for report in gone.report.models:
        assert {report.checks[check] for check in ("slo", "drift", "fairness", "quality")} == {
            "unknown"
        }
        assert report.status == model_status(report.checks)
    assert {report.status for report in gone.report.models} <= {"unknown", "warn"}

    flaky.failing = False
    collector._force_all()
    await collector.refresh(collector.due_kinds(time.monotonic()))
    healed = collector.build_snapshot()
    assert healed is not None
    assert healed.sources[0].state == "live" and healed.stale_checks == {}
    assert {report.model: report.status for report in healed.report.models} == statuses


async def test_failures_back_off_instead_of_hammering(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path, at=None), sent)
    flaky = Flaky(collector.signals)
    collector.signals = flaky
    flaky.failing = True
    await collector.refresh(collector.due_kinds(time.monotonic()))
    now = time.monotonic()
    slo = collector.schedules["slo"]
    assert slo.failures == 1 and slo.next_due - now > slo.interval
    assert collector.due_kinds(now) == []
    snapshot = collector.build_snapshot()
    assert snapshot is not None and snapshot.sources[0].state == "down"
    assert snapshot.report.models == []


async def test_a_recovered_backend_pulls_the_kinds_still_backing_off(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path, at=None), sent)
    flaky = Flaky(collector.signals)
    collector.signals = flaky
    flaky.failing = True
    await collector.refresh(collector.due_kinds(time.monotonic()))
    assert all(collector.schedules[kind].failing for kind in ("slo", "drift"))
    flaky.failing = False
    await collector.refresh(["slo"])
    now = time.monotonic()
    assert not collector.schedules["slo"].failing
    assert {"drift", "fairness", "quality"} <= set(collector.due_kinds(now))
    assert "slo" not in collector.due_kinds(now)


async def test_an_analysis_error_keeps_the_last_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    before = collector.report

    def broken(*_: Any, **__: Any) -> Any:
        raise ValueError("garbage in")

    monkeypatch.setattr("govtui.analysis.evaluate.evaluate_fleet", broken)
    collector._force_all()
    await collector.refresh(collector.due_kinds(time.monotonic()))
    assert collector.report is before
    snapshot = collector.build_snapshot()
    assert snapshot is not None
    assert snapshot.sources[0].state == "stale"
    assert "garbage in" in snapshot.sources[0].message


async def test_an_unusable_source_is_down_with_its_reason(tmp_path: Path) -> None:
    loaded = LoadedConfig(config=parse_config("ui: {theme: dark}\n"), path=tmp_path / "g.yaml")
    source = signal_source(loaded)
    assert isinstance(source, UnavailableSource)
    assert "configures no signal source" in source.message
    sent: list[object] = []
    spec = CollectorSpec(loaded=loaded, state_dir=str(tmp_path), at=AT.timestamp())
    collector = await opened(spec, sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    snapshot = collector.build_snapshot()
    assert snapshot is not None
    assert snapshot.sources[0].state == "down"
    assert "configures no signal source" in snapshot.sources[0].message


async def test_csv_signals_are_read_through_the_collector(tmp_path: Path) -> None:
    signals_dir = tmp_path / "signals"
    signals_dir.mkdir()
    rows = ["model,window,total,errors"] + [
        f"scorer,{window},100000,{errors}"
        for window, errors in (
            ("5m", 5),
            ("30m", 5),
            ("1h", 5),
            ("2h", 5),
            ("6h", 5),
            ("1d", 5),
            ("3d", 5),
            ("30d", 5),
        )
    ]
    (signals_dir / "requests.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config_path = tmp_path / "govtui.yaml"
    config_path.write_text(
        "sources:\n  signals_dir: signals\n"
        "slos:\n  - {name: availability, kind: availability, objective: 0.999}\n",
        encoding="utf-8",
    )
    from govtui.config import load_config

    loaded = load_config(config_path)
    assert isinstance(signal_source(loaded), CsvSignalSource)
    sent: list[object] = []
    collector = await opened(CollectorSpec(loaded=loaded, state_dir=str(tmp_path)), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    snapshot = collector.build_snapshot()
    assert snapshot is not None
    assert snapshot.sources[0].name == "csv" and snapshot.sources[0].state == "live"
    (scorer,) = snapshot.report.models
    assert scorer.model == "scorer" and scorer.checks["slo"] == "ok"


async def test_prometheus_adapter_asks_only_for_due_frames() -> None:
    asked: list[Any] = []

    class Source:
        async def fetch(self, at: datetime, *, kinds: Any = None) -> Signals:
            asked.append(kinds)
            return Signals(models=[])

    adapter = PrometheusSignalAdapter(Source())
    await adapter.fetch(AT, frozenset({"feature_bins"}))
    assert asked == [frozenset({"feature_bins"})]


# ---------------------------------------------------------------- requests


async def test_replay_holds_until_asked(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    now = time.monotonic()
    assert collector.due_kinds(now) == []
    assert collector.seconds_until_due(now) == float("inf")
    collector.handle(RefreshNow())
    assert set(collector.due_kinds(now)) == {"slo", "drift", "fairness", "quality", "registry"}
    assert collector.wake.is_set()


async def test_set_evaluation_time_replays_elsewhere(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    earlier = AT.timestamp() - 6 * 3600
    collector.handle(SetEvaluationTime(earlier))
    assert collector.report is None
    await collector.refresh(collector.due_kinds(time.monotonic()))
    snapshot = collector.build_snapshot()
    assert snapshot is not None and snapshot.evaluated_at == earlier and snapshot.replay
    collector.handle(SetEvaluationTime(None))
    assert collector.at is None
    await collector.refresh(collector.due_kinds(time.monotonic()))
    live = collector.build_snapshot()
    assert live is not None and not live.replay
    assert abs(live.evaluated_at - time.time()) < 120


async def test_pause_stops_polling_but_not_an_explicit_refresh(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path, at=None), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    collector.handle(Pause())
    later = time.monotonic() + 3600
    assert collector.due_kinds(later) == []
    assert collector.seconds_until_due(later) == float("inf")
    collector.handle(RefreshNow())
    assert "slo" in collector.due_kinds(time.monotonic())
    await collector.refresh(collector.due_kinds(time.monotonic()))
    snapshot = collector.build_snapshot()
    assert snapshot is not None and all(state.state == "paused" for state in snapshot.sources)
    collector.handle(Resume())
    assert not collector.paused and "slo" in collector.due_kinds(time.monotonic())


async def test_focus_sends_a_snapshot_with_the_models_detail(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    model = "credit-limit"
    collector.handle(FocusModel(model))
    await _drain(collector)
    snapshot = snapshots(sent)[-1]
    detail = snapshot.details[model]
    assert set(detail.series) >= {"accuracy", "error_ratio"}
    accuracy = detail.series["accuracy"]
    assert len(accuracy.values) == len(accuracy.timestamps) == len(accuracy.anomalies)
    assert list(accuracy.timestamps) == sorted(accuracy.timestamps)
    report = next(item for item in snapshot.report.models if item.model == model)
    assert accuracy.reference == report.quality.reference_accuracy
    for distribution in detail.distributions.values():
        assert sum(distribution.reference) == pytest.approx(1.0)
        assert sum(distribution.current) == pytest.approx(1.0)
        assert len(distribution.bins) == len(distribution.reference)
    assert [info.version for info in detail.versions][-1] >= report.version
    assert detail.alias_moves and detail.alias_moves[-1].to_version == report.version
    collector.handle(FocusModel(None))
    await _drain(collector)
    assert snapshots(sent)[-1].details == {}


async def test_lineage_and_audit_replies(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await collector.refresh(collector.due_kinds(time.monotonic()))
    collector.handle(LineageRequest("fraud-scorer"))
    collector.handle(LineageRequest("no-such-model"))
    collector.handle(AuditRequest())
    await _drain(collector)
    replies = [item for item in sent if isinstance(item, LineageReply)]
    found = next(reply for reply in replies if reply.model == "fraud-scorer")
    assert found.lineage is not None and found.lineage.version == collector.versions["fraud-scorer"]
    missing = next(reply for reply in replies if reply.model == "no-such-model")
    assert missing.lineage is None and missing.error
    (audit,) = [item for item in sent if isinstance(item, AuditReply)]
    assert audit.error is not None and audit.path.endswith("audit.jsonl")


def test_audit_tail_skips_a_torn_line(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    records = [
        {
            "seq": index,
            "time": "t",
            "actor": {"user": "ann", "host": "h"},
            "action": "rollback",
            "target": "m",
            "outcome": "ok",
        }
        for index in range(1, 6)
    ]
    log.write_text("\n".join(json.dumps(item) for item in records) + '\n{"seq": 6, "ti', "utf-8")
    tail = read_audit_tail(log, limit=3)
    assert [record.seq for record in tail] == ["3", "4", "5"]
    assert tail[0].actor == "ann@h"


async def _drain(collector: Collector) -> None:
    """Wait for the request tasks the collector spawned."""
    import asyncio

    while collector._tasks:
        await asyncio.gather(*list(collector._tasks))


def test_specs_cross_the_process_boundary() -> None:
    import pickle

    spec = dataclasses.replace(demo_spec(Path("state")), focus="fraud-scorer")
    assert pickle.loads(pickle.dumps(spec)) == spec


async def test_an_unexpected_error_in_a_refresh_does_not_stop_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    sent: list[object] = []
    collector = Collector(demo_spec(tmp_path), sent.append)

    async def broken(kinds: list[str]) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(collector, "refresh", broken)
    task = asyncio.create_task(collector.serve())
    while not snapshots(sent):
        await asyncio.sleep(0.01)
    assert "RuntimeError: bug" in snapshots(sent)[-1].sources[0].message
    assert collector.schedules["slo"].failures == 1, "backed off, not spinning"
    collector.handle(Shutdown())
    await asyncio.wait_for(task, 5)
