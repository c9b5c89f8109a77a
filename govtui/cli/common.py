"""Helpers every command shares: one-line errors, `--at` parsing, config loading, atomic output."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from govtui.errors import UsageError
from govtui.timeutil import parse_instant, utc_now

if TYPE_CHECKING:
    from govtui.config import LoadedConfig


def one_line(message: str) -> str:
    """Collapse a message to a single line so every error stays `govtui: <message>`."""
    return " ".join(str(message).split())


def print_error(message: str) -> None:
    """Print `govtui: <message>` on stderr."""
    print(f"govtui: {one_line(message)}", file=sys.stderr)


def add_config(parser: argparse.ArgumentParser) -> None:
    """`--config` on a subcommand too, without clobbering the root option's value."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (else $GOVTUI_CONFIG, ./govtui.yaml, the XDG config dir)",
    )


def add_config_and_at(parser: argparse.ArgumentParser) -> None:
    """`--config` and `--at` on a subcommand too, without clobbering the root options' values."""
    add_config(parser)
    parser.add_argument(
        "--at",
        metavar="TIME",
        default=argparse.SUPPRESS,
        help="evaluation time, RFC 3339 (2026-01-15T12:00:00Z) or unix seconds; default now",
    )


def parse_at(value: str | None) -> datetime:
    """The `--at` value as an aware UTC datetime; now when absent."""
    if value is None or value == "":
        return utc_now()
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise UsageError(f"--at: {exc}") from None


def at_from_args(args: argparse.Namespace) -> datetime:
    """The evaluation time a command was asked for."""
    return parse_at(getattr(args, "at", None))


def config_path_from_args(args: argparse.Namespace) -> Path | None:
    """The explicit `--config` path, if any."""
    value = getattr(args, "config", None)
    return Path(value).expanduser() if value else None


def load_config_from_args(args: argparse.Namespace) -> LoadedConfig | None:
    """The config by discovery order (--config, $GOVTUI_CONFIG, ./govtui.yaml, XDG), or None."""
    from govtui.config import load_discovered

    return load_discovered(config_path_from_args(args))


def write_atomic(path: Path, text: str) -> None:
    """Write text to a file so readers see the old file or the whole new one, never a part."""
    from govtui.fsutil import atomic_replace, existing_mode

    target = path.expanduser()
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"{target}: cannot write: directory {directory} does not exist")
    umask = os.umask(0)
    os.umask(umask)
    try:
        with atomic_replace(target, mode=existing_mode(target, 0o666 & ~umask)) as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror or exc}") from None


def add_read_only(parser: argparse.ArgumentParser) -> None:
    """`--read-only` on an action subcommand too, without clobbering the root option's value."""
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=argparse.SUPPRESS,
        help="refuse the action (exit 3) without sending any mutating request",
    )


def loaded_or_demo(args: argparse.Namespace) -> LoadedConfig:
    """The discovered config, or the demo's (as the console uses) when there is none."""
    loaded = load_config_from_args(args)
    if loaded is not None:
        return loaded
    from govtui.demo.config import demo_config

    return demo_config()
