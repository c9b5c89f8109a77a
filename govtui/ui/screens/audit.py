"""`:audit`: the newest records of the local audit log, read by the Collector."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from govtui.fleet.requests import AuditReply
from govtui.ui.bindings import SCREEN_BINDINGS
from govtui.ui.render.model_text import Row, cell
from govtui.ui.screens.base import GovtuiScreen
from govtui.ui.widgets.panels import SyncedTable

AUDIT_COLUMNS = ("seq", "time", "actor", "action", "target", "outcome")


def audit_rows(reply: AuditReply) -> list[Row]:
    """Records newest first, keyed by sequence number."""
    return [
        (
            f"{record.seq}\x00{index}",
            (
                cell(record.seq),
                cell(record.time),
                cell(record.actor),
                cell(record.action),
                cell(record.target),
                cell(record.outcome),
            ),
        )
        for index, record in enumerate(reversed(reply.records))
    ]


class AuditScreen(GovtuiScreen):
    """The audit log, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)
    breadcrumb = "audit"

    DEFAULT_CSS = """
    AuditScreen #audit-path {
        height: auto;
        padding: 0 1;
    }
    AuditScreen SyncedTable {
        height: 1fr;
        max-height: 1fr;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.reply: AuditReply | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("reading the audit log ...", id="audit-path", markup=False)
        yield SyncedTable(AUDIT_COLUMNS, id="audit-table")

    def on_mount(self) -> None:
        """Ask the Collector for the newest records."""
        self.query_one(SyncedTable).focus()
        app: Any = self.app
        app.request_audit()

    def on_screen_resume(self) -> None:
        """Re-read when coming back (new actions may have been taken)."""
        super().on_screen_resume()
        if self.reply is not None:
            app: Any = self.app
            app.request_audit()

    def on_audit_arrived(self, message: Any) -> None:
        """The Collector's answer."""
        self.show(message.reply)

    def show(self, reply: AuditReply) -> None:
        """Show records, or why there are none."""
        self.reply = reply
        text = Text(reply.path)
        if reply.error:
            text.append(f": {reply.error}")
        else:
            text.append(f": {len(reply.records)} newest records")
        self.query_one("#audit-path", Static).update(text)
        self.query_one(SyncedTable).sync(audit_rows(reply))
