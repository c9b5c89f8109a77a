"""`?`: the keys of the screen you came from and every command, generated from the bindings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from govtui.ui import commands
from govtui.ui.bindings import SCREEN_BINDINGS
from govtui.ui.screens.base import GovtuiScreen


@dataclass(frozen=True)
class KeyHelp:
    """One line of help: the key as shown, what it does, its id for `ui.keymap`."""

    key: str
    description: str
    binding_id: str


def key_help(app: Any, screen: Screen[Any]) -> list[KeyHelp]:
    """The bindings active on a screen (after the keymap), described; undescribed ones left out."""
    seen: set[tuple[str, str]] = set()
    lines: list[KeyHelp] = []
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or not active.enabled:
            continue
        key = app.get_key_display(binding)
        marker = (key, binding.description)
        if marker in seen:
            continue
        seen.add(marker)
        lines.append(KeyHelp(key, binding.description, binding.id or ""))
    return lines


def help_text(app: Any, screen: Screen[Any]) -> str:
    """The help as plain text (for `y`)."""
    lines = ["Keys"]
    lines += [
        f"  {item.key:<10} {item.description:<24} {item.binding_id}"
        for item in key_help(app, screen)
    ]
    lines.append("")
    lines.append("Commands (: or ctrl+p)")
    lines += [
        f"  {command.usage:<18} {command.help}"
        for command in commands.available(bool(getattr(app, "read_only", False)))
    ]
    return "\n".join(lines) + "\n"


class HelpScreen(GovtuiScreen):
    """Keys and commands; Esc back."""

    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)
    breadcrumb = "help"

    def __init__(self, target: Screen[Any]) -> None:
        super().__init__()
        self.target = target

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Static(self._keys_table(), id="help-keys")
            yield Static(self._commands_table(), id="help-commands")

    def on_mount(self) -> None:
        """Focus the scroller so the arrows scroll."""
        self.query_one("#help-scroll", VerticalScroll).focus()

    def _keys_table(self) -> Table:
        table = Table(title="Keys", title_justify="left", box=None, expand=False, padding=(0, 2))
        table.add_column("key", no_wrap=True)
        table.add_column("action")
        table.add_column("id (ui.keymap)", style="dim")
        for item in key_help(self.app, self.target):
            table.add_row(
                Text(item.key, style="bold"), Text(item.description), Text(item.binding_id)
            )
        return table

    def _commands_table(self) -> Table:
        table = Table(
            title="Commands (: or ctrl+p)", title_justify="left", box=None, padding=(0, 2)
        )
        table.add_column("command", no_wrap=True)
        table.add_column("what it does")
        for command in commands.available(bool(getattr(self.app, "read_only", False))):
            table.add_row(Text(command.usage, style="bold"), Text(command.help))
        return table

    def copy_text(self) -> str:
        """The help as plain text."""
        return help_text(self.app, self.target)
