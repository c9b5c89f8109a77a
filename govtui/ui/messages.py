"""Messages the app posts to screens when the Collector answers.

The app keeps `app.snapshot` (the latest) and posts SnapshotArrived to the active screen only; a
screen that becomes active again reads `app.snapshot` in `on_screen_resume`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from govtui.fleet.requests import AuditReply, LineageReply
    from govtui.fleet.snapshot import FleetSnapshot
    from govtui.sources.registry.base import Lineage


class SnapshotArrived(Message):
    """A new FleetSnapshot from the Collector."""

    def __init__(self, snapshot: FleetSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class LineageArrived(Message):
    """The Collector's answer to a lineage request: the lineage, or why there is none."""

    def __init__(
        self,
        model: str,
        lineage: Lineage | None,
        *,
        version: str | None = None,
        error: str | None = None,
        compare: str | None = None,
        compare_lineage: Lineage | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.lineage = lineage
        self.version = version
        self.error = error
        self.compare = compare  # set on the answer to a diff request (the version compared)
        self.compare_lineage = compare_lineage

    @classmethod
    def from_reply(cls, reply: LineageReply) -> LineageArrived:
        """The message for one Collector reply."""
        return cls(
            reply.model,
            reply.lineage,
            version=reply.version,
            error=reply.error,
            compare=reply.compare,
            compare_lineage=reply.compare_lineage,
        )


class AuditArrived(Message):
    """The newest audit log records."""

    def __init__(self, reply: AuditReply) -> None:
        super().__init__()
        self.reply = reply


class ActionArrived(Message):
    """The Collector's answer about an action: a RollbackPlanReply, ActionReply or TrafficReply."""

    def __init__(self, reply: object) -> None:
        super().__init__()
        self.reply = reply


class CollectorMessage(Message):
    """Anything read from the Collector's pipe (posted to the app from the reader thread)."""

    def __init__(self, payload: object) -> None:
        super().__init__()
        self.payload = payload


class CollectorGone(Message):
    """The Collector process stopped (crashed or was killed); the console says so and stays up."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
