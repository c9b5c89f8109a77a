"""Checks before the console starts, so a bad theme or keymap is a one-line error (exit 2)."""

from __future__ import annotations

import importlib
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode
from textual.theme import BUILTIN_THEMES

from govtui.errors import UsageError
from govtui.ui.bindings import validate_keymap
from govtui.ui.settings import ConsoleSettings
from govtui.ui.theme import load_theme_file, load_themes

# Modules whose widgets and screens carry bindings an operator may remap.
BINDING_MODULES = (
    "govtui.ui.app",
    "govtui.ui.screens.model",
    "govtui.ui.screens.lineage",
)


def theme_names() -> list[str]:
    """Shipped themes and Textual's own."""
    return sorted({*load_themes(), *BUILTIN_THEMES})


def check_theme(name: str) -> None:
    """A theme name that exists, or a readable theme YAML file."""
    if name.endswith((".yaml", ".yml")):
        load_theme_file(Path(name))
        return
    names = theme_names()
    if name not in names:
        raise UsageError(f"--theme: unknown theme {name!r} (one of {', '.join(names)})")


def known_binding_ids() -> set[str]:
    """Every binding id of every govtui widget and screen (what `ui.keymap` may name)."""
    for module in BINDING_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    ids: set[str] = set()
    pending: list[type[DOMNode]] = [DOMNode]
    while pending:
        node_class = pending.pop()
        pending.extend(node_class.__subclasses__())
        if not node_class.__module__.startswith("govtui."):
            continue
        for binding in getattr(node_class, "BINDINGS", []):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def check_settings(settings: ConsoleSettings) -> None:
    """Raise the operator-facing error for a theme or keymap that cannot work."""
    check_theme(settings.theme)
    if settings.keymap:
        validate_keymap(settings.keymap, known_binding_ids())
