"""Silences in Alertmanager (API v2): create and expire, each with intent and outcome records.

Read-only mode (the caller's flag or `sources.alertmanager.read_only`) refuses before any HTTP
request is sent. A silence is only reported made (or expired) once it is read back from
Alertmanager in that state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from govtui.actions.guard import ensure_writable
from govtui.errors import ActionFailed, GovtuiError, ReadOnlyRefused, UsageError
from govtui.sources.alertmanager import AlertmanagerClient, Matcher
from govtui.timeutil import format_duration, format_instant, parse_duration, utc_now

if TYPE_CHECKING:
    import httpx

    from govtui.actions.audit import AuditLog
    from govtui.config import AlertmanagerConfig, LoadedConfig

CREATE = "silence.create"
EXPIRE = "silence.expire"
LIVE_STATES = ("active", "pending")


@dataclass(frozen=True)
class SilenceInfo:
    """A silence as `govtui silence --list` shows it."""

    id: str
    state: str
    matchers: tuple[Matcher, ...]
    starts_at: str
    ends_at: str
    created_by: str
    comment: str

    @property
    def model(self) -> str | None:
        """The model an equality `model=` matcher names, if any."""
        for matcher in self.matchers:
            if matcher.name == "model" and matcher.is_equal and not matcher.is_regex:
                return matcher.value
        return None

    @property
    def matcher_text(self) -> str:
        """`model="x", alertname="y"` (Alertmanager's own notation)."""
        return ", ".join(matcher_text(item) for item in self.matchers)


def matcher_text(matcher: Matcher) -> str:
    """One matcher as `name="value"`, `name=~"re"`, `name!="v"` or `name!~"re"`."""
    operator = ("=" if matcher.is_equal else "!") + ("~" if matcher.is_regex else "")
    if operator == "!":
        operator = "!="
    value = matcher.value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{matcher.name}{operator}"{value}"'


def _matcher_dict(matcher: Matcher) -> dict[str, Any]:
    return {
        "name": matcher.name,
        "value": matcher.value,
        "isRegex": matcher.is_regex,
        "isEqual": matcher.is_equal,
    }


def silence_info(item: Mapping[str, Any]) -> SilenceInfo:
    """A silence from Alertmanager's JSON."""
    status = item.get("status")
    state = str(status.get("state", "")) if isinstance(status, dict) else ""
    matchers = tuple(
        Matcher(
            name=str(raw.get("name", "")),
            value=str(raw.get("value", "")),
            is_regex=bool(raw.get("isRegex", False)),
            is_equal=bool(raw.get("isEqual", True)),
        )
        for raw in item.get("matchers") or ()
        if isinstance(raw, dict)
    )
    return SilenceInfo(
        id=str(item.get("id", "")),
        state=state,
        matchers=matchers,
        starts_at=str(item.get("startsAt", "")),
        ends_at=str(item.get("endsAt", "")),
        created_by=str(item.get("createdBy", "")),
        comment=str(item.get("comment", "")),
    )


def _settings(loaded: LoadedConfig) -> AlertmanagerConfig:
    settings = loaded.config.sources.alertmanager
    if settings is None:
        where = str(loaded.path) if loaded.path is not None else "the config"
        raise UsageError(f"silence: {where} configures no Alertmanager (sources.alertmanager.url)")
    return settings


def _read_only(loaded: LoadedConfig, read_only: bool) -> bool:
    settings = loaded.config.sources.alertmanager
    return read_only or loaded.config.ui.read_only or (settings is not None and settings.read_only)


def silence_seconds(loaded: LoadedConfig, duration: str | None) -> tuple[int, bool]:
    """The silence length in seconds (default `actions.silence_default`) and whether it was
    capped at `actions.silence_max`."""
    actions = loaded.config.actions
    text = duration if duration is not None else actions.silence_default
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"silence: --for: {exc}") from None
    if seconds <= 0:
        raise UsageError(f"silence: --for {text!r}: must be longer than 0s")
    limit = parse_duration(actions.silence_max)
    if seconds > limit:
        return limit, True
    return seconds, False


def _actor_text(actor: Mapping[str, str]) -> str:
    from govtui.actions.rollback import actor_text

    return actor_text(actor)


def _who(actor: Mapping[str, str] | None) -> dict[str, str]:
    from govtui.actions.audit import actor_identity

    return dict(actor) if actor is not None else actor_identity()


async def _alert_state(client: AlertmanagerClient, model: str) -> list[dict[str, str]] | str:
    """The model's alerts before the silence (evidence for the record; never blocks it)."""
    try:
        alerts = await client.alerts()
    except GovtuiError as exc:
        return f"unavailable: {exc}"
    return [
        {"name": alert.name, "state": alert.state, "severity": alert.severity}
        for alert in alerts
        if alert.model == model
    ]


async def _find(client: AlertmanagerClient, silence_id: str) -> SilenceInfo | None:
    for item in await client.silences():
        info = silence_info(item)
        if info.id == silence_id:
            return info
    return None


async def acreate_silence(
    loaded: LoadedConfig,
    *,
    model: str,
    duration: str | None,
    reason: str,
    audit: AuditLog,
    read_only: bool,
    incident: str | None = None,
    matchers: Sequence[Matcher] | None = None,
    alertname: str | None = None,
    actor: Mapping[str, str] | None = None,
    evidence: Mapping[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """Silence a model's alerts (optionally one alertname) and return the silence id."""
    if not reason or not reason.strip():
        raise UsageError("silence: a reason is required (--reason TEXT)")
    if not model:
        raise UsageError("silence: a model name is required")
    who = _who(actor)
    chosen = [Matcher("model", model)]
    if alertname:
        chosen.append(Matcher("alertname", alertname))
    chosen.extend(matchers or ())
    params: dict[str, Any] = {
        "matchers": [_matcher_dict(item) for item in chosen],
        "reason": reason,
    }
    if evidence:
        params["evidence"] = dict(evidence)

    def record(outcome: str, **extra: Any) -> None:
        audit.append(
            CREATE,
            model,
            outcome=outcome,
            params={**params, **extra},
            incident=incident,
            actor=who,
        )

    try:
        ensure_writable(_read_only(loaded, read_only), f"silence of {model}")
    except ReadOnlyRefused as exc:
        record("refused", error=str(exc))
        raise
    settings = _settings(loaded)
    seconds, capped = silence_seconds(loaded, duration)
    starts = utc_now()
    ends = starts + timedelta(seconds=seconds)
    params.update(
        duration=format_duration(seconds),
        starts_at=format_instant(starts),
        ends_at=format_instant(ends),
    )
    if capped:
        params["capped_at"] = loaded.config.actions.silence_max
        params["requested"] = duration
    async with AlertmanagerClient(
        settings, base_dir=loaded.base_dir, transport=transport
    ) as client:
        captured = dict(params.get("evidence") or {})
        if "alerts" not in captured:
            captured["alerts"] = await _alert_state(client, model)
        params["evidence"] = captured
        record("intent")
        try:
            silence_id = await client.create_silence(
                chosen,
                starts_at=starts,
                ends_at=ends,
                created_by=_actor_text(who),
                comment=reason,
            )
        except GovtuiError as exc:
            record("failed", error=str(exc))
            raise ActionFailed(f"silence of {model} failed: {exc}") from None
        try:
            found = await _find(client, silence_id)
        except GovtuiError as exc:
            record("unconfirmed", silence_id=silence_id, error=f"cannot read it back: {exc}")
            raise ActionFailed(
                f"silence {silence_id} of {model} unconfirmed: cannot read it back: {exc}"
            ) from None
    if found is None or found.state not in LIVE_STATES:
        state = "missing" if found is None else found.state
        record("unconfirmed", silence_id=silence_id, error=f"read back as {state}")
        raise ActionFailed(f"silence {silence_id} of {model} unconfirmed: read back as {state}")
    record("done", silence_id=silence_id, state=found.state)
    return silence_id


async def aexpire_silence(
    loaded: LoadedConfig,
    *,
    silence_id: str,
    reason: str,
    audit: AuditLog,
    read_only: bool,
    incident: str | None = None,
    actor: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SilenceInfo:
    """Expire a silence by id; returns it as read back (state `expired`)."""
    if not reason or not reason.strip():
        raise UsageError("silence: a reason is required (--reason TEXT)")
    if not silence_id:
        raise UsageError("silence: --expire needs a silence id")
    who = _who(actor)
    params: dict[str, Any] = {"silence_id": silence_id, "reason": reason}
    target = f"silence:{silence_id}"

    def record(outcome: str, **extra: Any) -> None:
        audit.append(
            EXPIRE,
            target,
            outcome=outcome,
            params={**params, **extra},
            incident=incident,
            actor=who,
        )

    try:
        ensure_writable(_read_only(loaded, read_only), f"expiring silence {silence_id}")
    except ReadOnlyRefused as exc:
        record("refused", error=str(exc))
        raise
    settings = _settings(loaded)
    async with AlertmanagerClient(
        settings, base_dir=loaded.base_dir, transport=transport
    ) as client:
        existing = await _find(client, silence_id)
        if existing is None:
            raise UsageError(f"silence: no silence with id {silence_id!r} in Alertmanager")
        if existing.state == "expired":
            raise UsageError(f"silence: {silence_id} has already expired")
        target = existing.model or target
        params["matchers"] = [_matcher_dict(item) for item in existing.matchers]
        record("intent")
        try:
            await client.expire_silence(silence_id)
        except GovtuiError as exc:
            record("failed", error=str(exc))
            raise ActionFailed(f"expiring silence {silence_id} failed: {exc}") from None
        try:
            found = await _find(client, silence_id)
        except GovtuiError as exc:
            record("unconfirmed", error=f"cannot read it back: {exc}")
            raise ActionFailed(
                f"expiring silence {silence_id} unconfirmed: cannot read it back: {exc}"
            ) from None
    if found is None or found.state != "expired":
        state = "missing" if found is None else found.state
        record("unconfirmed", error=f"read back as {state}")
        raise ActionFailed(f"expiring silence {silence_id} unconfirmed: read back as {state}")
    record("done", state=found.state)
    return found


async def alist_silences(
    loaded: LoadedConfig,
    *,
    model: str | None = None,
    include_expired: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[SilenceInfo]:
    """Silences from Alertmanager, newest end first; only one model's when `model` is given."""
    settings = _settings(loaded)
    async with AlertmanagerClient(
        settings, base_dir=loaded.base_dir, transport=transport
    ) as client:
        found = [silence_info(item) for item in await client.silences()]
    chosen = [
        item
        for item in found
        if (include_expired or item.state != "expired") and (model is None or item.model == model)
    ]
    return sorted(chosen, key=lambda item: (item.ends_at, item.id), reverse=True)


def create_silence(
    loaded: LoadedConfig,
    *,
    model: str,
    duration: str | None,
    reason: str,
    audit: AuditLog,
    read_only: bool,
    incident: str | None = None,
    matchers: Sequence[Matcher] | None = None,
    alertname: str | None = None,
    actor: Mapping[str, str] | None = None,
    evidence: Mapping[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    """Blocking `acreate_silence` for the CLI."""
    return asyncio.run(
        acreate_silence(
            loaded,
            model=model,
            duration=duration,
            reason=reason,
            audit=audit,
            read_only=read_only,
            incident=incident,
            matchers=matchers,
            alertname=alertname,
            actor=actor,
            evidence=evidence,
            transport=transport,
        )
    )


def expire_silence(
    loaded: LoadedConfig,
    *,
    silence_id: str,
    reason: str,
    audit: AuditLog,
    read_only: bool,
    incident: str | None = None,
    actor: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SilenceInfo:
    """Blocking `aexpire_silence` for the CLI."""
    return asyncio.run(
        aexpire_silence(
            loaded,
            silence_id=silence_id,
            reason=reason,
            audit=audit,
            read_only=read_only,
            incident=incident,
            actor=actor,
            transport=transport,
        )
    )


def list_silences(
    loaded: LoadedConfig,
    *,
    model: str | None = None,
    include_expired: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[SilenceInfo]:
    """Blocking `alist_silences` for the CLI."""
    return asyncio.run(
        alist_silences(loaded, model=model, include_expired=include_expired, transport=transport)
    )
