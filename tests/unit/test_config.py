"""Config loading as an operator meets it: line-numbered errors, discovery order, env overrides."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

import govtui
from govtui.cli.common import load_config_from_args
from govtui.cli.main import main
from govtui.config import CHECK_KEYS, discover_config, load_config, parse_config
from govtui.errors import ConfigError

REPO = Path(govtui.__file__).resolve().parents[1]
SAMPLES = REPO / "sample_configs"
# Registry files live next to the configs but are not configs.
NOT_CONFIGS = {"registry.yaml"}


def sample_config_files() -> list[Path]:
    files = sorted(path for path in SAMPLES.glob("*.yaml") if path.name not in NOT_CONFIGS)
    return [*files, REPO / "govtui" / "data" / "demo.yaml"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No GOVTUI_* variable or real XDG config of the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("GOVTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-empty"))
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def args_with(config: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(config=config)


def test_unknown_key_names_file_line_and_key_path(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", "ui:\n  theme: dark\n  colour: red\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:3: ui.colour: unknown key"
    assert caught.value.exit_code == 2


def test_unknown_key_inside_a_list_item(tmp_path: Path) -> None:
    text = (
        "slos:\n"
        "  - name: availability\n"
        "    kind: availability\n"
        "    objective: 0.999\n"
        "  - name: latency\n"
        "    kind: latency\n"
        "    objective: 0.99\n"
        "    threshold_seconds: 0.5\n"
        "    threshold_second: 0.25\n"
    )
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError, match=r":9: slos\[1\]\.threshold_second: unknown key$"):
        load_config(path)


def test_invalid_value_and_invalid_yaml_are_one_line(tmp_path: Path) -> None:
    bad_value = write(tmp_path / "value.yaml", "policy:\n  fail_on: sometimes\n")
    with pytest.raises(ConfigError, match=rf"^{bad_value}:2: policy\.fail_on: "):
        load_config(bad_value)
    bad_yaml = write(tmp_path / "yaml.yaml", "ui:\n  theme: [dark\n")
    with pytest.raises(ConfigError) as caught:
        load_config(bad_yaml)
    assert str(caught.value).startswith(f"{bad_yaml}:")
    assert "invalid YAML" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_config_validate_reports_each_file_and_exits_2_on_any_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "good.yaml", "ui:\n  theme: light\n")
    bad = write(tmp_path / "bad.yaml", "ui:\n  theme: dark\n  colour: red\n")
    assert main(["config", "validate", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == f"{good}: ok\n"
    assert captured.err == f"govtui: {bad}:3: ui.colour: unknown key\n"
    assert main(["config", "validate", str(good)]) == 0
    assert main(["config", "validate", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml:0: (file): not found" in capsys.readouterr().err


def test_config_validate_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate"]) == 2
    assert capsys.readouterr().err.startswith("govtui: config validate: ")


def test_broken_config_never_prints_a_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", "sources:\n  prometheus:\n    url: ftp://nope\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "govtui", "config", "validate", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"govtui: {bad}:3: sources.prometheus.url: ")


def test_discovery_order_flag_then_env_then_cwd_then_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg = write(tmp_path / "xdg" / "govtui" / "govtui.yaml", "ui:\n  theme: xdg\n")
    cwd = write(tmp_path / "work" / "govtui.yaml", "ui:\n  theme: cwd\n")
    from_env = write(tmp_path / "env.yaml", "ui:\n  theme: env\n")
    flag = write(tmp_path / "flag.yaml", "ui:\n  theme: flag\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("GOVTUI_CONFIG", str(from_env))

    def theme(config: str | None) -> str | None:
        loaded = load_config_from_args(args_with(config))
        return loaded.config.ui.theme if loaded is not None else None

    assert theme(str(flag)) == "flag"
    assert theme(None) == "env"
    monkeypatch.delenv("GOVTUI_CONFIG")
    assert discover_config() == cwd
    assert theme(None) == "cwd"
    cwd.unlink()
    assert theme(None) == "xdg"
    xdg.unlink()
    assert theme(None) is None


def test_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.yaml:0: \(file\): not found"):
        load_config_from_args(args_with(str(tmp_path / "nope.yaml")))


def test_env_overrides_nest_with_double_underscores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVTUI_UI__THEME", "light")
    monkeypatch.setenv("GOVTUI_POLICY__FAIL_ON", "warn")
    monkeypatch.setenv("GOVTUI_UI__REFRESH__SLO", "5s")
    config = parse_config("ui:\n  theme: dark\n", "cfg.yaml")
    assert config.ui.theme == "light"
    assert config.policy.fail_on == "warn"
    assert config.ui.refresh.slo == "5s"
    assert config.ui.refresh.drift == "60s"


def test_bad_env_override_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVTUI_POLICY__FAIL_ON", "sometimes")
    with pytest.raises(ConfigError, match=r"policy\.fail_on"):
        parse_config("{}", "cfg.yaml")


def test_plain_govtui_variables_are_not_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", "/somewhere")
    monkeypatch.setenv("GOVTUI_DEBUG", "1")
    assert parse_config("{}", "cfg.yaml").ui.theme == "dark"


def test_there_are_sample_configs_to_validate() -> None:
    names = {path.name for path in sample_config_files()}
    assert {"minimal.yaml", "full.yaml", "demo.yaml"} <= names


@pytest.mark.parametrize("path", sample_config_files(), ids=lambda path: path.name)
def test_every_sample_config_validates(path: Path) -> None:
    loaded = load_config(path)

    def assert_runbook_exists(runbook: str) -> None:
        # A runbook may live on a wiki (a URL) or beside the config (a Markdown file).
        if runbook.startswith(("https://", "http://")):
            return
        assert loaded.resolve(runbook).is_file(), f"{path}: runbook {runbook} missing"

    for key, runbook in loaded.config.runbooks.paths.items():
        assert key in CHECK_KEYS
        assert_runbook_exists(runbook)
    for mapping in loaded.config.runbooks.overrides.values():
        for runbook in mapping.values():
            assert_runbook_exists(runbook)
    signals_dir = loaded.config.sources.signals_dir
    if signals_dir is not None:
        assert loaded.resolve(signals_dir).is_dir(), f"{path}: {signals_dir} missing"


def test_every_sample_config_validates_through_the_cli(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(path) for path in sample_config_files()]
    assert main(["config", "validate", *files]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{name}: ok" for name in files]


def test_full_sample_sets_every_section() -> None:
    text = (SAMPLES / "full.yaml").read_text(encoding="utf-8")
    config = parse_config(text, "full.yaml")
    for section in type(config).model_fields:
        assert f"\n{section}:" in f"\n{text}", f"full.yaml lacks the {section} section"
    assert config.sources.prometheus is not None
    assert config.sources.alertmanager is not None
    assert config.models.overrides
    assert set(config.runbooks.paths) == set(CHECK_KEYS)


def test_a_bad_duration_names_the_value_and_the_expected_form() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("ui:\n  refresh:\n    slo: 5x\n", "cfg.yaml")
    assert str(caught.value) == (
        "cfg.yaml:3: ui.refresh.slo: invalid duration '5x' (expected e.g. 5m, 1h, 30d)"
    )
