"""The CLI skeleton: subcommand registration, root options, and the one-line error contract."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import govtui
from govtui.cli import main as cli_main
from govtui.cli.common import parse_at, write_atomic
from govtui.errors import ActionFailed, ConfigError, ReadOnlyRefused, UsageError

REPO = Path(govtui.__file__).resolve().parents[1]


def install_command(
    monkeypatch: pytest.MonkeyPatch, name: str, func: Any, *, extra: str | None = None
) -> None:
    """Register a throwaway command module `govtui.cli.<name>` whose command runs `func`."""
    module = types.ModuleType(f"govtui.cli.{name}")

    def register(subparsers: Any) -> None:
        parser = subparsers.add_parser(name)
        if extra:
            parser.add_argument(extra)
        parser.set_defaults(func=func)

    module.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, f"govtui.cli.{name}", module)
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", [*cli_main.COMMAND_MODULES, name])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"govtui {govtui.__version__}"


def test_help_lists_the_registered_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "check" in out and "config" in out


def test_unknown_command_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("govtui: argument COMMAND: invalid choice: 'no-such-command'")
    assert err.count("\n") == 1


def test_bad_option_of_a_subcommand_names_the_subcommand(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_main.main(["check", "--format", "yaml"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("govtui: check: argument --format: invalid choice: 'yaml'")
    assert err.count("\n") == 1


def test_missing_modules_are_skipped_but_broken_ones_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "govtui.cli.not_written_yet", None)
    assert cli_main._import_command("not_written_yet") is None

    def import_module(name: str) -> types.ModuleType:
        raise ModuleNotFoundError("No module named 'yaml2'", name="yaml2")

    monkeypatch.setattr(cli_main.importlib, "import_module", import_module)
    with pytest.raises(ModuleNotFoundError):
        cli_main._import_command("broken")


def test_no_subcommand_without_a_console_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "govtui.cli.console", None)
    assert cli_main.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("govtui: the console is not available")
    assert err.count("\n") == 1


def test_no_subcommand_runs_the_console_with_the_root_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[argparse.Namespace] = []
    console = types.ModuleType("govtui.cli.console")

    def run_console(args: argparse.Namespace) -> int:
        seen.append(args)
        return 0

    console.run_console = run_console  # type: ignore[attr-defined]
    console.register = lambda subparsers: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "govtui.cli.console", console)
    argv = ["--theme", "light", "--ascii", "--read-only", "--at", "1700000000"]
    assert cli_main.main(argv) == 0
    assert seen[0].theme == "light" and seen[0].ascii and seen[0].read_only
    assert seen[0].at == "1700000000"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("bad flag"), 2),
        (ConfigError("cfg.yaml:3: ui.colour: unknown key"), 2),
        (ReadOnlyRefused("read-only mode: rollback refused"), 3),
        (ActionFailed("alias move not confirmed"), 4),
    ],
)
def test_govtui_errors_print_one_line_and_return_their_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    code: int,
) -> None:
    def boom(args: argparse.Namespace) -> int:
        raise error

    install_command(monkeypatch, "boom", boom)
    assert cli_main.main(["boom"]) == code
    captured = capsys.readouterr()
    assert captured.err == f"govtui: {error}\n"


def test_multi_line_messages_are_folded_to_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(args: argparse.Namespace) -> int:
        raise UsageError("first line\nsecond line")

    install_command(monkeypatch, "boom", boom)
    assert cli_main.main(["boom"]) == 2
    assert capsys.readouterr().err == "govtui: first line second line\n"


def test_keyboard_interrupt_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    install_command(monkeypatch, "slow", interrupted)
    assert cli_main.main(["slow"]) == 130
    assert capsys.readouterr().err == "govtui: interrupted\n"


def test_unexpected_exception_is_one_line_exit_2_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    install_command(monkeypatch, "crash", crash)
    monkeypatch.delenv("GOVTUI_DEBUG", raising=False)
    assert cli_main.main(["crash"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("govtui: unexpected ZeroDivisionError: division by zero")
    assert err.count("\n") == 1
    monkeypatch.setenv("GOVTUI_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli_main.main(["crash"])


def test_subcommand_at_and_config_do_not_clobber_the_root_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = cli_main.build_parser()
    root_only = parser.parse_args(["--at", "100", "--config", "a.yaml", "check"])
    assert root_only.at == "100" and root_only.config == "a.yaml"
    sub_only = parser.parse_args(["check", "--at", "200", "--config", "b.yaml"])
    assert sub_only.at == "200" and sub_only.config == "b.yaml"
    neither = parser.parse_args(["check"])
    assert neither.at is None and neither.config is None


def test_parse_at_accepts_rfc3339_and_unix_seconds() -> None:
    assert parse_at("2026-01-15T12:00:00Z").timestamp() == 1768478400
    assert parse_at("1768478400").timestamp() == 1768478400
    assert parse_at("2026-01-15T13:00:00+01:00").timestamp() == 1768478400
    assert parse_at(None).tzinfo is not None
    with pytest.raises(UsageError, match=r"^--at: invalid time 'noon'"):
        parse_at("noon")
    with pytest.raises(UsageError, match="needs a UTC offset"):
        parse_at("2026-01-15T12:00:00")


def test_write_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "new contents\n")
    assert target.read_text(encoding="utf-8") == "new contents\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]


def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")

    def failing_replace(source: str, destination: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(UsageError, match=r"report.json: cannot write: No space left on device"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]


def test_write_atomic_into_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "report.json", "x")


def test_startup_imports_no_heavy_module() -> None:
    """Building the parser (every command registered) must not import textual, pandas or httpx."""
    code = (
        "import sys\n"
        "from govtui.cli.main import build_parser\n"
        "build_parser()\n"
        "heavy = sorted(name for name in ('pandas', 'textual', 'httpx', 'numpy') "
        "if name in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == ""


def test_closed_pipe_is_quiet(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    silenced: list[bool] = []

    def reader_went_away(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    install_command(monkeypatch, "piped", reader_went_away)
    monkeypatch.setattr(cli_main, "_silence_stdout", lambda: silenced.append(True))
    assert cli_main.main(["piped"]) == 141
    assert silenced == [True]
    assert capsys.readouterr().err == ""
