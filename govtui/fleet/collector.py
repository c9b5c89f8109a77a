"""The Collector: fetch signals -> analyse -> FleetSnapshot, on each kind's own schedule.

It runs in its own process (see govtui.fleet.process) so parsing and pandas work never block
the console. One refresh fetches the signal kinds that are due, keeps the last good frames of
those that fail (their checks age into stale, then unknown), evaluates the fleet, and hands a
compact snapshot to `emit`. It never raises out of a refresh: failures become source states.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtui.fleet.detail import model_detail
from govtui.fleet.requests import (
    AuditRecord,
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
from govtui.fleet.snapshot import AlertInfo, FleetSnapshot, ModelDetail, SourceState
from govtui.fleet.sources import (
    AlertSource,
    SignalSource,
    UnavailableSource,
    alert_source,
    configured_registry,
    demo_registry,
    signal_source,
)
from govtui.fleet.staleness import KindAge, age_report
from govtui.timeutil import parse_duration, utc_now

if TYPE_CHECKING:
    import pandas as pd

    from govtui.analysis.frames import Signals
    from govtui.analysis.results import FleetReport, ModelReport
    from govtui.fleet.client import CollectorSpec
    from govtui.sources.registry.base import AliasMove, ModelRegistry, ModelVersion

log = logging.getLogger(__name__)

# The frames each refresh kind fetches (`ui.refresh` names the kinds).
SIGNAL_KINDS: dict[str, tuple[str, ...]] = {
    "slo": ("requests", "latency", "freshness"),
    "drift": ("feature_bins",),
    "fairness": ("outcomes",),
    "quality": ("outcomes", "series"),
}
FRAME_NAMES = ("requests", "latency", "feature_bins", "outcomes", "series", "freshness")
AUDIT_FILE = "audit.jsonl"

Emit = Callable[[object], None]


def one_line(message: object) -> str:
    """An error as one line for the status bar."""
    text = " ".join(str(message).split())
    return text or type(message).__name__


def _error_text(exc: BaseException) -> str:
    from govtui.errors import GovtuiError

    if isinstance(exc, GovtuiError):
        return one_line(exc)
    return one_line(f"{type(exc).__name__}: {exc}")


class Collector:
    """Owns the sources and the last good data; turns requests into snapshots and replies."""

    def __init__(self, spec: CollectorSpec, emit: Emit) -> None:
        self.spec = spec
        self.loaded, self.demo = spec.resolve()
        self.config = self.loaded.config
        self.emit = emit
        self.at: datetime | None = (
            datetime.fromtimestamp(spec.at, tz=UTC) if spec.at is not None else None
        )
        self.focus: str | None = spec.focus
        self.paused = False
        self.stopped = False
        self.wake = asyncio.Event()
        self._generation = itertools.count(1)
        refresh = self.config.ui.refresh
        self.schedules: dict[str, Schedule] = {
            kind: Schedule(kind, float(parse_duration(getattr(refresh, kind))))
            for kind in (*SIGNAL_KINDS, "alerts", "registry")
        }
        self.frames: dict[str, pd.DataFrame | None] = {}
        self.models: list[str] = []
        self.source_warnings: tuple[str, ...] = ()
        self.versions: dict[str, str | None] = {}
        self.alerts: tuple[AlertInfo, ...] = ()
        self.report: FleetReport | None = None
        self.analysis_error: str | None = None
        self.detail_cache: dict[str, tuple[list[ModelVersion], list[AliasMove]]] = {}
        self.signals: SignalSource = UnavailableSource("signals", "starting")
        self.registry: ModelRegistry | None = None
        self.registry_error: str | None = None
        self.alert_feed: AlertSource | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._audit_verification: tuple[tuple[int, ...], bool, str] | None = None
        self._reopen = False
        from govtui.fleet.actions_runner import ActionsRunner

        self.actions = ActionsRunner(self)

    # ------------------------------------------------------------------ set-up

    @property
    def state_dir(self) -> Path:
        """Where the demo registry and the audit log live."""
        if self.spec.state_dir is not None:
            return Path(self.spec.state_dir)
        from govtui.config import state_dir

        return state_dir()

    async def open(self) -> None:
        """Build the sources; a source that cannot be built is down, not fatal."""
        await self._open_sources()
        try:
            self.alert_feed = alert_source(self.loaded)
        except Exception as exc:
            log.warning("alerts unavailable: %s", exc)
            self.alert_feed = None
        if self.alert_feed is None:
            self.schedules["alerts"].hold()

    async def _open_sources(self) -> None:
        """(Re)build the registry and the signal source (the demo re-anchors on a new `at`)."""
        self._reopen = False
        with contextlib.suppress(Exception):
            await self.signals.close()
        try:
            self.registry = await asyncio.to_thread(self._open_registry)
            self.registry_error = None
        except Exception as exc:
            self.registry = None
            self.registry_error = _error_text(exc)
        try:
            self.signals = await asyncio.to_thread(self._open_signals)
        except Exception as exc:
            self.signals = UnavailableSource(self._signal_name(), _error_text(exc))

    def _signal_name(self) -> str:
        return "demo" if self.demo else self.signals.name

    def _open_registry(self) -> ModelRegistry:
        if self.demo:
            return demo_registry(
                self.state_dir, self.spec.demo_models, self.spec.demo_seed, self.at
            )
        return configured_registry(
            self.loaded,
            self.state_dir,
            self.at,
            demo_models=self.spec.demo_models,
            demo_seed=self.spec.demo_seed,
        )

    def _open_signals(self) -> SignalSource:
        if not self.demo:
            return signal_source(self.loaded)
        if self.registry is None:
            return UnavailableSource("demo", self.registry_error or "demo registry unavailable")
        from govtui.demo.fleet import DemoFleet

        fleet = DemoFleet(self.registry, models=self.spec.demo_models, seed=self.spec.demo_seed)
        return signal_source(self.loaded, demo_fleet=fleet)

    async def close(self) -> None:
        """Release the sources."""
        with contextlib.suppress(Exception):
            await self.signals.close()
        await self.actions.close()
        for task in list(self._tasks):
            task.cancel()

    # ------------------------------------------------------------------ requests

    def handle(self, request: object) -> None:
        """Apply one request from the console (called on the Collector's event loop)."""
        if isinstance(request, RefreshNow):
            self._force_all()
        elif isinstance(request, Pause):
            self.paused = True
            self._spawn(self._send_snapshot())
        elif isinstance(request, Resume):
            self.paused = False
            self._force_all()
        elif isinstance(request, FocusModel):
            self.focus = request.model
            self._spawn(self._send_snapshot())
        elif isinstance(request, SetEvaluationTime):
            self.at = datetime.fromtimestamp(request.at, tz=UTC) if request.at is not None else None
            self._reopen = self.demo
            self.report = None
            self._force_all()
        elif isinstance(request, LineageRequest):
            self._spawn(self._answer_lineage(request))
        elif isinstance(request, AuditRequest):
            self._spawn(self._answer_audit(request))
        elif self.actions.handles(request):
            self.actions.handle(request)
        elif isinstance(request, Shutdown):
            self.stopped = True
        else:
            log.warning("ignored unknown request %r", request)
        self.wake.set()

    def _force_all(self) -> None:
        for kind, schedule in self.schedules.items():
            if kind != "alerts" or self.alert_feed is not None:
                schedule.force()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ polling

    def due_kinds(self, now: float) -> list[str]:
        """Kinds to fetch now: due ones, unless paused (a forced refresh still runs)."""
        due = [kind for kind, schedule in self.schedules.items() if schedule.due(now)]
        if self.paused:
            due = [kind for kind in due if self.schedules[kind].next_due == 0.0]
        return due

    def seconds_until_due(self, now: float) -> float:
        """How long the poll loop may sleep."""
        if self.paused:
            return math.inf
        upcoming = min(schedule.next_due for schedule in self.schedules.values())
        return max(0.0, upcoming - now)

    async def serve(self) -> None:
        """Poll until shut down: refresh what is due, send a snapshot, sleep until the next."""
        await self.open()
        while not self.stopped:
            now = time.monotonic()
            due = self.due_kinds(now)
            if due:
                try:
                    await self.refresh(due)
                except Exception as exc:  # a bug must not stop the Collector: back off, say so
                    log.exception("refresh failed")
                    self.analysis_error = _error_text(exc)
                    for kind in due:
                        self.schedules[kind].failed(time.monotonic(), self.analysis_error)
                await self._send_snapshot()
                continue
            self.wake.clear()
            timeout = self.seconds_until_due(time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), None if timeout == math.inf else timeout)
        await self.close()

    def evaluation_time(self) -> datetime:
        """The replay time, or now."""
        return self.at if self.at is not None else utc_now()

    async def refresh(self, kinds: list[str]) -> None:
        """Fetch the due kinds, keep the last good data of failed ones, re-evaluate."""
        at = self.evaluation_time()
        if self._reopen:
            await self._open_sources()
        if "registry" in kinds:
            await self._refresh_registry()
        if "alerts" in kinds:
            await self._refresh_alerts()
        signal_kinds = [kind for kind in kinds if kind in SIGNAL_KINDS]
        if signal_kinds:
            await self._refresh_signals(signal_kinds, at)
        await self._evaluate(at)

    async def _refresh_signals(self, kinds: list[str], at: datetime) -> None:
        wanted = frozenset(frame for kind in kinds for frame in SIGNAL_KINDS[kind])
        try:
            signals = await self.signals.fetch(at, wanted)
        except Exception as exc:
            message = _error_text(exc)
            now = time.monotonic()
            for kind in kinds:
                self.schedules[kind].failed(now, message)
            return
        now = time.monotonic()
        self._merge(signals, wanted)
        for kind in kinds:
            failure = _kind_failure(signals, SIGNAL_KINDS[kind])
            if failure is None:
                self.schedules[kind].succeeded(now)
            else:
                self.schedules[kind].failed(now, failure)
            if self.at is not None and failure is None:
                self.schedules[kind].hold()
        if any(not self.schedules[kind].failing for kind in kinds):
            # The backend answers again: ask the kinds still backing off now, not at their turn.
            for kind in SIGNAL_KINDS:
                if kind not in kinds and self.schedules[kind].failing:
                    self.schedules[kind].force()

    def _merge(self, signals: Signals, wanted: frozenset[str]) -> None:
        """Take the fetched frames that were asked for; keep cached ones for failed kinds."""
        failed = set(signals.failed)
        for name in FRAME_NAMES:
            if name in wanted and name not in failed:
                self.frames[name] = getattr(signals, name)
        self.models = list(signals.models)
        self.source_warnings = tuple(signals.warnings)

    async def _refresh_registry(self) -> None:
        schedule = self.schedules["registry"]
        if self.registry is None:
            await self._open_sources()
        if self.registry is None:
            schedule.failed(time.monotonic(), self.registry_error or "registry unavailable")
            return
        try:
            self.versions = await asyncio.to_thread(self._champions, self.registry)
        except Exception as exc:
            schedule.failed(time.monotonic(), _error_text(exc))
            return
        self.detail_cache.clear()
        schedule.succeeded(time.monotonic())
        if self.at is not None:
            schedule.hold()

    def _champions(self, registry: ModelRegistry) -> dict[str, str | None]:
        """Each model's serving version at the evaluation time (the demo knows its history)."""
        versions_at = getattr(self.signals, "versions", None)
        if callable(versions_at):
            result: dict[str, str | None] = versions_at(self.evaluation_time())
            return result
        alias = self.config.sources.registry.alias
        return {model.name: model.aliases.get(alias) for model in registry.list_models()}

    async def _refresh_alerts(self) -> None:
        schedule = self.schedules["alerts"]
        if self.alert_feed is None:
            schedule.hold()
            return
        try:
            alerts = await self.alert_feed.fetch()
        except Exception as exc:
            schedule.failed(time.monotonic(), _error_text(exc))
            return
        self.alerts = tuple(alerts)
        schedule.succeeded(time.monotonic())
        if self.at is not None:
            schedule.hold()

    async def _evaluate(self, at: datetime) -> None:
        """Analyse the frames held now; an analysis error keeps the last report."""
        if not self.models and self.report is None:
            return
        from govtui.analysis.frames import Signals

        frames = self.frames
        signals = Signals.from_frames(list(self.models), frames)
        versions = dict(self.versions) if self.versions else None
        try:
            from govtui.analysis.evaluate import evaluate_fleet

            self.report = await asyncio.to_thread(
                evaluate_fleet, signals, self.config, at, versions
            )
            self.analysis_error = None
        except Exception as exc:
            self.analysis_error = _error_text(exc)
            log.exception("analysis failed")

    # ------------------------------------------------------------------ snapshots

    def kind_ages(self, now: float) -> dict[str, KindAge]:
        """The age of each signal kind's data, as the staleness rules need it."""
        ages: dict[str, KindAge] = {}
        for kind in SIGNAL_KINDS:
            schedule = self.schedules[kind]
            age = schedule.age(now)
            if self.at is not None and age is not None and not schedule.failing:
                age = 0.0  # replayed data describes a fixed time; it does not go stale
            ages[kind] = KindAge(
                kind=kind,
                age_seconds=age,
                refresh_seconds=schedule.interval,
                error=schedule.last_error,
                source=self.signals.name,
            )
        return ages

    def source_states(self, now: float) -> tuple[SourceState, ...]:
        """Each backend's state for the status bar."""
        states = [
            self._state(
                self.signals.name,
                [self.schedules[kind] for kind in SIGNAL_KINDS],
                self.source_warnings,
                self.analysis_error,
            ),
            self._state("registry", [self.schedules["registry"]], (), None),
        ]
        if self.alert_feed is not None:
            states.append(self._state(self.alert_feed.name, [self.schedules["alerts"]], (), None))
        return tuple(states)

    def _state(
        self,
        name: str,
        schedules: list[Schedule],
        warnings: tuple[str, ...],
        extra_error: str | None,
    ) -> SourceState:
        now = time.monotonic()
        failing = [schedule for schedule in schedules if schedule.failing]
        message = next((schedule.last_error or "" for schedule in failing), "") or (
            extra_error or ""
        )
        ages = [schedule.age(now) for schedule in schedules]
        if any(age is None for age in ages) and failing:
            return SourceState(name, "down", None, message, warnings)
        known = [age for age in ages if age is not None]
        oldest = max(known) if known else None
        if self.paused:
            return SourceState(name, "paused", oldest, message, warnings)
        if failing or extra_error:
            return SourceState(name, "stale", oldest, message, warnings)
        if not known:
            return SourceState(name, "stale", None, "waiting for the first fetch", warnings)
        return SourceState(name, "live", oldest, "", warnings)

    def build_snapshot(self) -> FleetSnapshot | None:
        """The snapshot of what the Collector holds now; None before anything was analysed."""
        now = time.monotonic()
        states = self.source_states(now)
        if self.report is None:
            from govtui.analysis.results import FleetReport

            report = FleetReport(
                evaluated_at=self.evaluation_time().strftime("%Y-%m-%dT%H:%M:%SZ"),
                status="unknown",
                models=[],
            )
            stale: dict[str, dict[str, float]] = {}
        else:
            report, stale = age_report(
                self.report, self.kind_ages(now), self.config.policy.stale_after_factor
            )
        details: dict[str, ModelDetail] = {}
        if self.focus is not None:
            details[self.focus] = self._detail(self.focus, report)
        evaluated = _parse_report_time(report.evaluated_at, self.evaluation_time())
        return FleetSnapshot(
            generation=next(self._generation),
            taken_at=time.time(),
            evaluated_at=evaluated,
            replay=self.at is not None,
            report=report,
            sources=states,
            alerts=self.alerts,
            details=details,
            stale_checks=stale,
            notes=self.actions.notes,
            incident=self.actions.incident,
        )

    def _detail(self, model: str, report: FleetReport) -> ModelDetail:
        found: ModelReport | None = next(
            (item for item in report.models if item.model == model), None
        )
        versions, moves = self.detail_cache.get(model, ([], []))
        return model_detail(model, self.frames, self.config, found, versions, moves)

    async def _load_registry_detail(self, model: str) -> None:
        """Versions and alias moves of the focused model (cached until the registry refresh)."""
        if self.registry is None or model in self.detail_cache:
            return
        registry = self.registry

        def read() -> tuple[list[ModelVersion], list[AliasMove]]:
            return registry.list_versions(model), registry.alias_history(model)

        try:
            self.detail_cache[model] = await asyncio.to_thread(read)
        except Exception as exc:
            log.info("no registry detail for %s: %s", model, exc)
            self.detail_cache[model] = ([], [])

    async def _send_snapshot(self) -> None:
        await self.actions.refresh_records()
        if self.focus is not None:
            await self._load_registry_detail(self.focus)
        try:
            snapshot = self.build_snapshot()
        except Exception as exc:
            log.exception("snapshot failed")
            self.analysis_error = _error_text(exc)
            return
        if snapshot is not None:
            self.emit(snapshot)

    # ------------------------------------------------------------------ replies

    async def _answer_lineage(self, request: LineageRequest) -> None:
        registry = self.registry
        if registry is None:
            error = self.registry_error or "no registry"
            reply = LineageReply(request.model, request.version, None, error, request.compare)
        else:
            try:
                reply = await asyncio.to_thread(self._read_lineage, registry, request)
            except Exception as exc:
                error = _error_text(exc)
                reply = LineageReply(request.model, request.version, None, error, request.compare)
        self.emit(reply)

    def _read_lineage(self, registry: ModelRegistry, request: LineageRequest) -> LineageReply:
        """The asked version's lineage (alias, else the serving champion) and the compared one."""
        model, compare = request.model, request.compare
        default_alias = self.config.sources.registry.alias
        version = request.version
        if version is None and (request.alias or default_alias) == default_alias:
            version = self.versions.get(model)  # the demo knows which version served at `at`
        if version is None:
            alias = request.alias or default_alias
            found = registry.get_alias(model, alias)
            if found is None:
                return LineageReply(model, None, None, f"no {alias!r} version in the registry")
            version = found.version
        lineage = registry.lineage(model, version)
        if compare is None:
            return LineageReply(model, version, lineage)
        try:
            other = registry.lineage(model, compare)
        except Exception as exc:
            error = f"version {compare}: {_error_text(exc)}"
            return LineageReply(model, version, lineage, error, compare)
        return LineageReply(model, version, lineage, None, compare, other)

    def audit_path(self) -> Path:
        """The audit log the config names, else `audit.jsonl` in the state dir."""
        from govtui.actions.audit import audit_path

        return audit_path(self.loaded, self.state_dir)

    async def _answer_audit(self, request: AuditRequest) -> None:
        path = self.audit_path()
        self.emit(await asyncio.to_thread(self._audit_reply, path, request.limit))

    def _audit_reply(self, path: Path, limit: int) -> AuditReply:
        """The newest records and the chain's verification (cached while the file is unchanged)."""
        from govtui.actions.audit import hmac_key_from_env, verify
        from govtui.errors import GovtuiError

        try:
            stat = path.stat()
        except FileNotFoundError:
            return AuditReply(str(path), (), "no audit log yet: no action has been taken")
        except OSError as exc:
            return AuditReply(str(path), (), f"cannot read: {exc.strerror or exc}")
        key = hmac_key_from_env(self.config.audit.hmac_key_env)
        try:
            records = read_audit_tail(path, limit)
            cache_key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, key is not None)
            cached = self._audit_verification
            if cached is None or cached[0] != cache_key:
                result = verify(path, hmac_key=key)
                cached = (cache_key, result.ok, result.summary())
                self._audit_verification = cached
        except (GovtuiError, OSError) as exc:
            return AuditReply(str(path), (), f"cannot read: {_error_text(exc)}")
        return AuditReply(str(path), records, None, cached[1], cached[2])


def _kind_failure(signals: Signals, frames: tuple[str, ...]) -> str | None:
    """The source's own failure message for any frame of a kind, if it reported one."""
    for frame in frames:
        if frame in signals.failed:
            return one_line(signals.failed[frame])
    return None


def _parse_report_time(text: str, fallback: datetime) -> float:
    try:
        from govtui.timeutil import parse_instant

        return parse_instant(text).timestamp()
    except ValueError:
        return fallback.timestamp()


def read_audit_tail(path: Path, limit: int) -> tuple[AuditRecord, ...]:
    """The newest `limit` records of the audit log as text, read from the end of the file."""
    from govtui.actions.audit import AuditLog, actor_text

    return tuple(
        AuditRecord(
            seq=str(data.get("seq", "")),
            time=str(data.get("time", "")),
            actor=actor_text(data.get("actor")),
            action=str(data.get("action", "")),
            target=str(data.get("target", "")),
            outcome=str(data.get("outcome", "")),
            incident=str(data.get("incident") or ""),
        )
        for data in AuditLog(path).tail(limit)
    )
