"""Notes live in the audit log: attributed, grouped by model, refused in read-only mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govtui.actions.audit import AuditLog
from govtui.actions.notes import add_note, notes_by_model
from govtui.cli.main import main
from govtui.errors import ReadOnlyRefused, UsageError

ACTOR = {"user": "alice", "host": "bastion-1"}


def test_notes_are_audit_records_grouped_by_model(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    add_note(audit, "fraud", "  v4 looks bad ", read_only=False, actor=ACTOR)
    add_note(audit, "credit", "ok", read_only=False, incident="INC-20261128-1", actor=ACTOR)
    add_note(audit, "fraud", "rolled back", read_only=False, actor=ACTOR)
    audit.append("rollback", "fraud", outcome="done", params={"text": "not a note"}, actor=ACTOR)
    with pytest.raises(ReadOnlyRefused, match="read-only mode: note on fraud refused"):
        add_note(audit, "fraud", "refused note", read_only=True, actor=ACTOR)
    grouped = notes_by_model(audit.records())
    assert [note.text for note in grouped["fraud"]] == ["v4 looks bad", "rolled back"]
    assert grouped["fraud"][0].actor == "alice@bastion-1"
    assert grouped["credit"][0].incident == "INC-20261128-1"
    assert [r["outcome"] for r in audit.records()][-1] == "refused"


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_bad_note_text_is_a_usage_error(tmp_path: Path, text: str) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(UsageError):
        add_note(audit, "fraud", text, read_only=False, actor=ACTOR)
    assert audit.records() == []


def test_cli_note_and_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["note", "fraud-scorer", "paging", "since", "10:02"]) == 0
    assert "noted on fraud-scorer: audit seq 1" in capsys.readouterr().out
    assert main(["note", "fraud-scorer", "--list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["text"] for item in listed] == ["paging since 10:02"]
    assert main(["note", "fraud-scorer", "--list"]) == 0
    assert "paging since 10:02" in capsys.readouterr().out
    assert main(["--read-only", "note", "fraud-scorer", "x"]) == 3
    assert main(["note", "fraud-scorer"]) == 2
    records = AuditLog(tmp_path / "audit.jsonl").records()
    assert [(r["action"], r["outcome"]) for r in records] == [
        ("note", "recorded"),
        ("note", "refused"),
    ]
