"""The lineage screen: deployment -> version -> training run -> datasets -> features -> source columns.

The screen asks for nothing itself: the app sends the Collector a lineage request when it opens the
screen, and the answer arrives as a message (or through `show_lineage`). Every label is a Rich
`Text` built from the registry's strings, so a name like `[bold]` shows literally.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from govtui.sources.registry.base import Lineage
from govtui.ui.bindings import SCREEN_BINDINGS
from govtui.ui.render.model_text import OutlineLine, lineage_outline, lineage_text
from govtui.ui.screens.base import GovtuiScreen

LINEAGE_BINDINGS: list[Binding] = [
    Binding("e", "expand_all", "Expand all", id="lineage.expand_all"),
    Binding("c", "collapse_all", "Collapse all", id="lineage.collapse_all"),
]
"""The lineage screen's own keys."""


class LineageTree(Tree[None]):
    """The lineage outline as a tree (labels are Text, never parsed as markup)."""


class LineageScreen(GovtuiScreen):
    """How a deployed model came to be, from deployment down to source columns."""

    BINDINGS: ClassVar[list[BindingType]] = [*SCREEN_BINDINGS, *LINEAGE_BINDINGS]

    DEFAULT_CSS = """
    LineageScreen #lineage-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    LineageScreen LineageTree {
        height: 1fr;
    }
    """

    def __init__(self, model: str, version: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.version = version
        self.lineage: Lineage | None = None
        self.error: str | None = None
        self.sub_title = f"lineage {model}"
        self.breadcrumb = f"lineage {model}"

    def compose_body(self) -> ComposeResult:
        yield Static(self._header(), id="lineage-header")
        yield LineageTree(Text("loading lineage ...", style="dim"), id="lineage-tree")

    def on_lineage_arrived(self, message: Any) -> None:
        """The Collector's answer (the app's LineageArrived message) for this model."""
        if getattr(message, "model", self.model) != self.model:
            return
        reply = getattr(message, "reply", None)
        lineage = getattr(message, "lineage", None)
        error = getattr(message, "error", None)
        if reply is not None:
            lineage = reply.lineage
            error = reply.error
        if lineage is not None:
            self.show_lineage(lineage)
        else:
            self.show_error(error or "the registry returned no lineage")

    def show_lineage(self, lineage: Lineage) -> None:
        """Replace the tree with this lineage."""
        self.lineage = lineage
        self.error = None
        self.version = lineage.version
        tree = self.query_one(LineageTree)
        tree.clear()
        outline = lineage_outline(lineage)
        root_line = outline[0]
        tree.root.set_label(root_line.label)
        _fill(tree.root, outline[1:], depth=1)
        tree.root.expand()
        self.query_one("#lineage-header", Static).update(self._header())

    def show_error(self, message: str) -> None:
        """Say why there is no lineage (registry down, unknown version)."""
        self.error = message
        tree = self.query_one(LineageTree)
        tree.clear()
        tree.root.set_label(Text.assemble(("no lineage: ", "bold"), message))
        self.query_one("#lineage-header", Static).update(self._header())

    def _header(self) -> Text:
        """Model, version and completeness, as markup with every external string escaped."""
        parts = [f"[b]lineage[/b] {escape(self.model)}"]
        if self.version:
            parts.append(f"version {escape(self.version)}")
        if self.lineage is not None:
            parts.append("complete" if self.lineage.complete else "[b]incomplete[/b]")
        elif self.error is None:
            parts.append("[dim]waiting for the registry[/dim]")
        return Text.from_markup("  ".join(parts))

    def action_expand_all(self) -> None:
        """Expand every node."""
        self.query_one(LineageTree).root.expand_all()

    def action_collapse_all(self) -> None:
        """Collapse everything below the deployment."""
        root = self.query_one(LineageTree).root
        for child in root.children:
            child.collapse_all()

    def copy_text(self) -> str:
        """The lineage as indented plain text (what `y` copies)."""
        if self.lineage is not None:
            return lineage_text(self.lineage)
        return f"lineage {self.model}: {self.error or 'not loaded'}\n"


def _fill(parent: TreeNode[None], lines: list[OutlineLine], depth: int) -> None:
    """Add outline lines as nodes: a line becomes a child of the nearest shallower line."""
    stack: list[tuple[int, TreeNode[None]]] = [(depth - 1, parent)]
    for index, line in enumerate(lines):
        while stack and stack[-1][0] >= line.depth:
            stack.pop()
        holder = stack[-1][1] if stack else parent
        has_children = index + 1 < len(lines) and lines[index + 1].depth > line.depth
        if has_children:
            node = holder.add(line.label, expand=line.expanded)
            stack.append((line.depth, node))
        else:
            holder.add_leaf(line.label)
