"""What the console asks the Collector, and the Collector's replies other than snapshots.

Plain, picklable dataclasses: they cross the pipe between the two processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from govtui.sources.registry.base import Lineage


@dataclass(frozen=True)
class RefreshNow:
    """Fetch every signal kind now, whatever its schedule (the `r` key)."""


@dataclass(frozen=True)
class Pause:
    """Stop polling the sources; the console keeps showing the last snapshot (the `p` key)."""


@dataclass(frozen=True)
class Resume:
    """Poll again and refresh at once."""


@dataclass(frozen=True)
class FocusModel:
    """Include ModelDetail for this model in snapshots (None: no detail)."""

    model: str | None


@dataclass(frozen=True)
class SetEvaluationTime:
    """Replay the fleet as it was at `at` (unix seconds), or follow live time when None."""

    at: float | None


@dataclass(frozen=True)
class LineageRequest:
    """Lineage of one version of a model (the alias's, else the champion's, when no `version`).

    With `compare`, the reply also carries that version's lineage (the console diffs the two).
    """

    model: str
    version: str | None = None
    alias: str | None = None
    compare: str | None = None


@dataclass(frozen=True)
class AuditRequest:
    """The newest records of the local audit log."""

    limit: int = 200


@dataclass(frozen=True)
class RollbackPlanRequest:
    """The pre-flight checklist for rolling a model back (to the previous champion by default)."""

    model: str
    to: str | None = None


@dataclass(frozen=True)
class RollbackRequest:
    """Move the model's alias to `to`, refused unless `expect_current` still serves."""

    model: str
    to: str
    reason: str
    expect_current: str | None
    confirm: str | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class SilenceRequest:
    """Silence a model's alerts (one alert when `alertname` is given) for `duration`."""

    model: str
    duration: str
    reason: str
    alertname: str | None = None


@dataclass(frozen=True)
class ExpireSilenceRequest:
    """Expire a silence now."""

    silence_id: str
    reason: str


@dataclass(frozen=True)
class NoteRequest:
    """Annotate a model (the note lives in the audit log)."""

    model: str
    text: str


@dataclass(frozen=True)
class IncidentRequest:
    """Start an incident (later actions carry its id) or end the active one."""

    op: Literal["start", "end"]
    title: str = ""


ACTION_REQUESTS = (
    RollbackPlanRequest,
    RollbackRequest,
    SilenceRequest,
    ExpireSilenceRequest,
    NoteRequest,
    IncidentRequest,
)
"""Requests the Collector answers by acting (or by planning an action)."""

MUTATING_REQUESTS = (
    RollbackRequest,
    SilenceRequest,
    ExpireSilenceRequest,
    NoteRequest,
    IncidentRequest,
)
"""Requests that change the world: refused in read-only mode, by the console and the Collector."""


@dataclass(frozen=True)
class Shutdown:
    """Stop the Collector process cleanly."""


Request = (
    RefreshNow
    | Pause
    | Resume
    | FocusModel
    | SetEvaluationTime
    | LineageRequest
    | AuditRequest
    | RollbackPlanRequest
    | RollbackRequest
    | SilenceRequest
    | ExpireSilenceRequest
    | NoteRequest
    | IncidentRequest
    | Shutdown
)


@dataclass(frozen=True)
class LineageReply:
    """The answer to a LineageRequest: the lineage, or the error a person can act on."""

    model: str
    version: str | None
    lineage: Lineage | None
    error: str | None = None
    compare: str | None = None  # the version asked for comparison, echoed back
    compare_lineage: Lineage | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One audit log record as the audit screen lists it (all values already text)."""

    seq: str
    time: str
    actor: str
    action: str
    target: str
    outcome: str
    incident: str = ""


@dataclass(frozen=True)
class AuditReply:
    """The newest audit records (newest last), or why there are none, and the chain's state."""

    path: str
    records: tuple[AuditRecord, ...] = ()
    error: str | None = None
    verified: bool | None = None  # None: not verified (no log, or it could not be read)
    verify_message: str = ""


@dataclass(frozen=True)
class CheckLine:
    """One pre-flight check as the rollback dialog shows it (ok None: could not be checked)."""

    name: str
    ok: bool | None
    detail: str = ""


@dataclass(frozen=True)
class RollbackPlanReply:
    """The pre-flight checklist of a rollback, or the error that kept it from being made."""

    model: str
    alias: str = "champion"
    current: str | None = None
    target: str | None = None
    checklist: tuple[CheckLine, ...] = ()
    metrics: tuple[tuple[str, float], ...] = ()
    protected: bool = False
    ok: bool = False
    refusal: str = ""
    error: str | None = None


@dataclass(frozen=True)
class ActionReply:
    """The outcome of an action request: done, refused (exit 1 or 3) or failed (exit 2 or 4).

    `kind` is the audit action name (`rollback`, `silence.create`, `note`, `incident.start` ...)
    and `target` what it acted on (a model, a silence id, an incident id).
    """

    kind: str
    ok: bool
    message: str
    exit_code: int
    details: tuple[str, ...] = ()
    target: str = ""
    outcome: str = ""  # the audit outcome when known: done, dry-run, refused, failed, ...


@dataclass(frozen=True)
class TrafficReply:
    """How much of a model's traffic its new version serves, polled after a rollback.

    `final` is set on the last reply of a watch (moved, or `watch_for` passed without it).
    """

    model: str
    target: str
    share: float | None
    done: bool
    message: str
    final: bool = False


ACTION_REPLIES = (RollbackPlanReply, ActionReply, TrafficReply)
"""Replies about actions (the console routes them to the screens that listen)."""


@dataclass(frozen=True)
class CollectorFailed:
    """The Collector could not start or stopped on an unexpected error; the console shows it."""

    message: str
    details: tuple[str, ...] = field(default_factory=tuple)
