"""Messages the app posts to screens when the Collector answers.

The app keeps `app.snapshot` (the latest) and posts SnapshotArrived to the active screen only; a
screen that becomes active again reads `app.snapshot` in `on_screen_resume`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from govtui.fleet.requests import AuditReply
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
    ) -> None:
        super().__init__()
        self.model = model
        self.lineage = lineage
        self.version = version
        self.error = error


class AuditArrived(Message):
    """The newest audit log records."""

    def __init__(self, reply: AuditReply) -> None:
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
