"""Parsing of durations (`5m`, `30d`) and instants (RFC 3339 or unix seconds) shared by every layer."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DURATION_RE = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> int:
    """Duration string in Prometheus style (`1h30m`, `7d`, `45s`) to whole seconds."""
    value = str(text).strip()
    match = _DURATION_RE.match(value)
    if not value or match is None or not any(match.groups()):
        raise ValueError(f"invalid duration {text!r} (expected e.g. 5m, 1h, 30d)")
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return weeks * 604800 + days * 86400 + hours * 3600 + minutes * 60 + seconds


def format_duration(seconds: float) -> str:
    """Seconds to the shortest Prometheus duration string (`90` -> `1m30s`)."""
    remaining = round(seconds)
    if remaining == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_instant(text: str | float | int) -> datetime:
    """RFC 3339 timestamp or unix seconds to an aware UTC datetime."""
    if isinstance(text, int | float):
        return datetime.fromtimestamp(float(text), tz=UTC)
    value = str(text).strip()
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"invalid time {text!r} (expected RFC 3339 like 2026-01-02T03:04:05Z or unix seconds)"
        ) from exc
    if parsed.tzinfo is None:
        raise ValueError(f"invalid time {text!r}: RFC 3339 needs a UTC offset or Z")
    return parsed.astimezone(UTC)


def format_instant(moment: datetime) -> str:
    """Aware datetime to RFC 3339 UTC with a Z suffix and whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(tz=UTC)
