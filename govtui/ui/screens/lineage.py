"""The lineage screen: deployment -> version -> training run -> datasets -> features -> source columns.

The screen asks for nothing itself: the app sends the Collector a lineage request when it opens the
screen, and the answer arrives as a message (or through `show_lineage`). Gaps are `missing: ...`
nodes; features the latest snapshot finds drifting are highlighted and listed first. Opened on a
feature (`l` on a drift row), the feature's node is revealed and holds the cursor. `d` compares
this version with another one. Every label is a Rich `Text` built from the registry's strings, so
a name like `[bold]` shows literally.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from govtui.analysis.results import FeatureDrift
from govtui.fleet.requests import LineageRequest
from govtui.sources.registry.base import DEFAULT_ALIAS, Lineage
from govtui.ui.bindings import SCREEN_BINDINGS
from govtui.ui.render.lineage_diff_text import default_compare
from govtui.ui.render.lineage_text import (
    drift_by_feature,
    drift_summary,
    feature_key,
    lineage_outline,
    lineage_text,
)
from govtui.ui.render.model_text import Palette
from govtui.ui.screens.base import GovtuiScreen
from govtui.ui.widgets.outline_tree import OutlineTree
from govtui.ui.widgets.version_picker import VersionPicker

LINEAGE_BINDINGS: list[Binding] = [
    Binding("e", "expand_all", "Expand all", id="lineage.expand_all"),
    Binding("c", "collapse_all", "Collapse all", id="lineage.collapse_all"),
    Binding(
        "d",
        "diff",
        "Diff version",
        id="lineage.diff",
        tooltip="Compare this version's data, features, params and code with another version",
    ),
]
"""The lineage screen's own keys."""


class LineageTree(OutlineTree):
    """The lineage outline as a tree."""


def registry_alias(app: Any) -> str:
    """The alias the console treats as the serving version (`sources.registry.alias`)."""
    loaded = getattr(app, "config", None)
    config = getattr(loaded, "config", loaded)
    sources = getattr(config, "sources", None)
    alias = getattr(getattr(sources, "registry", None), "alias", None)
    return alias if isinstance(alias, str) and alias else DEFAULT_ALIAS


class OutlineScreen(GovtuiScreen):
    """What the lineage and diff screens share: a model, the theme's palette, its drift, e/c keys."""

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.palette = Palette()

    def on_mount(self) -> None:
        """Take the theme's palette and follow theme changes."""
        self.palette = Palette.from_theme(self.app.theme_variables)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._theme_changed())

    def on_unmount(self) -> None:
        """Stop following the theme (the signal's callback would keep this screen alive)."""
        self.app.theme_changed_signal.unsubscribe(self)

    def _theme_changed(self) -> None:
        self.palette = Palette.from_theme(self.app.theme_variables)
        self.redraw()

    def redraw(self) -> None:
        """Redraw labels after the palette or the drift changed (subclasses)."""

    def drift(self) -> dict[str, FeatureDrift]:
        """This model's drift per feature in the app's latest snapshot (empty without one)."""
        snapshot = getattr(self.app, "snapshot", None)
        if snapshot is None:
            return {}
        report = next((item for item in snapshot.report.models if item.model == self.model), None)
        return drift_by_feature(report)

    def outline(self) -> OutlineTree:
        """The screen's outline."""
        return self.query_one(OutlineTree)

    def action_expand_all(self) -> None:
        """Expand every node."""
        self.outline().root.expand_all()

    def action_collapse_all(self) -> None:
        """Collapse everything below the root."""
        for child in self.outline().root.children:
            child.collapse_all()


class LineageScreen(OutlineScreen):
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

    def __init__(
        self,
        model: str,
        version: str | None = None,
        *,
        alias: str | None = None,
        feature: str | None = None,
    ) -> None:
        super().__init__(model)
        self.requested_version = version
        self.version = version
        self.alias = alias
        self.feature = feature
        self.lineage: Lineage | None = None
        self.error: str | None = None
        self._drift_shown: dict[str, FeatureDrift] = {}
        self._palette_shown = self.palette
        ref = f":{version}" if version else f"@{alias}" if alias else ""
        self.sub_title = f"lineage {model}{ref}"
        self.breadcrumb = f"lineage {model}{ref}"
        if feature:
            self.breadcrumb += f" feature {feature}"

    def compose_body(self) -> ComposeResult:
        yield Static(self._header(), id="lineage-header")
        yield LineageTree(Text("loading lineage ...", style="dim"), id="lineage-tree")

    def on_screen_resume(self) -> None:
        """Ask for the model's detail (its versions, for `d`); catch up on drift.

        (Textual also runs GovtuiScreen's handler, which refreshes the chrome.)
        """
        focus_model = getattr(self.app, "focus_model", None)
        if focus_model is not None:
            focus_model(self.model)
        self.redraw()

    def on_unmount(self) -> None:
        """Stop asking for this model's detail unless the screen now shown is about a model."""
        focus_model = getattr(self.app, "focus_model", None)
        if focus_model is None:
            return
        from govtui.ui.screens.model import ModelScreen

        active = self.app.screen_stack[-1] if self.app.screen_stack else None
        keeps = isinstance(active, ModelScreen | LineageScreen) and active is not self
        focus_model(active.model if keeps else None)  # type: ignore[union-attr]

    def on_snapshot_arrived(self, message: Any) -> None:
        """A new snapshot: drift highlights follow it."""
        self.redraw()

    def on_lineage_arrived(self, message: Any) -> None:
        """The Collector's answer (the app's LineageArrived message) for this model."""
        if getattr(message, "model", self.model) != self.model:
            return
        if getattr(message, "compare", None) is not None:
            return  # the answer to a diff request, for the diff screen
        version = getattr(message, "version", None)
        if self.requested_version and version and version != self.requested_version:
            return
        lineage = getattr(message, "lineage", None)
        if lineage is not None:
            self.show_lineage(lineage)
        else:
            self.show_error(getattr(message, "error", None) or "the registry returned no lineage")

    def show_lineage(self, lineage: Lineage) -> None:
        """Replace the tree with this lineage (and reveal the feature it was opened on)."""
        self.lineage = lineage
        self.error = None
        self.version = lineage.version
        self._drift_shown = self.drift()
        self._palette_shown = self.palette
        tree = self.outline()
        tree.show_outline(lineage_outline(lineage, self._drift_shown, self.palette))
        self.query_one("#lineage-header", Static).update(self._header())
        if self.feature:
            self.focus_feature(self.feature)

    def focus_feature(self, feature: str) -> bool:
        """Reveal a feature's nodes (its source columns, under its datasets) and put the cursor on it."""
        tree = self.outline()
        nodes = tree.nodes_with_key(feature_key(feature))
        if not nodes:
            self.notify(
                f"{feature}: no lineage recorded for this feature",
                title="lineage",
                severity="warning",
                markup=False,
            )
            return False
        for node in nodes:
            tree.reveal(node)
        tree.focus()
        tree.place_cursor(nodes[0])
        return True

    def redraw(self) -> None:
        """Relabel for a new palette or drift; rebuild (keeping the cursor) when the order changed."""
        drift = self.drift()
        if self.lineage is None or (
            drift == self._drift_shown and self.palette == self._palette_shown
        ):
            return
        tree = self.outline()
        outline = lineage_outline(self.lineage, drift, self.palette)
        self._drift_shown = drift
        self._palette_shown = self.palette
        self.query_one("#lineage-header", Static).update(self._header())
        if tree.relabel(outline):
            return
        cursor_key = tree.key_of(tree.cursor_node)
        tree.show_outline(outline)
        found = tree.nodes_with_key(cursor_key) if cursor_key else []
        if found:
            tree.reveal(found[0])
            tree.place_cursor(found[0])

    def show_error(self, message: str) -> None:
        """Say why there is no lineage (registry down, unknown version)."""
        self.error = message
        tree = self.outline()
        tree.show_outline([])
        tree.root.set_label(Text.assemble(("no lineage: ", "bold"), message))
        self.query_one("#lineage-header", Static).update(self._header())

    def _header(self) -> Text:
        """Model, version, completeness and the drifting features (external strings literal)."""
        text = Text.assemble(("lineage", "bold"), " ", self.model)
        if self.version:
            text.append(f"  version {self.version}")
        elif self.alias:
            text.append(f"  @{self.alias}")
        if self.lineage is not None:
            gaps = len(self.lineage.gaps)
            if gaps:
                text.append(f"  incomplete ({gaps} gap{'s' * (gaps != 1)})", self.palette.warn)
            else:
                text.append("  complete")
        elif self.error is None:
            text.append("  waiting for the registry", self.palette.muted)
        summary = drift_summary(self._drift_shown, self.palette)
        if summary.plain:
            text.append("\n")
            text.append_text(summary)
        return text

    def action_diff(self) -> None:
        """`d`: pick another version of the model and show what changed between the two."""
        lineage = self.lineage
        if lineage is None:
            self.notify("No lineage shown yet to compare", title="lineage diff", markup=False)
            return
        snapshot = getattr(self.app, "snapshot", None)
        detail = snapshot.details.get(self.model) if snapshot is not None else None
        versions = (
            [item for item in detail.versions if item.version != lineage.version] if detail else []
        )
        if detail is None or not versions:
            self.notify(
                f"No other version of {self.model} known yet (the registry detail is on its way)",
                title="lineage diff",
                severity="warning",
                markup=False,
            )
            return
        default = default_compare(
            detail.versions, detail.alias_moves, lineage.version, registry_alias(self.app)
        )
        title = Text.assemble(
            ("Compare ", "bold"),
            self.model,
            f" version {lineage.version} with",
            ("   enter: compare  esc: cancel", self.palette.muted),
        )
        self.app.push_screen(VersionPicker(title, versions, default), self._compare_with)

    def _compare_with(self, version: str | None) -> None:
        """Open the diff against `version` and ask the Collector for both lineages."""
        if version is None or self.lineage is None:
            return
        from govtui.ui.screens.lineage_diff import LineageDiffScreen

        app: Any = self.app
        app.show_screen(LineageDiffScreen(self.model, self.lineage.version, version))
        app.request_lineage(LineageRequest(self.model, self.lineage.version, compare=version))

    def copy_text(self) -> str:
        """The lineage as indented plain text (what `y` copies)."""
        if self.lineage is not None:
            return lineage_text(self.lineage, self._drift_shown)
        return f"lineage {self.model}: {self.error or 'not loaded'}\n"
