"""`:audit`: the newest records of the local audit log and whether its chain verifies."""

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

AUDIT_COLUMNS = ("seq", "time", "actor", "action", "target", "outcome", "incident")
VERIFY_CLASSES = {True: "-intact", False: "-broken", None: "-unverified"}


def verify_text(reply: AuditReply) -> Text:
    """The chain's state in one line: intact with its head, BROKEN with where and why."""
    if reply.verified is None:
        return Text(f"chain not verified: {reply.error or 'no verification yet'}")
    return Text(reply.verify_message)


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
                cell(record.incident or "-"),
            ),
        )
        for index, record in enumerate(reversed(reply.records))
    ]


class AuditScreen(GovtuiScreen):
    """The audit log, newest first."""

    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)
    breadcrumb = "audit"

    DEFAULT_CSS = """
    AuditScreen #audit-verify {
        height: auto;
        padding: 0 1;
    }
    AuditScreen #audit-verify.-intact {
        color: $status-ok;
    }
    AuditScreen #audit-verify.-broken {
        color: $status-crit;
        text-style: $status-crit-emphasis;
    }
    AuditScreen #audit-verify.-unverified {
        color: $status-unknown;
    }
    AuditScreen #audit-path {
        height: auto;
        padding: 0 1;
        color: $text-dim;
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
        yield Static("verifying the chain ...", id="audit-verify", markup=False)
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
        """Show the chain's state and the records, or why there are none."""
        self.reply = reply
        header = self.query_one("#audit-verify", Static)
        header.update(verify_text(reply))
        for verified, name in VERIFY_CLASSES.items():
            header.set_class(reply.verified is verified, name)
        text = Text(reply.path)
        if reply.error:
            text.append(f": {reply.error}")
        else:
            text.append(f": {len(reply.records)} newest records")
        self.query_one("#audit-path", Static).update(text)
        self.query_one(SyncedTable).sync(audit_rows(reply))
