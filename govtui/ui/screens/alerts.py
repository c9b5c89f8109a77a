"""`:alerts`: firing alerts (Alertmanager or Prometheus) and every violation across the fleet.

`b` opens the runbook of the selected violation (or of an alert whose runbook label is a check
key); Enter opens the model; both tables update in place.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from govtui.analysis.results import STATUS_RANK
from govtui.config import CHECK_KEYS
from govtui.fleet.snapshot import FleetSnapshot
from govtui.ui.bindings import ALERTS_ACTION_BINDINGS, ALERTS_BINDINGS, SCREEN_BINDINGS
from govtui.ui.render.model_text import MISSING, Palette, Row, cell, fmt_instant_text, status_cell
from govtui.ui.screens.base import SnapshotScreen
from govtui.ui.widgets.panels import SyncedTable

ALERT_COLUMNS = ("model", "alert", "severity", "state", "since", "summary")
VIOLATION_COLUMNS = ("model", "check", "subject", "severity", "message")
KEY_SEPARATOR = "\x00"


def alert_table_rows(snapshot: FleetSnapshot, palette: Palette) -> list[Row]:
    """Every alert, firing before silenced, keyed by model, name and labels."""
    ordered = sorted(
        snapshot.alerts, key=lambda alert: (alert.silenced, alert.model or "", alert.name)
    )
    rows: list[Row] = []
    for index, alert in enumerate(ordered):
        labels = ",".join(f"{name}={value}" for name, value in alert.labels)
        key = KEY_SEPARATOR.join([alert.model or "", alert.runbook, alert.name, labels, str(index)])
        style = (
            palette.muted
            if alert.silenced
            else palette.status(
                "crit" if alert.severity in {"page", "critical", "crit"} else "warn"
            )
        )
        rows.append(
            (
                key,
                (
                    cell(alert.model or MISSING),
                    cell(alert.name),
                    cell(alert.severity or MISSING, style),
                    cell("silenced" if alert.silenced else alert.state),
                    cell(fmt_instant_text(alert.starts_at)),
                    cell(alert.summary),
                ),
            )
        )
    return rows


def violation_table_rows(snapshot: FleetSnapshot, palette: Palette) -> list[Row]:
    """Every violation of every model, worst first, keyed by model and check."""
    found = [
        (model.model, index, violation)
        for model in snapshot.report.models
        for index, violation in enumerate(model.violations)
    ]
    found.sort(key=lambda item: (-STATUS_RANK[item[2].severity], item[0], item[1]))
    return [
        (
            KEY_SEPARATOR.join([model, violation.check, violation.subject, str(index)]),
            (
                cell(model),
                cell(violation.check),
                cell(violation.subject),
                status_cell(violation.severity, palette),
                cell(violation.message),
            ),
        )
        for model, index, violation in found
    ]


def key_parts(key: str | None) -> tuple[str | None, str | None]:
    """(model, runbook check) of a row key of either table."""
    if key is None:
        return None, None
    model, check = key.split(KEY_SEPARATOR)[:2]
    return model or None, check if check in CHECK_KEYS else None


class AlertsScreen(SnapshotScreen):
    """Alerts and violations of the whole fleet."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *SCREEN_BINDINGS,
        *ALERTS_BINDINGS,
        *ALERTS_ACTION_BINDINGS,
    ]
    breadcrumb = "alerts"

    DEFAULT_CSS = """
    AlertsScreen .section {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    AlertsScreen SyncedTable {
        height: auto;
        max-height: 1fr;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.palette = Palette()

    def compose_body(self) -> ComposeResult:
        yield Static("Alerts", classes="section", id="alerts-title")
        yield SyncedTable(ALERT_COLUMNS, id="alerts-table")
        yield Static("Violations", classes="section", id="violations-title")
        yield SyncedTable(VIOLATION_COLUMNS, id="violations-table")

    def on_mount(self) -> None:
        """Show what the app has; the violations table takes the focus."""
        self.palette = Palette.from_theme(self.app.theme_variables)
        self.query_one("#violations-table", SyncedTable).focus()
        self.apply_latest()

    def apply_snapshot(self, snapshot: FleetSnapshot) -> None:
        """Update both tables in place."""
        super().apply_snapshot(snapshot)
        alerts = alert_table_rows(snapshot, self.palette)
        self.query_one("#alerts-table", SyncedTable).sync(alerts)
        source = (
            "no alert source configured"
            if not any(state.name in {"alerts", "alertmanager"} for state in snapshot.sources)
            else f"{len(alerts)}"
        )
        self.query_one("#alerts-title", Static).update(Text(f"Alerts ({source})"))
        violations = violation_table_rows(snapshot, self.palette)
        self.query_one("#violations-table", SyncedTable).sync(violations)
        self.query_one("#violations-title", Static).update(Text(f"Violations ({len(violations)})"))

    def _selected(self) -> tuple[str | None, str | None]:
        focused = self.focused
        if isinstance(focused, SyncedTable):
            return key_parts(focused.cursor_key)
        return key_parts(self.query_one("#violations-table", SyncedTable).cursor_key)

    def action_runbook(self) -> None:
        """`b`: the runbook of the selected row."""
        model, check = self._selected()
        if check is None:
            self.notify("select a violation (or an alert with a runbook key)", markup=False)
            return
        app: Any = self.app
        app.open_runbook(check, model)

    def action_open_model(self) -> None:
        """Enter: open the selected row's model."""
        model, _check = self._selected()
        if model is not None:
            app: Any = self.app
            app.open_model(model)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Read-only mode, or a read-only Alertmanager, removes `s`."""
        if not super().check_action(action, parameters):
            return False
        from govtui.ui.screens.action_modals import source_read_only

        return not source_read_only(self.app, action)

    def action_silence(self) -> None:
        """`s`: silence the selected alert (or every alert of the selected violation's model)."""
        focused = self.focused
        alertname: str | None = None
        if isinstance(focused, SyncedTable) and focused.id == "alerts-table":
            key = focused.cursor_key
            alertname = key.split(KEY_SEPARATOR)[2] if key is not None else None
        model, _check = self._selected()
        if model is None:
            self.notify("select an alert or violation of a model to silence", markup=False)
            return
        from govtui.ui.screens.action_modals import open_silence

        open_silence(self.app, model, alertname)

    def on_data_table_row_selected(self, event: Any) -> None:
        """Enter on a row opens its model."""
        event.stop()
        self.action_open_model()
