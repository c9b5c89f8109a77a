"""Pilot tests of `:audit`: records from a real Collector, the chain's state intact and broken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.widgets import Static

from govtui.actions.audit import AuditLog
from govtui.fleet.client import CollectorClient
from govtui.ui.screens.audit import AuditScreen
from govtui.ui.screens.fleet import FleetScreen
from govtui.ui.widgets.panels import SyncedTable
from tests.ui.test_app_harness import make_app, start_collector, wait_for, wait_for_screen

SIZE = (140, 40)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CollectorClient, Path]]:
    """A Collector whose state dir holds an audit log of three records."""
    state = tmp_path_factory.mktemp("audit-state")
    log = AuditLog(state / "audit.jsonl")
    actor = {"user": "ann", "host": "bastion"}
    log.append("incident.start", "INC-1", outcome="recorded", incident="INC-1", actor=actor)
    log.append("note", "fraud-scorer", outcome="recorded", params={"text": "ok"}, actor=actor)
    log.append("rollback", "fraud-scorer", outcome="dry-run", incident="INC-1", actor=actor)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GOVTUI_AUDIT_KEY", raising=False)  # the Collector process inherits env
        client = start_collector(state, models=4)
    yield client, state / "audit.jsonl"
    client.close()


async def _open_audit(pilot: Any) -> AuditScreen:
    await wait_for_screen(pilot, FleetScreen)
    await pilot.press("colon", *"audit", "enter")
    screen: AuditScreen = await wait_for_screen(pilot, AuditScreen)
    await wait_for(pilot, lambda: screen.reply is not None, what="audit reply")
    return screen


def _header(screen: AuditScreen) -> Static:
    return screen.query_one("#audit-verify", Static)


def _colour(app: Any, variable: str) -> Color:
    return Color.parse(app.get_css_variables()[variable])


async def test_audit_screen_shows_an_intact_chain_then_a_broken_one(
    audited: tuple[CollectorClient, Path],
) -> None:
    collector, path = audited
    app = make_app(collector)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_audit(pilot)
        reply = screen.reply
        assert reply is not None and reply.verified is True
        header = _header(screen)
        assert str(header.render()).startswith("chain intact: 3 records, head ")
        assert header.has_class("-intact") and not header.has_class("-broken")
        assert header.styles.color == _colour(app, "status-ok")
        table = screen.query_one(SyncedTable)
        assert table.row_count == 3
        newest = [str(value) for value in table.get_row_at(0)]
        assert newest[0] == "3" and newest[3] == "rollback" and newest[-1] == "INC-1"
        assert [str(value) for value in table.get_row_at(1)][-1] == "-"
        assert "ann@bastion" in newest

        # Tamper with the middle record; a fresh `:audit` re-verifies (file size changed).
        lines = path.read_bytes().splitlines(keepends=True)
        lines[1] = lines[1].replace(b'"text":"ok"', b'"text":"no"')
        path.write_bytes(b"".join(lines))
        await pilot.press("escape")
        await wait_for_screen(pilot, FleetScreen)
        screen = await _open_audit(pilot)
        assert screen.reply is not None and screen.reply.verified is False
        header = _header(screen)
        assert str(header.render()).startswith("BROKEN at line 2 (seq 2): hash mismatch")
        assert header.has_class("-broken") and not header.has_class("-intact")
        assert header.styles.color == _colour(app, "status-crit")
        assert screen.query_one(SyncedTable).row_count == 3, "the records are still listed"


async def test_audit_screen_shows_an_unverified_state_without_a_log(
    audited: tuple[CollectorClient, Path],
) -> None:
    collector, path = audited
    path.unlink()
    app = make_app(collector)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_audit(pilot)
        assert screen.reply is not None and screen.reply.verified is None
        header = _header(screen)
        assert str(header.render()).startswith("chain not verified: no audit log yet")
        assert header.has_class("-unverified")
        assert header.styles.color == _colour(app, "status-unknown")
