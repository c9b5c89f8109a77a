"""Silences through a real Alertmanager with `govtui silence`: create (capped at silence_max),
list, the model's alerts shown silenced, expire; read-only sends nothing; all of it audited."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from govtui.actions.audit import AuditLog, verify
from govtui.actions.silence import create_silence
from govtui.cli.main import main
from govtui.config import load_config
from govtui.errors import ReadOnlyRefused
from govtui.sources.alertmanager import SourceAlert, fetch_alerts
from govtui.timeutil import parse_instant

MODEL = "eta-estimator"  # latency breach: pages (test_alertmanager.py silences fraud-scorer)


def _model_alerts(loaded_path: Path) -> list[SourceAlert]:
    loaded = load_config(loaded_path)
    return [alert for alert in asyncio.run(fetch_alerts(loaded)) if alert.model == MODEL]


def test_silence_create_list_shown_silenced_expire(  # type: ignore[no-untyped-def]
    stack, wait_for, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    block = f"  prometheus:\n    url: {stack.url}\n"
    extra = f"  alertmanager:\n    url: {stack.alertmanager.url}\n"
    config = stack.config_file("silence.yaml", block, extra)
    base = ["--config", str(config)]

    arrived = wait_for(lambda: _model_alerts(config), timeout=90, what=f"{MODEL} alerts")
    assert not any(alert.silenced for alert in arrived)

    assert main([*base, "silence", MODEL, "--for", "30d", "--reason", "rolling back v4"]) == 0
    out = capsys.readouterr().out
    assert "for 7d (capped at actions.silence_max 7d)" in out
    silence_id = out.rsplit("silence id ", 1)[1].strip()

    assert main([*base, "silence", "--list", "--format", "json"]) == 0
    listed = {item["id"]: item for item in json.loads(capsys.readouterr().out)}
    mine = listed[silence_id]
    assert mine["state"] == "active" and mine["matchers"] == f'model="{MODEL}"'
    assert mine["comment"] == "rolling back v4" and "@" in mine["created_by"]
    span = parse_instant(mine["ends_at"]) - parse_instant(mine["starts_at"])
    assert abs(span.total_seconds() - 7 * 86400) < 5
    assert main([*base, "silence", "--list", MODEL]) == 0
    assert silence_id in capsys.readouterr().out

    silenced = wait_for(
        lambda: [a for a in _model_alerts(config) if silence_id in a.silenced_by],
        timeout=30,
        what="the alerts to show as silenced",
    )
    assert all(alert.state == "silenced" for alert in silenced)

    # Read-only, by flag or by the Alertmanager's own setting: exit 3, nothing created.
    # Every silence the server knows, expired ones too (other tests share this Alertmanager).
    assert main([*base, "silence", "--list", "--all", "--format", "json"]) == 0
    before = {item["id"] for item in json.loads(capsys.readouterr().out)}
    assert silence_id in before
    assert main([*base, "--read-only", "silence", MODEL, "--for", "1h", "--reason", "x"]) == 3
    assert main([*base, "silence", "--expire", silence_id, "--reason", "x", "--read-only"]) == 3
    ro_config = stack.config_file("silence-ro.yaml", block, extra + "    read_only: true\n")
    assert main(["--config", str(ro_config), "silence", MODEL, "--for", "1h", "--reason", "x"]) == 3
    assert "read-only mode: silence of eta-estimator refused" in capsys.readouterr().err
    assert main([*base, "silence", "--list", "--all", "--format", "json"]) == 0
    assert {item["id"] for item in json.loads(capsys.readouterr().out)} == before

    assert main([*base, "silence", "--expire", silence_id, "--reason", "recovered"]) == 0
    assert f"expired silence {silence_id}" in capsys.readouterr().out
    assert main([*base, "silence", "--list", "--format", "json"]) == 0
    assert silence_id not in {item["id"] for item in json.loads(capsys.readouterr().out)}
    wait_for(
        lambda: [a for a in _model_alerts(config) if not a.silenced],
        timeout=30,
        what="the silence to expire",
    )
    assert main([*base, "silence", "--expire", silence_id, "--reason", "again"]) == 2

    audit_file = tmp_path / "state" / "audit.jsonl"
    records = AuditLog(audit_file).records()
    assert [(r["action"], r["outcome"]) for r in records] == [
        ("silence.create", "intent"),
        ("silence.create", "done"),
        ("silence.create", "refused"),
        ("silence.expire", "refused"),
        ("silence.create", "refused"),
        ("silence.expire", "intent"),
        ("silence.expire", "done"),
    ]
    assert records[1]["params"]["silence_id"] == silence_id
    alerts = records[0]["params"]["evidence"]["alerts"]
    assert alerts and all(alert["state"] == "firing" for alert in alerts)
    assert records[1]["params"]["duration"] == "7d" and records[1]["params"]["capped_at"] == "7d"
    assert records[6]["target"] == MODEL and records[6]["params"]["reason"] == "recovered"
    assert verify(audit_file).ok


def test_read_only_sends_no_request_and_alertname_matcher(  # type: ignore[no-untyped-def]
    stack, tmp_path: Path
) -> None:
    block = f"  prometheus:\n    url: {stack.url}\n"
    extra = f"  alertmanager:\n    url: {stack.alertmanager.url}\n"
    loaded = load_config(stack.config_file("silence-fn.yaml", block, extra))
    audit = AuditLog(tmp_path / "audit.jsonl")
    sent: list[httpx.Request] = []

    class Recording(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return await self.inner.handle_async_request(request)

        async def aclose(self) -> None:
            await self.inner.aclose()

    with pytest.raises(ReadOnlyRefused):
        create_silence(
            loaded,
            model=MODEL,
            duration="1h",
            reason="x",
            audit=audit,
            read_only=True,
            transport=Recording(),
        )
    assert sent == []
    silence_id = create_silence(
        loaded,
        model=MODEL,
        duration="10m",
        reason="only the page",
        audit=audit,
        read_only=False,
        alertname="GovtuiSloBurnRatePage",
        incident="INC-20261128-1",
        transport=Recording(),
    )
    # Alert state (evidence), create, read back.
    assert [request.method for request in sent] == ["GET", "POST", "GET"]
    body = json.loads(sent[1].content)
    assert body["matchers"] == [
        {"name": "model", "value": MODEL, "isRegex": False, "isEqual": True},
        {"name": "alertname", "value": "GovtuiSloBurnRatePage", "isRegex": False, "isEqual": True},
    ]
    assert body["comment"] == "only the page"
    records = audit.records()
    assert [r["outcome"] for r in records] == ["refused", "intent", "done"]
    assert records[-1]["incident"] == "INC-20261128-1"
    assert records[-1]["params"]["silence_id"] == silence_id
    from govtui.actions.silence import expire_silence

    expired = expire_silence(
        loaded, silence_id=silence_id, reason="done", audit=audit, read_only=False
    )
    assert expired.state == "expired"
