"""Pilot tests of every navigation path: fleet, drill-down, Esc back, runbooks, help, alerts, audit."""

from __future__ import annotations

from typing import Any

from govtui.ui.screens.alerts import AlertsScreen
from govtui.ui.screens.audit import AuditScreen
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.screens.help import HelpScreen
from govtui.ui.screens.lineage import LineageScreen
from govtui.ui.screens.model import ModelScreen
from govtui.ui.screens.runbook import RunbookScreen
from govtui.ui.widgets.breadcrumbs import Breadcrumbs
from govtui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app_harness import (
    OPERATOR,
    make_app,
    shared_collector,
    wait_for,
    wait_for_fleet,
    wait_for_screen,
)

__all__ = ["shared_collector"]

SIZE = (120, 40)


def crumbs(app: Any) -> str:
    return str(app.screen.query_one(Breadcrumbs).render())


def status(app: Any) -> str:
    return str(app.screen.query_one(StatusBar).text)


async def test_fleet_shows_every_model_worst_first(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        screen = app.screen
        assert isinstance(screen, FleetScreen)
        order = [report.model for report in app.snapshot.report.models]
        assert screen.table.row_keys == order
        statuses = [report.status for report in app.snapshot.report.models]
        rank = {"crit": 0, "warn": 1, "unknown": 2, "ok": 3}
        assert [rank[item] for item in statuses] == sorted(rank[item] for item in statuses)
        first = screen.table.shown(order[0])
        assert first is not None and first[2].plain.strip() == "CRIT"
        line = status(app)
        assert "REPLAY @ 2026-01-15T12:00:00Z" in line
        assert "demo live" in line and "registry live" in line
        assert OPERATOR in line and "dark" in line
        assert "READ-ONLY" not in line


async def test_enter_drills_into_the_model_and_escape_comes_back(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("down")
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        chosen = fleet.selected_model()
        await pilot.press("enter")
        model_screen = await wait_for_screen(pilot, ModelScreen)
        assert model_screen.model == chosen
        # The Collector answers the focus with the model's detail.
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and chosen in app.snapshot.details,
            what="model detail",
        )
        assert crumbs(app).startswith(f"fleet > model {chosen}")
        assert model_screen.query(StatusBar), "the model screen gets the console's status bar"
        await pilot.press("escape")
        await wait_for_screen(pilot, FleetScreen)
        assert app.screen.selected_model() == chosen, "the cursor stays on the model"
        await wait_for(
            pilot,
            lambda: app.snapshot is not None and not app.snapshot.details,
            what="detail dropped after leaving the model",
        )


async def test_runbook_from_the_fleet_opens_the_worst_violation(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        worst = app.snapshot.report.models[0]
        await pilot.press("b")
        screen = await wait_for_screen(pilot, RunbookScreen)
        assert screen.runbook.check == worst.violations[0].check
        assert screen.runbook.model == worst.model
        assert screen.runbook.markdown.startswith("#")
        assert crumbs(app).startswith(f"fleet > runbook {worst.violations[0].check}")
        await pilot.press("pagedown", "end", "home")
        await pilot.press("escape")
        await wait_for_screen(pilot, FleetScreen)


async def test_runbook_on_a_healthy_model_says_there_is_nothing(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("ctrl+end")
        fleet = app.screen
        healthy = fleet.selected_model()
        report = next(item for item in app.snapshot.report.models if item.model == healthy)
        assert report.status == "ok" and not report.violations
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)
        assert any("no violation" in str(note.message) for note in app._notifications)


async def test_help_lists_the_bindings_of_the_screen_it_came_from(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("question_mark")
        screen = await wait_for_screen(pilot, HelpScreen)
        text = screen.copy_text()
        for expected in (
            "Filter",
            "fleet.filter",
            "Runbook",
            "Refresh",
            ":model MODEL",
            ":at TIME",
        ):
            assert expected in text
        await pilot.press("escape")
        await wait_for_screen(pilot, FleetScreen)


async def test_alerts_screen_lists_violations_and_opens_their_runbook(
    shared_collector: Any,
) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("a")
        screen = await wait_for_screen(pilot, AlertsScreen)
        table = screen.query_one("#violations-table")
        total = sum(len(model.violations) for model in app.snapshot.report.models)
        await wait_for(pilot, lambda: len(table.row_keys) == total, what="violation rows")
        await pilot.press("b")
        runbook = await wait_for_screen(pilot, RunbookScreen)
        assert runbook.runbook.check in {"slo_page", "drift", "fairness", "quality", "slo_ticket"}
        await pilot.press("escape")
        await wait_for_screen(pilot, AlertsScreen)
        await pilot.press("enter")
        await wait_for_screen(pilot, ModelScreen)
        assert crumbs(app).startswith("fleet > alerts > model")
        await pilot.press("escape", "escape")
        await wait_for_screen(pilot, FleetScreen)


async def test_lineage_arrives_from_the_collector(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        fleet = app.screen
        chosen = fleet.selected_model()
        await pilot.press("l")
        screen = await wait_for_screen(pilot, LineageScreen)
        await wait_for(pilot, lambda: screen.lineage is not None, what="lineage reply")
        assert screen.lineage.model == chosen
        champion = next(m.version for m in app.snapshot.report.models if m.model == chosen)
        assert screen.lineage.version == champion
        await pilot.press("escape")
        await wait_for_screen(pilot, FleetScreen)


async def test_audit_screen_reports_an_absent_log(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("colon", *"audit", "enter")
        screen = await wait_for_screen(pilot, AuditScreen)
        await wait_for(pilot, lambda: screen.reply is not None, what="audit reply")
        assert screen.reply.error is not None and "no audit log" in screen.reply.error
        await pilot.press("escape")
        await wait_for_screen(pilot, FleetScreen)


async def test_escape_on_the_fleet_stays(shared_collector: Any) -> None:
    app = make_app(shared_collector)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, FleetScreen)
        assert app.is_running
