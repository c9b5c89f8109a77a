"""The `govtui` entry point: root options, subcommand registration and the one-line error contract."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from govtui import __version__
from govtui.cli.common import print_error
from govtui.errors import EXIT_INTERRUPTED, EXIT_USAGE, GovtuiError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a closed pipe

# Each module exposes `register(subparsers)`; modules other engineers have not written yet are
# skipped, so the command list grows as they land.
COMMAND_MODULES = [
    "check",
    "config_cmd",
    "console",
    "rules",
    "simulate",
    "lineage",
    "versions",
    "rollback",
    "silence",
    "audit",
    "incident",
    "note",
]


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line on stderr and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("govtui").strip()
        where = f"{command}: " if command else ""
        self.exit(EXIT_USAGE, f"govtui: {where}{message} (see `{self.prog} --help`)\n")


def _import_command(name: str) -> ModuleType | None:
    """Import `govtui.cli.<name>`, or None when that module does not exist yet."""
    qualified = f"govtui.cli.{name}"
    try:
        return importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    """The root parser with every available subcommand registered."""
    parser = _Parser(
        prog="govtui",
        description="The on-call console for machine-learning models: SLOs, drift, fairness, "
        "quality, lineage and guarded rollback.",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="config file (else $GOVTUI_CONFIG, ./govtui.yaml, XDG)"
    )
    parser.add_argument(
        "--at", metavar="TIME", help="evaluate at this time (RFC 3339 or unix seconds)"
    )
    parser.add_argument("--theme", metavar="NAME", help="console theme")
    parser.add_argument("--ascii", action="store_true", help="draw no byte above 0x7F")
    parser.add_argument("--read-only", action="store_true", help="refuse every mutating action")
    parser.add_argument("--version", action="version", version=f"govtui {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        module = _import_command(name)
        if module is not None:
            module.register(subparsers)
    return parser


def _run_console(args: argparse.Namespace) -> int:
    """No subcommand: the interactive console, when it is installed in this build."""
    console = _import_command("console")
    if console is None or not hasattr(console, "run_console"):
        print_error("the console is not available in this build; try `govtui check --help`")
        return EXIT_USAGE
    result: int = console.run_console(args)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Run govtui; returns the process exit code (the design's table)."""
    try:
        parser = build_parser()
        args = parser.parse_args(list(argv) if argv is not None else None)
        func = getattr(args, "func", None)
        if func is None:
            return _run_console(args)
        result: int = func(args)
        return result
    except GovtuiError as exc:
        print_error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print_error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`govtui check | head`): no traceback, the shell's SIGPIPE code.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except SystemExit as exc:
        return _exit_code(exc.code)
    except Exception as exc:
        if os.environ.get("GOVTUI_DEBUG") == "1":
            raise
        print_error(f"unexpected {type(exc).__name__}: {exc} (set GOVTUI_DEBUG=1 for a traceback)")
        return EXIT_USAGE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _exit_code(code: object) -> int:
    """argparse exits with 0 for --help/--version and 2 for usage errors."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
