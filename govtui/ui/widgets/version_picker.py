"""A small modal list of a model's versions: Enter picks one, Esc cancels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from govtui.fleet.snapshot import VersionInfo
from govtui.ui.render.model_text import MISSING, fmt_instant_text

PICKER_BINDINGS: list[Binding] = [
    Binding("escape", "cancel", "Cancel", id="picker.cancel", key_display="esc"),
]


def gate_word(gate: str | None) -> str:
    """The recorded gate's verdict alone (`failed: lineage incomplete ...` -> `failed`)."""
    if not gate:
        return MISSING
    return gate.split(None, 1)[0].split(";", 1)[0].rstrip(":,") or MISSING


def version_option(version: VersionInfo, *, default: bool) -> Text:
    """`4  READY  challenger  gate passed  created 2026-01-14 20:00Z` (external text kept literal)."""
    text = Text.assemble(
        (version.version, "bold"),
        ("  ", ""),
        version.status,
        ("  ", ""),
        ", ".join(version.aliases) or MISSING,
        ("  gate ", "dim"),
        gate_word(version.gate),
        ("  created ", "dim"),
        fmt_instant_text(version.created),
    )
    if default:
        text.append("  (default)", "dim")
    return text


class VersionPicker(ModalScreen[str | None]):
    """Which version to compare with; dismisses with the version, or None on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = list(PICKER_BINDINGS)
    AUTO_FOCUS = "#version-options"
    breadcrumb = "pick a version"

    DEFAULT_CSS = """
    VersionPicker {
        align: center middle;
    }
    VersionPicker #version-picker {
        width: auto;
        min-width: 40;
        max-width: 90%;
        height: auto;
        border: round $primary;
        background: $panel;
        padding: 0 1;
    }
    VersionPicker #version-title {
        height: auto;
        margin-bottom: 1;
    }
    VersionPicker OptionList {
        height: auto;
        max-height: 16;
        width: auto;
    }
    """

    def __init__(
        self, title: Text, versions: Sequence[VersionInfo], default: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.versions = [item.version for item in versions]
        self.default = default
        self._options = [
            Option(version_option(item, default=item.version == default), id=item.version)
            for item in versions
        ]

    def compose(self) -> ComposeResult:
        with Vertical(id="version-picker"):
            yield Static(self.title_text, id="version-title")
            yield OptionList(*self._options, id="version-options")

    def on_mount(self) -> None:
        """Start on the default version."""
        if self.default in self.versions:
            self.query_one(OptionList).highlighted = self.versions.index(self.default)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter (or a click) picks the version."""
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Esc: compare with nothing."""
        self.dismiss(None)
