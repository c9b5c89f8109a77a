"""The console's commands: `:` command mode and the command palette run the same table.

`:fleet`, `:model NAME`, `:alerts`, `:audit`, `:lineage NAME`, `:theme NAME`, `:at TIME`,
`:live`, `:help`, `:q`, and the actions `:rollback [VERSION]`, `:silence`, `:note [TEXT]`,
`:incident start TITLE|end`. Commands of later steps join the table with `register()`; a
dangerous command is refused (and not offered) in read-only mode.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.suggester import Suggester

if TYPE_CHECKING:
    from govtui.ui.app import GovtuiApp

Handler = Callable[["GovtuiApp", str], Any]


@dataclass(frozen=True)
class Command:
    """One command: name, aliases, the argument it takes (if any), help, what it does."""

    name: str
    help: str
    handler: Handler
    argument: str | None = None  # "MODEL", "THEME", "TIME"
    optional_argument: bool = False
    aliases: tuple[str, ...] = ()
    dangerous: bool = False

    @property
    def usage(self) -> str:
        """`:model NAME` style usage."""
        if self.argument is None:
            return f":{self.name}"
        argument = f"[{self.argument}]" if self.optional_argument else self.argument
        return f":{self.name} {argument}"


class CommandError(Exception):
    """A command that cannot run, with the message the operator sees."""


def _fleet(app: GovtuiApp, _argument: str) -> None:
    app.show_fleet()


def _model(app: GovtuiApp, argument: str) -> None:
    app.open_model(app.resolve_model(argument))


def _alerts(app: GovtuiApp, _argument: str) -> None:
    app.open_alerts()


def _audit(app: GovtuiApp, _argument: str) -> None:
    app.open_audit()


def _lineage(app: GovtuiApp, argument: str) -> None:
    """`:lineage NAME`, `NAME@ALIAS` or `NAME:VERSION` (a model named with `@`/`:` as it is)."""
    from govtui.errors import GovtuiError
    from govtui.sources.registry.lineage import parse_model_ref

    text = argument or app.current_model()
    if not text:
        raise CommandError("lineage of which model? :lineage NAME[@ALIAS|:VERSION]")
    if text in app.model_names():
        app.open_lineage(text)
        return
    try:
        ref = parse_model_ref(text)
    except GovtuiError as exc:
        raise CommandError(str(exc)) from None
    app.open_lineage(app.resolve_model(ref.model), version=ref.version, alias=ref.alias)


def _model_in_view(app: GovtuiApp, what: str) -> str:
    """The model on screen (or under the fleet cursor) an action applies to."""
    name = app.current_model()
    if not name:
        raise CommandError(f"{what} which model? open it first (:model NAME)")
    return app.resolve_model(name)


def _rollback(app: GovtuiApp, argument: str) -> None:
    from govtui.ui.screens.rollback import open_rollback

    open_rollback(app, _model_in_view(app, "roll back"), argument or None)


def _silence(app: GovtuiApp, _argument: str) -> None:
    from govtui.ui.screens.action_modals import open_silence

    open_silence(app, _model_in_view(app, "silence"))


def _note(app: GovtuiApp, argument: str) -> None:
    from govtui.ui.screens.action_modals import add_note, open_note

    model = _model_in_view(app, "note on")
    if argument:
        add_note(app, model, argument)
    else:
        open_note(app, model)


def _incident(app: GovtuiApp, argument: str) -> None:
    from govtui.ui.screens.action_modals import incident

    problem = incident(app, argument)
    if problem is not None:
        raise CommandError(problem)


def _theme(app: GovtuiApp, argument: str) -> None:
    if argument not in app.available_themes:
        raise CommandError(f"unknown theme {argument!r}; try {', '.join(app.theme_names())}")
    app.theme = argument


def _at(app: GovtuiApp, argument: str) -> None:
    from govtui.timeutil import parse_instant

    try:
        moment = parse_instant(argument)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    app.set_evaluation_time(moment.timestamp())


def _live(app: GovtuiApp, _argument: str) -> None:
    app.set_evaluation_time(None)


def _help(app: GovtuiApp, _argument: str) -> None:
    app.action_help()


def _quit(app: GovtuiApp, _argument: str) -> None:
    app.exit()


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add a command to `:` mode and the palette."""
    COMMANDS[command.name] = command
    return command


for _command in (
    Command("fleet", "show the fleet", _fleet),
    Command("model", "open a model", _model, argument="MODEL"),
    Command("alerts", "firing alerts and violations", _alerts),
    Command("audit", "the local audit log", _audit),
    Command(
        "lineage",
        "lineage of a model (NAME, NAME@ALIAS or NAME:VERSION)",
        _lineage,
        argument="MODEL",
        optional_argument=True,
    ),
    Command("theme", "switch theme", _theme, argument="THEME"),
    Command("at", "replay the fleet at a time (RFC 3339 or unix seconds)", _at, argument="TIME"),
    Command("live", "back to live time", _live),
    Command("help", "keys and commands", _help),
    Command(
        "rollback",
        "roll the model back (to the previous champion, or VERSION) behind its guardrails",
        _rollback,
        argument="VERSION",
        optional_argument=True,
        dangerous=True,
    ),
    Command("silence", "silence the model's alerts", _silence, dangerous=True),
    Command(
        "note",
        "note on the model (audited)",
        _note,
        argument="TEXT",
        optional_argument=True,
        dangerous=True,
    ),
    Command(
        "incident",
        "start or end an incident (actions carry its id)",
        _incident,
        argument="start TITLE|end",
        dangerous=True,
    ),
    Command("q", "quit", _quit, aliases=("quit", "q!")),
):
    register(_command)


def available(read_only: bool) -> list[Command]:
    """Commands offered now (dangerous ones hidden in read-only mode)."""
    return [command for command in COMMANDS.values() if not (read_only and command.dangerous)]


def find(name: str) -> Command | None:
    """A command by name or alias."""
    if name in COMMANDS:
        return COMMANDS[name]
    return next((command for command in COMMANDS.values() if name in command.aliases), None)


def parse(text: str) -> tuple[Command, str]:
    """`:model fraud` -> (the model command, "fraud"); CommandError for anything else."""
    stripped = text.strip().removeprefix(":").strip()
    if not stripped:
        raise CommandError("empty command; try :help")
    name, _, argument = stripped.partition(" ")
    argument = argument.strip()
    command = find(name)
    if command is None:
        names = [*COMMANDS, *(alias for item in COMMANDS.values() for alias in item.aliases)]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean :{close[0]}?)" if close else "; try :help"
        raise CommandError(f"unknown command :{name}{hint}")
    if command.argument is not None and not argument and not command.optional_argument:
        raise CommandError(f"usage: {command.usage}")
    if command.argument is None and argument:
        raise CommandError(f"usage: {command.usage} (takes no argument)")
    return command, argument


def run(app: GovtuiApp, text: str) -> bool:
    """Run one command line; errors become a notification, never an exception."""
    try:
        command, argument = parse(text)
        if command.dangerous and app.read_only:
            raise CommandError(f":{command.name} is refused in read-only mode")
        command.handler(app, argument)
    except CommandError as exc:
        app.notify(str(exc), title="command", severity="error", markup=False)
        return False
    return True


def argument_choices(app: GovtuiApp, argument: str | None) -> list[str]:
    """What an argument can be, for completion and the palette."""
    if argument == "MODEL":
        return app.model_names()
    if argument == "THEME":
        return app.theme_names()
    return []


def complete(app: GovtuiApp, text: str) -> str | None:
    """The completion of a partial command line (`:mo` -> `:model `, `:model fr` -> `:model fraud`)."""
    body = text.removeprefix(":")
    name, space, partial_argument = body.partition(" ")
    if not space:
        names = sorted(command.name for command in available(app.read_only))
        match = next((item for item in names if item.startswith(name)), None) if name else None
        if match is None:
            return None
        return f":{match}{' ' if COMMANDS[match].argument else ''}"
    found = find(name)
    if found is None or found.argument is None:
        return None
    for choice in argument_choices(app, found.argument):
        if choice.startswith(partial_argument) and choice != partial_argument:
            return f":{name} {choice}"
    return None


class CommandSuggester(Suggester):
    """Inline completion for `:` mode (Tab or Right accepts)."""

    def __init__(self, app: GovtuiApp) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._app = app

    async def get_suggestion(self, value: str) -> str | None:
        return complete(self._app, value)


def command_lines(app: GovtuiApp) -> Iterable[tuple[str, str]]:
    """Every concrete command line the palette offers, with its help."""
    for command in available(app.read_only):
        if command.argument is None:
            yield f"{command.name}", command.help
            continue
        choices = argument_choices(app, command.argument)
        for choice in choices:
            yield f"{command.name} {choice}", command.help
        if not choices or command.optional_argument:
            yield command.name, f"{command.help} ({command.usage})"


class GovtuiCommands(Provider):
    """The command palette (ctrl+p) offers the same commands as `:` mode."""

    @property
    def _app(self) -> GovtuiApp:
        return self.app  # type: ignore[return-value]

    async def discover(self) -> Hits:
        for line, help_text in command_lines(self._app):
            yield DiscoveryHit(
                Content(f":{line}"),
                partial(run, self._app, line),
                text=line,
                help=escape(help_text),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query.removeprefix(":"))
        for line, help_text in command_lines(self._app):
            score = matcher.match(line)
            if score > 0:
                highlighted = matcher.highlight(line)
                action = partial(run, self._app, line)
                yield Hit(score, highlighted, action, text=line, help=escape(help_text))
        name, _, argument = query.removeprefix(":").strip().partition(" ")
        command = find(name)
        if command is not None and command.argument == "TIME" and argument.strip():
            line = f"{command.name} {argument.strip()}"
            action = partial(run, self._app, line)
            yield Hit(1.0, Content(line), action, text=line, help=escape(command.help))
