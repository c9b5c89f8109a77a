"""`govtui incident`: start/end the active incident (later actions carry its id); report it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from govtui.cli.common import add_config_and_at, add_read_only, loaded_or_demo, write_atomic
from govtui.errors import EXIT_OK

EPILOG = """\
While an incident is active every action (rollback, silence, note) records its id; the
report is built from the audit log alone: a timeline with the evidence captured at each
action (failing checks, versions involved, alert state, outcome).

examples:
  govtui incident start "fraud-scorer error budget burn"
  govtui incident current
  govtui incident end --summary "rolled back to v3"
  govtui incident report INC-20261128-1 --format md --output INC-20261128-1.md
"""


def register(subparsers: Any) -> None:
    """Add the `incident` subcommand and its operations."""
    parser = subparsers.add_parser(
        "incident",
        help="start/end an incident that tags later actions; build its report",
        description="Incidents tag later actions with their id; the report is the audit trail.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    operations = parser.add_subparsers(dest="operation", metavar="OPERATION", required=True)
    start = operations.add_parser("start", help="start an incident")
    add_config_and_at(start)
    add_read_only(start)
    start.add_argument("title", metavar="TITLE", nargs="+", help="what is happening")
    start.set_defaults(func=run_start)
    end = operations.add_parser("end", help="end the active incident")
    add_config_and_at(end)
    add_read_only(end)
    end.add_argument("--summary", metavar="TEXT", default="", help="how it ended (recorded)")
    end.set_defaults(func=run_end)
    current = operations.add_parser("current", help="show the active incident")
    add_config_and_at(current)
    current.add_argument("--format", choices=("text", "json"), default="text")
    current.set_defaults(func=run_current)
    report = operations.add_parser("report", help="the incident's timeline from the audit log")
    add_config_and_at(report)
    report.add_argument("incident_id", metavar="ID", help="incident id, e.g. INC-20261128-1")
    report.add_argument("--format", choices=("md", "json"), default="md")
    report.add_argument("--output", metavar="FILE", help="write the report atomically to FILE")
    report.set_defaults(func=run_report)


def _read_only(args: argparse.Namespace, loaded: Any) -> bool:
    return bool(getattr(args, "read_only", False) or loaded.config.ui.read_only)


def run_start(args: argparse.Namespace) -> int:
    """Start an incident and print its id."""
    from govtui.actions.audit import AuditLog
    from govtui.actions.incidents import start_incident
    from govtui.config import state_dir

    loaded = loaded_or_demo(args)
    state = state_dir()
    title = " ".join(args.title)
    incident_id = start_incident(
        AuditLog.from_config(loaded, state), title, state, read_only=_read_only(args, loaded)
    )
    print(f"incident {incident_id} started; later actions carry its id")
    return EXIT_OK


def run_end(args: argparse.Namespace) -> int:
    """End the active incident."""
    from govtui.actions.audit import AuditLog
    from govtui.actions.incidents import end_incident
    from govtui.config import state_dir

    loaded = loaded_or_demo(args)
    state = state_dir()
    ended = end_incident(
        AuditLog.from_config(loaded, state),
        state,
        read_only=_read_only(args, loaded),
        summary=args.summary,
    )
    print(f"incident {ended.id} ended; report: govtui incident report {ended.id}")
    return EXIT_OK


def run_current(args: argparse.Namespace) -> int:
    """Print the active incident (or that there is none)."""
    from govtui.actions.incidents import current_incident
    from govtui.config import state_dir

    active = current_incident(state_dir())
    if args.format == "json":
        data = (
            None
            if active is None
            else {
                "id": active.id,
                "title": active.title,
                "started": active.started,
                "actor": active.actor,
            }
        )
        sys.stdout.write(json.dumps({"active": data}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if active is None:
        print("no incident is active")
    else:
        print(
            f"{active.id}  {_show(active.title)}  (started {active.started} by {_show(active.actor)})"
        )
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    """Build the incident's report from the audit log."""
    from govtui.actions.audit import AuditLog
    from govtui.actions.incidents import incident_report
    from govtui.config import state_dir

    loaded = loaded_or_demo(args)
    audit = AuditLog.from_config(loaded, state_dir())
    text = incident_report(audit.records(), args.incident_id, args.format)
    if args.output:
        write_atomic(Path(args.output), text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _show(text: object) -> str:
    value = str(text)
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")
