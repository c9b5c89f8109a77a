"""`govtui audit verify|head|show|export`: exit codes, output, filters, CSV safety, no secrets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from govtui.actions.audit import GENESIS_HASH, AuditLog
from govtui.cli.main import main

KEY = "cli-audit-hmac-key-9f3e"
ACTOR = {"user": "ann", "host": "bastion"}


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated state dir, no discoverable config, no key in the env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.delenv("GOVTUI_AUDIT_KEY", raising=False)
    return tmp_path / "state"


def populate(path: Path, key: str | None = None) -> AuditLog:
    log = AuditLog(path, hmac_key=key.encode() if key else None)
    log.append("incident.start", "INC-1", outcome="recorded", incident="INC-1", actor=ACTOR)
    log.append(
        "rollback",
        "fraud-scorer",
        outcome="intent",
        params={"reason": '=HYPERLINK("http://x")', "to": "6"},
        incident="INC-1",
        actor=ACTOR,
    )
    log.append("silence.create", "fraud-scorer", outcome="done", params={"for": "2h"}, actor=ACTOR)
    log.append("note", "@risky-model", outcome="recorded", params={"text": "Zürich ✓"}, actor=ACTOR)
    return log


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_verify_intact_broken_and_missing(state: Path, capsys: Any) -> None:
    code, out, err = run(capsys, "verify")
    assert code == 2 and out == "" and "no audit log" in err
    log = populate(state / "audit.jsonl")
    code, out, err = run(capsys, "verify")
    assert code == 0, err
    assert (
        out.splitlines()[0]
        == f"{state / 'audit.jsonl'}: chain intact: 4 records, head {log.head()}"
    )
    assert "hmac: not checked ($GOVTUI_AUDIT_KEY is not set)" in out
    path = state / "audit.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"for":"2h"', b'"for":"9d"')
    path.write_bytes(b"".join(lines))
    code, out, _ = run(capsys, "verify")
    assert code == 1
    assert "BROKEN at line 3 (seq 3): hash mismatch" in out


def test_verify_expect_head_and_json(state: Path, capsys: Any) -> None:
    log = populate(state / "audit.jsonl")
    anchor = log.head()
    code, out, _ = run(capsys, "verify", "--expect-head", anchor.upper(), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["records"] == 4 and data["head"] == anchor
    assert data["schema"] == "govtui.audit-verify/v1" and data["hmac_checked"] is False
    path = state / "audit.jsonl"
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:2]))
    code, out, _ = run(capsys, "verify", "--expect-head", anchor)
    assert code == 1 and "is not in the log" in out
    code, _, err = run(capsys, "verify", "--expect-head", "abc")
    assert code == 2 and "--expect-head must be 64 hex digits" in err


def test_verify_torn_line_warns_on_stderr(state: Path, capsys: Any) -> None:
    populate(state / "audit.jsonl")
    with (state / "audit.jsonl").open("ab") as handle:
        handle.write(b'{"action":"no')
    code, out, err = run(capsys, "verify")
    assert code == 0 and "chain intact: 4 records" in out
    assert "govtui: warning: line 5" in err and "torn final line" in err


def test_key_from_the_configured_env_var_and_never_printed(
    tmp_path: Path, state: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "conf" / "govtui.yaml"
    config.parent.mkdir()
    config.write_text("audit:\n  path: logs/audit.jsonl\n  hmac_key_env: TEAM_AUDIT_KEY\n", "utf-8")
    monkeypatch.setenv("TEAM_AUDIT_KEY", KEY)
    path = tmp_path / "conf" / "logs" / "audit.jsonl"
    populate(path, key=KEY)
    outputs = []
    for argv in (
        ("verify", "--config", str(config)),
        ("verify", "--config", str(config), "--format", "json"),
        ("head", "--config", str(config)),
        ("show", "--config", str(config)),
        ("show", "--config", str(config), "--format", "json"),
        ("export", "--config", str(config), "--format", "csv"),
        ("export", "--config", str(config), "--format", "json"),
    ):
        code, out, err = run(capsys, *argv)
        assert code == 0, (argv, err)
        outputs.append(out + err)
    assert "hmac: checked with the key in $TEAM_AUDIT_KEY" in outputs[0]
    monkeypatch.setenv("TEAM_AUDIT_KEY", "a wrong key")
    code, out, err = run(capsys, "verify", "--config", str(config))
    assert code == 1 and "hmac mismatch" in out
    outputs.append(out + err)
    for text in outputs:
        assert KEY not in text and "a wrong key" not in text
    assert KEY.encode() not in path.read_bytes()


def test_head(state: Path, capsys: Any) -> None:
    code, _, err = run(capsys, "head")
    assert code == 2 and "no audit log" in err
    (state).mkdir()
    (state / "audit.jsonl").write_bytes(b"")
    assert run(capsys, "head")[:2] == (0, GENESIS_HASH + "\n")
    log = populate(state / "audit.jsonl")
    assert run(capsys, "head")[:2] == (0, log.head() + "\n")


def test_show_table_and_filters(state: Path, capsys: Any) -> None:
    populate(state / "audit.jsonl")
    code, out, _ = run(capsys, "show")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "SEQ",
        "TIME",
        "ACTOR",
        "ACTION",
        "TARGET",
        "OUTCOME",
        "INCIDENT",
        "DETAILS",
    ]
    assert len(lines) == 5 and "ann@bastion" in lines[1] and "Zürich ✓" in lines[4]
    code, out, _ = run(capsys, "show", "--action", "silence", "--format", "json")
    assert [record["action"] for record in json.loads(out)] == ["silence.create"]
    code, out, _ = run(capsys, "show", "--incident", "INC-1", "--format", "json")
    assert [record["seq"] for record in json.loads(out)] == [1, 2]
    code, out, _ = run(capsys, "show", "--limit", "1", "--format", "json")
    assert [record["seq"] for record in json.loads(out)] == [4]
    code, out, _ = run(capsys, "show", "--since", "1h", "--format", "json")
    assert len(json.loads(out)) == 4
    code, out, _ = run(capsys, "show", "--since", "2999-01-01T00:00:00Z", "--format", "json")
    assert json.loads(out) == []
    code, _, err = run(capsys, "show", "--since", "yesterday")
    assert code == 2 and "--since" in err


def test_show_escapes_control_characters(state: Path, capsys: Any) -> None:
    AuditLog(state / "audit.jsonl").append(
        "note", "m\x1b[31mred", outcome="recorded", params={"text": "a\nb"}, actor=ACTOR
    )
    code, out, _ = run(capsys, "show")
    assert code == 0 and "\x1b" not in out and "\\x1b[31mred" in out
    assert len(out.splitlines()) == 2


def test_export_csv_is_atomic_flat_and_formula_safe(state: Path, capsys: Any) -> None:
    populate(state / "audit.jsonl")
    target = state.parent / "out" / "audit.csv"
    code, _, err = run(capsys, "export", "--format", "csv", "--output", str(target))
    assert code == 2 and "does not exist" in err
    target.parent.mkdir()
    code, out, err = run(capsys, "export", "--format", "csv", "--output", str(target))
    assert code == 0 and out == "", err
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8"))))
    assert [row["seq"] for row in rows] == ["1", "2", "3", "4"]
    assert json.loads(rows[0]["actor"]) == ACTOR
    assert rows[3]["target"] == "'@risky-model", "a cell starting with @ is not a formula"
    assert rows[1]["params"].startswith("{")
    assert json.loads(rows[1]["params"])["reason"].startswith("=HYPERLINK")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    assert rows[0]["incident"] == "INC-1" and rows[2]["incident"] == ""
    assert list(target.parent.iterdir()) == [target], "no temp file left behind"


def test_export_json(state: Path, capsys: Any) -> None:
    log = populate(state / "audit.jsonl")
    code, out, _ = run(capsys, "export", "--format", "json", "--action", "note")
    assert code == 0 and json.loads(out) == [log.records()[3]]
    code, _, err = run(capsys, "export")
    assert code == 2 and "--format" in err


def test_log_option_overrides_the_location(state: Path, tmp_path: Path, capsys: Any) -> None:
    other = tmp_path / "elsewhere.jsonl"
    log = populate(other)
    assert run(capsys, "head", "--log", str(other))[:2] == (0, log.head() + "\n")
    assert run(capsys, "--log", str(other), "verify")[0] == 0
