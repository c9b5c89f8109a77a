"""`govtui silence`: silence a model's alerts in Alertmanager, expire a silence, list them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from govtui.cli.common import add_config_and_at, add_read_only, loaded_or_demo
from govtui.errors import EXIT_OK, UsageError

EPILOG = """\
A silence matches the model's alerts by the `model` label (and one alert with --alertname);
it is created in Alertmanager (API v2) with you as createdBy and the reason as its comment.
--for defaults to actions.silence_default and is capped at actions.silence_max.

exit codes: 0 done; 2 usage, config or Alertmanager error; 3 refused by read-only mode
(--read-only, ui.read_only or sources.alertmanager.read_only: no request is sent); 4 the
silence could not be made or read back.

examples:
  govtui silence fraud-scorer --for 2h --reason "rollback in progress, INC-20261128-1"
  govtui silence fraud-scorer --alertname GovtuiSloBurnRatePage --for 30m --reason "..."
  govtui silence --list
  govtui silence --expire 6f1c...e2 --reason "recovered"
"""


def register(subparsers: Any) -> None:
    """Add the `silence` subcommand."""
    parser = subparsers.add_parser(
        "silence",
        help="silence a model's alerts in Alertmanager (audited), expire or list silences",
        description="Create, expire or list Alertmanager silences for models.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_and_at(parser)
    add_read_only(parser)
    parser.add_argument("model", metavar="MODEL", nargs="?", help="the model to silence")
    parser.add_argument(
        "--for", dest="duration", metavar="DURATION", help="how long (e.g. 30m, 2h, 1d)"
    )
    parser.add_argument("--reason", metavar="TEXT", help="why (recorded and the silence comment)")
    parser.add_argument("--alertname", metavar="NAME", help="only this alert of the model")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--expire", metavar="ID", help="expire this silence now")
    mode.add_argument("--list", action="store_true", help="list silences (only MODEL's when given)")
    parser.add_argument("--all", action="store_true", help="with --list, include expired ones")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run_silence)


def run_silence(args: argparse.Namespace) -> int:
    """Dispatch to create, expire or list."""
    loaded = loaded_or_demo(args)
    if args.list:
        if args.duration or args.reason or args.alertname:
            raise UsageError("silence: --list takes no --for, --reason or --alertname")
        return _list(loaded, args)
    if args.all:
        raise UsageError("silence: --all only goes with --list")
    if args.reason is None:
        raise UsageError("silence: --reason TEXT is required")
    from govtui.actions.audit import AuditLog
    from govtui.actions.incidents import current_incident
    from govtui.config import state_dir

    state = state_dir()
    audit = AuditLog.from_config(loaded, state)
    active = current_incident(state)
    incident = active.id if active is not None else None
    read_only = bool(getattr(args, "read_only", False))
    if args.expire is not None:
        if args.model or args.duration or args.alertname:
            raise UsageError("silence: --expire ID takes no MODEL, --for or --alertname")
        from govtui.actions.silence import expire_silence

        found = expire_silence(
            loaded,
            silence_id=args.expire,
            reason=args.reason,
            audit=audit,
            read_only=read_only,
            incident=incident,
        )
        if args.format == "json":
            _json({"action": "expire", "id": found.id, "state": found.state})
        else:
            print(f"expired silence {found.id} ({_show(found.matcher_text)})")
        return EXIT_OK
    if not args.model:
        raise UsageError("silence: give MODEL (to silence), --expire ID or --list")
    from govtui.actions.silence import create_silence, silence_seconds
    from govtui.timeutil import format_duration

    seconds, capped = silence_seconds(loaded, args.duration)
    silence_id = create_silence(
        loaded,
        model=args.model,
        duration=args.duration,
        reason=args.reason,
        audit=audit,
        read_only=read_only,
        incident=incident,
        alertname=args.alertname,
    )
    what = f"{args.model}" + (f" alert {args.alertname}" if args.alertname else "")
    if args.format == "json":
        _json(
            {
                "action": "create",
                "id": silence_id,
                "model": args.model,
                "alertname": args.alertname,
                "duration": format_duration(seconds),
                "capped": capped,
            }
        )
    else:
        note = (
            f" (capped at actions.silence_max {loaded.config.actions.silence_max})"
            if capped
            else ""
        )
        print(
            f"silenced {_show(what)} for {format_duration(seconds)}{note}: silence id {silence_id}"
        )
    return EXIT_OK


def _list(loaded: Any, args: argparse.Namespace) -> int:
    from govtui.actions.silence import list_silences

    found = list_silences(loaded, model=args.model, include_expired=args.all)
    if args.format == "json":
        _json(
            [
                {
                    "id": item.id,
                    "state": item.state,
                    "matchers": item.matcher_text,
                    "starts_at": item.starts_at,
                    "ends_at": item.ends_at,
                    "created_by": item.created_by,
                    "comment": item.comment,
                }
                for item in found
            ]
        )
        return EXIT_OK
    if not found:
        print("no silences" + (f" for {_show(args.model)}" if args.model else ""))
        return EXIT_OK
    rows = [("ID", "STATE", "ENDS", "MATCHERS", "BY", "COMMENT")]
    rows += [
        (
            item.id,
            item.state,
            item.ends_at[:19].replace("T", " "),
            item.matcher_text,
            item.created_by,
            item.comment,
        )
        for item in found
    ]
    widths = [max(len(_show(row[i])) for row in rows) for i in range(5)]
    for row in rows:
        cells = [f"{_show(row[i]):<{widths[i]}}" for i in range(5)]
        print("  ".join([*cells, _show(row[5])]).rstrip())
    return EXIT_OK


def _show(text: object) -> str:
    value = str(text)
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
