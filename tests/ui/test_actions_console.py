"""Actions from the console, end to end: the dialogs, the real Collector process, the demo registry.

Each test starts its own Collector on a fresh state dir (actions change the registry and the
audit log). The link to it is wrapped so a test can see every request the console sent.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static

from govtui.actions.audit import AuditLog, verify
from govtui.analysis.results import FleetReport
from govtui.config import AlertmanagerConfig, LoadedConfig
from govtui.demo.config import demo_config
from govtui.demo.registry import demo_registry_path
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.fleet.requests import (
    ACTION_REQUESTS,
    ActionReply,
    IncidentRequest,
    NoteRequest,
    Request,
    RollbackRequest,
    SilenceRequest,
)
from govtui.fleet.snapshot import FleetSnapshot, NoteInfo
from govtui.sources.registry.file import FileRegistry
from govtui.ui.app import GovtuiApp
from govtui.ui.render.action_text import outcome_word
from govtui.ui.render.fleet_rows import FleetRowBuilder
from govtui.ui.render.model_text import Palette
from govtui.ui.screens.action_modals import NoteScreen, SilenceScreen
from govtui.ui.screens.alerts import AlertsScreen
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.screens.help import HelpScreen, help_text
from govtui.ui.screens.model import ModelScreen
from govtui.ui.screens.rollback import RollbackScreen
from govtui.ui.widgets.command_line import PromptScreen
from govtui.ui.widgets.status_bar import StatusBar
from tests.ui.test_app_harness import (
    AT,
    console_settings,
    start_collector,
    wait_for,
    wait_for_fleet,
    wait_for_screen,
)
from tests.ui.test_model_fixtures import model_report as model_report_fixture

MODEL = "fraud-scorer"  # the demo's fast burn since v4 was promoted; v3 came before
SIZE = (120, 40)


class RecordingLink:
    """The Collector link, remembering every request the console sent."""

    def __init__(self, inner: CollectorClient) -> None:
        self.inner = inner
        self.sent: list[Request] = []

    def send(self, request: Request) -> bool:
        self.sent.append(request)
        return self.inner.send(request)

    def receive(self, timeout: float = 0.25) -> object | None:
        return self.inner.receive(timeout)

    def close(self, timeout: float = 3.0) -> None:
        self.inner.close(timeout)

    @property
    def exitcode(self) -> int | None:
        return self.inner.exitcode

    def actions(self) -> list[Request]:
        return [item for item in self.sent if isinstance(item, ACTION_REQUESTS)]


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingLink]:
    """A Collector following live time (a rollback happens now, so traffic moves now)."""
    monkeypatch.setenv("GOVTUI_TRAFFIC_POLL", "0.1")
    link = RecordingLink(start_collector(tmp_path, at=None))
    yield link
    link.close()


@pytest.fixture
def replayed(tmp_path: Path) -> Iterator[RecordingLink]:
    """A Collector replaying the demo at AT (stable figures)."""
    link = RecordingLink(start_collector(tmp_path, at=AT))
    yield link
    link.close()


def with_dead_alertmanager() -> LoadedConfig:
    """The demo config with an Alertmanager nobody listens on (connection refused at once)."""
    base = demo_config()
    alertmanager = AlertmanagerConfig(url="http://127.0.0.1:9", retries=0, timeout="2s")
    sources = base.config.sources.model_copy(update={"alertmanager": alertmanager})
    return LoadedConfig(config=base.config.model_copy(update={"sources": sources}), path=None)


@pytest.fixture
def alerting(tmp_path: Path) -> Iterator[tuple[RecordingLink, LoadedConfig]]:
    """A Collector replaying the demo at AT, its Alertmanager unreachable."""
    loaded = with_dead_alertmanager()
    spec = CollectorSpec(loaded=loaded, demo=True, state_dir=str(tmp_path), at=AT)
    link = RecordingLink(CollectorClient.start(spec))
    yield link, loaded
    link.close()


def app_on(link: RecordingLink, **changes: Any) -> GovtuiApp:
    return GovtuiApp(console_settings(**changes), link)  # type: ignore[arg-type]


def notifications(app: GovtuiApp) -> list[str]:
    return [str(item.message) for item in app._notifications]


def static_text(screen: Any, selector: str) -> str:
    widget = screen.query_one(selector, Static)
    return str(widget.render())


def model_report(app: GovtuiApp, model: str = MODEL) -> Any:
    assert app.snapshot is not None
    return next(item for item in app.snapshot.report.models if item.model == model)


async def open_model(pilot: Any, model: str = MODEL) -> ModelScreen:
    app = pilot.app
    await wait_for_fleet(pilot)
    app.open_model(model)
    screen: ModelScreen = await wait_for_screen(pilot, ModelScreen)
    await wait_for(pilot, lambda: screen.view is not None and screen.view.report is not None)
    return screen


async def open_rollback(pilot: Any) -> RollbackScreen:
    await pilot.press("R")
    dialog: RollbackScreen = await wait_for_screen(pilot, RollbackScreen)
    await wait_for(pilot, lambda: dialog.plan is not None, what="the pre-flight plan")
    await pilot.pause()
    return dialog


async def type_into(pilot: Any, widget: Input, text: str) -> None:
    widget.focus()
    await pilot.pause()
    await pilot.press(*text)


def audit_outcomes(state_dir: Path, action: str) -> list[str]:
    records = AuditLog(state_dir / "audit.jsonl").records()
    return [record["outcome"] for record in records if record["action"] == action]


# ------------------------------------------------------------------------------- rollback


async def test_rollback_from_the_model_screen_heals_the_model(
    live: RecordingLink, tmp_path: Path
) -> None:
    app = app_on(live, replay_at=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_model(pilot)
        report = model_report(app)
        assert (report.version, report.status) == ("4", "crit")

        dialog = await open_rollback(pilot)
        plan_text = static_text(dialog, "#rollback-plan")
        for line in ("champion: 4 -> 3", "target READY", "gate passed", "lineage complete"):
            assert line in plan_text
        assert "every guardrail passes" in plan_text
        assert "target's evaluation metrics" in plan_text
        assert not dialog.query_one("#rollback-submit", Button).disabled

        # No reason: nothing is sent.
        await pilot.click("#rollback-submit")
        await pilot.pause()
        assert "a reason is required" in static_text(dialog, ".dialog-error")
        assert not any(isinstance(item, RollbackRequest) for item in live.sent)

        await type_into(pilot, dialog.query_one("#rollback-reason", Input), "fast burn: v4")
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.outcome is not None, what="the rollback outcome")
        [request] = [item for item in live.sent if isinstance(item, RollbackRequest)]
        assert (request.to, request.expect_current, request.reason) == ("3", "4", "fast burn: v4")
        assert dialog.outcome is not None and dialog.outcome.ok, dialog.outcome
        assert static_text(dialog, "#rollback-outcome").startswith(
            "DONE: champion of fraud-scorer moved from 4 to 3"
        )
        await wait_for(
            pilot,
            lambda: dialog.traffic is not None and dialog.traffic.final,
            what="the traffic watch",
        )
        assert dialog.traffic is not None and dialog.traffic.done
        assert "traffic on v3: 100% \u2014 moved" in static_text(dialog, "#rollback-outcome")
        assert audit_outcomes(tmp_path, "rollback") == ["intent", "done"]
        assert verify(tmp_path / "audit.jsonl").ok

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the model screen")
        assert "traffic on v3: 100%" in static_text(screen, "#model-action")

        # `r`: the next snapshot shows v3 serving.
        generation = app.snapshot.generation if app.snapshot else 0
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None
                and app.snapshot.generation > generation
                and model_report(app).version == "3"
            ),
            what="v3 serving after the refresh",
        )
        # An hour on it no longer pages (a ticket or the budget v4 spent may remain).
        app.set_evaluation_time(time.time() + 3600)
        await wait_for(
            pilot,
            lambda: (
                app.snapshot is not None
                and app.snapshot.replay
                and model_report(app).status in ("ok", "warn")
            ),
            timeout=30,
            what="the model healed",
        )
        assert model_report(app).version == "3"


async def test_guardrails_refuse_and_the_dialog_says_why(
    replayed: RecordingLink, tmp_path: Path
) -> None:
    app = app_on(replayed)
    async with app.run_test(size=SIZE) as pilot:
        await open_model(pilot)
        # An archived target: the plan refuses, "Roll back" is not offered.
        await pilot.press("colon")
        await wait_for_screen(pilot, PromptScreen)
        await pilot.press(*"rollback 1", "enter")
        dialog: RollbackScreen = await wait_for_screen(pilot, RollbackScreen)
        await wait_for(pilot, lambda: dialog.plan is not None, what="the plan")
        await pilot.pause()
        assert "refused: target READY: status is ARCHIVED" in static_text(dialog, "#rollback-plan")
        assert dialog.query_one("#rollback-submit", Button).disabled
        await type_into(pilot, dialog.query_one("#rollback-reason", Input), "try")
        await pilot.press("enter")
        await pilot.pause()
        assert not any(isinstance(item, RollbackRequest) for item in replayed.sent)
        await pilot.press("escape")
        await wait_for_screen(pilot, ModelScreen)

        # The alias moves behind the operator's back: the Collector refuses the stale plan.
        dialog = await open_rollback(pilot)
        assert dialog.plan is not None and dialog.plan.current == "4"
        FileRegistry(demo_registry_path(tmp_path)).set_alias(MODEL, "champion", "2", reason="x")
        await type_into(pilot, dialog.query_one("#rollback-reason", Input), "fast burn")
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.outcome is not None, what="the refusal")
        outcome = static_text(dialog, "#rollback-outcome")
        assert outcome.startswith("REFUSED:") and "not the expected 4" in outcome
        assert "DONE" not in outcome
        assert audit_outcomes(tmp_path, "rollback") == ["refused"]
        assert any("REFUSED" in text for text in notifications(app))
        # The checklist is read again: it now shows where the alias really is.
        await wait_for(
            pilot,
            lambda: dialog.plan is not None and dialog.plan.current == "2",
            what="the fresh plan",
        )


async def test_protected_model_needs_its_name_typed(replayed: RecordingLink) -> None:
    app = app_on(replayed)
    async with app.run_test(size=SIZE) as pilot:
        await open_model(pilot, "loan-approval")
        dialog = await open_rollback(pilot)
        confirm = dialog.query_one("#rollback-confirm", Input)
        assert dialog.plan is not None and dialog.plan.protected and confirm.display
        await type_into(pilot, dialog.query_one("#rollback-reason", Input), "unfair: v3")
        await pilot.click("#rollback-submit")
        await pilot.pause()
        assert "type loan-approval to confirm" in static_text(dialog, ".dialog-error")
        assert not any(isinstance(item, RollbackRequest) for item in replayed.sent)
        await type_into(pilot, confirm, "loan-approval")
        await pilot.press("enter")
        await wait_for(pilot, lambda: dialog.outcome is not None, what="the outcome")
        [request] = [item for item in replayed.sent if isinstance(item, RollbackRequest)]
        assert request.confirm == "loan-approval"
        assert dialog.outcome is not None and dialog.outcome.ok


# ------------------------------------------------------------------------------- read-only


async def test_read_only_offers_no_action_and_sends_none(
    replayed: RecordingLink, tmp_path: Path
) -> None:
    app = app_on(replayed, read_only=True)
    registry_file = demo_registry_path(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_model(pilot)
        before = registry_file.read_bytes()
        shown = {active.binding.id for active in screen.active_bindings.values()}
        assert not shown & {"model.rollback", "model.note", "model.silence"}
        assert "Roll back" not in app.screen_text()
        await pilot.press("R", "n", "s")
        await pilot.pause()
        assert app.screen is screen
        for line in (":rollback", ":note keep out", ":incident start x"):
            await pilot.press("colon")
            await wait_for_screen(pilot, PromptScreen)
            await pilot.press(*line.removeprefix(":"), "enter")
            await wait_for(pilot, lambda: app.screen is screen)
        assert sum("refused in read-only mode" in text for text in notifications(app)) == 3
        await pilot.press("question_mark")
        help_screen = await wait_for_screen(pilot, HelpScreen)
        text = help_text(app, help_screen.target)
        assert "Roll back" not in text and ":rollback" not in text and ":incident" not in text
        await pilot.press("escape")
        app.open_alerts()
        alerts = await wait_for_screen(pilot, AlertsScreen)
        assert "alerts.silence" not in {a.binding.id for a in alerts.active_bindings.values()}
        await pilot.press("s")
        await pilot.pause()
        assert replayed.actions() == []
        assert registry_file.read_bytes() == before
        assert not (tmp_path / "audit.jsonl").exists()


async def test_the_bindings_are_offered_when_writable(replayed: RecordingLink) -> None:
    app = app_on(replayed)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_model(pilot)
        shown = {active.binding.id for active in screen.active_bindings.values()}
        assert {"model.rollback", "model.note", "model.silence"} <= shown
        assert "Roll back" in app.screen_text()  # in the footer


# ------------------------------------------------------------------------------- silence


async def test_silence_dialog_sends_the_request(
    alerting: tuple[RecordingLink, LoadedConfig], tmp_path: Path
) -> None:
    link, loaded = alerting
    app = app_on(link, loaded=loaded)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        app.open_alerts()
        alerts: AlertsScreen = await wait_for_screen(pilot, AlertsScreen)
        await wait_for(pilot, lambda: alerts._selected()[0] is not None, what="a violation row")
        model, _check = alerts._selected()
        await pilot.press("s")
        dialog: SilenceScreen = await wait_for_screen(pilot, SilenceScreen)
        duration = dialog.query_one("#silence-duration", Input)
        assert duration.value == "2h"  # actions.silence_default
        await pilot.press(*"known: rolling back", "enter")
        await wait_for(pilot, lambda: app.screen is alerts, what="the dialog closed")
        [request] = link.actions()
        assert request == SilenceRequest(str(model), "2h", "known: rolling back", None)
        # Nobody listens at the Alertmanager: the Collector's answer says it failed, not done.
        await wait_for(
            pilot,
            lambda: any(text.startswith("FAILED: silence of") for text in notifications(app)),
            what="the Collector's answer",
        )
        assert audit_outcomes(tmp_path, "silence.create") == ["intent", "failed"]


async def test_silence_dialog_checks_its_inputs(
    alerting: tuple[RecordingLink, LoadedConfig],
) -> None:
    link, loaded = alerting
    app = app_on(link, loaded=loaded)
    async with app.run_test(size=SIZE) as pilot:
        await open_model(pilot)
        await pilot.press("s")
        dialog: SilenceScreen = await wait_for_screen(pilot, SilenceScreen)
        await pilot.press("enter")  # no reason
        await pilot.pause()
        assert "a reason is required" in static_text(dialog, ".dialog-error")
        duration = dialog.query_one("#silence-duration", Input)
        duration.value = "30d"
        await type_into(pilot, dialog.query_one("#silence-reason", Input), "why")
        await pilot.press("enter")
        await pilot.pause()
        assert "at most 7d" in static_text(dialog, ".dialog-error")
        await pilot.press("escape")
        await wait_for_screen(pilot, ModelScreen)
        assert link.actions() == []


async def test_silence_without_alertmanager_says_so(replayed: RecordingLink) -> None:
    app = app_on(replayed)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_model(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is screen
        assert any("no Alertmanager configured" in text for text in notifications(app))
        assert replayed.actions() == []


# ------------------------------------------------------------------------------- notes, incidents


async def test_note_shows_on_the_model_and_as_a_fleet_marker(
    replayed: RecordingLink, tmp_path: Path
) -> None:
    app = app_on(replayed)
    async with app.run_test(size=SIZE) as pilot:
        fleet = app.screen
        assert isinstance(fleet, FleetScreen)
        screen = await open_model(pilot)
        assert not screen.query_one("#model-notes", Static).display
        await pilot.press("n")
        dialog: NoteScreen = await wait_for_screen(pilot, NoteScreen)
        await pilot.press(*"v3 is safe: ask ana", "enter")
        await wait_for(pilot, lambda: app.screen is screen, what="the note dialog closed")
        assert replayed.actions() == [NoteRequest(MODEL, "v3 is safe: ask ana")]
        await wait_for(
            pilot,
            lambda: "v3 is safe: ask ana" in static_text(screen, "#model-notes"),
            what="the note on the model screen",
        )
        assert screen.query_one("#model-notes", Static).display
        assert audit_outcomes(tmp_path, "note") == ["recorded"]
        assert dialog is not None

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is fleet)
        await wait_for(
            pilot,
            lambda: any(
                row.key == MODEL and row.cells[0].plain.strip() == f"{MODEL} \u270e"
                for row in fleet.rows
            ),
            what="the fleet marker",
        )
        others = [row for row in fleet.rows if row.key != MODEL]
        assert all("\u270e" not in row.cells[0].plain for row in others)


def test_fleet_marker_only_beside_noted_models_and_ascii_in_ascii_mode() -> None:
    reports = [model_report_fixture("a-model"), model_report_fixture("b-model")]
    snapshot = FleetSnapshot(
        generation=1,
        taken_at=0.0,
        evaluated_at=0.0,
        replay=True,
        report=FleetReport("2026-01-15T12:00:00Z", "crit", reports),
        notes={"b-model": (NoteInfo("2026-01-15T12:01:00Z", "ana@bastion", "watching"),)},
    )
    for builder, marker in ((FleetRowBuilder(), "\u270e"), (FleetRowBuilder("*"), "*")):
        rows = {row.key: row for row in builder.rows(snapshot, Palette())}
        assert rows["b-model"].cells[0].plain.strip() == f"b-model {marker}"
        assert rows["a-model"].cells[0].plain.strip() == "a-model"
        assert rows["b-model"].search_text.split()[0] == "b-model"
    plain = FleetRowBuilder().rows(dataclasses.replace(snapshot, notes={}), Palette())
    assert [row.cells[0].plain.strip() for row in plain] == ["a-model", "b-model"]


def test_outcome_words_never_call_a_failure_done() -> None:
    def word(**changes: Any) -> str:
        values: dict[str, Any] = {"kind": "rollback", "ok": False, "message": "", "exit_code": 4}
        values.update(changes)
        return outcome_word(ActionReply(**values))

    assert word(ok=True, exit_code=0, outcome="done") == "DONE"
    assert word(ok=True, exit_code=0, outcome="dry-run") == "DRY RUN"
    assert word(exit_code=1) == "REFUSED" and word(exit_code=3) == "REFUSED"
    assert word(message="rollback of m failed: read-back shows 4") == "FAILED"
    assert word(message="rollback of m unconfirmed: cannot read back") == "UNCONFIRMED"
    assert word(exit_code=2) == "ERROR"


async def test_incident_start_and_end_show_in_the_status_bar(
    replayed: RecordingLink, tmp_path: Path
) -> None:
    app = app_on(replayed)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_fleet(pilot)
        bar = app.screen.query_one(StatusBar)
        await pilot.press("colon")
        await wait_for_screen(pilot, PromptScreen)
        await pilot.press(*"incident start payments burning", "enter")
        await wait_for(
            pilot, lambda: "INCIDENT INC-" in bar.text.plain, what="the incident in the status bar"
        )
        assert IncidentRequest("start", "payments burning") in replayed.actions()
        assert bar.text.plain.startswith("INCIDENT INC-")
        await pilot.press("colon")
        await wait_for_screen(pilot, PromptScreen)
        await pilot.press(*"incident end", "enter")
        await wait_for(pilot, lambda: "INCIDENT" not in bar.text.plain, what="the incident ended")
        assert audit_outcomes(tmp_path, "incident.start") == ["recorded"]
        assert audit_outcomes(tmp_path, "incident.end") == ["recorded"]


async def test_a_read_only_registry_removes_only_the_rollback_key(replayed: RecordingLink) -> None:
    base = demo_config()
    registry = base.config.sources.registry.model_copy(update={"read_only": True})
    sources = base.config.sources.model_copy(update={"registry": registry})
    loaded = LoadedConfig(config=base.config.model_copy(update={"sources": sources}), path=None)
    app = app_on(replayed, loaded=loaded)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_model(pilot)
        shown = {active.binding.id for active in screen.active_bindings.values()}
        assert "model.rollback" not in shown and "model.note" in shown
        await pilot.press("R")
        await pilot.pause()
        assert app.screen is screen and replayed.actions() == []
