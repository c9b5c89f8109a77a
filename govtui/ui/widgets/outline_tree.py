"""A Tree that shows an outline (depth, Text label, expanded, key) and finds its nodes by key."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from govtui.ui.render.lineage_text import OutlineLine


class OutlineTree(Tree[None]):
    """An outline as a tree; labels are Text, so external strings are never parsed as markup."""

    def __init__(self, label: Text, *, id: str | None = None) -> None:
        super().__init__(label, id=id)
        self.lines: list[OutlineLine] = []
        self.nodes: list[TreeNode[None]] = []

    def show_outline(self, lines: Sequence[OutlineLine]) -> None:
        """Replace the tree: the first line is the root, each line a child of the nearest shallower."""
        self.clear()
        self.lines = list(lines)
        self.nodes = []
        if not lines:
            return
        self.root.set_label(lines[0].label)
        self.nodes.append(self.root)
        stack: list[tuple[int, TreeNode[None]]] = [(lines[0].depth, self.root)]
        rest = lines[1:]
        for index, line in enumerate(rest):
            while len(stack) > 1 and stack[-1][0] >= line.depth:
                stack.pop()
            holder = stack[-1][1]
            if index + 1 < len(rest) and rest[index + 1].depth > line.depth:
                node = holder.add(line.label, expand=line.expanded)
                stack.append((line.depth, node))
            else:
                node = holder.add_leaf(line.label)
            self.nodes.append(node)
        self.root.expand()

    def relabel(self, lines: Sequence[OutlineLine]) -> bool:
        """Take new labels for the same outline in place (False when the outline's shape changed)."""
        if [(line.depth, line.key) for line in lines] != [
            (line.depth, line.key) for line in self.lines
        ]:
            return False
        for node, line in zip(self.nodes, lines, strict=True):
            node.set_label(line.label)
        self.lines = list(lines)
        return True

    def nodes_with_key(self, key: str) -> list[TreeNode[None]]:
        """Every node whose outline line has `key`, in outline order."""
        return [node for node, line in zip(self.nodes, self.lines, strict=True) if line.key == key]

    def key_of(self, node: TreeNode[None] | None) -> str:
        """The outline key of a node ("" when unknown)."""
        for candidate, line in zip(self.nodes, self.lines, strict=True):
            if candidate is node:
                return line.key
        return ""

    def reveal(self, node: TreeNode[None]) -> None:
        """Expand a node and every ancestor, so it and its children are on screen."""
        current: TreeNode[None] | None = node
        while current is not None:
            if current.allow_expand:
                current.expand()
            current = current.parent

    def place_cursor(self, node: TreeNode[None]) -> None:
        """Move the cursor to a node once the tree has laid out its lines (scrolling to it)."""
        self.call_after_refresh(self.move_cursor, node)
