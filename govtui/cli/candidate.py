"""`govtui check --candidate MODEL:VERSION [--record]`: the candidate gate before promotion."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from govtui.cli.plain import plain
from govtui.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError

if TYPE_CHECKING:
    from govtui.actions.audit import AuditLog
    from govtui.actions.gate import GateVerdict
    from govtui.config import LoadedConfig

CANDIDATE_FORMATS = ("text", "json")
MARKS = {True: "ok  ", False: "FAIL", None: "n/a "}


def add_candidate_arguments(parser: argparse.ArgumentParser) -> None:
    """`--candidate` and `--record` on `govtui check` (cheap: imports nothing)."""
    parser.add_argument(
        "--candidate",
        metavar="MODEL:VERSION",
        help="vet this version before promotion (registry only: lineage, tags, run metrics); "
        "MODEL@ALIAS names the version behind an alias",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="with --candidate, write the verdict to the version tag govtui.gate (audited)",
    )
    from govtui.cli.common import add_read_only

    add_read_only(parser)


def wants_candidate(args: argparse.Namespace) -> bool:
    """True when `check` was asked for the candidate gate rather than the fleet."""
    return getattr(args, "candidate", None) is not None or bool(getattr(args, "record", False))


def run_candidate(args: argparse.Namespace) -> int:
    """Vet the candidate, print the verdict, optionally record it; 0 passed, 1 failed."""
    from govtui.actions.gate import vet_candidate
    from govtui.cli.common import at_from_args, write_atomic
    from govtui.cli.registry_access import open_registry, read_only_from
    from govtui.sources.registry.lineage import parse_model_ref, resolve_ref

    _refuse_other_options(args)
    ref = parse_model_ref(args.candidate)
    if ref.version is None and ref.alias is None:
        raise UsageError(
            f"check: --candidate {plain(args.candidate)!r}: name a version "
            "(MODEL:VERSION) or an alias (MODEL@ALIAS)"
        )
    loaded = _candidate_config(args)
    config = loaded.config
    recorded: str | None = None
    with open_registry(loaded, at_from_args(args)) as registry:
        version = resolve_ref(registry, ref, config.sources.registry.alias)
        verdict = vet_candidate(registry, version.model, version.version, config)
        if args.record:
            from govtui.actions.gate import record_verdict

            read_only = read_only_from(args, loaded)
            recorded = record_verdict(
                registry,
                verdict,
                read_only=read_only,
                audit=_audit_log(loaded),
                incident=_current_incident(),
            )
    if args.format == "json":
        data = verdict.to_dict()
        data["recorded"] = recorded
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = render_verdict(verdict, recorded)
    if args.output:
        write_atomic(Path(args.output), text)
        if not args.quiet:
            sys.stdout.write(text if args.format == "text" else render_verdict(verdict, recorded))
    else:
        sys.stdout.write(text)
    sys.stdout.flush()
    return EXIT_OK if verdict.passed else EXIT_CHECK_FAILED


def _refuse_other_options(args: argparse.Namespace) -> None:
    """The candidate gate reads the registry only; fleet options would silently do nothing."""
    if getattr(args, "candidate", None) is None:
        raise UsageError("check: --record needs --candidate MODEL:VERSION")
    if getattr(args, "signals", None):
        raise UsageError("check: --candidate reads the registry only; drop --signals")
    if getattr(args, "model", None):
        raise UsageError("check: --candidate names its model; drop --model")
    if args.format not in CANDIDATE_FORMATS:
        raise UsageError(
            f"check: --candidate prints {' or '.join(CANDIDATE_FORMATS)}, not {args.format}"
        )


def _candidate_config(args: argparse.Namespace) -> LoadedConfig:
    """The config whose registry and thresholds judge the candidate.

    Like the fleet gate, it never falls back to the demo silently: with no config found it
    needs `--demo` (the demo config and its registry in the state dir).
    """
    from govtui.cli.common import config_path_from_args, load_config_from_args

    if args.demo:
        from govtui.config import load_config
        from govtui.demo.config import demo_config

        explicit = config_path_from_args(args)
        return load_config(explicit) if explicit is not None else demo_config()
    loaded = load_config_from_args(args)
    if loaded is None:
        raise UsageError(
            "check: no config found (--config, $GOVTUI_CONFIG, ./govtui.yaml or the XDG config "
            "dir); give --config FILE naming the registry, or --demo for the demo registry"
        )
    return loaded


def _audit_log(loaded: LoadedConfig) -> AuditLog | None:
    """The audit log (helper module `govtui.actions.audit`), None in a build without it."""
    try:
        from govtui.actions.audit import AuditLog
    except ModuleNotFoundError as exc:
        if exc.name != "govtui.actions.audit":
            raise
        return None
    from govtui.config import state_dir

    return AuditLog.from_config(loaded, state_dir())


def _current_incident() -> str | None:
    """The open incident's id, so the audit record is tagged with it."""
    try:
        from govtui.actions.incidents import current_incident
    except ImportError:
        return None
    from govtui.config import state_dir

    incident = current_incident(state_dir())
    return getattr(incident, "id", None) if incident is not None else None


def render_verdict(verdict: GateVerdict, recorded: str | None = None) -> str:
    """One line per check, then the verdict (and what was recorded)."""
    facts = [plain(verdict.status)] if verdict.status else []
    if verdict.run_id:
        facts.append(f"run {plain(verdict.run_id)}")
    if verdict.champion:
        facts.append(f"champion {plain(verdict.champion)}")
    lines = [f"candidate {plain(verdict.target)} ({', '.join(facts)})"]
    width = max((len(check.name) for check in verdict.checks), default=0)
    for check in verdict.checks:
        lines.append(
            f"  {MARKS[check.ok]}  {plain(check.name).ljust(width)}  {plain(check.detail)}"
        )
    failed = len(verdict.failures)
    if verdict.passed:
        lines.append(f"gate PASSED for {plain(verdict.target)}")
    else:
        lines.append(f"gate FAILED for {plain(verdict.target)}: {failed} check(s) failed")
    if recorded is not None:
        lines.append(f"recorded govtui.gate = {plain(recorded)}")
    elif verdict.previous_gate is not None:
        lines.append(f"previously recorded: {plain(verdict.previous_gate)}")
    return "\n".join(lines) + "\n"
