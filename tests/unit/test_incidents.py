"""Incidents: one active at a time in the state dir, ids per UTC day from the audit log, later
actions tagged, and a report (Markdown and JSON) built from the audit log with the evidence."""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govtui.actions.audit import AuditLog, verify
from govtui.actions.incidents import (
    current_incident,
    end_incident,
    incident_file,
    incident_report,
    next_incident_id,
    start_incident,
)
from govtui.cli.main import main
from govtui.errors import InputError, ReadOnlyRefused, UsageError

ACTOR = {"user": "alice", "host": "bastion-1"}


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl")


def test_start_makes_it_active_and_end_clears_it(tmp_path: Path, audit: AuditLog) -> None:
    state = tmp_path / "state"
    incident_id = start_incident(audit, "  fraud   budget burn ", state, actor=ACTOR)
    assert incident_id.startswith("INC-") and incident_id.endswith("-1")
    active = current_incident(state)
    assert active is not None
    assert (active.id, active.title, active.actor) == (
        incident_id,
        "fraud budget burn",
        "alice@bastion-1",
    )
    assert stat.S_IMODE(incident_file(state).stat().st_mode) == 0o600
    with pytest.raises(UsageError, match="already active"):
        start_incident(audit, "another", state, actor=ACTOR)
    ended = end_incident(audit, state, summary="rolled back", actor=ACTOR)
    assert ended.id == incident_id and current_incident(state) is None
    records = audit.records()
    assert [(r["action"], r["outcome"], r["incident"]) for r in records] == [
        ("incident.start", "recorded", incident_id),
        ("incident.end", "recorded", incident_id),
    ]
    assert records[1]["params"]["summary"] == "rolled back"
    with pytest.raises(UsageError, match="no incident is active"):
        end_incident(audit, state)
    assert start_incident(audit, "next one", state, actor=ACTOR).endswith("-2")


def test_ids_count_per_utc_day() -> None:
    records = [
        {"action": "incident.start", "target": "INC-20261128-1"},
        {"action": "incident.start", "target": "INC-20261128-7"},
        {"action": "incident.start", "target": "INC-20261127-9"},
        {"action": "note", "target": "INC-20261128-50"},
    ]
    assert next_incident_id(records, datetime(2026, 11, 28, 23, tzinfo=UTC)) == "INC-20261128-8"
    assert next_incident_id(records, datetime(2026, 11, 29, tzinfo=UTC)) == "INC-20261129-1"


def test_read_only_refuses_and_records(tmp_path: Path, audit: AuditLog) -> None:
    with pytest.raises(ReadOnlyRefused):
        start_incident(audit, "x", tmp_path, read_only=True, actor=ACTOR)
    assert current_incident(tmp_path) is None
    assert [r["outcome"] for r in audit.records()] == ["refused"]


def test_damaged_state_file_is_named_and_end_clears_it(tmp_path: Path, audit: AuditLog) -> None:
    incident_file(tmp_path).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"incident\.json:1: the active-incident file is damaged"):
        current_incident(tmp_path)
    with pytest.raises(InputError):
        end_incident(audit, tmp_path)
    assert current_incident(tmp_path) is None


def _evidence_records(audit: AuditLog, incident: str) -> None:
    evidence = {
        "status": "crit",
        "checks": [
            {"check": "slo_page", "severity": "crit", "subject": "availability", "message": "m"}
        ],
        "alerts": [{"name": "GovtuiSloBurnRatePage", "state": "firing", "severity": "page"}],
        "versions": {"alias": "champion", "from": "4", "to": "3"},
    }
    params = {"from": "4", "to": "3", "reason": "burn | after v4", "evidence": evidence}
    audit.append(
        "rollback", "fraud", outcome="intent", params=params, incident=incident, actor=ACTOR
    )
    audit.append(
        "rollback",
        "fraud",
        outcome="done",
        params={**params, "read_back": "3"},
        incident=incident,
        actor=ACTOR,
    )
    audit.append(
        "note",
        "fraud",
        outcome="recorded",
        params={"text": "<b>watching</b>"},
        incident=incident,
        actor=ACTOR,
    )
    audit.append("note", "other", outcome="recorded", params={"text": "not in it"}, actor=ACTOR)


def test_report_markdown_timeline_with_evidence(tmp_path: Path, audit: AuditLog) -> None:
    incident_id = start_incident(audit, "fraud burn", tmp_path, actor=ACTOR)
    _evidence_records(audit, incident_id)
    end_incident(audit, tmp_path, actor=ACTOR)
    report = incident_report(audit.records(), incident_id, "md")
    lines = report.splitlines()
    assert lines[0] == f"# Incident {incident_id}: fraud burn"
    assert "- Ended: " in report and "by alice@bastion-1" in report
    assert "- Records: 5 (audit seq 1-6): 1 done, 1 intent, 3 recorded" in report
    rows = [line for line in lines if line[:3] in {"| 1", "| 2", "| 3", "| 4", "| 6"}]
    assert len(rows) == 5  # the unrelated note is left out
    done = rows[2]
    assert "| rollback | fraud | done | champion: 4 -> 3 (read back 3) |" in done
    assert "| crit: slo_page crit (availability) | GovtuiSloBurnRatePage firing |" in done
    assert "burn \\| after v4" in done  # a pipe cannot break the table
    assert "&lt;b>watching&lt;/b>" in rows[3]
    for row in rows:
        assert row.count(" | ") == 9  # ten cells in every row


def test_report_json(tmp_path: Path, audit: AuditLog) -> None:
    incident_id = start_incident(audit, "fraud burn", tmp_path, actor=ACTOR)
    _evidence_records(audit, incident_id)
    document = json.loads(incident_report(audit.records(), incident_id, "json"))
    assert document["format"] == "govtui.incident/v1"
    assert (document["id"], document["title"], document["ended"]) == (
        incident_id,
        "fraud burn",
        None,
    )
    entries: list[dict[str, Any]] = document["entries"]
    assert [e["action"] for e in entries] == ["incident.start", "rollback", "rollback", "note"]
    assert entries[1]["failing_checks"] == "crit: slo_page crit (availability)"
    assert entries[1]["evidence"]["versions"] == {"alias": "champion", "from": "4", "to": "3"}


def test_report_of_unknown_incident(audit: AuditLog) -> None:
    with pytest.raises(UsageError, match="no audit records for incident 'INC-1'"):
        incident_report([], "INC-1")


def test_cli_start_current_report_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["incident", "start", "credit", "limit", "accuracy"]) == 0
    incident_id = capsys.readouterr().out.split()[1]
    assert main(["incident", "current"]) == 0
    assert incident_id in capsys.readouterr().out
    assert main(["note", "credit-limit", "rolling", "back"]) == 0
    assert main(["rollback", "credit-limit", "--reason", "accuracy drop", "--yes"]) == 0
    assert main(["incident", "end", "--summary", "v3 serving"]) == 0
    capsys.readouterr()
    out_file = tmp_path / "report.md"
    assert main(["incident", "report", incident_id, "--output", str(out_file)]) == 0
    assert capsys.readouterr().out == f"wrote {out_file}\n"
    report = out_file.read_text(encoding="utf-8")
    assert "| note | credit-limit | recorded |" in report
    assert (
        "| rollback | credit-limit | done | champion: 4 -> 3 (read back 3) | crit: quality crit"
        in report
    )
    assert "| incident.end |" in report and "summary: v3 serving" in report
    assert main(["incident", "report", incident_id, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == incident_id
    assert main(["incident", "current", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"active": None}
    assert main(["incident", "report", "INC-19700101-1"]) == 2
    assert main(["--read-only", "incident", "start", "x"]) == 3
    assert verify(tmp_path / "state" / "audit.jsonl").ok
