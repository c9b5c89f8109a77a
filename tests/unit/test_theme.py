"""Themes: YAML -> Textual themes, validation errors, choice (--theme, NO_COLOR, config), no raw hex."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.color import Color

from govtui.errors import ConfigError
from govtui.ui.theme import (
    SHIPPED_THEMES,
    VARIABLE_DEFAULTS,
    choose_theme,
    load_theme_file,
    load_themes,
    parse_theme,
    themes_dir,
)

REPO = Path(__file__).resolve().parents[2]
STATUS_VARIABLES = ("status-crit", "status-warn", "status-ok", "status-unknown", "status-stale")


def test_every_shipped_theme_loads_with_the_status_colours() -> None:
    themes = load_themes()
    assert set(SHIPPED_THEMES) <= set(themes)
    for name in SHIPPED_THEMES:
        theme = themes[name]
        for variable in STATUS_VARIABLES:
            Color.parse(theme.variables[variable])
        assert set(VARIABLE_DEFAULTS) <= set(theme.variables), f"{name} sets every variable"


def test_status_colours_are_distinct_except_in_monochrome() -> None:
    themes = load_themes()
    for name in ("dark", "light", "high-contrast"):
        colours = {themes[name].variables[variable] for variable in STATUS_VARIABLES[:3]}
        assert len(colours) == 3, name
    mono = themes["monochrome"]
    for variable in STATUS_VARIABLES:
        colour = Color.parse(mono.variables[variable])
        assert colour.r == colour.g == colour.b, f"monochrome {variable} is grey"
    assert "reverse" in mono.variables["status-crit-emphasis"], "crit must not rely on colour"


def test_light_theme_is_light() -> None:
    themes = load_themes()
    assert themes["light"].dark is False
    assert all(themes[name].dark for name in ("dark", "high-contrast", "monochrome"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\nprimary: '#12345'\n", "primary: invalid colour"),
        ("name: x\nprimary: red\nsparkle: true\n", "sparkle: unknown theme field"),
        ("primary: red\n", "name: required"),
        ("name: x\nprimary: red\nvariables: {status-crit: '#zzzzzz'}\n", "variables.status-crit"),
        ("- just\n- a list\n", "expected a mapping"),
        ("name: [unclosed\n", "invalid YAML"),
    ],
)
def test_bad_theme_files_name_the_field(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)) as caught:
        parse_theme(text, "themes/bad.yaml")
    assert str(caught.value).startswith("themes/bad.yaml")


def test_a_theme_file_can_be_named_directly(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nprimary: '#336699'\ndark: false\n", encoding="utf-8")
    assert load_theme_file(path).name == "mine"
    with pytest.raises(ConfigError, match="cannot read theme"):
        load_theme_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("requested", "configured", "environ", "chosen"),
    [
        (None, None, {}, "dark"),
        (None, "light", {}, "light"),
        (None, "light", {"NO_COLOR": "1"}, "monochrome"),
        (None, "light", {"NO_COLOR": ""}, "light"),
        ("high-contrast", "light", {"NO_COLOR": "1"}, "high-contrast"),
    ],
)
def test_theme_choice_order(
    requested: str | None, configured: str | None, environ: dict[str, str], chosen: str
) -> None:
    assert choose_theme(requested, configured, environ) == chosen


def test_development_checkout_reads_the_repository_themes() -> None:
    directory = themes_dir()
    names = {entry.name for entry in directory.iterdir()}
    assert {f"{name}.yaml" for name in SHIPPED_THEMES} <= names


def test_no_raw_hex_colours_in_the_ui_code() -> None:
    offenders = []
    for path in sorted((REPO / "govtui" / "ui").rglob("*")):
        if path.suffix not in {".py", ".tcss"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"#[0-9a-fA-F]{6}\b", line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == [], "colours must come from theme variables:\n" + "\n".join(offenders)
