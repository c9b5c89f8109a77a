"""`govtui config validate FILE...`: check config files the way govtui will load them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from govtui.cli.common import print_error
from govtui.errors import EXIT_OK, EXIT_USAGE, ConfigError


def register(subparsers: Any) -> None:
    """Add the `config` subcommand group."""
    parser = subparsers.add_parser("config", help="work with govtui config files")
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    validate = actions.add_parser(
        "validate",
        help="validate config files (exit 2 if any is invalid)",
        description="Validate each config file: prints `FILE: ok`, or the one-line error "
        "`FILE:LINE: key.path: problem`. Exit 0 when all are valid, else 2.",
    )
    validate.add_argument("files", metavar="FILE", nargs="+", help="config file to validate")
    validate.set_defaults(func=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    """Validate every file given, reporting each; exit 2 if any failed."""
    from govtui.config import load_config

    failed = False
    for name in args.files:
        try:
            load_config(Path(name))
        except ConfigError as exc:
            print_error(str(exc))
            failed = True
        else:
            print(f"{name}: ok", flush=True)
    return EXIT_USAGE if failed else EXIT_OK
