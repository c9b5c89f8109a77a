"""Small dialogs for actions (silence, note) and the console's end of every action request.

The console never acts itself: a dialog builds a request, `send_action` hands it to the
Collector (refusing anything mutating in read-only mode before it leaves the console), and the
Collector's replies come back through `deliver`, which posts them to every screen that listens
(`on_action_arrived`) and tells the operator how the action ended.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from govtui.fleet.requests import (
    MUTATING_REQUESTS,
    ActionReply,
    IncidentRequest,
    NoteRequest,
    SilenceRequest,
)
from govtui.timeutil import parse_duration
from govtui.ui.messages import ActionArrived
from govtui.ui.render.action_text import outcome_word

NOTE_MAX_CHARS = 500
"""Notes are a line or two for the next on-call, not documents."""

DIALOG_CSS = """
{name} {{
    align: center middle;
    background: $background 60%;
}}
{name} .dialog {{
    width: 72;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    padding: 1 2;
    border: thick $primary;
    background: $panel;
}}
{name} .dialog-title {{
    text-style: bold;
    margin-bottom: 1;
}}
{name} .dialog Input {{
    margin-bottom: 1;
}}
{name} .dialog-buttons {{
    height: auto;
    margin-top: 1;
}}
{name} .dialog-buttons Button {{
    margin-right: 2;
}}
{name} .dialog-error {{
    color: $error;
    height: auto;
}}
"""


def dialog_css(name: str) -> str:
    """The shared dialog look for one modal screen class."""
    return DIALOG_CSS.format(name=name)


# ---------------------------------------------------------------------------------- plumbing


def send_action(app: Any, request: object) -> bool:
    """Send an action request to the Collector; mutating ones are refused here in read-only mode."""
    if bool(getattr(app, "read_only", False)) and isinstance(request, MUTATING_REQUESTS):
        app.notify("read-only mode: actions are refused", severity="error", markup=False)
        return False
    sent = bool(app.collector.send(request))
    if not sent:
        app.notify("the Collector is gone: nothing was sent", severity="error", markup=False)
    return sent


def deliver(app: Any, reply: object) -> None:
    """Route a Collector reply about an action to the screens that listen, and say how it ended."""
    for screen in list(app.screen_stack):
        if hasattr(screen, "on_action_arrived"):
            screen.post_message(ActionArrived(reply))
    if isinstance(reply, ActionReply):
        severity = "information" if reply.ok else "error"
        app.notify(
            f"{outcome_word(reply)}: {reply.message}",
            title=reply.kind,
            severity=severity,
            markup=False,
            timeout=8 if reply.ok else 15,
        )


# ---------------------------------------------------------------------------------- dialogs


class ActionDialog(ModalScreen[None]):
    """A modal with inputs, a primary button and Cancel; Esc cancels, Enter on the last input
    submits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", key_display="esc"),
        Binding("q", "stay", show=False),  # on a button, `q` must not quit the console
    ]
    in_trail = False
    breadcrumb = ""

    def action_stay(self) -> None:
        """`q` in a dialog does nothing (Esc closes it)."""

    def error(self, text: str | None) -> None:
        """Show (or clear) what is wrong with the input."""
        self.query_one(".dialog-error", Static).update(Text(text or ""))

    def action_cancel(self) -> None:
        """Esc: leave without acting."""
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The primary button submits; Cancel leaves."""
        event.stop()
        if event.button.id is not None and event.button.id.endswith("-cancel"):
            self.dismiss(None)
        else:
            self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next input; on the last one it submits."""
        event.stop()
        inputs = [item for item in self.query(Input) if item.display]
        if inputs and event.input is not inputs[-1]:
            inputs[inputs.index(event.input) + 1].focus()
        else:
            self.submit()

    def submit(self) -> None:
        """Validate and send (subclasses)."""
        raise NotImplementedError


class SilenceScreen(ActionDialog):
    """Silence a model's alerts (or one alert) for a while, with a reason for the audit log."""

    DEFAULT_CSS = dialog_css("SilenceScreen")
    AUTO_FOCUS = "#silence-reason"

    def __init__(
        self, model: str, *, alertname: str | None, default: str, maximum: str | None
    ) -> None:
        super().__init__()
        self.model = model
        self.alertname = alertname
        self.default = default
        self.maximum = maximum

    def compose(self) -> ComposeResult:
        what = f"alert {self.alertname} of {self.model}" if self.alertname else self.model
        with Vertical(classes="dialog"):
            yield Static(Text(f"Silence {what}"), classes="dialog-title")
            yield Static(Text("for (like 30m, 2h, 1d)"))
            yield Input(self.default, id="silence-duration")
            yield Static(Text("reason (required; goes to Alertmanager and the audit log)"))
            yield Input(placeholder="why", id="silence-reason")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Silence", id="silence-submit", variant="warning")
                yield Button("Cancel", id="silence-cancel")

    def submit(self) -> None:
        """Check duration and reason, send, close (the outcome is announced when it comes)."""
        duration = self.query_one("#silence-duration", Input).value.strip()
        reason = self.query_one("#silence-reason", Input).value.strip()
        try:
            seconds = parse_duration(duration)
        except ValueError as exc:
            self.error(str(exc))
            return
        if seconds <= 0:
            self.error("the silence needs a positive duration")
            return
        if self.maximum is not None and seconds > parse_duration(self.maximum):
            self.error(f"at most {self.maximum} (actions.silence_max)")
            return
        if not reason:
            self.error("a reason is required")
            return
        request = SilenceRequest(self.model, duration, reason, self.alertname)
        if send_action(self.app, request):
            self.notify(f"silencing {self.model} ...", timeout=3, markup=False)
        self.dismiss(None)


class NoteScreen(ActionDialog):
    """A note on a model for the next person on call (kept in the audit log)."""

    DEFAULT_CSS = dialog_css("NoteScreen")
    AUTO_FOCUS = "#note-text"

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Note on {self.model}"), classes="dialog-title")
            yield Input(placeholder="what the next person should know", id="note-text")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save note", id="note-submit", variant="primary")
                yield Button("Cancel", id="note-cancel")

    def submit(self) -> None:
        """Send the note; it shows on the model and in the fleet once the Collector has it."""
        text = " ".join(self.query_one("#note-text", Input).value.split())
        if not text:
            self.error("the note is empty")
            return
        if len(text) > NOTE_MAX_CHARS:
            self.error(f"at most {NOTE_MAX_CHARS} characters")
            return
        send_action(self.app, NoteRequest(self.model, text))
        self.dismiss(None)


# ---------------------------------------------------------------------------------- openers


def _config(app: Any) -> Any:
    loaded = getattr(app, "config", None)
    return getattr(loaded, "config", loaded)


def source_read_only(app: Any, action: str) -> bool:
    """Whether the backend an action writes to is read-only by its own setting
    (`sources.registry.read_only` for a rollback, `sources.alertmanager.read_only` for silences)."""
    sources = getattr(_config(app), "sources", None)
    if sources is None:
        return False
    if action == "rollback":
        return bool(sources.registry.read_only)
    if action == "silence":
        return sources.alertmanager is not None and bool(sources.alertmanager.read_only)
    return False


def open_silence(app: Any, model: str, alertname: str | None = None) -> None:
    """The silence dialog, its duration defaulting to `actions.silence_default`."""
    config = _config(app)
    sources = getattr(config, "sources", None)
    if sources is not None and sources.alertmanager is None:
        app.notify(
            "no Alertmanager configured (sources.alertmanager): nothing to silence in",
            severity="warning",
            markup=False,
        )
        return
    actions = getattr(config, "actions", None)
    default = actions.silence_default if actions is not None else "2h"
    maximum = actions.silence_max if actions is not None else None
    app.push_screen(SilenceScreen(model, alertname=alertname, default=default, maximum=maximum))


def open_note(app: Any, model: str) -> None:
    """The note dialog."""
    app.push_screen(NoteScreen(model))


def add_note(app: Any, model: str, text: str) -> bool:
    """`:note TEXT`: send a note without the dialog."""
    return send_action(app, NoteRequest(model, " ".join(text.split())))


def incident(app: Any, argument: str) -> str | None:
    """`:incident start TITLE` / `:incident end`: the usage problem, or None once sent."""
    op, _, title = argument.strip().partition(" ")
    if op == "start" and title.strip():
        send_action(app, IncidentRequest("start", title.strip()))
        return None
    if op == "end" and not title.strip():
        send_action(app, IncidentRequest("end"))
        return None
    return "usage: :incident start TITLE | :incident end"
