"""Breadcrumbs: where the operator is (`fleet > model fraud-scorer > lineage`), and what is shown."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

CRUMB_SEPARATOR = " > "


def crumb(screen: Screen[Any]) -> str:
    """A screen's breadcrumb: its `breadcrumb` attribute, else its name and model."""
    label = getattr(screen, "breadcrumb", None)
    if isinstance(label, str) and label:
        return label
    name = type(screen).__name__.removesuffix("Screen").lower() or "screen"
    model = getattr(screen, "model", None)
    return f"{name} {model}" if isinstance(model, str) and model else name


def trail(stack: list[Screen[Any]]) -> list[str]:
    """Breadcrumbs of a screen stack (the default screen, which shows nothing, left out)."""
    return [crumb(screen) for screen in stack if not _is_default(screen)]


def _is_default(screen: Screen[Any]) -> bool:
    return screen.id == "_default"


class Breadcrumbs(Static):
    """One line at the top of every screen."""

    DEFAULT_CSS = """
    Breadcrumbs {
        dock: top;
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $primary 15%;
        color: $foreground;
        text-style: bold;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="breadcrumbs", markup=False)

    def on_mount(self) -> None:
        """Draw once the screen is in the stack."""
        self.call_after_refresh(self.refresh_trail)

    def refresh_trail(self) -> None:
        """Redraw from the app's screen stack."""
        app: Any = self.app
        stack = list(app.screen_stack)
        if self.screen in stack:
            stack = stack[: stack.index(self.screen) + 1]
        text = Text(CRUMB_SEPARATOR.join(trail(stack)), no_wrap=True, overflow="ellipsis")
        settings = getattr(app, "settings", None)
        context = getattr(settings, "context", "")
        if context:
            text.append("  [")
            text.append(context)
            text.append("]")
        self.update(text)
