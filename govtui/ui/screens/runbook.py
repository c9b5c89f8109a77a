"""The runbook screen: the Markdown runbook of a check, scrollable, Esc back.

Which file: the model's override, then the config's map (paths relative to the config file),
then the runbook that ships in the package (`govtui/data/runbooks/<check>.md`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from govtui.config import CHECK_KEYS, LoadedConfig
from govtui.ui.bindings import SCREEN_BINDINGS
from govtui.ui.screens.base import GovtuiScreen


@dataclass(frozen=True)
class Runbook:
    """A runbook's Markdown and where it came from."""

    check: str
    model: str | None
    source: str
    markdown: str


def packaged_runbook(check: str) -> str | None:
    """The runbook shipped in the package for a check key."""
    entry = resources.files("govtui").joinpath("data", "runbooks", f"{check}.md")
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def load_runbook(loaded: LoadedConfig, check: str, model: str | None) -> Runbook:
    """The configured runbook for a check on a model, else the packaged one.

    A configured file that cannot be read falls back to the packaged runbook with a note, so
    the operator still gets guidance at 3 a.m.
    """
    note = ""
    configured = loaded.config.runbook_for(model or "", check)
    if configured:
        path = loaded.resolve(configured)
        try:
            return Runbook(check, model, str(path), path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            reason = (
                exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            )
            note = f"> The configured runbook `{path}` could not be read ({reason}).\n\n"
    packaged = packaged_runbook(check)
    if packaged is not None:
        return Runbook(check, model, f"govtui/data/runbooks/{check}.md", note + packaged)
    known = ", ".join(CHECK_KEYS)
    return Runbook(
        check, model, "", f"{note}# No runbook for `{check}`\n\nKnown check keys: {known}.\n"
    )


class RunbookScreen(GovtuiScreen):
    """A runbook, rendered."""

    BINDINGS: ClassVar[list[BindingType]] = list(SCREEN_BINDINGS)

    DEFAULT_CSS = """
    RunbookScreen #runbook-source {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    RunbookScreen #runbook-scroll {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, runbook: Runbook) -> None:
        super().__init__()
        self.runbook = runbook
        self.model = runbook.model
        self.breadcrumb = f"runbook {runbook.check}"

    def compose_body(self) -> ComposeResult:
        subject = f" for {self.runbook.model}" if self.runbook.model else ""
        yield Static(
            f"{self.runbook.check}{subject}  ({self.runbook.source})",
            id="runbook-source",
            markup=False,
        )
        with VerticalScroll(id="runbook-scroll"):
            yield Markdown(self.runbook.markdown, id="runbook-markdown")

    def on_mount(self) -> None:
        """Focus the scroller so arrows, PgUp/PgDn, Home and End scroll the runbook."""
        self.query_one("#runbook-scroll", VerticalScroll).focus()

    def copy_text(self) -> str:
        """The runbook's Markdown source."""
        return self.runbook.markdown
