"""The model screen: one model's SLO, drift, fairness, quality, alerts and versions, reflowing by width.

Panels sit in a grid: three abreast from `WIDE_FROM` columns, two from `NARROW_BELOW` (so two at
160 columns, where each panel's tables still fit) and one below it, where plots also give way to
their numbers. Snapshots arrive as
`SnapshotArrived` messages (posted by the app to the active screen); each one is cut down to this
model and applied by updating only the cells and plots that changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from govtui.config import CHECK_KEYS, Config, FairnessConfig
from govtui.ui.bindings import MODEL_ACTION_BINDINGS, SCREEN_BINDINGS
from govtui.ui.render.action_text import action_status_text, notes_text
from govtui.ui.render.model_text import (
    ModelView,
    Palette,
    header_text,
    model_view,
    model_view_text,
    parity_line,
)
from govtui.ui.screens.action_modals import source_read_only
from govtui.ui.screens.base import GovtuiScreen
from govtui.ui.widgets.panels import Panel, set_text, worst_violation_check
from govtui.ui.widgets.panels.alerts import AlertsPanel
from govtui.ui.widgets.panels.drift import DriftPanel
from govtui.ui.widgets.panels.fairness import FairnessPanel
from govtui.ui.widgets.panels.quality import QualityPanel
from govtui.ui.widgets.panels.slo import SloPanel
from govtui.ui.widgets.panels.versions import VersionsPanel

if TYPE_CHECKING:
    from govtui.fleet.snapshot import FleetSnapshot

NARROW_BELOW = 100
"""Below this many columns panels stack in one column and plots give way to numbers."""
WIDE_FROM = 200
"""From this many columns panels sit three abreast (two in between)."""


MODEL_BINDINGS: list[Binding] = [
    Binding("b", "runbook", "Runbook", id="model.runbook"),
    Binding("l", "lineage", "Lineage", id="model.lineage"),
]
"""The model screen's own keys (Enter on a drift feature is `model.select_feature`)."""


class ModelScreen(GovtuiScreen):
    """Drill-down into one model."""

    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 - Textual declares it as a plain attribute
        (0, "-narrow"),
        (NARROW_BELOW, "-medium"),
        (WIDE_FROM, "-wide"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = [
        *SCREEN_BINDINGS,
        *MODEL_BINDINGS,
        *MODEL_ACTION_BINDINGS,
    ]

    DEFAULT_CSS = """
    ModelScreen {
        layout: vertical;
    }
    ModelScreen #model-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    ModelScreen #model-notes, ModelScreen #model-action {
        height: auto;
        padding: 0 1;
        background: $panel;
        display: none;
    }
    ModelScreen #model-notes.-shown, ModelScreen #model-action.-shown {
        display: block;
    }
    ModelScreen #model-body {
        height: 1fr;
    }
    ModelScreen #model-panels {
        layout: grid;
        grid-size: 3;
        grid-rows: auto;
        grid-gutter: 0 1;
        height: auto;
    }
    ModelScreen.-medium #model-panels {
        grid-size: 2;
    }
    ModelScreen.-narrow #model-panels {
        grid-size: 1;
    }
    ModelScreen.-narrow .plot {
        display: none;
    }
    ModelScreen.-narrow .numeric {
        display: block;
    }
    ModelScreen.-ascii Panel, ModelScreen.-ascii Panel:focus-within,
    ModelScreen.-ascii Panel:focus {
        border: ascii $primary;
    }
    ModelScreen .note {
        color: $text-muted;
        text-style: italic;
    }
    """

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.view: ModelView | None = None
        self.palette = Palette()
        self.sub_title = model
        self.breadcrumb = f"model {model}"

    @property
    def panels(self) -> list[Panel]:
        """The panels in display order."""
        return list(self.query(Panel))

    def compose_body(self) -> ComposeResult:
        yield Static(id="model-header")
        yield Static(id="model-notes")
        yield Static(id="model-action")
        with VerticalScroll(id="model-body", can_focus=False), Container(id="model-panels"):
            yield SloPanel(id="panel-slo")
            yield DriftPanel(id="panel-drift")
            settings = self._fairness_settings()
            yield FairnessPanel(
                line=parity_line(settings),
                min_samples=settings.min_samples if settings is not None else None,
                id="panel-fairness",
            )
            yield QualityPanel(id="panel-quality")
            yield AlertsPanel(id="panel-alerts")
            yield VersionsPanel(id="panel-versions")

    def on_mount(self) -> None:
        """Take the theme's palette, show the snapshot the app already has, follow the theme."""
        self.set_class(bool(getattr(self.app, "ascii_mode", False)), "-ascii")
        self.palette = Palette.from_theme(self.app.theme_variables)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None:
            self.apply_snapshot(snapshot)
        else:
            self.apply_view(self._empty())

    def on_screen_resume(self) -> None:
        """Ask for this model's detail whenever the screen is shown; catch up on missed snapshots."""
        focus_model = getattr(self.app, "focus_model", None)
        if focus_model is not None:
            focus_model(self.model)
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None and (
            self.view is None or self.view.generation != snapshot.generation
        ):
            self.apply_snapshot(snapshot)

    def on_unmount(self) -> None:
        """Stop asking for this model's detail once gone (unless another model screen is on)."""
        # The signal holds its subscribers' callbacks, which hold this screen: unsubscribe, or
        # every model screen ever opened stays in memory (found by benchmarks/bench_memory.py).
        self.app.theme_changed_signal.unsubscribe(self)
        focus_model = getattr(self.app, "focus_model", None)
        if focus_model is None:
            return
        active = self.app.screen_stack[-1] if self.app.screen_stack else None
        still = isinstance(active, ModelScreen) and active is not self
        focus_model(active.model if still else None)  # type: ignore[union-attr]

    def on_snapshot_arrived(self, message: Any) -> None:
        """A new FleetSnapshot (the app's SnapshotArrived message)."""
        self.apply_snapshot(message.snapshot)

    def apply_snapshot(self, snapshot: FleetSnapshot) -> None:
        """Cut the snapshot down to this model and update what changed."""
        self.apply_view(model_view(snapshot, self.model))

    def apply_view(self, view: ModelView) -> None:
        """Show a view: header and every panel, each diffing against what it shows."""
        self.view = view
        set_text(self.query_one("#model-header", Static), header_text(view, self.palette))
        self._show_notes()
        for panel in self.panels:
            panel.apply(view, self.palette)

    def _theme_changed(self) -> None:
        self.palette = Palette.from_theme(self.app.theme_variables)
        if self.view is not None:
            self.apply_view(self.view)

    def _empty(self) -> ModelView:
        return ModelView(model=self.model, report=None, detail=None)

    def _fairness_settings(self) -> FairnessConfig | None:
        """This model's fairness settings from the app's config (None without a config)."""
        config: Any = getattr(self.app, "config", None)
        config = getattr(config, "config", config)  # a LoadedConfig or a Config
        return config.fairness_for(self.model) if isinstance(config, Config) else None

    def focused_panel(self) -> Panel | None:
        """The panel holding the focus, if any."""
        node: Widget | None = self.focused
        while node is not None and not isinstance(node, Panel):  # the focus may be the panel
            parent = node.parent
            node = parent if isinstance(parent, Widget) else None
        return node

    def action_runbook(self) -> None:
        """Open the runbook of the selected violation or panel (else of the worst violation)."""
        panel = self.focused_panel()
        check = panel.runbook_check() if panel is not None else None
        if check is None and self.view is not None:
            check = worst_violation_check(self.view, CHECK_KEYS)
        if check is None:
            self.notify("No violation selected and none on this model", title="runbook")
            return
        open_runbook = getattr(self.app, "open_runbook", None)
        if open_runbook is None:
            self.notify("Runbooks are not available here", title="runbook", severity="warning")
            return
        open_runbook(check, self.model)

    def action_lineage(self) -> None:
        """Open the lineage of this model's deployed version."""
        open_lineage = getattr(self.app, "open_lineage", None)
        if open_lineage is None:
            self.notify("Lineage is not available here", title="lineage", severity="warning")
            return
        open_lineage(self.model)

    def on_feature_lineage_requested(self, message: Any) -> None:
        """`l` on a drift feature: the lineage screen focused on that feature."""
        message.stop()
        open_lineage = getattr(self.app, "open_lineage", None)
        if open_lineage is not None:
            open_lineage(self.model, feature=message.feature)

    # -------------------------------------------------------------- actions (the Collector acts)

    def _show_notes(self) -> None:
        snapshot = getattr(self.app, "snapshot", None)
        notes = getattr(snapshot, "notes", None) or {}
        text = notes_text(notes.get(self.model, ()), self.palette)
        line = self.query_one("#model-notes", Static)
        set_text(line, text)
        line.set_class(bool(text.plain), "-shown")

    def show_action_status(self, text: Text) -> None:
        """The line under the header that says how the last action on this model went."""
        line = self.query_one("#model-action", Static)
        set_text(line, text)
        line.set_class(bool(text.plain), "-shown")

    def on_action_arrived(self, message: Any) -> None:
        """Outcomes of actions on this model, and the traffic watch after a rollback."""
        text = action_status_text(message.reply, self.model, self.palette)
        if text is not None:
            self.show_action_status(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Read-only mode, and a read-only registry or Alertmanager, remove the action keys."""
        if not super().check_action(action, parameters):
            return False
        return not source_read_only(self.app, action)

    def action_rollback(self) -> None:
        """`R`: the rollback dialog (pre-flight checklist first)."""
        from govtui.ui.screens.rollback import open_rollback

        open_rollback(self.app, self.model)

    def action_note(self) -> None:
        """`n`: a note on this model."""
        from govtui.ui.screens.action_modals import open_note

        open_note(self.app, self.model)

    def action_silence(self) -> None:
        """`s`: silence this model's alerts."""
        from govtui.ui.screens.action_modals import open_silence

        open_silence(self.app, self.model)

    def copy_text(self) -> str:
        """The screen as plain text (what `y` copies)."""
        view = self.view if self.view is not None else self._empty()
        return model_view_text(view, self._fairness_settings())
