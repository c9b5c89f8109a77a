"""What every govtui screen shares: breadcrumbs, status bar, footer, Esc back, read-only removal."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer

from govtui.ui.bindings import SCREEN_BINDINGS, is_dangerous
from govtui.ui.widgets.breadcrumbs import Breadcrumbs
from govtui.ui.widgets.status_bar import StatusBar


def chrome_widgets() -> list[Any]:
    """The widgets every screen shows after its content (the breadcrumbs dock at the top)."""
    return [Breadcrumbs(), StatusBar(), Footer()]


def read_only_allows(app: Any, action: str) -> bool:
    """False for a dangerous action while the console is read-only."""
    return not (bool(getattr(app, "read_only", False)) and is_dangerous(action))


class GovtuiScreen(Screen[None]):
    """A screen with the console's chrome; subclasses yield their content from `compose_body`."""

    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)
    breadcrumb: str = ""

    def compose(self) -> ComposeResult:
        yield from self.compose_body()
        yield from chrome_widgets()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets."""
        yield from ()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dangerous bindings are removed (hidden and not dispatched) in read-only mode."""
        return read_only_allows(self.app, action)

    def on_screen_resume(self) -> None:
        """Breadcrumbs and status may have changed while another screen was on top."""
        for crumbs in self.query(Breadcrumbs):
            crumbs.refresh_trail()
        for bar in self.query(StatusBar):
            bar.refresh_state()

    def action_back(self) -> None:
        """Esc: back to the previous screen (the fleet stays)."""
        app: Any = self.app
        app.go_back()

    def copy_text(self) -> str:
        """The screen as text for `y`; screens with a better textual form override it."""
        app: Any = self.app
        result: str = app.screen_text()
        return result


class SnapshotScreen(GovtuiScreen):
    """A screen that shows the latest FleetSnapshot and catches up on those it missed while hidden."""

    def __init__(self) -> None:
        super().__init__()
        self.generation = -1  # nothing shown yet (a cached snapshot is generation 0)

    def on_screen_resume(self) -> None:
        """Catch up on snapshots that arrived while another screen was on top."""
        super().on_screen_resume()
        self.apply_latest()

    def on_snapshot_arrived(self, message: Any) -> None:
        """A new snapshot from the Collector."""
        self.apply_snapshot(message.snapshot)

    def apply_latest(self) -> None:
        """Apply the app's latest snapshot if this screen has not shown it yet."""
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is not None and snapshot.generation != self.generation:
            self.apply_snapshot(snapshot)

    def apply_snapshot(self, snapshot: Any) -> None:
        """Show a snapshot; subclasses update their widgets and call this to record it."""
        self.generation = snapshot.generation
