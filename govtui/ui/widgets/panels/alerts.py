"""Alerts panel: the model's violations (each opens its runbook) and its alerts, silenced marked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from govtui.config import CHECK_KEYS
from govtui.ui.render.model_text import (
    ALERT_COLUMNS,
    VIOLATION_COLUMNS,
    ModelView,
    Palette,
    alert_key,
    alert_rows,
    alerts_summary,
    check_of_violation_key,
    violation_rows,
)
from govtui.ui.widgets.panels import Panel, SyncedTable, set_text, worst_violation_check


class AlertsPanel(Panel):
    """Violations of the model's checks, and firing alerts from Alertmanager or Prometheus."""

    TITLE = "Alerts"

    def compose(self) -> ComposeResult:
        yield Static(id="alerts-summary", classes="panel-line")
        yield SyncedTable(VIOLATION_COLUMNS, id="alerts-violations")
        yield SyncedTable(ALERT_COLUMNS, id="alerts-firing")

    def update_view(self, view: ModelView, palette: Palette) -> None:
        set_text(self.query_one("#alerts-summary", Static), alerts_summary(view, palette))
        report = view.report
        self.query_one("#alerts-violations", SyncedTable).sync(
            violation_rows(report, palette) if report else []
        )
        self.query_one("#alerts-firing", SyncedTable).sync(
            alert_rows(view.alerts, palette, view.evaluated_at)
        )

    def runbook_check(self) -> str | None:
        """The violation under the cursor, else an alert's `check` label, else the worst one."""
        violations = self.query_one("#alerts-violations", SyncedTable)
        firing = self.query_one("#alerts-firing", SyncedTable)
        if firing.has_focus and self.view is not None:
            key = firing.cursor_key
            alert = next((item for item in self.view.alerts if alert_key(item) == key), None)
            if alert is not None:
                labels = dict(alert.labels)
                check = labels.get("check") or labels.get("govtui_check")
                if check in CHECK_KEYS:
                    return check
        key = violations.cursor_key
        if key is not None:
            return check_of_violation_key(key)
        if self.view is None:
            return None
        return worst_violation_check(self.view, CHECK_KEYS)
