"""`govtui note`: annotate a model (the note is an audit record), or list a model's notes."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from govtui.cli.common import add_config_and_at, add_read_only, loaded_or_demo
from govtui.errors import EXIT_OK, UsageError

EPILOG = """\
Notes live in the audit log (action `note`), attributed and tamper-evident; the console shows
them on the model's screen and as a marker in the fleet. An active incident tags the note.

examples:
  govtui note fraud-scorer "v4 rolled back; waiting on feature-store fix"
  govtui note fraud-scorer --list
"""


def register(subparsers: Any) -> None:
    """Add the `note` subcommand."""
    parser = subparsers.add_parser(
        "note",
        help="annotate a model (audited) or list its notes",
        description="Add a note to a model, recorded in the audit log.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_and_at(parser)
    add_read_only(parser)
    parser.add_argument("model", metavar="MODEL", help="the model")
    parser.add_argument("text", metavar="TEXT", nargs="*", help="the note (words are joined)")
    parser.add_argument("--list", action="store_true", help="list the model's notes instead")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run_note)


def run_note(args: argparse.Namespace) -> int:
    """Record the note (or list notes) and print what was recorded."""
    from govtui.actions.audit import AuditLog
    from govtui.actions.incidents import current_incident
    from govtui.actions.notes import add_note, notes_by_model
    from govtui.config import state_dir

    loaded = loaded_or_demo(args)
    state = state_dir()
    audit = AuditLog.from_config(loaded, state)
    if args.list:
        if args.text:
            raise UsageError("note: --list takes no TEXT")
        notes = notes_by_model(audit.records()).get(args.model, [])
        if args.format == "json":
            data = [
                {"time": n.time, "actor": n.actor, "text": n.text, "incident": n.incident}
                for n in notes
            ]
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        if not notes:
            print(f"no notes on {_show(args.model)}")
        for note in notes:
            tag = f" [{note.incident}]" if note.incident else ""
            print(
                f"{note.time[:19].replace('T', ' ')}Z  {_show(note.actor)}{tag}  {_show(note.text)}"
            )
        return EXIT_OK
    text = " ".join(args.text)
    if not text.strip():
        raise UsageError("note: give the note TEXT (or --list)")
    active = current_incident(state)
    read_only = bool(getattr(args, "read_only", False) or loaded.config.ui.read_only)
    record = add_note(
        audit,
        args.model,
        text,
        incident=active.id if active is not None else None,
        read_only=read_only,
    )
    if args.format == "json":
        shown = {"seq": record.get("seq"), "model": args.model, "text": record["params"]["text"]}
        sys.stdout.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
    else:
        tag = f" (incident {active.id})" if active is not None else ""
        print(f"noted on {_show(args.model)}{tag}: audit seq {record.get('seq')}")
    return EXIT_OK


def _show(text: object) -> str:
    value = str(text)
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")
