"""Silence actions against a scripted Alertmanager: failures are exit 4 with intent + failed (or
unconfirmed) records, never reported as made; bad input is a usage error with no record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from govtui.actions.audit import AuditLog
from govtui.actions.silence import create_silence, expire_silence, silence_seconds
from govtui.config import Config, LoadedConfig, parse_config
from govtui.errors import ActionFailed, UsageError

ACTOR = {"user": "alice", "host": "bastion-1"}


def _loaded(extra: str = "") -> LoadedConfig:
    text = "sources:\n  alertmanager:\n    url: http://am.invalid:9093\n    retries: 0\n" + extra
    return LoadedConfig(config=parse_config(text))


def _silence(silence_id: str, state: str) -> dict[str, Any]:
    return {
        "id": silence_id,
        "status": {"state": state},
        "matchers": [{"name": "model", "value": "fraud", "isRegex": False, "isEqual": True}],
        "startsAt": "2026-11-28T10:00:00Z",
        "endsAt": "2026-11-28T12:00:00Z",
        "createdBy": "alice@bastion-1",
        "comment": "c",
    }


def _scripted(
    *, create: int = 200, listed: list[dict[str, Any]] | None = None, delete: int = 200
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            if create != 200:
                return httpx.Response(create, text="boom")
            return httpx.Response(200, json={"silenceID": "s-1"})
        if request.method == "DELETE":
            return httpx.Response(delete, text="" if delete == 200 else "nope")
        return httpx.Response(200, json=listed or [])

    return httpx.MockTransport(handle)


def _create(audit: AuditLog, transport: httpx.MockTransport, **extra: Any) -> str:
    return create_silence(
        _loaded(),
        model="fraud",
        duration="2h",
        reason="r",
        audit=audit,
        read_only=False,
        actor=ACTOR,
        transport=transport,
        **extra,
    )


def test_create_reads_back_before_reporting_done(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    assert _create(audit, _scripted(listed=[_silence("s-1", "active")])) == "s-1"
    assert [r["outcome"] for r in audit.records()] == ["intent", "done"]


def test_create_failure_is_exit_4_with_intent_and_failed(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(
        ActionFailed, match="silence of fraud failed: alertmanager: HTTP 500"
    ) as err:
        _create(audit, _scripted(create=500))
    assert err.value.exit_code == 4
    assert [r["outcome"] for r in audit.records()] == ["intent", "failed"]


@pytest.mark.parametrize("listed", [[], [_silence("s-1", "expired")]])
def test_create_not_read_back_is_unconfirmed(tmp_path: Path, listed: list[dict[str, Any]]) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(ActionFailed, match="unconfirmed: read back as"):
        _create(audit, _scripted(listed=listed))
    assert [r["outcome"] for r in audit.records()] == ["intent", "unconfirmed"]


def test_expire_failure_and_unknown_id(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    transport = _scripted(listed=[_silence("s-1", "active")], delete=500)
    with pytest.raises(ActionFailed, match="expiring silence s-1 failed"):
        expire_silence(
            _loaded(),
            silence_id="s-1",
            reason="r",
            audit=audit,
            read_only=False,
            actor=ACTOR,
            transport=transport,
        )
    records = audit.records()
    assert [r["outcome"] for r in records] == ["intent", "failed"]
    assert records[0]["target"] == "fraud"
    with pytest.raises(UsageError, match="no silence with id 's-2'"):
        expire_silence(
            _loaded(),
            silence_id="s-2",
            reason="r",
            audit=audit,
            read_only=False,
            actor=ACTOR,
            transport=transport,
        )
    assert len(audit.records()) == 2


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (None, (7200, False)),
        ("90m", (5400, False)),
        ("7d", (604800, False)),
        ("8d", (604800, True)),
    ],
)
def test_duration_default_and_cap(duration: str | None, expected: tuple[int, bool]) -> None:
    assert silence_seconds(_loaded(), duration) == expected


@pytest.mark.parametrize("duration", ["0s", "soon", "-1h"])
def test_bad_duration_is_a_usage_error_without_record(tmp_path: Path, duration: str) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(UsageError, match="--for"):
        create_silence(
            _loaded(),
            model="fraud",
            duration=duration,
            reason="r",
            audit=audit,
            read_only=False,
            actor=ACTOR,
            transport=_scripted(),
        )
    assert audit.records() == []


def test_no_alertmanager_configured(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    with pytest.raises(
        UsageError, match=r"configures no Alertmanager \(sources.alertmanager.url\)"
    ):
        create_silence(
            LoadedConfig(config=Config()),
            model="fraud",
            duration="1h",
            reason="r",
            audit=audit,
            read_only=False,
            actor=ACTOR,
        )


def test_silence_cli_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from govtui.cli.main import main

    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["silence", "fraud", "--for", "1h"]) == 2  # no --reason
    assert main(["silence", "--reason", "r"]) == 2  # no model
    assert main(["silence", "fraud", "--reason", "r"]) == 2  # no Alertmanager configured
    assert main(["silence", "--list", "--for", "1h"]) == 2
    assert not (tmp_path / "audit.jsonl").exists()  # nothing was attempted
