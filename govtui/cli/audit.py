"""`govtui audit`: verify, anchor, show and export the tamper-evident action log."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtui.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError, UsageError

if TYPE_CHECKING:
    from govtui.actions.audit import VerifyResult

VERIFY_SCHEMA = "govtui.audit-verify/v1"
EXPORT_COLUMNS = (
    "seq",
    "time",
    "actor",
    "action",
    "target",
    "outcome",
    "incident",
    "params",
    "prev_hash",
    "hash",
    "hmac",
)
SHOW_COLUMNS = ("SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "INCIDENT", "DETAILS")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EPILOG = """\
The log is `audit.path` from the config (relative to the config file), else audit.jsonl in the
state dir ($GOVTUI_STATE_DIR or the XDG state dir); --log FILE reads another file. With the HMAC
key in the env var `audit.hmac_key_env` names (default GOVTUI_AUDIT_KEY), verify also checks
every record's hmac, which detects a chain recomputed without the key.

exit codes (verify): 0 intact, 1 broken (first bad line, seq and why), 2 missing or unreadable.

examples:
  govtui audit verify --expect-head "$(cat /secure/anchor)"
  govtui audit head > /secure/anchor
  govtui audit show --since 2h --action rollback
  govtui audit export --format csv --output audit.csv
"""


def register(subparsers: Any) -> None:
    """Add the `audit` subcommand group."""
    parser = subparsers.add_parser(
        "audit",
        help="verify, anchor, show and export the audit log of actions",
        description="Every action govtui takes is a hash-chained, fsynced record in the audit "
        "log (optionally HMAC-signed). Verify the chain, print its head for anchoring "
        "elsewhere, list records, or export them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_location(parser)
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)

    verify = actions.add_parser(
        "verify",
        help="check the hash chain (exit 0 intact, 1 broken, 2 missing/unreadable)",
        description="Check every record: it parses, seq runs from 1 without gaps, prev_hash "
        "chains, the hash matches, and (with the key) the hmac matches. A torn final line is a "
        "warning. Prints the first bad line, its seq and why.",
    )
    _add_location(verify)
    verify.add_argument(
        "--expect-head",
        metavar="HASH",
        help="a head printed earlier by `govtui audit head`; broken when it is not in the log "
        "(detects truncation and rewrites)",
    )
    verify.add_argument(
        "--thorough",
        action="store_true",
        help="also re-serialise every record and check it is in canonical form (slower)",
    )
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.set_defaults(func=run_verify)

    head = actions.add_parser(
        "head",
        help="print the newest record's hash, to anchor elsewhere",
        description="Print the newest record's hash (64 zeros for an empty log). Store it "
        "somewhere the log's writers cannot change, and pass it to `verify --expect-head`.",
    )
    _add_location(head)
    head.set_defaults(func=run_head)

    show = actions.add_parser(
        "show",
        help="list records (newest last)",
        description="List records, oldest first; torn or unparsable lines are skipped "
        "(`govtui audit verify` reports them).",
    )
    _add_location(show)
    _add_filters(show)
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.set_defaults(func=run_show)

    export = actions.add_parser(
        "export",
        help="export records as JSON or CSV",
        description="Export records as a JSON array or as CSV (actor and params as JSON text; "
        "cells that a spreadsheet would run as a formula are prefixed with a quote).",
    )
    _add_location(export)
    _add_filters(export)
    export.add_argument("--format", choices=("json", "csv"), required=True)
    export.add_argument("--output", metavar="FILE", help="write atomically to FILE (else stdout)")
    export.set_defaults(func=run_export)


def _add_location(parser: argparse.ArgumentParser) -> None:
    from govtui.cli.common import add_config

    add_config(parser)
    parser.add_argument(
        "--log",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="the audit log to read (default: audit.path from the config, else the state dir)",
    )


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        metavar="TIME",
        help="records at or after TIME: RFC 3339, unix seconds, or a duration ago (2h, 7d)",
    )
    parser.add_argument(
        "--action",
        metavar="ACTION",
        help="only this action (`silence` also matches silence.create and silence.expire)",
    )
    parser.add_argument("--incident", metavar="ID", help="only records tagged with this incident")
    parser.add_argument("--limit", metavar="N", type=int, help="only the newest N matches")


# ------------------------------------------------------------------ location and key


def _location(args: argparse.Namespace) -> tuple[Path, str]:
    """The log to read and the name of the env var holding the HMAC key."""
    from govtui.actions.audit import DEFAULT_KEY_ENV, audit_path
    from govtui.cli.common import load_config_from_args

    explicit = getattr(args, "log", None)
    loaded = load_config_from_args(args)
    key_env = loaded.config.audit.hmac_key_env if loaded is not None else DEFAULT_KEY_ENV
    if explicit:
        return Path(explicit).expanduser(), key_env
    return audit_path(loaded), key_env


def _require_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no audit log here (no action has been recorded)")


# ------------------------------------------------------------------ verify / head


def run_verify(args: argparse.Namespace) -> int:
    """Verify the chain; 0 intact, 1 broken, 2 missing or unreadable (InputError)."""
    from govtui.actions.audit import hmac_key_from_env, verify

    path, key_env = _location(args)
    expect_head = _expect_head(args.expect_head)
    key = hmac_key_from_env(key_env)
    result = verify(path, hmac_key=key, expect_head=expect_head, thorough=args.thorough)
    if args.format == "json":
        print(json.dumps(_verify_json(path, result, key is not None, key_env), indent=2))
    else:
        for line in _verify_text(path, result, key is not None, key_env):
            print(line)
        for warning in result.warnings:
            print(f"govtui: warning: {warning}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_CHECK_FAILED


def _expect_head(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if len(text) != 64 or any(char not in "0123456789abcdef" for char in text):
        raise UsageError("audit verify: --expect-head must be 64 hex digits (`govtui audit head`)")
    return text


def _verify_text(path: Path, result: VerifyResult, keyed: bool, key_env: str) -> list[str]:
    from govtui.cli.plain import plain

    lines = [f"{plain(path)}: {result.summary(full_head=True)}"]
    lines.append(
        f"hmac: checked with the key in ${key_env}"
        if keyed
        else f"hmac: not checked (${key_env} is not set)"
    )
    return lines


def _verify_json(path: Path, result: VerifyResult, keyed: bool, key_env: str) -> dict[str, Any]:
    return {
        "schema": VERIFY_SCHEMA,
        "path": str(path),
        "ok": result.ok,
        "records": result.records,
        "head": result.head,
        "first_bad_line": result.first_bad_line,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
        "warnings": list(result.warnings),
        "hmac_checked": keyed,
        "hmac_key_env": key_env,
    }


def run_head(args: argparse.Namespace) -> int:
    """Print the newest record's hash."""
    from govtui.actions.audit import AuditLog

    path, _ = _location(args)
    _require_file(path)
    print(AuditLog(path).head())
    return EXIT_OK


# ------------------------------------------------------------------ show / export


def _selected(args: argparse.Namespace, path: Path) -> list[dict[str, Any]]:
    """Records matching the filters, oldest first."""
    from govtui.actions.audit import TIME_FORMAT, AuditLog

    since_text = _since(args.since).strftime(TIME_FORMAT) if args.since else None
    if args.limit is not None and args.limit < 0:
        raise UsageError("audit: --limit must be 0 or more")
    _require_file(path)
    selected = []
    for record in AuditLog(path).records():
        if since_text is not None and str(record.get("time", "")) < since_text:
            continue
        action = str(record.get("action", ""))
        if args.action and action != args.action and not action.startswith(f"{args.action}."):
            continue
        if args.incident and record.get("incident") != args.incident:
            continue
        selected.append(record)
    if args.limit is not None:
        selected = selected[-args.limit :] if args.limit else []
    return selected


def _since(value: str) -> Any:
    from datetime import timedelta

    from govtui.timeutil import parse_duration, parse_instant, utc_now

    try:
        return utc_now() - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise UsageError(f"audit: --since: {exc}; or a duration ago like 2h") from None


def run_show(args: argparse.Namespace) -> int:
    """List the matching records as a table or JSON."""
    path, _ = _location(args)
    records = _selected(args, path)
    if args.format == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        print("\n".join(_table(SHOW_COLUMNS, [_show_row(record) for record in records])))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    """Write the matching records as JSON or CSV, atomically to --output or to stdout."""
    from govtui.cli.common import write_atomic

    path, _ = _location(args)
    records = _selected(args, path)
    text = (
        json.dumps(records, indent=2, ensure_ascii=False) + "\n"
        if args.format == "json"
        else records_csv(records)
    )
    if args.output:
        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def records_csv(records: Sequence[dict[str, Any]]) -> str:
    """CSV with one row per record; objects as JSON text; formula-looking cells quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for record in records:
        writer.writerow([_csv_cell(record.get(column)) for column in EXPORT_COLUMNS])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    else:
        text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return f"'{text}"
    return text


def _details(params: Any) -> str:
    if not isinstance(params, dict) or not params:
        return ""
    parts = []
    # What a reader scans for first: why, what moved, what went wrong; bulky evidence last.
    leading = ("reason", "from", "to", "version", "error", "title", "text", "duration")
    order = [key for key in leading if key in params]
    order += sorted(key for key in params if key not in leading and not _is_bulky(params[key]))
    order += sorted(key for key in params if key not in order)
    for key in order:
        value = params[key]
        if isinstance(value, dict | list):
            value = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        parts.append(f"{key}={value}")
    text = " ".join(parts)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_bulky(value: Any) -> bool:
    return isinstance(value, dict | list)


def _show_row(record: dict[str, Any]) -> tuple[str, ...]:
    from govtui.actions.audit import actor_text
    from govtui.cli.plain import plain

    values = (
        record.get("seq", ""),
        record.get("time", ""),
        actor_text(record.get("actor")),
        record.get("action", ""),
        record.get("target", ""),
        record.get("outcome", ""),
        record.get("incident") or "-",
        _details(record.get("params")),
    )
    return tuple(plain(value) for value in values)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [len(title) for title in header]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
