"""Pilot tests of the lineage screen: the tree, messages from the app, literal external strings."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from govtui.sources.registry.base import ColumnLineage, Dataset, Lineage, TrainingRun
from govtui.ui.messages import LineageArrived
from govtui.ui.screens.lineage import LineageScreen, LineageTree


def lineage(model: str = "fraud", feature: str = "amount_log", *, complete: bool = True) -> Lineage:
    """A version trained on two datasets, one feature per dataset and one orphan feature."""
    return Lineage(
        model=model,
        version="3",
        deployment="prod-eu",
        run=TrainingRun("run-3", {"lr": "0.1"}, {"auc": 0.91}, "git:abc123") if complete else None,
        datasets=(
            Dataset("transactions", "sha256:aa", "s3://lake/tx", ("amount", "merchant")),
            Dataset("customers", "sha256:bb", "s3://lake/cust", ("age",)),
        ),
        features=(
            ColumnLineage(feature, ("transactions.amount",), "log1p"),
            ColumnLineage("age", ("customers.age",), ""),
        ),
    )


class LineageHostApp(App[None]):
    """Pushes a LineageScreen, as the console does when `l` is pressed."""

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.snapshot = None
        self.read_only = False
        self.ascii_mode = False

    def on_mount(self) -> None:
        self.push_screen(LineageScreen(self.model))


def screen_text(app: App[None]) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def labels(tree: LineageTree) -> list[str]:
    """Every node label, depth first."""
    found: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        found.append(node.label.plain)
        for child in node.children:
            walk(child)

    walk(tree.root)
    return found


async def test_lineage_arrives_as_a_message_and_builds_the_tree() -> None:
    app = LineageHostApp("fraud")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        assert "waiting for the registry" in str(
            screen.query_one("#lineage-header", Static).render()
        )
        screen.post_message(LineageArrived("other-model", lineage("other-model")))
        await pilot.pause()
        assert screen.lineage is None  # an answer for another model is ignored
        screen.post_message(LineageArrived("fraud", lineage(), version="3"))
        await pilot.pause()
        tree = screen.query_one(LineageTree)
        found = labels(tree)
        assert found[0] == "deployment prod-eu"
        assert found[1] == "model fraud  version 3"
        assert found[2].startswith("training run run-3  code git:abc123")
        dataset = found.index("dataset transactions  digest sha256:aa  source s3://lake/tx")
        assert found[dataset + 1] == "schema amount, merchant"
        assert found[dataset + 2] == "feature amount_log  <- log1p"
        assert found[dataset + 3] == "column transactions.amount"
        assert "complete" in str(screen.query_one("#lineage-header", Static).render())
        text = screen_text(app)
        assert "dataset transactions" in text
        assert "column transactions.amount" in text
        assert screen.copy_text().startswith("deployment prod-eu\n  model fraud  version 3\n")


async def test_an_error_reply_is_shown() -> None:
    app = LineageHostApp("fraud")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        screen.post_message(LineageArrived("fraud", None, error="registry unreachable"))
        await pilot.pause()
        assert labels(screen.query_one(LineageTree))[0] == "no lineage: registry unreachable"
        assert "registry unreachable" in screen.copy_text()


async def test_incomplete_lineage_is_flagged() -> None:
    app = LineageHostApp("fraud")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        screen.show_lineage(lineage(complete=False))
        await pilot.pause()
        assert "incomplete" in str(screen.query_one("#lineage-header", Static).render())
        assert any("lineage incomplete" in label for label in labels(screen.query_one(LineageTree)))


async def test_markup_in_names_renders_literally() -> None:
    """A model or feature named like Rich markup must show as typed, not style the screen."""
    model = "[bold]evil[/]"
    app = LineageHostApp(model)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        screen.show_lineage(lineage(model=model, feature="amt[/]x[red]"))
        await pilot.pause()
        text = screen_text(app)
        assert "model [bold]evil[/]  version 3" in text
        assert "feature amt[/]x[red]  <- log1p" in text
        header = screen.query_one("#lineage-header", Static)
        assert "lineage [bold]evil[/]  version 3" in str(header.render())


async def test_expand_and_collapse_keys() -> None:
    app = LineageHostApp("fraud")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LineageScreen)
        screen.show_lineage(lineage())
        await pilot.pause()
        tree = screen.query_one(LineageTree)
        params = next(
            node
            for node in tree.root.children[0].children[0].children
            if node.label.plain == "params"
        )
        assert not params.is_expanded  # params start collapsed
        await pilot.press("e")
        assert params.is_expanded
        await pilot.press("c")
        assert not tree.root.children[0].is_expanded
        bindings = {binding.id for binding in LineageScreen.BINDINGS if hasattr(binding, "id")}
        assert {"lineage.expand_all", "lineage.collapse_all"} <= bindings
