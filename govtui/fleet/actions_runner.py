"""The Collector's hands: runs the console's action requests and answers each with a reply.

The console never does I/O; it sends RollbackPlanRequest, RollbackRequest, SilenceRequest,
ExpireSilenceRequest, NoteRequest and IncidentRequest, and the Collector runs the action
functions of `govtui.actions` here, in worker threads (registry, audit log) or on its loop
(Alertmanager), one action at a time. Every answer is an ActionReply whose `exit_code` is the
one the CLI would exit with, so the console can never show a failed or unconfirmed move as done.

In read-only mode (`--read-only`, `ui.read_only`, or the source's own `read_only`) every
mutating request is refused here too, with a refusal record, before anything is touched:
defence in depth, since the console does not offer them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtui.errors import (
    EXIT_ACTION_FAILED,
    EXIT_OK,
    EXIT_READ_ONLY,
    EXIT_USAGE,
    GovtuiError,
)
from govtui.fleet.requests import (
    ACTION_REQUESTS,
    ActionReply,
    CheckLine,
    ExpireSilenceRequest,
    IncidentRequest,
    NoteRequest,
    RollbackPlanReply,
    RollbackPlanRequest,
    RollbackRequest,
    SilenceRequest,
)
from govtui.fleet.snapshot import NoteInfo

if TYPE_CHECKING:
    import httpx

    from govtui.actions.audit import AuditLog
    from govtui.actions.rollback import RollbackPlan
    from govtui.fleet.collector import Collector
    from govtui.sources.registry.base import ModelRegistry

log = logging.getLogger(__name__)

NOTES_PER_MODEL = 5
"""Newest notes per model carried in each snapshot (the audit log keeps them all)."""
EVIDENCE_ITEMS = 10
"""Failing checks and alerts captured per action record, at most."""

ACTION_KINDS: dict[type, str] = {
    RollbackRequest: "rollback",
    SilenceRequest: "silence.create",
    ExpireSilenceRequest: "silence.expire",
    NoteRequest: "note",
}


def request_kind(request: object) -> str:
    """The audit action name of a request (`incident.start`, `rollback`, ...)."""
    if isinstance(request, IncidentRequest):
        return f"incident.{request.op}"
    if isinstance(request, RollbackPlanRequest):
        return "rollback.plan"
    return ACTION_KINDS.get(type(request), type(request).__name__)


def request_target(request: object) -> str:
    """What a request acts on, as the audit record's target."""
    if isinstance(request, ExpireSilenceRequest):
        return f"silence:{request.silence_id}"
    if isinstance(request, IncidentRequest):
        return request.title or "incident"
    return str(getattr(request, "model", ""))


def error_reply(kind: str, target: str, exc: BaseException) -> ActionReply:
    """An action's exception as the reply: its exit code and one line (never a traceback)."""
    if isinstance(exc, GovtuiError):
        message = " ".join(str(exc).split()) or type(exc).__name__
        return ActionReply(kind, False, message, exc.exit_code, target=target)
    message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return ActionReply(kind, False, message, EXIT_ACTION_FAILED, target=target)


def plan_reply(plan: RollbackPlan) -> RollbackPlanReply:
    """A RollbackPlan as plain, picklable lines for the console."""
    return RollbackPlanReply(
        model=plan.model,
        alias=plan.alias,
        current=plan.current_version,
        target=plan.target_version,
        checklist=tuple(CheckLine(item.name, item.ok, item.detail) for item in plan.checklist),
        metrics=tuple(sorted((str(key), float(value)) for key, value in plan.metrics.items())),
        protected=plan.protected,
        ok=plan.ok,
        refusal=plan.refusal or "",
    )


@dataclass(frozen=True)
class _RecordsStamp:
    """What the notes cache was read from: the audit file's identity, size and mtime."""

    path: str
    inode: int
    size: int
    mtime_ns: int


class ActionsRunner:
    """Runs action requests for one Collector and keeps the notes and active incident it shows."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.notes: dict[str, tuple[NoteInfo, ...]] = {}
        self.incident: str | None = None
        self._stamp: _RecordsStamp | None = None
        self._lock = asyncio.Lock()
        self._watches: dict[str, asyncio.Task[None]] = {}
        self.alertmanager_transport: httpx.AsyncBaseTransport | None = None  # tests inject one

    # ------------------------------------------------------------------ settings

    @property
    def read_only(self) -> bool:
        """Read-only for the whole console: `--read-only` or `ui.read_only`."""
        return bool(self.collector.spec.read_only or self.collector.config.ui.read_only)

    def read_only_for(self, request: object) -> bool:
        """Read-only for this request: the console's mode, or its backend's own `read_only`."""
        sources = self.collector.config.sources
        if isinstance(request, RollbackRequest) and sources.registry.read_only:
            return True
        if isinstance(request, SilenceRequest | ExpireSilenceRequest):
            alertmanager = sources.alertmanager
            if alertmanager is not None and alertmanager.read_only:
                return True
        return self.read_only

    def audit_log(self) -> AuditLog:
        """The configured audit log (key from the env var the config names)."""
        from govtui.actions.audit import AuditLog

        return AuditLog.from_config(self.collector.loaded, self.collector.state_dir)

    def audit_file(self) -> Path:
        """Where the audit log is."""
        from govtui.actions.audit import audit_path

        return audit_path(self.collector.loaded, self.collector.state_dir)

    # ------------------------------------------------------------------ requests

    def handles(self, request: object) -> bool:
        """Whether this is an action request (the Collector hands those here)."""
        return isinstance(request, ACTION_REQUESTS)

    def handle(self, request: object) -> None:
        """Start answering an action request on the Collector's loop."""
        self.collector._spawn(self._answer(request))

    async def _answer(self, request: object) -> None:
        kind, target = request_kind(request), request_target(request)
        reply: object
        try:
            if isinstance(request, RollbackPlanRequest):
                reply = await self._plan(request)
            else:
                async with self._lock:
                    reply = await self._act(request, kind, target)
        except Exception as exc:  # nothing escapes: the console always gets an answer
            if not isinstance(exc, GovtuiError):
                log.exception("%s failed", kind)
            reply = (
                RollbackPlanReply(request.model, error=error_reply(kind, target, exc).message)
                if isinstance(request, RollbackPlanRequest)
                else error_reply(kind, target, exc)
            )
        self.collector.emit(reply)

    async def _act(self, request: object, kind: str, target: str) -> ActionReply:
        with contextlib.suppress(Exception):  # started by the CLI meanwhile? tag with it
            self.incident = await asyncio.to_thread(self._current_incident)
        if self.read_only_for(request):
            return await asyncio.to_thread(self._refuse_read_only, request, kind, target)
        if isinstance(request, RollbackRequest):
            return await self._rollback(request)
        if isinstance(request, SilenceRequest):
            return await self._silence(request)
        if isinstance(request, ExpireSilenceRequest):
            return await self._expire(request)
        if isinstance(request, NoteRequest):
            return await self._note(request)
        if isinstance(request, IncidentRequest):
            return await self._incident(request)
        return ActionReply(kind, False, f"unknown action request {kind}", EXIT_USAGE, target=target)

    def _refuse_read_only(self, request: object, kind: str, target: str) -> ActionReply:
        """Record the refusal and say so (exit 3); nothing else is touched."""
        message = f"read-only mode: {kind} of {target} refused"
        params: dict[str, Any] = {"error": message, "source": "console"}
        reason = getattr(request, "reason", None)
        if reason:
            params["reason"] = reason
        try:
            self.audit_log().append(
                kind,
                target,
                outcome="refused",
                params=params,
                incident=self.incident,
            )
        except Exception as exc:  # the refusal stands even when it cannot be recorded
            log.warning("refusal not recorded: %s", exc)
            message += f" (the refusal could not be recorded: {' '.join(str(exc).split())})"
        return ActionReply(kind, False, message, EXIT_READ_ONLY, target=target)

    def _registry(self) -> ModelRegistry:
        registry = self.collector.registry
        if registry is None:  # the Collector's message already names the source
            raise GovtuiError(self.collector.registry_error or "registry: not available")
        return registry

    # ------------------------------------------------------------------ rollback

    async def _plan(self, request: RollbackPlanRequest) -> RollbackPlanReply:
        from govtui.actions.rollback import plan_rollback

        registry = self._registry()
        config = self.collector.config
        plan = await asyncio.to_thread(
            plan_rollback, registry, request.model, config=config, to=request.to
        )
        return plan_reply(plan)

    async def _rollback(self, request: RollbackRequest) -> ActionReply:
        from govtui.actions.rollback import execute_rollback, plan_rollback

        registry = self._registry()
        config = self.collector.config
        audit = self.audit_log()
        evidence = self.evidence(request.model)

        def run() -> tuple[RollbackPlan, Any]:
            plan = plan_rollback(
                registry,
                request.model,
                config=config,
                to=request.to,
                expect_current=request.expect_current,
            )
            result = execute_rollback(
                plan,
                registry=registry,
                audit=audit,
                reason=request.reason,
                incident=self.incident,
                read_only=False,  # read-only requests never get here
                confirm=request.confirm,
                assume_yes=True,  # pressing "Roll back" in the dialog is the confirmation
                dry_run=request.dry_run,
                evidence=evidence,
            )
            return plan, result

        plan, result = await asyncio.to_thread(run)
        alias, model = plan.alias, request.model
        details = tuple(f"audit record {seq}" for seq in result.records)
        if result.outcome == "dry-run":
            message = (
                f"{alias} of {model} would move from {result.from_version or 'nothing'} to "
                f"{result.to_version}; every guardrail passes, nothing changed"
            )
            return ActionReply("rollback", True, message, EXIT_OK, details, model, "dry-run")
        message = (
            f"{alias} of {model} moved from {result.from_version or 'nothing'} to "
            f"{result.to_version} (read back: {result.read_back})"
        )
        self._after_rollback(model, str(result.to_version))
        return ActionReply("rollback", True, message, EXIT_OK, details, model, "done")

    def _after_rollback(self, model: str, target: str) -> None:
        """Show the move at once (registry and signals refreshed), then watch the traffic."""
        collector = self.collector
        collector.detail_cache.pop(model, None)
        for kind in ("registry", "slo", "drift", "fairness", "quality"):
            collector.schedules[kind].force()
        collector.wake.set()
        self.start_watch(model, target)

    def start_watch(self, model: str, target: str) -> None:
        """Poll the model's traffic by version until the target serves it (a new watch of the
        same model replaces the old one)."""
        previous = self._watches.pop(model, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._watch(model, target))
        self._watches[model] = task
        self.collector._tasks.add(task)
        task.add_done_callback(self.collector._tasks.discard)

    async def _watch(self, model: str, target: str) -> None:
        from govtui.fleet.traffic import WatchSettings, version_shares, watch_traffic

        collector = self.collector
        loaded = collector.loaded
        demo_fleet = getattr(collector.signals, "fleet", None) if collector.demo else None
        settings = WatchSettings.from_config(loaded, interval=self.watch_interval())
        client = None
        if demo_fleet is None and loaded.config.sources.prometheus is not None:
            from govtui.sources.prometheus import PrometheusClient

            client = PrometheusClient(loaded.config.sources.prometheus, base_dir=loaded.base_dir)

        async def fetch() -> dict[str, float]:
            # Traffic is watched now, whatever time the console replays.
            return await version_shares(loaded, model, demo_fleet=demo_fleet, client=client)

        try:
            async for reply in watch_traffic(fetch, model, target, settings):
                collector.emit(reply)
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
            if self._watches.get(model) is asyncio.current_task():
                del self._watches[model]

    @staticmethod
    def watch_interval() -> float:
        """Seconds between traffic polls (`GOVTUI_TRAFFIC_POLL` shortens it for tests)."""
        from govtui.fleet.traffic import POLL_SECONDS

        try:
            return max(0.05, float(os.environ.get("GOVTUI_TRAFFIC_POLL", POLL_SECONDS)))
        except ValueError:
            return POLL_SECONDS

    def evidence(self, model: str) -> dict[str, Any]:
        """What the operator saw when acting: health, failing checks, alerts, serving version
        (the keys the incident report reads)."""
        from govtui.actions.incidents import EVIDENCE_ALERTS, EVIDENCE_CHECKS, EVIDENCE_STATUS

        collector = self.collector
        evidence: dict[str, Any] = {}
        report = collector.report
        found = (
            next((item for item in report.models if item.model == model), None)
            if report is not None
            else None
        )
        if found is not None and report is not None:
            evidence[EVIDENCE_STATUS] = found.status
            evidence["serving_version"] = found.version
            evidence["evaluated_at"] = report.evaluated_at
            evidence[EVIDENCE_CHECKS] = [
                {
                    "check": item.check,
                    "severity": item.severity,
                    "subject": item.subject,
                    "message": item.message,
                }
                for item in found.violations[:EVIDENCE_ITEMS]
            ]
        evidence[EVIDENCE_ALERTS] = [
            {
                "name": alert.name,
                "state": "silenced" if alert.silenced else alert.state,
                "severity": alert.severity,
            }
            for alert in collector.alerts
            if alert.model == model
        ][:EVIDENCE_ITEMS]
        return evidence

    # ------------------------------------------------------------------ silences

    async def _silence(self, request: SilenceRequest) -> ActionReply:
        from govtui.actions.silence import acreate_silence, silence_seconds
        from govtui.timeutil import format_duration

        seconds, capped = silence_seconds(self.collector.loaded, request.duration)

        silence_id = await acreate_silence(
            self.collector.loaded,
            model=request.model,
            duration=request.duration,
            reason=request.reason,
            audit=self.audit_log(),
            read_only=False,  # read-only requests never get here
            incident=self.incident,
            alertname=request.alertname,
            evidence=self.evidence(request.model),
            transport=self.alertmanager_transport,
        )
        self._refresh_alerts()
        what = (
            f"alert {request.alertname} of {request.model}" if request.alertname else request.model
        )
        length = format_duration(seconds) + (" (capped at actions.silence_max)" if capped else "")
        message = f"silenced {what} for {length} (silence {silence_id})"
        return ActionReply("silence.create", True, message, EXIT_OK, (silence_id,), request.model)

    async def _expire(self, request: ExpireSilenceRequest) -> ActionReply:
        from govtui.actions.silence import aexpire_silence

        await aexpire_silence(
            self.collector.loaded,
            silence_id=request.silence_id,
            reason=request.reason,
            audit=self.audit_log(),
            read_only=False,
            incident=self.incident,
            transport=self.alertmanager_transport,
        )
        self._refresh_alerts()
        message = f"expired silence {request.silence_id}"
        return ActionReply("silence.expire", True, message, EXIT_OK, target=request.silence_id)

    def _refresh_alerts(self) -> None:
        """Fetch alerts at once, so the fleet shows the silence on the next snapshot."""
        if self.collector.alert_feed is not None:
            self.collector.schedules["alerts"].force()
            self.collector.wake.set()

    # ------------------------------------------------------------------ notes and incidents

    async def _note(self, request: NoteRequest) -> ActionReply:
        from govtui.actions.notes import add_note

        text = request.text.strip()
        if not text:
            return ActionReply("note", False, "a note needs text", EXIT_USAGE, target=request.model)
        audit = self.audit_log()
        await asyncio.to_thread(
            add_note, audit, request.model, text, incident=self.incident, read_only=False
        )
        await self._after_records_change()
        return ActionReply(
            "note", True, f"note added to {request.model}", EXIT_OK, target=request.model
        )

    async def _incident(self, request: IncidentRequest) -> ActionReply:
        from govtui.actions import incidents

        audit = self.audit_log()
        state_dir = self.collector.state_dir
        if request.op == "start":
            title = " ".join(request.title.split())
            incident_id = await asyncio.to_thread(incidents.start_incident, audit, title, state_dir)
            await self._after_records_change()
            return ActionReply(
                "incident.start",
                True,
                f"incident {incident_id} started: {title}",
                EXIT_OK,
                target=str(incident_id),
            )
        ended = await asyncio.to_thread(incidents.end_incident, audit, state_dir)
        await self._after_records_change()
        ended_id = getattr(ended, "id", ended)
        return ActionReply(
            "incident.end", True, f"incident {ended_id} ended", EXIT_OK, target=str(ended_id)
        )

    async def _after_records_change(self) -> None:
        """New notes or a new incident: re-read them and send a snapshot showing them."""
        await self.refresh_records()
        await self.collector._send_snapshot()

    # ------------------------------------------------------------------ what snapshots carry

    async def refresh_records(self) -> None:
        """Re-read notes (when the audit log changed) and the active incident, in a thread."""
        try:
            await asyncio.to_thread(self._refresh_records)
        except Exception as exc:  # a broken log shows no notes; the audit screen says why
            log.info("notes unavailable: %s", exc)

    def _refresh_records(self) -> None:
        self.incident = self._current_incident()
        try:
            path = self.audit_file()
            stat = path.stat()
        except (OSError, ModuleNotFoundError):
            self.notes, self._stamp = {}, None
            return
        stamp = _RecordsStamp(str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if stamp == self._stamp:
            return
        from govtui.actions.audit import AuditLog
        from govtui.actions.notes import notes_by_model

        found = notes_by_model(AuditLog(path).records())
        self.notes = {
            model: tuple(
                NoteInfo(str(note.time), _actor_text(note.actor), str(note.text))
                for note in notes[-NOTES_PER_MODEL:]
            )
            for model, notes in found.items()
            if notes
        }
        self._stamp = stamp

    def _current_incident(self) -> str | None:
        try:
            from govtui.actions.incidents import current_incident
        except ModuleNotFoundError:
            return None
        found = current_incident(self.collector.state_dir)
        return None if found is None else str(getattr(found, "id", found))

    async def close(self) -> None:
        """Stop every traffic watch."""
        for task in list(self._watches.values()):
            task.cancel()
        self._watches.clear()


def _actor_text(actor: object) -> str:
    """`user@host` from an actor mapping, or the text as it is."""
    if isinstance(actor, dict):
        user = actor.get("user") or "unknown"
        host = actor.get("host")
        return f"{user}@{host}" if host else str(user)
    return str(actor)
