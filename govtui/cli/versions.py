"""`govtui versions`: every version of a model with its aliases, status, run and recorded gate."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from govtui.cli.common import add_config_and_at, at_from_args
from govtui.cli.plain import plain

if TYPE_CHECKING:
    from govtui.sources.registry.base import AliasMove, ModelVersion

VERSIONS_FORMAT = "govtui.versions/v1"
FORMATS = ("table", "json")
MISSING = "-"

EPILOG = """\
Versions are listed oldest first, as the registry keeps them. GATE is the verdict recorded by
`govtui check --candidate MODEL:VERSION --record` (the govtui.gate tag); STAGE, MLflow's legacy
stage, appears only when a version has one. With no config the demo registry is read.

exit codes: 0 printed; 2 unknown model, or the registry failed.

examples:
  govtui versions fraud-scorer
  govtui versions fraud-scorer --format json | jq '.versions[] | select(.gate == "passed")'
"""


def register(subparsers: Any) -> None:
    """Add the `versions` subcommand."""
    parser = subparsers.add_parser(
        "versions",
        help="list a model's versions with aliases, status, run and recorded gate",
        description="List every version of a model: aliases, status, legacy stage, created, "
        "training run and the recorded candidate gate.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_and_at(parser)
    parser.add_argument("model", metavar="MODEL", help="registered model name")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.set_defaults(func=run_versions)


def run_versions(args: argparse.Namespace) -> int:
    """Read the versions (and the alias history for JSON) and print them."""
    from govtui.cli.common import loaded_or_demo
    from govtui.cli.registry_access import open_registry
    from govtui.sources.registry.lineage import UnknownModelVersion, printable

    loaded = loaded_or_demo(args)
    with open_registry(loaded, at_from_args(args)) as registry:
        versions = registry.list_versions(args.model)
        models = None
        if not versions:
            models = {item.name: item for item in registry.list_models()}
            if args.model not in models:
                raise UnknownModelVersion(f"unknown model {printable(args.model)!r}")
        history = registry.alias_history(args.model) if args.format == "json" else []
        if args.format == "json":
            if models is None:
                models = {item.name: item for item in registry.list_models()}
            entry = models.get(args.model)
            aliases = dict(entry.aliases) if entry is not None else _aliases(versions)
            text = render_json(args.model, versions, aliases, history)
        else:
            text = render_table(args.model, versions, ascii_only=bool(getattr(args, "ascii", 0)))
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _aliases(versions: list[ModelVersion]) -> dict[str, str]:
    return {alias: version.version for version in versions for alias in version.aliases}


def render_json(
    model: str, versions: list[ModelVersion], aliases: dict[str, str], history: list[AliasMove]
) -> str:
    """`govtui.versions/v1`: the versions, the current aliases and every recorded alias move."""
    from govtui.sources.registry.lineage import version_to_dict

    data = {
        "format": VERSIONS_FORMAT,
        "model": model,
        "aliases": dict(sorted(aliases.items())),
        "versions": [version_to_dict(version) for version in versions],
        "alias_history": [
            {
                "alias": move.alias,
                "from_version": move.from_version,
                "to_version": move.to_version,
                "time": move.time,
                "actor": move.actor,
                "reason": move.reason,
            }
            for move in history
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_table(model: str, versions: list[ModelVersion], *, ascii_only: bool = False) -> str:
    """An aligned plain-text table; external strings with control characters escaped."""

    def cell(value: object) -> str:
        shown = plain(value) if value not in (None, "") else MISSING
        if ascii_only and not shown.isascii():
            shown = shown.encode("ascii", "backslashreplace").decode("ascii")
        return shown

    show_stage = any(version.legacy_stage for version in versions)
    header = ["VERSION", "STATUS", "ALIASES", *(["STAGE"] if show_stage else [])]
    header += ["CREATED", "RUN", "GATE"]
    rows = [header]
    for version in versions:
        row = [cell(version.version), cell(version.status), cell(", ".join(version.aliases))]
        if show_stage:
            row.append(cell(version.legacy_stage))
        row += [cell(version.created), cell(version.run_id), cell(version.gate)]
        rows.append(row)
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    lines = [f"{cell(model)}: {len(versions)} version(s)"]
    for row in rows:
        lines.append(
            "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        )
    return "\n".join(lines) + "\n"
