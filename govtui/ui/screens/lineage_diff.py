"""The lineage diff screen: which datasets, features, params and code differ between two versions.

Opened from the lineage screen (`d`, then a version). The Collector answers one request with both
lineages; the diff is `diff_lineage` (pure) from the older version to the newer one, so `+` reads
as what the newer version brought. Features drifting now are highlighted as on the lineage screen.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from govtui.sources.registry.lineage import LineageDiff, diff_lineage
from govtui.ui.bindings import SCREEN_BINDINGS
from govtui.ui.render.lineage_diff_text import diff_outline, diff_text, ordered_pair
from govtui.ui.screens.lineage import LINEAGE_BINDINGS, OutlineScreen
from govtui.ui.widgets.outline_tree import OutlineTree


class LineageDiffTree(OutlineTree):
    """The diff outline as a tree."""


class LineageDiffScreen(OutlineScreen):
    """What changed between the version shown on the lineage screen and another one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *SCREEN_BINDINGS,
        *(binding for binding in LINEAGE_BINDINGS if binding.id != "lineage.diff"),
    ]

    DEFAULT_CSS = """
    LineageDiffScreen #diff-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    LineageDiffScreen LineageDiffTree {
        height: 1fr;
    }
    """

    def __init__(self, model: str, version: str, compare: str) -> None:
        super().__init__(model)
        self.version = version
        self.compare = compare
        self.diff: LineageDiff | None = None
        self.error: str | None = None
        self.sub_title = f"lineage diff {model} {version}..{compare}"
        self.breadcrumb = f"diff {version}..{compare}"

    def compose_body(self) -> ComposeResult:
        yield Static(self._header(), id="diff-header")
        yield LineageDiffTree(Text("loading both lineages ...", style="dim"), id="diff-tree")

    def on_lineage_arrived(self, message: Any) -> None:
        """The Collector's answer to this diff's request (other answers are for other screens)."""
        if message.model != self.model or message.compare != self.compare:
            return
        if message.version != self.version:
            return
        if message.lineage is None or message.compare_lineage is None:
            self.show_error(message.error or "the registry returned no lineage")
            return
        older, newer = ordered_pair(message.lineage, message.compare_lineage)
        self.show_diff(diff_lineage(older, newer))

    def show_diff(self, diff: LineageDiff) -> None:
        """Show a diff (older version -> newer version)."""
        self.diff = diff
        self.error = None
        self.outline().show_outline(diff_outline(diff, self.drift(), self.palette))
        self.outline().focus()
        self.query_one("#diff-header", Static).update(self._header())

    def redraw(self) -> None:
        """Relabel for a new palette."""
        if self.diff is not None:
            self.outline().relabel(diff_outline(self.diff, self.drift(), self.palette))

    def show_error(self, message: str) -> None:
        """Say why there is no diff (unknown version, registry down)."""
        self.error = message
        tree = self.outline()
        tree.show_outline([])
        tree.root.set_label(Text.assemble(("no diff: ", "bold"), message))
        self.query_one("#diff-header", Static).update(self._header())

    def _header(self) -> Text:
        text = Text.assemble(("lineage diff", "bold"), " ", self.model)
        text.append(f"  version {self.version} and version {self.compare}")
        if self.diff is not None:
            text.append(
                "  no difference" if self.diff.empty else "  + newer only  - older only  ~ changed",
                self.palette.muted,
            )
        elif self.error is None:
            text.append("  waiting for the registry", self.palette.muted)
        return text

    def copy_text(self) -> str:
        """The diff as indented plain text (what `y` copies)."""
        if self.diff is not None:
            return diff_text(self.diff, self.drift())
        return f"lineage diff {self.model}: {self.error or 'not loaded'}\n"
