"""Themes: `themes/*.yaml` (shipped in the wheel as `govtui/themes`) turned into Textual themes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import fields
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from govtui.errors import ConfigError

DEFAULT_THEME = "dark"
NO_COLOR_THEME = "monochrome"
SHIPPED_THEMES = ("dark", "light", "high-contrast", "monochrome")

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_THEME_FIELDS = {item.name for item in fields(Theme)}

# Fallbacks for our own variables so any Textual theme (e.g. `:theme nord`) still renders.
VARIABLE_DEFAULTS: dict[str, str] = {
    "status-crit": "$error",
    "status-warn": "$warning",
    "status-ok": "$success",
    "status-unknown": "$secondary",
    "status-stale": "$accent",
    "status-crit-emphasis": "bold",
    "status-warn-emphasis": "bold",
    "text-dim": "$secondary",
    "plot-current": "$primary",
    "plot-reference": "$secondary",
    "plot-marker": "$accent",
}


def themes_dir() -> Traversable:
    """The packaged `govtui/themes` when installed from a wheel, else the repository's `themes/`."""
    packaged = resources.files("govtui").joinpath("themes")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes"


def parse_theme(text: str, label: str) -> Theme:
    """One theme YAML document as a Textual Theme, or ConfigError `FILE: field: problem`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{label}:{line}: invalid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping of theme fields")
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ConfigError(f"{label}: {unknown[0]}: unknown theme field")
    for required in ("name", "primary"):
        if not isinstance(data.get(required), str) or not data[required]:
            raise ConfigError(f"{label}: {required}: required text field is missing")
    for name in _COLOUR_FIELDS:
        if data.get(name) is not None:
            _check_colour(label, name, data[name])
    variables = data.get("variables", {}) or {}
    if not isinstance(variables, dict):
        raise ConfigError(f"{label}: variables: expected a mapping of name to value")
    for key, value in variables.items():
        if not isinstance(value, str):
            raise ConfigError(f"{label}: variables.{key}: expected a string")
        if value.startswith("#"):
            _check_colour(label, f"variables.{key}", value)
    arguments: dict[str, Any] = {**data, "variables": dict(variables)}
    try:
        return Theme(**arguments)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{label}: {exc}") from None


def _check_colour(label: str, field: str, value: object) -> None:
    try:
        Color.parse(str(value))
    except ColorParseError:
        raise ConfigError(f"{label}: {field}: invalid colour {value!r}") from None


def load_themes(directory: Traversable | None = None) -> dict[str, Theme]:
    """Every `*.yaml` theme in the themes directory, keyed by theme name."""
    root = directory if directory is not None else themes_dir()
    themes: dict[str, Theme] = {}
    entries = sorted((item for item in root.iterdir() if item.name.endswith(".yaml")), key=str)
    for entry in entries:
        theme = parse_theme(entry.read_text(encoding="utf-8"), f"themes/{entry.name}")
        themes[theme.name] = theme
    return themes


def load_theme_file(path: Path) -> Theme:
    """A theme from a YAML file the operator names with `--theme FILE.yaml`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read theme: {exc.strerror or exc}") from None
    return parse_theme(text, str(path))


def choose_theme(
    requested: str | None, configured: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """`--theme` beats `NO_COLOR` (monochrome), which beats the config's `ui.theme`."""
    env = os.environ if environ is None else environ
    if requested:
        return requested
    if env.get("NO_COLOR", "") != "":
        return NO_COLOR_THEME
    return configured or DEFAULT_THEME
