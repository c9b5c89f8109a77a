"""Alerts through a real Alertmanager: firing alerts arrive per model, a silence shows as silenced."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from govtui.config import AlertmanagerConfig, PrometheusConfig, load_config
from govtui.sources.alertmanager import (
    AlertmanagerClient,
    Matcher,
    SourceAlert,
    alerts_by_model,
    fetch_alerts,
    prometheus_alerts,
)
from govtui.sources.prometheus import PrometheusClient
from govtui.timeutil import utc_now


def _page(alerts: list[SourceAlert]) -> list[SourceAlert]:
    return [
        alert
        for alert in alerts
        if alert.name == "GovtuiSloBurnRatePage" and alert.model == "fraud-scorer"
    ]


def test_silenced_alert_shows_as_silenced(stack, wait_for) -> None:  # type: ignore[no-untyped-def]
    config = AlertmanagerConfig(url=stack.alertmanager.url)

    async def current() -> list[SourceAlert]:
        async with AlertmanagerClient(config) as client:
            return await client.alerts()

    arrived = wait_for(lambda: _page(asyncio.run(current())), timeout=90, what="page alert")
    assert not arrived[0].silenced and arrived[0].state == "firing"
    assert arrived[0].severity == "page" and arrived[0].runbook == "slo_page"

    async def silence() -> str:
        async with AlertmanagerClient(config) as client:
            now = utc_now()
            return await client.create_silence(
                [Matcher("alertname", "GovtuiSloBurnRatePage"), Matcher("model", "fraud-scorer")],
                starts_at=now,
                ends_at=now + timedelta(hours=1),
                created_by="govtui-tests",
                comment="integration test",
            )

    silence_id = asyncio.run(silence())
    silenced = wait_for(
        lambda: [a for a in _page(asyncio.run(current())) if a.silenced],
        timeout=30,
        what="the alert to show as silenced",
    )
    assert silenced[0].state == "silenced" and silence_id in silenced[0].silenced_by

    # Through the config: Alertmanager wins over Prometheus when both are configured.
    block = f"  prometheus:\n    url: {stack.url}\n"
    extra = f"  alertmanager:\n    url: {stack.alertmanager.url}\n"
    loaded = load_config(stack.config_file("alerts.yaml", block, extra))
    by_model = alerts_by_model(asyncio.run(fetch_alerts(loaded)))
    assert any(a.silenced for a in by_model["fraud-scorer"])

    async def expire() -> None:
        async with AlertmanagerClient(config) as client:
            await client.expire_silence(silence_id)

    asyncio.run(expire())
    wait_for(
        lambda: [a for a in _page(asyncio.run(current())) if not a.silenced],
        timeout=30,
        what="the silence to expire",
    )


def test_prometheus_alerts_without_alertmanager(stack, wait_for) -> None:  # type: ignore[no-untyped-def]
    async def current() -> list[SourceAlert]:
        async with PrometheusClient(PrometheusConfig(url=stack.url)) as client:
            return await prometheus_alerts(client)

    alerts = wait_for(lambda: _page(asyncio.run(current())), timeout=60, what="page alert")
    assert alerts[0].source == "prometheus" and not alerts[0].silenced
    loaded = load_config(
        stack.config_file("prom-alerts.yaml", f"  prometheus:\n    url: {stack.url}\n")
    )
    by_model = alerts_by_model(asyncio.run(fetch_alerts(loaded)))
    assert by_model["fraud-scorer"][0].source == "prometheus"
