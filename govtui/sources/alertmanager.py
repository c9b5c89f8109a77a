"""Alerts per model: from Alertmanager's API v2 (so silences show), else Prometheus's rule manager.

Returns plain `SourceAlert`s; the fleet layer turns them into what the console shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote as url_quote

from govtui.config import AlertmanagerConfig, LoadedConfig
from govtui.errors import SourceError
from govtui.sources.http import HttpClient
from govtui.sources.prometheus import PrometheusClient
from govtui.timeutil import format_instant

SOURCE = "alertmanager"


@dataclass(frozen=True)
class SourceAlert:
    """One alert as a backend reports it, keyed to a model by its `model` label."""

    name: str
    model: str | None
    severity: str
    state: str
    silenced: bool = False
    inhibited: bool = False
    summary: str = ""
    starts_at: str = ""
    runbook: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    source: str = SOURCE
    fingerprint: str = ""
    silenced_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Matcher:
    """A silence matcher: label name, value, regex or not, equal or not."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True


def _text_map(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(key): str(value) for key, value in raw.items()}


def _labelled_alert(
    item: Mapping[str, Any], *, state: str, starts_at: Any, source: str
) -> SourceAlert:
    """An alert from what both backends carry alike: its labels and annotations."""
    labels = _text_map(item.get("labels"))
    annotations = _text_map(item.get("annotations"))
    return SourceAlert(
        name=labels.get("alertname", ""),
        model=labels.get("model") or None,
        severity=labels.get("severity", ""),
        state=state,
        summary=annotations.get("summary", annotations.get("description", "")),
        starts_at=str(starts_at or ""),
        runbook=labels.get("runbook", annotations.get("runbook_url", "")),
        labels=tuple(sorted(labels.items())),
        source=source,
    )


def _alert_from_alertmanager(item: Mapping[str, Any]) -> SourceAlert:
    status = item.get("status") if isinstance(item.get("status"), dict) else {}
    assert isinstance(status, dict)
    silenced_by = tuple(str(s) for s in status.get("silencedBy") or () if s)
    inhibited_by = tuple(str(s) for s in status.get("inhibitedBy") or () if s)
    state = str(status.get("state") or "active")
    silenced = bool(silenced_by)
    inhibited = bool(inhibited_by)
    shown_state = "silenced" if silenced else "inhibited" if inhibited else "firing"
    if state == "unprocessed":
        shown_state = "unprocessed"
    alert = _labelled_alert(item, state=shown_state, starts_at=item.get("startsAt"), source=SOURCE)
    return replace(
        alert,
        silenced=silenced,
        inhibited=inhibited,
        fingerprint=str(item.get("fingerprint") or ""),
        silenced_by=silenced_by,
    )


def _alert_from_prometheus(item: Mapping[str, Any]) -> SourceAlert:
    state = str(item.get("state") or "firing")
    return _labelled_alert(item, state=state, starts_at=item.get("activeAt"), source="prometheus")


class AlertmanagerClient(HttpClient[AlertmanagerConfig]):
    """Alerts (with their silenced/inhibited state) and silences over Alertmanager's API v2."""

    SOURCE = SOURCE

    async def alerts(self) -> list[SourceAlert]:
        """Every alert Alertmanager holds: active, silenced and inhibited."""
        params = {"active": "true", "silenced": "true", "inhibited": "true"}
        data = await self._http.request_json("GET", "/api/v2/alerts", params=params, what="alerts")
        if not isinstance(data, list):
            raise self._http.error("unexpected response shape on alerts: not a list")
        return [_alert_from_alertmanager(item) for item in data if isinstance(item, dict)]

    async def create_silence(
        self,
        matchers: Sequence[Matcher],
        *,
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        """Create a silence and return its id."""
        if not matchers:
            raise self._http.error("a silence needs at least one matcher")
        body = {
            "matchers": [
                {
                    "name": matcher.name,
                    "value": matcher.value,
                    "isRegex": matcher.is_regex,
                    "isEqual": matcher.is_equal,
                }
                for matcher in matchers
            ],
            "startsAt": format_instant(starts_at),
            "endsAt": format_instant(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        data = await self._http.request_json(
            "POST", "/api/v2/silences", json_body=body, what="create silence"
        )
        silence_id = data.get("silenceID") if isinstance(data, dict) else None
        if not silence_id:
            raise self._http.error("Alertmanager did not return a silence id")
        return str(silence_id)

    async def silences(self) -> list[dict[str, Any]]:
        """Every silence (active, pending, expired) as Alertmanager returns it."""
        data = await self._http.request_json("GET", "/api/v2/silences", what="silences")
        if not isinstance(data, list):
            raise self._http.error("unexpected response shape on silences: not a list")
        return [item for item in data if isinstance(item, dict)]

    async def expire_silence(self, silence_id: str) -> None:
        """Expire a silence now."""
        path = f"/api/v2/silence/{url_quote(silence_id, safe='')}"
        response = await self._http.request("DELETE", path, what="expire silence")
        if response.status >= 300:
            raise self._http.status_error(response, "expire silence")


async def prometheus_alerts(client: PrometheusClient) -> list[SourceAlert]:
    """Alerts from Prometheus's rule manager (no silences there: nothing shows as silenced)."""
    return [_alert_from_prometheus(item) for item in await client.alerts()]


async def fetch_alerts(
    loaded: LoadedConfig,
    *,
    alertmanager: AlertmanagerClient | None = None,
    prometheus: PrometheusClient | None = None,
) -> list[SourceAlert]:
    """Alerts from Alertmanager when configured, else from Prometheus; [] when neither is."""
    sources = loaded.config.sources
    if alertmanager is None and sources.alertmanager is not None:
        async with AlertmanagerClient(sources.alertmanager, base_dir=loaded.base_dir) as client:
            return await client.alerts()
    if alertmanager is not None:
        return await alertmanager.alerts()
    if prometheus is None and sources.prometheus is not None:
        async with PrometheusClient(sources.prometheus, base_dir=loaded.base_dir) as client:
            return await prometheus_alerts(client)
    if prometheus is not None:
        return await prometheus_alerts(prometheus)
    return []


def alerts_by_model(alerts: Iterable[SourceAlert]) -> dict[str, list[SourceAlert]]:
    """Alerts grouped by their `model` label; alerts without one are left out."""
    grouped: dict[str, list[SourceAlert]] = {}
    for alert in alerts:
        if alert.model:
            grouped.setdefault(alert.model, []).append(alert)
    return grouped


__all__ = [
    "AlertmanagerClient",
    "Matcher",
    "SourceAlert",
    "SourceError",
    "alerts_by_model",
    "fetch_alerts",
    "prometheus_alerts",
]
