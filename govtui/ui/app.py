"""The console app: routes Collector messages to the active screen and screens to each other."""

from __future__ import annotations

import contextlib
import difflib
import gc
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.filter import LineFilter
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer

from govtui.fleet import snapshot_cache
from govtui.fleet.requests import (
    ACTION_REPLIES,
    AuditReply,
    AuditRequest,
    CollectorFailed,
    FocusModel,
    LineageReply,
    LineageRequest,
    Pause,
    RefreshNow,
    Resume,
    SetEvaluationTime,
)
from govtui.fleet.snapshot import FleetSnapshot
from govtui.ui import commands
from govtui.ui.ascii import AsciiFilter, to_ascii
from govtui.ui.bindings import APP_BINDINGS, is_dangerous
from govtui.ui.collector_link import CollectorLink, read_forever
from govtui.ui.messages import (
    AuditArrived,
    CollectorGone,
    CollectorMessage,
    LineageArrived,
    SnapshotArrived,
)
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.theme import VARIABLE_DEFAULTS, load_theme_file, load_themes
from govtui.ui.widgets.breadcrumbs import Breadcrumbs
from govtui.ui.widgets.command_line import PromptScreen, open_prompt
from govtui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from govtui.ui.settings import ConsoleSettings


# Snapshots are acyclic and freed by reference counting, but each one allocates ~100k objects,
# which with the default thresholds triggers a full collection (50-170 ms at 1000 models, a
# frozen console) every second refresh. Measured with benchmarks/bench_key_latency.py.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    """Move start-up objects out of the collector's way and collect less eagerly."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class GovtuiApp(App[int]):
    """The on-call console."""

    TITLE = "govtui"
    CSS_PATH = str(Path(__file__).with_name("govtui.tcss"))
    BINDINGS: ClassVar[list[BindingType]] = list(APP_BINDINGS)
    COMMANDS = App.COMMANDS | {commands.GovtuiCommands}

    def __init__(self, settings: ConsoleSettings, collector: CollectorLink) -> None:
        super().__init__()
        self.settings = settings
        self.config = settings.loaded
        self.collector = collector
        self.snapshot: FleetSnapshot | None = None
        self.paused = False
        self.collector_error: str | None = None
        self.replay_at = settings.replay_at
        self.command_history: list[str] = []
        self._focused_model: str | None = None
        for theme in load_themes().values():
            self.register_theme(theme)
        if settings.theme.endswith((".yaml", ".yml")):
            custom = load_theme_file(Path(settings.theme))
            self.register_theme(custom)
            self.theme = custom.name
        else:
            self.theme = settings.theme
        if settings.keymap:
            self.set_keymap(dict(settings.keymap))

    @property
    def read_only(self) -> bool:
        """Whether every mutating action is refused."""
        return self.settings.read_only

    @property
    def ascii_mode(self) -> bool:
        """Whether nothing above 0x7F may be drawn."""
        return self.settings.ascii_mode

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = list(super().get_line_filters())
        return [*filters, AsciiFilter()] if self.ascii_mode else filters

    def on_mount(self) -> None:
        """Show the fleet (the cached picture until the Collector answers), start reading."""
        self.snapshot = self._cached_snapshot()
        self.push_screen(FleetScreen())
        self._read_collector()
        if self.settings.demo:
            self.notify(self.settings.context, title="govtui", markup=False)

    def on_unmount(self) -> None:
        """Stop the reader and keep the last picture for the next start."""
        self.workers.cancel_group(self, "collector")
        path = self.settings.snapshot_cache
        if path is not None and self.snapshot is not None and self.snapshot.generation > 0:
            with contextlib.suppress(OSError):
                snapshot_cache.save_snapshot(path, self.snapshot)

    def _cached_snapshot(self) -> FleetSnapshot | None:
        path = self.settings.snapshot_cache
        cached = snapshot_cache.load_snapshot(path) if path is not None else None
        if cached is None or not snapshot_cache.usable(cached, self.replay_at):
            return None
        return snapshot_cache.as_cached(cached, time.time())

    @work(thread=True, exclusive=True, group="collector", exit_on_error=False)
    def _read_collector(self) -> None:
        read_forever(self, self.collector)

    # ------------------------------------------------------------------ Collector messages

    def on_collector_message(self, message: CollectorMessage) -> None:
        """Route one message from the Collector."""
        payload = message.payload
        if isinstance(payload, FleetSnapshot):
            if self.snapshot is None or self.snapshot.generation <= 0:
                tune_garbage_collector()
            self.snapshot = payload
            self.collector_error = None
            if not self.screen_stack:  # shutting down: a late snapshot has no screen to go to
                return
            self.screen.post_message(SnapshotArrived(payload))
            self._refresh_chrome()
        elif isinstance(payload, LineageReply):
            for screen in self.screen_stack:
                if getattr(screen, "model", None) == payload.model and hasattr(
                    screen, "on_lineage_arrived"
                ):
                    screen.post_message(LineageArrived.from_reply(payload))
        elif isinstance(payload, AuditReply):
            for screen in self.screen_stack:
                if hasattr(screen, "on_audit_arrived"):
                    screen.post_message(AuditArrived(payload))
        elif isinstance(payload, ACTION_REPLIES):
            from govtui.ui.screens.action_modals import deliver

            deliver(self, payload)
        elif isinstance(payload, CollectorFailed):
            self.collector_error = payload.message
            self.notify(payload.message, title="collector failed", severity="error", markup=False)
            self._refresh_chrome()

    def on_collector_gone(self, message: CollectorGone) -> None:
        """The Collector stopped: keep the last snapshot on screen and say so."""
        if self.collector_error is None:
            self.collector_error = message.reason
        self.notify(
            f"collector stopped ({message.reason}); showing the last data",
            severity="error",
            markup=False,
        )
        self._refresh_chrome()

    def _refresh_chrome(self) -> None:
        if not self.screen_stack:
            return
        for bar in self.screen.query(StatusBar):
            bar.refresh_state()

    # ------------------------------------------------------------------ contract for screens

    def focus_model(self, name: str | None) -> None:
        """Ask the Collector to include ModelDetail for this model (None: no detail)."""
        if name != self._focused_model:
            self._focused_model = name
            self.collector.send(FocusModel(name))

    def model_names(self) -> list[str]:
        """Models in the latest snapshot, in fleet order."""
        return [] if self.snapshot is None else [m.model for m in self.snapshot.report.models]

    def theme_names(self) -> list[str]:
        """Every registered theme, shipped ones first."""
        return sorted(self.available_themes, key=lambda name: (name.startswith("textual"), name))

    def resolve_model(self, name: str) -> str:
        """A model named on the command line, or CommandError with the closest names."""
        names = self.model_names()
        if name in names or not names:
            return name
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise commands.CommandError(f"no model {name!r} in the fleet{hint}")

    def current_model(self) -> str | None:
        """The model the active screen is about (or under the fleet cursor)."""
        screen: Any = self.screen
        model = getattr(screen, "model", None)
        if isinstance(model, str):
            return model
        selected = getattr(screen, "selected_model", None)
        return selected() if callable(selected) else None

    def show_screen(self, screen: Screen[Any]) -> None:
        """Push a screen; screens built elsewhere get the console's chrome added."""
        self.push_screen(screen)
        if not isinstance(screen, PromptScreen):
            self.call_later(self._add_chrome, screen)

    def _add_chrome(self, screen: Screen[Any]) -> None:
        if not screen.is_attached or screen.query(StatusBar):
            return
        screen.mount(Breadcrumbs(), StatusBar(), Footer())

    def open_model(self, name: str) -> None:
        """Drill into a model (D2's ModelScreen)."""
        from govtui.ui.screens.model import ModelScreen

        if getattr(self.screen, "model", None) == name and isinstance(self.screen, ModelScreen):
            return
        self.focus_model(name)
        self.show_screen(ModelScreen(name))

    def open_lineage(
        self,
        name: str,
        *,
        version: str | None = None,
        alias: str | None = None,
        feature: str | None = None,
    ) -> None:
        """A version's lineage (the champion's by default), focused on `feature` when given."""
        from govtui.ui.screens.lineage import LineageScreen

        self.show_screen(LineageScreen(name, version=version, alias=alias, feature=feature))
        self.request_lineage(LineageRequest(name, version=version, alias=alias))

    def request_lineage(self, request: LineageRequest) -> None:
        """Ask the Collector for lineage; the answer arrives as LineageArrived."""
        self.collector.send(request)

    # Screens other than the fleet are imported when first opened (Markdown alone costs
    # tens of milliseconds), so the first frame comes sooner.

    def open_runbook(self, check_key: str, model: str | None) -> None:
        """The runbook of a check (configured for the model, else the packaged one)."""
        from govtui.ui.screens.runbook import RunbookScreen, load_runbook

        self.show_screen(RunbookScreen(load_runbook(self.config, check_key, model)))

    def open_alerts(self) -> None:
        """Alerts and violations of the fleet."""
        from govtui.ui.screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.show_screen(AlertsScreen())

    def open_audit(self) -> None:
        """The local audit log."""
        from govtui.ui.screens.audit import AuditScreen

        if not isinstance(self.screen, AuditScreen):
            self.show_screen(AuditScreen())

    def request_audit(self) -> None:
        """Ask the Collector for the newest audit records."""
        self.collector.send(AuditRequest())

    def show_fleet(self) -> None:
        """Back to the fleet, whatever is open."""
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def go_back(self) -> None:
        """Esc: one screen back; the fleet is the bottom."""
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def set_evaluation_time(self, at: float | None) -> None:
        """Replay the fleet at `at` (unix seconds), or live again with None."""
        self.replay_at = at
        self.collector.send(SetEvaluationTime(at))
        self.notify("live" if at is None else "replaying ...", title="time", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dangerous app actions are removed in read-only mode; `:` types itself in a prompt or
        a dialog."""
        if action == "command_mode" and isinstance(self.screen, ModalScreen):
            return False
        return not (self.read_only and is_dangerous(action))

    # ------------------------------------------------------------------ actions

    async def action_command_mode(self) -> None:
        """`:`: the command prompt, with completion (awaited, so typed-ahead keys reach it)."""

        def done(text: str | None) -> None:
            if text:
                commands.run(self, text)

        prompt = PromptScreen(
            "command", history=self.command_history, suggester=commands.CommandSuggester(self)
        )
        await open_prompt(self, prompt, done)

    def action_help(self) -> None:
        """`?`: keys and commands of the current screen."""
        from govtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen | PromptScreen):
            self.show_screen(HelpScreen(self.screen))

    def action_refresh(self) -> None:
        """`r`: fetch everything now."""
        self.collector.send(RefreshNow())
        self.notify("refreshing", timeout=2)

    def action_toggle_pause(self) -> None:
        """`p`: stop or resume polling."""
        self.paused = not self.paused
        self.collector.send(Pause() if self.paused else Resume())
        self._refresh_chrome()

    def screen_text(self) -> str:
        """What the active screen shows, as plain text."""
        strips = self.screen._compositor.render_strips()
        return "\n".join(strip.text.rstrip() for strip in strips).rstrip() + "\n"

    def action_copy_view(self) -> None:
        """`y`: copy the current view as text to the terminal's clipboard (OSC 52)."""
        copy_text = getattr(self.screen, "copy_text", None)
        text = copy_text() if callable(copy_text) else self.screen_text()
        if self.ascii_mode:
            text = to_ascii(text)
        self.copy_to_clipboard(text)
        self.notify(f"copied {len(text.splitlines())} lines", timeout=2)
