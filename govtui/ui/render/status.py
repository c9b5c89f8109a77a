"""The status bar line: sources, operator, READ-ONLY, theme, clock or replay time (pure, Rich only)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text

from govtui.ui.render.model_text import Palette, fmt_age

if TYPE_CHECKING:
    from govtui.fleet.snapshot import FleetSnapshot, SourceState
    from govtui.ui.settings import ConsoleSettings

SEPARATOR = "  "


def source_label(state: SourceState, now: float, taken_at: float) -> str:
    """`prometheus live`, `registry stale 42s`, `demo down`, `demo paused`."""
    if state.state == "stale" and state.age_seconds is not None:
        age = state.age_seconds + max(0.0, now - taken_at)
        return f"{state.name} stale {fmt_age(age)}"
    return f"{state.name} {state.state}"


def _state_style(state: str, palette: Palette) -> str:
    return {
        "live": palette.ok,
        "stale": palette.warn,
        "down": palette.crit,
        "paused": palette.unknown,
    }.get(state, palette.unknown)


def clock_text(snapshot: FleetSnapshot | None, replay_at: float | None, now: float) -> str:
    """`REPLAY @ 2026-01-15T12:00:00Z` when replaying, else the UTC clock.

    The snapshot says what is shown; before the first one (or while a new time is on its way)
    the time the operator asked for does.
    """
    if replay_at is None:
        return datetime.fromtimestamp(now, tz=UTC).strftime("%H:%M:%SZ")
    shown = snapshot.evaluated_at if snapshot is not None and snapshot.replay else replay_at
    moment = datetime.fromtimestamp(shown, tz=UTC)
    return f"REPLAY @ {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def status_line(
    *,
    snapshot: FleetSnapshot | None,
    settings: ConsoleSettings | None,
    replay_at: float | None,
    theme: str,
    variables: Mapping[str, str],
    paused: bool,
    collector_error: str | None,
    now: float,
) -> Text:
    """The whole status bar as styled text (external names never parsed as markup)."""
    palette = Palette.from_theme(variables)
    text = Text(no_wrap=True, overflow="ellipsis")
    clock = clock_text(snapshot, replay_at, now)
    if clock.startswith("REPLAY"):
        text.append(clock, style=palette.accent)
        text.append(SEPARATOR)
    if settings is not None and settings.read_only:
        text.append("READ-ONLY", style=palette.warn)
        text.append(SEPARATOR)
    if paused:
        text.append("PAUSED", style=palette.warn)
        text.append(SEPARATOR)
    if collector_error is not None:
        text.append(f"collector down: {collector_error}", style=palette.crit)
        text.append(SEPARATOR)
    elif snapshot is None:
        text.append("collecting...", style=palette.unknown)
        text.append(SEPARATOR)
    else:
        for state in snapshot.sources:
            text.append(
                source_label(state, now, snapshot.taken_at),
                style=_state_style(state.state, palette),
            )
            text.append(SEPARATOR)
    if settings is not None:
        text.append(settings.operator, style=palette.muted)
        text.append(SEPARATOR)
    text.append(theme, style=palette.muted)
    if not clock.startswith("REPLAY"):
        text.append(SEPARATOR)
        text.append(clock)
    return text
