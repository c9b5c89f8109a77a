"""`govtui rollback`: move a model's serving alias back behind the pre-flight checklist."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtui.cli.common import (
    add_config_and_at,
    add_read_only,
    at_from_args,
    loaded_or_demo,
    one_line,
)
from govtui.errors import EXIT_ACTION_FAILED, EXIT_OK, GovtuiError, ReadOnlyRefused, UsageError

if TYPE_CHECKING:
    from govtui.actions.rollback import RollbackPlan
    from govtui.config import LoadedConfig
    from govtui.sources.registry.base import ModelRegistry

FORMATS = ("text", "json")
JSON_FORMAT = "govtui.rollback/v1"

EPILOG = """\
The default target is the previous champion: the newest alias-history entry's from-version
that is not the current version, else the highest earlier READY version.
Guardrails: the target exists, is READY, is not the current version, its recorded gate passed
(actions.rollback.require_gate), its lineage is complete (require_complete_lineage), the alias
still points at the expected current version (--expect-current, default: read at start);
a protected model (models.protected) needs --confirm NAME, which --yes does not replace.

exit codes: 0 moved (or dry run passed); 1 a guardrail refused; 2 usage, config or registry
error; 3 refused by read-only mode; 4 the move failed or could not be confirmed.

examples:
  govtui rollback credit-limit --reason "accuracy drop after v4" --dry-run
  govtui rollback credit-limit --reason "accuracy drop after v4" --yes --watch
  govtui rollback fraud-scorer --to 2 --expect-current 4 --confirm fraud-scorer --reason "..."
"""


def register(subparsers: Any) -> None:
    """Add the `rollback` subcommand."""
    parser = subparsers.add_parser(
        "rollback",
        help="move a model's serving alias back to a known-good version (guarded, audited)",
        description="Roll a model back: show the pre-flight checklist, write an intent record, "
        "move the alias, read it back and write the outcome record.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_and_at(parser)
    add_read_only(parser)
    parser.add_argument("model", metavar="MODEL", help="the registered model name")
    parser.add_argument(
        "--to", metavar="VERSION", help="target version (default: previous champion)"
    )
    parser.add_argument("--reason", metavar="TEXT", required=True, help="why (recorded)")
    parser.add_argument(
        "--expect-current",
        metavar="VERSION",
        help="refuse unless the alias still points at this version (default: read at start)",
    )
    parser.add_argument(
        "--confirm", metavar="NAME", help="the model's name: confirms the move (protected models)"
    )
    parser.add_argument("--yes", action="store_true", help="do not ask (not enough when protected)")
    parser.add_argument("--dry-run", action="store_true", help="check and record, move nothing")
    parser.add_argument("--alias", metavar="ALIAS", help="the serving alias (default: config)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--watch",
        nargs="?",
        const="",
        default=None,
        metavar="DURATION",
        help="after the move, watch traffic shift to the target by the `version` label "
        "(default for actions.rollback.watch_for)",
    )
    parser.set_defaults(func=run_rollback)


def open_registry(loaded: LoadedConfig, state: Path, at: datetime) -> ModelRegistry:
    """The configured registry (the demo's in the state dir without a config)."""
    from govtui.fleet.sources import configured_registry

    return configured_registry(loaded, state, at)


def read_only_requested(args: argparse.Namespace, loaded: LoadedConfig) -> bool:
    """`--read-only`, `ui.read_only` or the registry's own `read_only`."""
    config = loaded.config
    return bool(
        getattr(args, "read_only", False)
        or config.ui.read_only
        or config.sources.registry.read_only
    )


def run_rollback(args: argparse.Namespace) -> int:
    """Plan, show, confirm, execute; the exit code says how it ended."""
    from govtui.actions.audit import AuditLog
    from govtui.actions.incidents import current_incident
    from govtui.actions.rollback import execute_rollback, plan_rollback
    from govtui.config import state_dir

    if not args.reason.strip():
        raise UsageError("rollback: --reason must not be empty")
    at = at_from_args(args)
    loaded = loaded_or_demo(args)
    state = state_dir()
    registry = open_registry(loaded, state, at)
    try:
        read_only = read_only_requested(args, loaded)
        plan = plan_rollback(
            registry,
            args.model,
            config=loaded.config,
            to=args.to,
            expect_current=args.expect_current,
            alias=args.alias,
        )
        audit = AuditLog.from_config(loaded, state)
        active = current_incident(state)
        evidence = gather_evidence(loaded, args.model, at, registry)
        text = args.format == "text"
        if text:
            _print(render_plan(plan, evidence))
        confirm = args.confirm
        if _should_prompt(args, plan, read_only):
            confirm = _prompt(plan.model)
        try:
            result = execute_rollback(
                plan,
                registry=registry,
                audit=audit,
                reason=args.reason,
                incident=active.id if active is not None else None,
                read_only=read_only,
                confirm=confirm,
                assume_yes=args.yes,
                dry_run=args.dry_run,
                evidence=evidence,
            )
        except GovtuiError as exc:
            if not text:
                _print(_json(plan, evidence, outcome=_outcome_of(exc), error=str(exc), exc=exc))
            raise
        if not text:
            _print(
                _json(
                    plan,
                    evidence,
                    outcome=result.outcome,
                    records=result.records,
                    read_back=result.read_back,
                )
            )
            return EXIT_OK
        if result.outcome == "dry-run":
            _print(
                f"dry run: {plan.alias} would move {plan.current_version} -> "
                f"{plan.target_version}; nothing changed (audit seq {_seqs(result.records)})"
            )
            return EXIT_OK
        _print(
            f"rolled back {_show(plan.model)}: {plan.alias} moved {plan.current_version} -> "
            f"{result.to_version} (read back {result.read_back}; audit seq {_seqs(result.records)})"
        )
        if args.watch is None:
            _print("alias moved; watch traffic in the console or with --watch")
            return EXIT_OK
        return _watch(loaded, registry, plan, args.watch)
    finally:
        closer = getattr(registry, "close", None)
        if callable(closer):
            closer()


# ---------------------------------------------------------------------------------------------
# Confirmation


def _should_prompt(args: argparse.Namespace, plan: RollbackPlan, read_only: bool) -> bool:
    """Ask on a terminal when neither --yes nor --confirm was given and the move could happen."""
    if args.dry_run or args.yes or args.confirm is not None or read_only or not plan.ok:
        return False
    return sys.stdin is not None and sys.stdin.isatty()


def _prompt(model: str) -> str:
    """Ask the operator to type the model's name; whatever they type is the confirmation."""
    sys.stdout.write(
        f"type the model name ({_show(model)}) to move the alias, anything else cancels: "
    )
    sys.stdout.flush()
    answer = sys.stdin.readline()
    if not answer:
        return ""
    return answer.strip()


# ---------------------------------------------------------------------------------------------
# Evidence: what the checks and alerts said when the operator acted (never blocks the rollback)


def gather_evidence(
    loaded: LoadedConfig, model: str, at: datetime, registry: ModelRegistry | None = None
) -> dict[str, Any]:
    """Failing checks and alert state for one model; a failure to gather is recorded as such."""
    from govtui.timeutil import format_instant

    evidence: dict[str, Any] = {"at": format_instant(at)}
    try:
        report = _model_report(loaded, model, at, registry)
        evidence["status"] = report.status
        evidence["checks"] = [
            {
                "check": item.check,
                "severity": item.severity,
                "subject": item.subject,
                "message": item.message,
            }
            for item in report.violations
        ]
    except Exception as exc:  # evidence is best effort: say why it is missing, never block
        evidence["checks"] = f"unavailable: {_problem(exc)}"
    try:
        evidence["alerts"] = _model_alerts(loaded, model)
    except Exception as exc:
        evidence["alerts"] = f"unavailable: {_problem(exc)}"
    return evidence


def _problem(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, GovtuiError) else f"{type(exc).__name__}: {exc}"
    return one_line(text)[:300]


def _model_report(
    loaded: LoadedConfig, model: str, at: datetime, registry: ModelRegistry | None
) -> Any:
    """The model's report from `govtui check`'s machinery (configured signals, else the demo)."""
    from govtui.analysis.evaluate import evaluate_fleet
    from govtui.cli.check import _from_config, _select_models

    config = loaded.config
    sources = config.sources
    if sources.signals_dir is not None or sources.prometheus is not None:
        signals, loaded, versions = _from_config(loaded, at)
        config = loaded.config
    elif sources.registry.kind == "demo" and registry is not None:
        from govtui.demo.fleet import DemoFleet

        fleet = DemoFleet(registry)
        signals = fleet.signals(at, config)
        versions = fleet.versions(at)
    else:
        raise UsageError("no signal source configured (sources.prometheus or signals_dir)")
    signals = _select_models(signals, config, [model])
    report = evaluate_fleet(signals, config, at, versions)
    for item in report.models:
        if item.model == model:
            return item
    raise UsageError(f"no report for model {model!r}")


def _model_alerts(loaded: LoadedConfig, model: str) -> list[dict[str, str]] | str:
    sources = loaded.config.sources
    if sources.alertmanager is None and sources.prometheus is None:
        return "no alert source configured"
    from govtui.sources.alertmanager import fetch_alerts

    alerts = asyncio.run(fetch_alerts(loaded))
    return [
        {"name": alert.name, "state": alert.state, "severity": alert.severity}
        for alert in alerts
        if alert.model == model
    ]


# ---------------------------------------------------------------------------------------------
# Output


def _show(text: object) -> str:
    """External text on one printable line (control characters escaped)."""
    value = str(text)
    return value if value.isprintable() else value.encode("unicode_escape").decode("ascii")


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def _seqs(records: tuple[int, ...]) -> str:
    return ", ".join(str(seq) for seq in records) or "-"


MARKS = {True: "ok  ", False: "FAIL", None: "info"}


def _evidence_line(evidence: dict[str, Any]) -> str:
    checks = evidence.get("checks")
    if isinstance(checks, list):
        failing = ", ".join(
            f"{item['check']} {item['severity']}" for item in checks if isinstance(item, dict)
        )
        shown = f"{evidence.get('status', '?')}" + (f" ({failing})" if failing else "")
    else:
        shown = str(checks)
    alerts = evidence.get("alerts")
    if isinstance(alerts, list):
        alert_text = ", ".join(f"{a['name']} {a['state']}" for a in alerts) or "none"
    else:
        alert_text = str(alerts)
    return f"evidence: checks {shown}; alerts {alert_text}"


def render_plan(plan: RollbackPlan, evidence: dict[str, Any] | None = None) -> str:
    """The checklist as the operator reads it before confirming."""
    lines = [
        f"rollback {_show(plan.model)}@{_show(plan.alias)}: "
        f"{_show(plan.current_version or 'nothing')} -> {_show(plan.target_version or '?')}",
        "pre-flight checklist:",
    ]
    width = max(len(item.name) for item in plan.checklist)
    for item in plan.checklist:
        lines.append(f"  {MARKS[item.ok]}  {item.name:<{width}}  {_show(item.detail)}")
    if plan.metrics:
        shown = ", ".join(f"{_show(k)} {v:.4g}" for k, v in sorted(plan.metrics.items()))
        wrapped = textwrap.wrap(shown, width=96, break_on_hyphens=False)
        lines.append("target run metrics:")
        lines.extend(f"  {line}" for line in wrapped)
    elif plan.target is not None:
        lines.append("target run metrics: none recorded")
    if evidence is not None:
        lines.append(_show(_evidence_line(evidence)))
    return "\n".join(lines)


def _outcome_of(exc: GovtuiError) -> str:
    outcome = getattr(exc, "outcome", None)
    if isinstance(outcome, str):
        return outcome
    return "refused" if isinstance(exc, ReadOnlyRefused) or exc.exit_code == 1 else "error"


def _json(
    plan: RollbackPlan,
    evidence: dict[str, Any],
    *,
    outcome: str,
    records: tuple[int, ...] = (),
    read_back: str | None = None,
    error: str | None = None,
    exc: GovtuiError | None = None,
) -> str:
    if exc is not None:
        records = tuple(getattr(exc, "records", ()) or ())
    document = {
        "format": JSON_FORMAT,
        "model": plan.model,
        "alias": plan.alias,
        "from": plan.current_version,
        "to": plan.target_version,
        "target_source": plan.target_source,
        "protected": plan.protected,
        "checklist": [item.to_dict() for item in plan.checklist],
        "metrics": plan.metrics,
        "evidence": evidence,
        "outcome": outcome,
        "read_back": read_back,
        "records": list(records),
        "error": error,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Watching traffic move


def _watch(loaded: LoadedConfig, registry: ModelRegistry, plan: RollbackPlan, duration: str) -> int:
    """Poll per-version traffic until the target serves `traffic_share`, or time is up."""
    from govtui.fleet.traffic import WatchSettings, watch_until_moved
    from govtui.timeutil import parse_duration

    settings = WatchSettings.from_config(loaded)
    if duration:
        try:
            seconds = float(parse_duration(duration))
        except ValueError as exc:
            raise UsageError(f"rollback: --watch: {exc}") from None
        settings = WatchSettings(settings.threshold, seconds, settings.interval)
    demo_fleet = None
    sources = loaded.config.sources
    if sources.registry.kind == "demo" and sources.prometheus is None:
        from govtui.demo.fleet import DemoFleet

        demo_fleet = DemoFleet(registry)
    target = plan.target_version or ""
    final = watch_until_moved(
        loaded,
        plan.model,
        target,
        demo_fleet=demo_fleet,
        on_update=lambda reply: _print(_show(reply.message)),
        settings=settings,
    )
    return EXIT_OK if final.done else EXIT_ACTION_FAILED
