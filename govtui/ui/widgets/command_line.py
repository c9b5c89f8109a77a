"""The prompt at the bottom of the screen: `:` command mode and the `/` filter.

A small modal screen holding one Input, so it works the same over every screen. Tab (or Right)
accepts the inline completion, Up/Down walk the history, Enter submits, Esc cancels. In filter
mode every keystroke is applied at once (`on_change`), and an invalid regex is shown, not raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static

PromptMode = Literal["command", "filter"]
PROMPT_PREFIX: dict[PromptMode, str] = {"command": ":", "filter": "/"}


class CommandLine(Input):
    """The prompt's input line; Tab accepts the suggestion instead of moving focus."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", id="prompt.complete", show=False),
        Binding("up", "history(-1)", "Previous", id="prompt.previous", show=False),
        Binding("down", "history(1)", "Next", id="prompt.next", show=False),
    ]

    def __init__(
        self, value: str, *, history: list[str], suggester: Suggester | None, prefix: str
    ) -> None:
        super().__init__(value=value, suggester=suggester, id="prompt-input", select_on_focus=False)
        self.history = history
        self.history_index = len(history)
        self.prefix = prefix

    def action_complete(self) -> None:
        """Take the inline suggestion, if there is one."""
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)

    def action_history(self, step: int) -> None:
        """Walk through earlier entries."""
        if not self.history:
            return
        self.history_index = max(0, min(len(self.history), self.history_index + step))
        self.value = (
            self.history[self.history_index] if self.history_index < len(self.history) else ""
        )
        self.cursor_position = len(self.value)


class PromptScreen(ModalScreen[str | None]):
    """`:` or `/` prompt; dismisses with the entered text, or None on Esc."""

    in_trail = False
    breadcrumb = ""
    AUTO_FOCUS = "#prompt-input"

    DEFAULT_CSS = """
    PromptScreen {
        align: left bottom;
        background: $background 0%;
    }
    PromptScreen #prompt {
        dock: bottom;
        height: auto;
        width: 100%;
        background: $panel;
    }
    PromptScreen #prompt-input {
        border: none;
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    PromptScreen #prompt-input.-invalid {
        color: $error;
    }
    PromptScreen #prompt-error {
        height: auto;
        padding: 0 1;
        color: $error;
        display: none;
    }
    PromptScreen #prompt-error.-shown {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", key_display="esc"),
    ]

    def __init__(
        self,
        mode: PromptMode,
        *,
        value: str = "",
        history: list[str] | None = None,
        suggester: Suggester | None = None,
        on_change: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.prefix = PROMPT_PREFIX[mode]
        self.initial = value
        self.history = history if history is not None else []
        self.suggester = suggester
        self.on_change = on_change
        self.ready = asyncio.Event()
        self.leaving = False

    def compose(self) -> ComposeResult:
        from textual.containers import Vertical

        with Vertical(id="prompt"):
            yield Static("", id="prompt-error", markup=False)
            yield CommandLine(
                self.prefix + self.initial,
                history=self.history,
                suggester=self.suggester,
                prefix=self.prefix,
            )

    def on_mount(self) -> None:
        """Focus the input at once (not on the next loop turn), so typed-ahead keys reach it."""
        line = self.query_one(CommandLine)
        self.set_focus(line)
        line.cursor_position = len(line.value)
        self.ready.set()

    def _body(self, value: str) -> str:
        return value.removeprefix(self.prefix)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Keep the prefix; in filter mode apply the filter as it is typed."""
        event.stop()
        line = self.query_one(CommandLine)
        if not event.value.startswith(self.prefix):
            if event.value == "":
                self._leave(None)  # backspace over the prefix leaves the prompt, as in vim
                return
            line.value = self.prefix + event.value
            return
        if self.on_change is not None:
            self.show_error(self.on_change(self._body(event.value)))

    def show_error(self, error: str | None) -> None:
        """Show (or clear) a problem with what is typed."""
        label = self.query_one("#prompt-error", Static)
        label.update(error or "")
        label.set_class(error is not None, "-shown")
        self.query_one(CommandLine).set_class(error is not None, "-invalid")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: hand the text (without the prefix) to whoever opened the prompt."""
        event.stop()
        body = self._body(event.value).strip()
        if body and (not self.history or self.history[-1] != body):
            self.history.append(body)
        self._leave(body)

    def action_cancel(self) -> None:
        """Esc: leave without running anything."""
        self._leave(None)

    def _leave(self, result: str | None) -> None:
        """Dismiss once, even when Enter or Esc arrive twice before the prompt is gone."""
        if not self.leaving:
            self.leaving = True
            self.dismiss(result)


async def open_prompt(app: Any, prompt: PromptScreen, done: Callable[[str | None], None]) -> None:
    """Push a prompt and return once its input has the focus.

    Called from a key binding, this holds the app's key queue until then, so keys typed or
    pasted right after `:` or `/` land in the prompt instead of the screen beneath it.
    """
    await app.push_screen(prompt, done)
    await prompt.ready.wait()


def prompt_text(screen: Any) -> str | None:
    """What a prompt screen's input holds (tests and `y` use it)."""
    if isinstance(screen, PromptScreen):
        return screen.query_one(CommandLine).value
    return None
