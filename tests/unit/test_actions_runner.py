"""The Collector's action runner and the traffic watch, driven directly on the demo fleet.

Real things throughout: the demo's file registry in a temporary state dir, the real audit log,
Alertmanager answered by respx (its HTTP API v2 shapes), Prometheus likewise for the traffic query.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from govtui.actions.audit import AuditLog, verify
from govtui.config import Config, LoadedConfig
from govtui.demo.config import demo_config
from govtui.demo.registry import demo_registry_path
from govtui.errors import SourceError
from govtui.fleet.actions_runner import ActionsRunner, request_kind, request_target
from govtui.fleet.client import CollectorSpec
from govtui.fleet.collector import Collector
from govtui.fleet.requests import (
    ActionReply,
    ExpireSilenceRequest,
    IncidentRequest,
    NoteRequest,
    RollbackPlanReply,
    RollbackPlanRequest,
    RollbackRequest,
    SilenceRequest,
    TrafficReply,
)
from govtui.fleet.snapshot import FleetSnapshot
from govtui.fleet.traffic import (
    WatchSettings,
    prometheus_shares,
    share_query,
    shares_from_rates,
    traffic_text,
    version_shares,
    watch_traffic,
    watch_until_moved,
)
from govtui.sources.prometheus import PrometheusClient

AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
MODEL = "fraud-scorer"  # fast burn after v4; the alias history says v3 came before
AM_URL = "http://alertmanager.test"
PROM_URL = "http://prometheus.test"


@pytest.fixture(autouse=True)
def _fast_traffic_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVTUI_TRAFFIC_POLL", "0.05")
    monkeypatch.delenv("GOVTUI_AUDIT_KEY", raising=False)


def demo_spec(state_dir: Path, loaded: LoadedConfig | None = None, **changes: Any) -> CollectorSpec:
    return CollectorSpec(
        loaded=loaded or demo_config(),
        demo=True,
        state_dir=str(state_dir),
        at=AT.timestamp(),
        **changes,
    )


async def opened(spec: CollectorSpec, sent: list[object]) -> Collector:
    collector = Collector(spec, sent.append)
    await collector.open()
    await collector.refresh(["registry", "slo", "alerts"])
    return collector


async def settle(collector: Collector) -> None:
    """Until every task the Collector spawned (actions, traffic watches) has finished."""
    async with asyncio.timeout(30):
        while collector._tasks:
            await asyncio.gather(*list(collector._tasks), return_exceptions=True)


def replies(sent: list[object], kind: type) -> list[Any]:
    return [item for item in sent if isinstance(item, kind)]


def audit_records(state_dir: Path) -> list[dict[str, Any]]:
    return AuditLog(state_dir / "audit.jsonl").records()


async def ask(collector: Collector, sent: list[object], request: object) -> None:
    collector.handle(request)
    await settle(collector)


# ------------------------------------------------------------------------------- traffic


def test_share_query_escapes_the_model_name() -> None:
    query = share_query('we"ird\\model', "ml_")
    assert query == ('sum by (version) (rate(ml_requests_total{model="we\\"ird\\\\model"}[1m]))')


def test_shares_from_rates_ignores_nan_and_zero() -> None:
    assert shares_from_rates({"3": 3.0, "4": 1.0, "5": float("nan"), "6": 0.0}) == {
        "3": 0.75,
        "4": 0.25,
    }
    assert shares_from_rates({"3": 0.0}) == {}


async def test_prometheus_shares_by_version_label() -> None:
    settings = Config.model_validate(
        {"sources": {"prometheus": {"url": PROM_URL}}}
    ).sources.prometheus
    assert settings is not None
    body = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": {"version": "3"}, "value": [1, "97"]},
                {"metric": {"version": "4"}, "value": [1, "3"]},
            ],
        },
    }
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(f"{PROM_URL}/api/v1/query").mock(
            return_value=httpx.Response(200, json=body)
        )
        async with PrometheusClient(settings) as client:
            shares = await prometheus_shares(client, "fraud", prefix="ml_")
    assert shares == pytest.approx({"3": 0.97, "4": 0.03})
    assert route.calls.last.request.url.params["query"] == share_query("fraud")


async def test_version_shares_without_a_source_says_so() -> None:
    with pytest.raises(SourceError, match="no Prometheus configured"):
        await version_shares(LoadedConfig(config=Config.model_validate({})), "fraud")


def test_traffic_text_names_the_outcome() -> None:
    assert traffic_text("3", 0.974, True, waited=None) == "traffic on v3: 97% \u2014 moved"
    assert traffic_text("3", 0.4, False, waited=None).endswith("40% \u2014 moving")
    assert traffic_text("v2", 0.0, False, waited=600).endswith("0% after 10m \u2014 not moved")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def collect(fetches: list[object], settings: WatchSettings) -> list[TrafficReply]:
    clock = FakeClock()
    queue: Iterator[object] = iter(fetches)

    async def fetch() -> dict[str, float]:
        item = next(queue)
        if isinstance(item, Exception):
            raise item
        return item  # type: ignore[return-value]

    return [
        reply
        async for reply in watch_traffic(
            fetch, "fraud", "3", settings, clock=clock, sleep=clock.sleep
        )
    ]


async def test_watch_stops_once_the_share_is_reached() -> None:
    settings = WatchSettings(threshold=0.95, watch_for=60, interval=5)
    found = await collect(
        [
            {"4": 1.0},
            {"3": 0.5, "4": 0.5},
            SourceError("prometheus", "down"),
            {"3": 0.97, "4": 0.03},
        ],
        settings,
    )
    assert [reply.done for reply in found] == [False, False, False, True]
    assert [reply.final for reply in found] == [False, False, False, True]
    assert found[2].share is None and "prometheus: down" in found[2].message
    assert found[-1].message == "traffic on v3: 97% \u2014 moved"


async def test_watch_gives_up_after_watch_for_and_never_says_moved() -> None:
    settings = WatchSettings(threshold=0.95, watch_for=12, interval=5)
    found = await collect([{"4": 1.0}] * 10, settings)
    assert len(found) == 4  # at 0, 5, 10, 12 seconds
    assert found[-1].final and not found[-1].done
    assert found[-1].message.endswith("after 12s \u2014 not moved")


def test_watch_until_moved_on_the_demo(tmp_path: Path) -> None:
    from govtui.demo.fleet import DemoFleet
    from govtui.demo.registry import ensure_demo_registry

    registry = ensure_demo_registry(tmp_path, at=AT)
    fleet = DemoFleet(registry)
    champion = fleet.versions(datetime.now(tz=UTC))[MODEL]
    seen: list[TrafficReply] = []
    final = watch_until_moved(
        demo_config(), MODEL, str(champion), demo_fleet=fleet, on_update=seen.append
    )
    assert final.done and final.share == 1.0 and seen == [final]


# ------------------------------------------------------------------------------- rollback


def test_request_kinds_and_targets() -> None:
    assert request_kind(IncidentRequest("start", "x")) == "incident.start"
    assert request_kind(SilenceRequest("m", "2h", "r")) == "silence.create"
    assert request_target(ExpireSilenceRequest("abc", "r")) == "silence:abc"
    assert request_kind(RollbackPlanRequest("m")) == "rollback.plan"


async def test_plan_then_rollback_records_intent_and_done_then_traffic_moves(
    tmp_path: Path,
) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await ask(collector, sent, RollbackPlanRequest(MODEL))
    [plan] = replies(sent, RollbackPlanReply)
    assert plan.ok and plan.current == "4" and plan.target == "3" and not plan.protected
    names = [item.name for item in plan.checklist]
    assert names[:5] == [
        "target exists",
        "target READY",
        "not the current",
        "gate passed",
        "lineage complete",
    ]
    assert plan.metrics, "the target's evaluation metrics from its run"

    await ask(
        collector,
        sent,
        RollbackRequest(MODEL, "3", "fast burn since v4", expect_current="4"),
    )
    [reply] = replies(sent, ActionReply)
    assert reply.ok and reply.exit_code == 0 and reply.kind == "rollback"
    assert "moved from 4 to 3" in reply.message and "read back: 3" in reply.message
    records = [r for r in audit_records(tmp_path) if r["action"] == "rollback"]
    assert [r["outcome"] for r in records] == ["intent", "done"]
    evidence = records[0]["params"]["evidence"]
    assert evidence["status"] == "crit" and evidence["checks"], "what the operator saw"
    assert verify(tmp_path / "audit.jsonl").ok
    assert collector.registry is not None
    assert collector.registry.get_alias(MODEL, "champion").version == "3"  # type: ignore[union-attr]
    assert collector.schedules["registry"].next_due == 0.0, "the registry is re-read at once"
    traffic = replies(sent, TrafficReply)
    assert traffic and traffic[-1].done and traffic[-1].final
    assert traffic[-1].message == "traffic on v3: 100% \u2014 moved"
    await collector.close()


async def test_concurrent_move_is_refused_with_a_record(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await ask(collector, sent, RollbackRequest(MODEL, "2", "try", expect_current="3"))
    [reply] = replies(sent, ActionReply)
    assert not reply.ok and reply.exit_code == 1
    assert "not the expected 3" in reply.message
    [record] = [r for r in audit_records(tmp_path) if r["action"] == "rollback"]
    assert record["outcome"] == "refused"
    assert not replies(sent, TrafficReply)
    await collector.close()


async def test_dry_run_moves_nothing(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    path = demo_registry_path(tmp_path)
    before = path.read_bytes()
    await ask(collector, sent, RollbackRequest(MODEL, "3", "rehearsal", "4", dry_run=True))
    [reply] = replies(sent, ActionReply)
    assert reply.ok and reply.outcome == "dry-run" and "nothing changed" in reply.message
    assert path.read_bytes() == before
    assert [r["outcome"] for r in audit_records(tmp_path)] == ["dry-run"]
    await collector.close()


async def test_registry_failure_mid_move_is_failed_not_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    assert collector.registry is not None

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(collector.registry, "set_alias", broken)
    await ask(collector, sent, RollbackRequest(MODEL, "3", "fast burn", "4"))
    [reply] = replies(sent, ActionReply)
    assert not reply.ok and reply.exit_code == 4 and "disk full" in reply.message
    outcomes = [r["outcome"] for r in audit_records(tmp_path)]
    assert outcomes == ["intent", "failed"]
    assert not replies(sent, TrafficReply)
    await collector.close()


async def test_protected_model_needs_its_name(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await ask(collector, sent, RollbackRequest("loan-approval", "2", "unfair", "3"))
    await ask(
        collector,
        sent,
        RollbackRequest("loan-approval", "2", "unfair", "3", confirm="loan-approval"),
    )
    refused, done = replies(sent, ActionReply)
    assert refused.exit_code == 1 and "protected model" in refused.message
    assert done.ok
    await collector.close()


@pytest.mark.parametrize("how", ["spec", "config", "registry"])
async def test_read_only_refuses_with_exit_3_and_touches_nothing(tmp_path: Path, how: str) -> None:
    base = demo_config()
    config = base.config
    if how == "config":
        config = config.model_copy(update={"ui": config.ui.model_copy(update={"read_only": True})})
    if how == "registry":
        registry = config.sources.registry.model_copy(update={"read_only": True})
        sources = config.sources.model_copy(update={"registry": registry})
        config = config.model_copy(update={"sources": sources})
    loaded = LoadedConfig(config=config, path=base.path)
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path, loaded, read_only=how == "spec"), sent)
    path = demo_registry_path(tmp_path)
    before = path.read_bytes()
    await ask(collector, sent, RollbackRequest(MODEL, "3", "fast burn", "4"))
    [reply] = replies(sent, ActionReply)
    assert reply.exit_code == 3 and not reply.ok and "read-only" in reply.message
    assert path.read_bytes() == before
    [record] = audit_records(tmp_path)
    assert (record["action"], record["outcome"]) == ("rollback", "refused")
    if how != "registry":  # notes and incidents are refused too (the registry flag is the
        await ask(collector, sent, NoteRequest(MODEL, "hi"))  # registry's alone)
        await ask(collector, sent, IncidentRequest("start", "outage"))
        assert [r.exit_code for r in replies(sent, ActionReply)] == [3, 3, 3]
        assert not (tmp_path / "incident.json").exists()
    await collector.close()


async def test_plan_without_a_registry_is_an_error_reply(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    collector.registry, collector.registry_error = None, "registry: connection refused"
    await ask(collector, sent, RollbackPlanRequest(MODEL))
    [plan] = replies(sent, RollbackPlanReply)
    assert not plan.ok and plan.error == "registry: connection refused"
    await collector.close()


# ------------------------------------------------------------------------------- notes, incidents


async def test_notes_and_incident_reach_the_snapshot(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await ask(collector, sent, IncidentRequest("start", "payments burning"))
    await ask(collector, sent, NoteRequest(MODEL, "rolled back at 12:05, watching"))
    started, noted = replies(sent, ActionReply)
    assert started.ok and started.target.startswith("INC-")
    assert noted.ok
    snapshot = replies(sent, FleetSnapshot)[-1]
    assert snapshot.incident == started.target
    [note] = snapshot.notes[MODEL]
    assert note.text == "rolled back at 12:05, watching" and "@" in note.actor
    records = audit_records(tmp_path)
    assert records[-1]["action"] == "note" and records[-1]["incident"] == started.target

    stamp = collector.actions._stamp
    await collector.actions.refresh_records()
    assert collector.actions._stamp is stamp, "an unchanged log is not re-read"

    await ask(collector, sent, IncidentRequest("end"))
    assert replies(sent, ActionReply)[-1].ok
    assert replies(sent, FleetSnapshot)[-1].incident is None
    await ask(collector, sent, IncidentRequest("end"))
    last = replies(sent, ActionReply)[-1]
    assert not last.ok and last.exit_code == 2 and "no incident is active" in last.message
    await collector.close()


# ------------------------------------------------------------------------------- silences


def alertmanager_config(tmp_path: Path) -> LoadedConfig:
    base = demo_config()
    config = base.config.model_copy(
        update={
            "sources": base.config.sources.model_copy(
                update={
                    "alertmanager": Config.model_validate(
                        {"sources": {"alertmanager": {"url": AM_URL, "retries": 0}}}
                    ).sources.alertmanager
                }
            )
        }
    )
    return LoadedConfig(config=config, path=base.path)


async def test_silence_goes_to_alertmanager_and_refreshes_alerts(tmp_path: Path) -> None:
    silences: list[dict[str, Any]] = []

    def create(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        silences.append({**body, "id": "s-1", "status": {"state": "active"}})
        return httpx.Response(200, json={"silenceID": "s-1"})

    with respx.mock(assert_all_mocked=True) as mock:
        mock.get(f"{AM_URL}/api/v2/alerts").mock(return_value=httpx.Response(200, json=[]))
        mock.post(f"{AM_URL}/api/v2/silences").mock(side_effect=create)
        mock.get(f"{AM_URL}/api/v2/silences").mock(
            side_effect=lambda _request: httpx.Response(200, json=silences)
        )
        sent: list[object] = []
        collector = await opened(demo_spec(tmp_path, alertmanager_config(tmp_path)), sent)
        collector.schedules["alerts"].succeeded(0.0)
        await ask(
            collector, sent, SilenceRequest(MODEL, "2h", "known: rollback under way", "SloPage")
        )
    [reply] = replies(sent, ActionReply)
    assert reply.ok and reply.details == ("s-1",) and "for 2h" in reply.message
    matchers = {(m["name"], m["value"]) for m in silences[0]["matchers"]}
    assert matchers == {("model", MODEL), ("alertname", "SloPage")}
    assert silences[0]["comment"] == "known: rollback under way"
    assert collector.schedules["alerts"].next_due == 0.0, "alerts are fetched again at once"
    outcomes = [r["outcome"] for r in audit_records(tmp_path) if r["action"] == "silence.create"]
    assert outcomes == ["intent", "done"]
    await collector.close()


async def test_silence_without_alertmanager_is_an_error_reply(tmp_path: Path) -> None:
    sent: list[object] = []
    collector = await opened(demo_spec(tmp_path), sent)
    await ask(collector, sent, SilenceRequest(MODEL, "2h", "why"))
    [reply] = replies(sent, ActionReply)
    assert not reply.ok and reply.exit_code == 2 and "Alertmanager" in reply.message
    await collector.close()


def test_runner_is_wired_into_the_collector(tmp_path: Path) -> None:
    collector = Collector(demo_spec(tmp_path), lambda _message: None)
    assert isinstance(collector.actions, ActionsRunner)
    assert collector.actions.handles(NoteRequest("m", "t"))
    assert not collector.actions.handles(object())
