"""What the console asks the Collector, and the Collector's replies other than snapshots.

Plain, picklable dataclasses: they cross the pipe between the two processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    """Lineage of one version of a model (the champion's when `version` is None)."""

    model: str
    version: str | None = None


@dataclass(frozen=True)
class AuditRequest:
    """The newest records of the local audit log."""

    limit: int = 200


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
    | Shutdown
)


@dataclass(frozen=True)
class LineageReply:
    """The answer to a LineageRequest: the lineage, or the error a person can act on."""

    model: str
    version: str | None
    lineage: Lineage | None
    error: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    """One audit log record as the audit screen lists it (all values already text)."""

    seq: str
    time: str
    actor: str
    action: str
    target: str
    outcome: str


@dataclass(frozen=True)
class AuditReply:
    """The newest audit records (newest last), or why there are none."""

    path: str
    records: tuple[AuditRecord, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CollectorFailed:
    """The Collector could not start or stopped on an unexpected error; the console shows it."""

    message: str
    details: tuple[str, ...] = field(default_factory=tuple)
