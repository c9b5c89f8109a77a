"""Every key binding of the console in one place: an id (for `ui.keymap`) and a description each.

Dangerous bindings (actions that change the world: rollback, silence, ...) are registered
separately with `dangerous()`; in read-only mode they are removed from every screen (not shown,
not dispatched, and refused from command mode and the palette).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding

from govtui.errors import ConfigError

# Bindings the app holds, active on every screen. `:` and `/` are priority bindings: their
# actions run on the app's key queue and hold it until the prompt is focused, so keys typed or
# pasted right after them are not lost (inside a prompt they are plain characters).
APP_BINDINGS: list[Binding] = [
    Binding("colon", "command_mode", "Command", id="command", key_display=":", priority=True),
    Binding("question_mark", "help", "Help", id="help", key_display="?"),
    Binding("r", "refresh", "Refresh", id="refresh"),
    Binding("p", "toggle_pause", "Pause", id="pause"),
    Binding("y", "copy_view", "Copy view", id="copy"),
    Binding("q", "quit", "Quit", id="quit", show=False),
]

# Bindings of every govtui screen.
SCREEN_BINDINGS: list[Binding] = [
    Binding("escape", "back", "Back", id="back", key_display="esc"),
]

FLEET_BINDINGS: list[Binding] = [
    Binding("enter", "open_model", "Open", id="fleet.open", key_display="enter"),
    Binding("slash", "filter", "Filter", id="fleet.filter", key_display="/", priority=True),
    Binding("b", "runbook", "Runbook", id="runbook"),
    Binding("l", "lineage", "Lineage", id="fleet.lineage"),
    Binding("a", "alerts", "Alerts", id="fleet.alerts", show=False),
]

ALERTS_BINDINGS: list[Binding] = [
    Binding("b", "runbook", "Runbook", id="alerts.runbook"),
    Binding("enter", "open_model", "Open model", id="alerts.open", key_display="enter"),
]

_DANGEROUS_ACTIONS: set[str] = set()


def dangerous(binding: Binding) -> Binding:
    """Mark a binding's action as changing the world, so read-only mode removes it."""
    _DANGEROUS_ACTIONS.add(binding.action)
    return binding


# Actions that change the world (the Collector runs them; read-only mode removes these keys).
MODEL_ACTION_BINDINGS: list[Binding] = [
    dangerous(Binding("R", "rollback", "Roll back", id="model.rollback", key_display="R")),
    dangerous(Binding("n", "note", "Note", id="model.note", show=False)),
    dangerous(Binding("s", "silence", "Silence", id="model.silence", show=False)),
]

ALERTS_ACTION_BINDINGS: list[Binding] = [
    dangerous(Binding("s", "silence", "Silence", id="alerts.silence")),
]


def is_dangerous(action: str) -> bool:
    """Whether an action (name, without parameters or namespace) changes the world."""
    name = action.rsplit(".", 1)[-1].split("(", 1)[0]
    return name in _DANGEROUS_ACTIONS


def dangerous_actions() -> frozenset[str]:
    """Every action registered as dangerous."""
    return frozenset(_DANGEROUS_ACTIONS)


def binding_ids(groups: Iterable[Iterable[Binding]]) -> set[str]:
    """Ids of the given bindings."""
    return {binding.id for group in groups for binding in group if binding.id}


def validate_keymap(keymap: Mapping[str, str], known_ids: set[str]) -> dict[str, str]:
    """`ui.keymap` checked against the binding ids that exist (ConfigError names the bad one)."""
    unknown = sorted(set(keymap) - known_ids)
    if unknown:
        raise ConfigError(
            f"ui.keymap.{unknown[0]}: unknown binding id (one of {', '.join(sorted(known_ids))})"
        )
    for binding_id, keys in keymap.items():
        if not keys or not all(part.strip() for part in keys.split(",")):
            raise ConfigError(f"ui.keymap.{binding_id}: expected keys like 'ctrl+r' or 'f5,r'")
    return dict(keymap)
