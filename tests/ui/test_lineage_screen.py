"""Pilot tests of lineage in the console: gaps, drift highlights, the drift -> lineage jump, diffs.

Most run the real console on the demo fleet with its real Collector process, replayed at the
harness's fixed time: `search-ranker` serves version 3 with one feature (`query_length`) drifting
crit, and its failed version 4 has no code version recorded (a lineage gap). A host app without a
Collector covers what the demo cannot show on demand (a snapshot that changes under the screen,
markup in names, a failed diff). Every wait polls for a state; nothing sleeps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from govtui.analysis.results import FeatureDrift
from govtui.fleet.requests import LineageRequest
from govtui.sources.registry.base import ColumnLineage, Dataset, Lineage, TrainingRun
from govtui.ui.app import GovtuiApp
from govtui.ui.messages import LineageArrived, SnapshotArrived
from govtui.ui.render.lineage_text import feature_key
from govtui.ui.render.model_text import Palette
from govtui.ui.screens.lineage import LineageScreen, LineageTree
from govtui.ui.screens.lineage_diff import LineageDiffScreen, LineageDiffTree
from govtui.ui.screens.model import ModelScreen
from govtui.ui.widgets.command_line import PromptScreen
from govtui.ui.widgets.panels import SyncedTable
from govtui.ui.widgets.version_picker import VersionPicker
from tests.ui.test_app_harness import (
    make_app,
    shared_collector,
    wait_for,
    wait_for_fleet,
    wait_for_screen,
)
from tests.ui.test_model_fixtures import MODEL, console, drift_result, model_report, snapshot
from tests.ui.test_model_fixtures import wait_for as wait_long

__all__ = ["console", "shared_collector"]  # fixtures, imported so pytest finds them here

SIZE = (140, 45)
DRIFTING_MODEL = "search-ranker"
DRIFTING_FEATURE = "query_length"
"""The demo's model with one crit feature at the harness's replay time."""


def tree_labels(tree: Any) -> list[str]:
    """Every node label of a tree, depth first."""
    found: list[str] = []

    def walk(node: Any) -> None:
        found.append(node.label.plain)
        for child in node.children:
            walk(child)

    walk(tree.root)
    return found


def record_notifications(screen: Any) -> list[str]:
    """Keep what a screen notifies instead of showing toasts."""
    notes: list[str] = []
    screen.notify = lambda message, **_options: notes.append(str(message))
    return notes


def styles_of(label: Text) -> set[str]:
    """The styles a label's spans use."""
    return {str(span.style) for span in label.spans}


async def run_command(pilot: Pilot[Any], text: str) -> None:
    """Type a command line at the `:` prompt."""
    await pilot.press("colon")
    await wait_for_screen(pilot, PromptScreen)
    await pilot.press(*text, "enter")
    await pilot.pause()


async def open_lineage_of(pilot: Pilot[Any], command: str) -> LineageScreen:
    """Run `:lineage ...` from the fleet and wait for the Collector's answer."""
    await run_command(pilot, command)
    screen = await wait_for_screen(pilot, LineageScreen)
    assert isinstance(screen, LineageScreen)
    await wait_for(pilot, lambda: screen.lineage is not None or screen.error, what="lineage")
    await pilot.pause()
    return screen


# ---------------------------------------------------------------- the real console on the demo


async def test_demo_lineage_shows_every_gap_of_an_incomplete_version(
    shared_collector: Any,
) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        screen = await open_lineage_of(pilot, f"lineage {DRIFTING_MODEL}:4")
        lineage = screen.lineage
        assert lineage is not None and lineage.version == "4"
        assert lineage.gaps, "the demo's failed version 4 records no code version"
        header = str(screen.query_one("#lineage-header", Static).render())
        assert "version 4" in header and f"incomplete ({len(lineage.gaps)} gap" in header
        labels = tree_labels(screen.query_one(LineageTree))
        text = app.screen_text()
        for gap in lineage.gaps:
            assert f"missing: {gap}" in labels
            assert f"missing: {gap}" in text, "a gap is on screen, not hidden in a collapsed node"
        assert any(label.startswith("lineage incomplete: a rollback") for label in labels)

        # NAME@ALIAS resolves through the registry; the champion's lineage is complete.
        await pilot.press("escape")
        screen = await open_lineage_of(pilot, f"lineage {DRIFTING_MODEL}@champion")
        champion = next(m.version for m in app.snapshot.report.models if m.model == DRIFTING_MODEL)
        assert screen.lineage is not None and screen.lineage.version == champion
        assert screen.lineage.complete and "missing:" not in app.screen_text()

        # An unknown version is an error on the screen, not a crash.
        await pilot.press("escape")
        screen = await open_lineage_of(pilot, f"lineage {DRIFTING_MODEL}:99")
        assert screen.lineage is None and screen.error and "99" in screen.error
        assert tree_labels(screen.query_one(LineageTree))[0].startswith("no lineage: ")


async def test_drift_feature_jumps_to_its_upstream_columns(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        app.open_model(DRIFTING_MODEL)
        model_screen = await wait_for_screen(pilot, ModelScreen)
        await wait_for(
            pilot,
            lambda: model_screen.view is not None and model_screen.view.report is not None,
            what="the model's report",
        )
        table = model_screen.query_one("#drift-features", SyncedTable)
        assert table.row_keys[0] == DRIFTING_FEATURE  # worst first
        row = table.row_keys.index(DRIFTING_FEATURE)
        table.focus()
        table.move_cursor(row=row)
        await pilot.pause()
        # With a feature row under the cursor, `l` is the feature's lineage (footer and help say so).
        assert model_screen.active_bindings["l"].binding.id == "model.feature_lineage"
        await pilot.press("l")

        screen = await wait_for_screen(pilot, LineageScreen)
        assert isinstance(screen, LineageScreen) and screen.feature == DRIFTING_FEATURE
        tree = screen.query_one(LineageTree)
        await wait_for(
            pilot,
            lambda: (
                tree.cursor_node is not None
                and tree.key_of(tree.cursor_node) == feature_key(DRIFTING_FEATURE)
            ),
            what="the cursor on the feature",
        )
        node = tree.cursor_node
        assert node is not None and node.is_expanded and tree.has_focus
        feature = next(item for item in screen.lineage.features if item.feature == DRIFTING_FEATURE)
        assert [child.label.plain for child in node.children] == [
            f"column {column}" for column in feature.source_columns
        ]
        ancestors = []
        parent = node.parent
        while parent is not None:
            assert parent.is_expanded
            ancestors.append(parent.label.plain)
            parent = parent.parent
        dataset = ancestors[0]
        assert dataset.startswith("dataset ") and " digest sha256:" in dataset
        assert ancestors[-2].startswith(f"model {DRIFTING_MODEL}  version")
        text = app.screen_text()
        assert dataset[:60] in text
        for column in feature.source_columns:
            assert f"column {column}" in text

        # Highlighted in the theme's crit colour, with its PSI, and first of its dataset.
        crit = Palette.from_theme(app.theme_variables).crit
        assert crit and "#" in crit  # a theme colour, resolved from the theme's variables
        assert crit in styles_of(node.label)
        psi = next(f.psi for f in app.snapshot.report.models if f.model == DRIFTING_MODEL
                   for f in f.drift.features if f.feature == DRIFTING_FEATURE)  # fmt: skip
        assert node.label.plain.endswith(f"PSI {psi:.3f} CRIT")
        assert node.parent is not None and node.parent.children[1] is node  # after the schema
        header = str(screen.query_one("#lineage-header", Static).render())
        assert f"drifting: {DRIFTING_FEATURE} PSI {psi:.3f} CRIT" in header
        quiet = [
            child
            for child in node.parent.children
            if child.label.plain.startswith("feature ") and child is not node
        ]
        assert quiet and all(crit not in styles_of(child.label) for child in quiet)

        # Esc goes back to the model screen, which still has the model's detail.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is model_screen, what="the model screen")


async def test_lineage_diff_between_the_champion_and_another_version(
    shared_collector: Any,
) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        sent: list[object] = []
        original = app.collector.send

        def record(request: Any) -> bool:
            sent.append(request)
            return original(request)

        app.collector.send = record  # type: ignore[method-assign]
        screen = await open_lineage_of(pilot, f"lineage {DRIFTING_MODEL}")
        assert screen.lineage is not None
        champion = screen.lineage.version
        # The lineage screen asks for the model's detail, whose versions the picker lists.
        await wait_for(
            pilot,
            lambda: (
                DRIFTING_MODEL in app.snapshot.details
                and len(app.snapshot.details[DRIFTING_MODEL].versions) > 1
            ),
            what="the model's versions",
        )
        await pilot.press("d")
        picker = await wait_for_screen(pilot, VersionPicker)
        assert isinstance(picker, VersionPicker)
        assert champion not in picker.versions
        # The default is the previous champion: the alias history's last move came from it.
        moves = [
            m for m in app.snapshot.details[DRIFTING_MODEL].alias_moves if m.alias == "champion"
        ]
        previous = moves[-1].from_version
        assert previous is not None and picker.default == previous
        options = picker.query_one(OptionList)
        assert options.highlighted == picker.versions.index(previous)
        await pilot.press("enter")

        diff_screen = await wait_for_screen(pilot, LineageDiffScreen)
        assert isinstance(diff_screen, LineageDiffScreen)
        await wait_for(pilot, lambda: diff_screen.diff is not None, what="the diff")
        assert LineageRequest(DRIFTING_MODEL, champion, compare=previous) in sent
        diff = diff_screen.diff
        assert diff is not None and not diff.empty
        # Older -> newer: `+` is what the newer version brought.
        assert (diff.base_version, diff.other_version) == tuple(
            sorted((champion, previous), key=int)
        )
        assert diff.code_version is not None and diff.datasets_added and diff.datasets_removed
        labels = tree_labels(diff_screen.query_one(LineageDiffTree))
        assert labels[0] == (
            f"lineage diff {DRIFTING_MODEL}  version {diff.base_version}  ->  version "
            f"{diff.other_version}"
        )
        assert any(label.startswith("code version  ") for label in labels)
        added = diff.datasets_added[0].name
        assert any(label.startswith(f"+ dataset {added}  digest") for label in labels)
        changed_feature = next(
            label for label in labels if label.startswith(f"~ feature {DRIFTING_FEATURE}")
        )
        assert changed_feature.endswith("CRIT")  # the drifting feature stands out in the diff
        copied = diff_screen.copy_text()
        assert copied.splitlines()[0] == labels[0]
        assert f"+ dataset {added}" in app.screen_text()

        # Esc back to the lineage, `d` again, pick another version with the arrows.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the lineage screen")
        await pilot.press("d")
        picker = await wait_for_screen(pilot, VersionPicker)
        target = picker.versions[0]
        picker.query_one(OptionList).highlighted = 0
        await pilot.press("enter")
        diff_screen = await wait_for_screen(pilot, LineageDiffScreen)
        await wait_for(pilot, lambda: diff_screen.diff is not None, what="the second diff")
        assert diff_screen.compare == target
        assert {diff_screen.diff.base_version, diff_screen.diff.other_version} == {
            champion,
            target,
        }
        # Esc on the picker compares with nothing.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the lineage screen")
        await pilot.press("d")
        await wait_for_screen(pilot, VersionPicker)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the lineage screen again")


# ---------------------------------------------------------------- a host app without a Collector


def credit_lineage(model: str = MODEL, version: str = "7") -> Lineage:
    """A lineage of the fixture model: income and region come from one dataset, age another."""
    return Lineage(
        model=model,
        version=version,
        deployment="credit-prod",
        run=TrainingRun("run-7", {"lr": "0.1"}, {"auc": 0.9}, "git:abc"),
        datasets=(
            Dataset("bureau", "sha256:aa", "s3://lake/bureau", ("age", "tenure")),
            Dataset("applications", "", "s3://lake/apps", ("income", "region")),
        ),
        features=(
            ColumnLineage("age", ("bureau.age",), ""),
            ColumnLineage("income", ("applications.income",), "log1p"),
            ColumnLineage("region", ("applications.region",), "upper-cased"),
        ),
    )


class LineageHostApp(App[None]):
    """Keeps `.snapshot`, delivers snapshots as the console does, records lineage requests."""

    def __init__(self, make_screen: Callable[[], LineageScreen], first: Any = None) -> None:
        super().__init__()
        self.snapshot = first
        self.read_only = False
        self.ascii_mode = False
        self.requests: list[LineageRequest] = []
        self.focused_models: list[str | None] = []
        self._make_screen = make_screen

    def on_mount(self) -> None:
        self.push_screen(self._make_screen())

    def focus_model(self, name: str | None) -> None:
        self.focused_models.append(name)

    def request_lineage(self, request: LineageRequest) -> None:
        self.requests.append(request)

    def show_screen(self, screen: Any) -> None:
        self.push_screen(screen)

    def go_back(self) -> None:
        self.pop_screen()

    def deliver(self, item: Any) -> None:
        self.snapshot = item
        self.screen.post_message(SnapshotArrived(item))


async def test_gaps_drift_highlight_and_live_drift_on_a_fixture() -> None:
    app = LineageHostApp(lambda: LineageScreen(MODEL, feature="region"), snapshot())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        assert app.focused_models == [MODEL]  # asks for the model's detail (its versions)
        screen.post_message(LineageArrived(MODEL, credit_lineage(), version="7"))
        tree = screen.query_one(LineageTree)
        await wait_for(
            pilot,
            lambda: (
                tree.cursor_node is not None
                and tree.key_of(tree.cursor_node) == feature_key("region")
            ),
            what="the cursor on region",
        )
        labels = tree_labels(tree)
        assert "missing: dataset applications has no digest" in labels
        palette = Palette.from_theme(app.theme_variables)
        # applications holds the crit feature (income), so it comes first; income before region.
        datasets = [label for label in labels if label.startswith("dataset ")]
        assert datasets[0].startswith("dataset applications")
        income = labels.index("feature income  <- log1p  PSI 0.410 CRIT")
        region = labels.index("feature region  <- upper-cased  PSI 0.140 WARN")
        assert income < region < labels.index("feature age  <- identity  PSI 0.020")
        # tenure is monitored but has no lineage: a visible gap (it has no PSI: no data).
        assert "missing: no lineage recorded for feature tenure" in labels
        income_node = tree.nodes_with_key(feature_key("income"))[0]
        assert palette.crit in styles_of(income_node.label)
        region_node = tree.cursor_node
        assert region_node is not None and palette.warn in styles_of(region_node.label)

        # A new snapshot where income has calmed down: relabelled in place, cursor kept.
        calm_features = [FeatureDrift("income", "numeric", 0.03, 0.02, 0.02, "ok")]
        calm_features += drift_result().features[1:]
        calm_drift = dataclasses.replace(drift_result(), features=calm_features)
        calm = dataclasses.replace(model_report(), drift=calm_drift)
        app.deliver(snapshot(generation=2, report=calm))
        await wait_for(
            pilot,
            lambda: "feature income  <- log1p  PSI 0.030" in tree_labels(tree),
            what="the relabelled income",
        )
        assert tree.key_of(tree.cursor_node) == feature_key("region")
        header = str(screen.query_one("#lineage-header", Static).render())
        assert "drifting: region PSI 0.140 WARN" in header and "income" not in header

        # Another theme: the highlight takes the new theme's colour (no colour is hard-coded).
        before = Palette.from_theme(app.theme_variables).warn
        app.theme = "nord"
        await wait_for(
            pilot,
            lambda: Palette.from_theme(app.theme_variables).warn != before,
            what="the new theme",
        )
        after = Palette.from_theme(app.theme_variables).warn
        await wait_for(
            pilot,
            lambda: after in styles_of(tree.nodes_with_key(feature_key("region"))[0].label),
            what="the new theme's warn colour",
        )


async def test_markup_in_names_and_a_feature_without_lineage() -> None:
    model = "[bold]evil[/]"
    app = LineageHostApp(lambda: LineageScreen(model, feature="[red]nowhere"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        notes = record_notifications(screen)
        screen.show_lineage(credit_lineage(model=model))
        await pilot.pause()
        rendered = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "model [bold]evil[/]  version 7" in rendered
        # No node for the asked feature: the screen says so (a notification) and stays up.
        assert notes == ["[red]nowhere: no lineage recorded for this feature"]


async def test_diff_error_and_picker_without_versions() -> None:
    app = LineageHostApp(lambda: LineageScreen(MODEL), snapshot())
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        screen.show_lineage(credit_lineage())
        await pilot.press("d")
        picker = await wait_for_screen(pilot, VersionPicker)
        assert picker.default == "6"  # the previous champion in the fixture's alias history
        await pilot.press("enter")
        diff_screen = await wait_for_screen(pilot, LineageDiffScreen)
        assert app.requests == [LineageRequest(MODEL, "7", compare="6")]
        diff_screen.post_message(
            LineageArrived(MODEL, credit_lineage(), version="7", error="boom", compare="6")
        )
        await wait_for(pilot, lambda: diff_screen.error == "boom", what="the error")
        assert tree_labels(diff_screen.query_one(LineageDiffTree))[0] == "no diff: boom"
        # An answer for another comparison is not this screen's.
        other = credit_lineage(version="5")
        diff_screen.post_message(
            LineageArrived(MODEL, credit_lineage(), version="7", compare="5", compare_lineage=other)
        )
        await pilot.pause()
        assert diff_screen.diff is None
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the lineage screen")

    bare = LineageHostApp(lambda: LineageScreen(MODEL))  # no snapshot: no versions to pick from
    async with bare.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = bare.screen
        assert isinstance(screen, LineageScreen)
        notes = record_notifications(screen)
        screen.show_lineage(credit_lineage())
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(bare.screen, LineageScreen)
        assert notes and notes[0].startswith(f"No other version of {MODEL} known yet")


def test_bindings_carry_ids_and_descriptions() -> None:
    bindings = {binding.id: binding for binding in LineageScreen.BINDINGS if hasattr(binding, "id")}
    assert bindings["lineage.diff"].key == "d"  # type: ignore[union-attr]
    assert all(binding.description for binding in bindings.values())  # type: ignore[union-attr]
    diff_ids = {getattr(binding, "id", None) for binding in LineageDiffScreen.BINDINGS}
    assert "lineage.diff" not in diff_ids and "lineage.expand_all" in diff_ids


# ---------------------------------------------------------------- snapshot at a fixed `--at`


async def open_demo_lineage(pilot: Pilot[Any]) -> None:
    """Open the lineage of the demo's drifting model on its drifting feature; wait until shown."""
    app = pilot.app
    assert isinstance(app, GovtuiApp)
    await wait_long(pilot, lambda: app.snapshot is not None and bool(app.snapshot.report.models),
                    "the first snapshot")  # fmt: skip
    app.open_lineage(DRIFTING_MODEL, feature=DRIFTING_FEATURE)

    def shown() -> bool:
        screen = app.screen
        if not isinstance(screen, LineageScreen) or screen.lineage is None:
            return False
        tree = screen.query_one(LineageTree)
        return tree.key_of(tree.cursor_node) == feature_key(DRIFTING_FEATURE)

    await wait_long(pilot, shown, "the lineage on the drifting feature")
    await pilot.pause()


def test_lineage_screen_snapshot(snap_compare: Callable[..., bool], console: Any) -> None:
    assert snap_compare(console("dark"), terminal_size=(120, 36), run_before=open_demo_lineage)
