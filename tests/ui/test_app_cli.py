"""`govtui` and `govtui demo` up to the moment the console would take the terminal: which config,
which fleet, which settings, and one-line errors with exit code 2 for what cannot work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govtui.cli.main import main
from govtui.ui.app import GovtuiApp


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """Run the CLI in an empty directory; record the app instead of taking the terminal."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    apps: list[Any] = []

    def fake_run(self: GovtuiApp, *args: Any, **kwargs: Any) -> None:
        apps.append(self)
        self._return_code = 0

    monkeypatch.setattr(GovtuiApp, "run", fake_run)
    return apps


def test_bare_govtui_without_config_runs_the_demo_and_says_so(launched: list[Any]) -> None:
    assert main([]) == 0
    (app,) = launched
    assert app.settings.demo is True
    assert app.settings.context == "demo fleet (no config found)"
    assert app.settings.replay_at is None and app.theme == "dark"
    assert app.collector.exitcode == 0, "the Collector was started and stopped"


def test_bare_govtui_uses_the_config_it_finds(launched: list[Any], tmp_path: Path) -> None:
    (tmp_path / "govtui.yaml").write_text(
        "sources: {signals_dir: signals}\nui: {theme: light, read_only: true}\n", encoding="utf-8"
    )
    assert main(["--at", "2026-01-15T12:00:00Z"]) == 0
    (app,) = launched
    assert app.settings.demo is False
    assert app.settings.context.endswith("govtui.yaml")
    assert app.theme == "light" and app.read_only
    assert app.settings.replay_at == 1768478400.0


def test_demo_options_and_root_options_either_side(launched: list[Any]) -> None:
    assert main(["--ascii", "demo", "--models", "20", "--seed", "3", "--theme", "monochrome"]) == 0
    (app,) = launched
    assert app.ascii_mode and app.theme == "monochrome"
    assert app.settings.context == "demo fleet: 20 models, seed 3"
    assert app.settings.snapshot_cache is not None


def test_no_color_picks_monochrome(launched: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["demo"]) == 0
    assert launched[0].theme == "monochrome"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--theme", "plaid"], "unknown theme 'plaid'"),
        (["demo", "--models", "0"], "must be between 1 and 5000"),
        (["demo", "--at", "yesterday"], "--at: invalid time"),
        (["--config", "missing.yaml"], "missing.yaml:0: (file): not found"),
    ],
)
def test_errors_are_one_line_and_exit_2(
    launched: list[Any], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert launched == []


def test_a_bad_keymap_is_a_config_error(launched: list[Any], tmp_path: Path) -> None:
    (tmp_path / "govtui.yaml").write_text("ui: {keymap: {warp: w}}\n", encoding="utf-8")
    assert main([]) == 2
    assert launched == []
