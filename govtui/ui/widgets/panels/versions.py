"""Versions panel: registry versions with aliases and gate, and the alias moves (also on the plots)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from govtui.ui.render.model_text import (
    ALIAS_MOVE_COLUMNS,
    VERSION_COLUMNS,
    ModelView,
    Palette,
    alias_move_rows,
    version_rows,
)
from govtui.ui.widgets.panels import Panel, SyncedTable, set_text, worst_violation_check


class VersionsPanel(Panel):
    """Versions oldest to newest with aliases and gate; alias moves newest first."""

    TITLE = "Versions"

    def compose(self) -> ComposeResult:
        yield SyncedTable(VERSION_COLUMNS, id="versions-list")
        yield Static(id="versions-moves-title", classes="panel-line")
        yield SyncedTable(ALIAS_MOVE_COLUMNS, id="versions-moves")

    def update_view(self, view: ModelView, palette: Palette) -> None:
        detail = view.detail
        self.query_one("#versions-list", SyncedTable).sync(
            version_rows(detail.versions, palette) if detail else []
        )
        moves = detail.alias_moves if detail else ()
        title = Text(
            f"alias moves ({len(moves)})" if detail else "waiting for registry details",
            style="dim",
        )
        set_text(self.query_one("#versions-moves-title", Static), title)
        self.query_one("#versions-moves", SyncedTable).sync(alias_move_rows(moves, palette))

    def runbook_check(self) -> str | None:
        """Versions matter for quality regressions after a promotion: the worst such violation."""
        if self.view is None:
            return None
        return worst_violation_check(self.view, ("quality", "drift", "fairness")) or "quality"
