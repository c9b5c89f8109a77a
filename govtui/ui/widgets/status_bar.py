"""The status bar: the active incident, each source's state, the operator, READ-ONLY, the theme,
the clock or replay time."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.widgets import Static

from govtui.ui.render.model_text import Palette
from govtui.ui.render.status import status_line


class StatusBar(Static):
    """One line at the bottom of every screen, redrawn each second and on every snapshot."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="status-bar", markup=False)
        self.text = Text()

    def on_mount(self) -> None:
        """Redraw now and every second (source ages and the clock move)."""
        self.refresh_state()
        self.set_interval(1.0, self.refresh_state)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh_state())

    def on_unmount(self) -> None:
        """Stop following the theme (the signal's callback would keep this bar alive)."""
        self.app.theme_changed_signal.unsubscribe(self)

    def refresh_state(self) -> None:
        """Render from the app's latest snapshot and settings."""
        app: Any = self.app
        text = status_line(
            snapshot=getattr(app, "snapshot", None),
            settings=getattr(app, "settings", None),
            replay_at=getattr(app, "replay_at", None),
            theme=app.theme,
            variables=app.theme_variables,
            paused=bool(getattr(app, "paused", False)),
            collector_error=getattr(app, "collector_error", None),
            now=time.time(),
        )
        incident = getattr(getattr(app, "snapshot", None), "incident", None)
        if incident:
            palette = Palette.from_theme(app.theme_variables)
            text = Text.assemble((f"INCIDENT {incident}", palette.crit), "  ", text)
            text.no_wrap, text.overflow = True, "ellipsis"
        if text != self.text:
            self.text = text
            self.update(text)
