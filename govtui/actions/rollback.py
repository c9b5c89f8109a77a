"""Rollback: move a model's serving alias back to a known-good version behind guardrails.

`plan_rollback` reads the registry and builds the pre-flight checklist (no writes);
`execute_rollback` writes the audit records around the move: one record for a refusal or a
dry run, else an intent record, the move, a read-back, and an outcome record. A move whose
read-back does not show the target is never reported as done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govtui.actions.guard import ensure_writable
from govtui.errors import (
    ActionFailed,
    GovtuiError,
    GuardrailRefused,
    ReadOnlyRefused,
    UsageError,
)
from govtui.sources.registry.base import GATE_TAG, Lineage, ModelRegistry, ModelVersion

if TYPE_CHECKING:
    from govtui.actions.audit import AuditLog
    from govtui.config import Config

ACTION = "rollback"


class RollbackRefused(GuardrailRefused):
    """A guardrail (or a concurrent move) refused the rollback (exit 1); `records` were written."""

    def __init__(self, message: str, *, records: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.records = records


class RollbackFailed(ActionFailed):
    """The move was attempted and failed or is unconfirmed (exit 4); never reported as done."""

    def __init__(self, message: str, *, outcome: str, records: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.records = records


@dataclass(frozen=True)
class CheckItem:
    """One pre-flight check: passed (True), failed (False) or shown for information (None)."""

    name: str
    ok: bool | None
    detail: str

    @property
    def text(self) -> str:
        """`name: detail`, the line a refusal quotes."""
        return f"{self.name}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """The item as the audit log and JSON output carry it."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class RollbackPlan:
    """What a rollback would do and whether every guardrail allows it (read, never written)."""

    model: str
    alias: str
    current: ModelVersion | None
    target: ModelVersion | None
    checklist: tuple[CheckItem, ...]
    metrics: dict[str, float]
    protected: bool
    lineage: Lineage | None
    target_source: str = ""  # why this target: `--to`, the alias history, or the fallback

    @property
    def ok(self) -> bool:
        """No guardrail failed (informational items do not count)."""
        return all(item.ok is not False for item in self.checklist)

    @property
    def refusal(self) -> str | None:
        """The first failing item's text, or None when the plan may proceed."""
        for item in self.checklist:
            if item.ok is False:
                return item.text
        return None

    @property
    def current_version(self) -> str | None:
        """The version the alias points at now (as read at plan time)."""
        return self.current.version if self.current is not None else None

    @property
    def target_version(self) -> str | None:
        """The version the alias would move to."""
        return self.target.version if self.target is not None else None


@dataclass(frozen=True)
class RollbackResult:
    """How an executed rollback ended and which audit records it wrote (their seq numbers)."""

    outcome: str  # done, dry-run (refusals and failures raise)
    from_version: str | None
    to_version: str | None
    records: tuple[int, ...]
    read_back: str | None = None
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------
# Choosing the target


def _order_key(versions: list[ModelVersion]) -> dict[str, tuple[int, int]]:
    """Version -> sort key: numeric when every id is a whole number, else registry order."""
    numeric = all(item.version.isdigit() for item in versions)
    return {
        item.version: (int(item.version) if numeric else 0, index)
        for index, item in enumerate(versions)
    }


def previous_champion_ref(
    registry: ModelRegistry, model: str, alias: str, current: str | None
) -> tuple[str | None, str]:
    """The previous champion's version id and where it came from (the design's rule).

    Newest alias-history entry for `alias` whose `from_version` is set and is not the current
    version; else the highest READY version earlier than the current one.
    """
    for move in reversed(registry.alias_history(model)):
        if move.alias != alias or move.from_version is None or move.from_version == current:
            continue
        when = f" at {move.time}" if move.time else ""
        return move.from_version, (
            f"previous {alias} per the alias history ({move.from_version} -> "
            f"{move.to_version}{when})"
        )
    versions = registry.list_versions(model)
    order = _order_key(versions)
    earlier = [
        item
        for item in versions
        if item.status == "READY"
        and item.version != current
        and (current is None or current not in order or order[item.version] < order[current])
    ]
    if not earlier:
        return None, "no earlier version in the alias history and no earlier READY version"
    best = max(earlier, key=lambda item: order[item.version])
    return best.version, f"highest READY version before {current} (no alias history)"


def previous_champion(registry: ModelRegistry, model: str, alias: str) -> ModelVersion | None:
    """The version a rollback goes back to by default, or None when there is none."""
    current = registry.get_alias(model, alias)
    version, _why = previous_champion_ref(
        registry, model, alias, current.version if current else None
    )
    return registry.get_version(model, version) if version is not None else None


# ---------------------------------------------------------------------------------------------
# The plan


def _lineage_item(
    registry: ModelRegistry, model: str, version: str, required: bool
) -> tuple[CheckItem, Lineage | None]:
    name = "lineage complete"
    try:
        lineage = registry.lineage(model, version)
    except GovtuiError as exc:
        problem = f"lineage unavailable: {exc}"
        return CheckItem(name, False if required else None, problem), None
    if lineage.complete:
        run = lineage.run.run_id if lineage.run is not None else "-"
        detail = (
            f"run {run}, {len(lineage.datasets)} dataset(s), {len(lineage.features)} feature(s)"
        )
        return CheckItem(name, True, detail), lineage
    gaps = "; ".join(lineage.gaps)
    if required:
        return CheckItem(name, False, f"gaps: {gaps}"), lineage
    return CheckItem(name, None, f"gaps: {gaps} (not required)"), lineage


def _gate_item(target: ModelVersion, required: bool) -> CheckItem:
    name = "gate passed"
    recorded = target.tags.get(GATE_TAG)
    if target.gate == "passed":
        return CheckItem(name, True, recorded or "passed")
    if recorded is None:
        detail = (
            f"no recorded gate (govtui check --candidate {target.model}:{target.version} --record)"
        )
    else:
        detail = f"recorded gate is {recorded!r}"
    if not required:
        return CheckItem(name, None, f"{detail} (not required)")
    return CheckItem(name, False, detail)


def plan_rollback(
    registry: ModelRegistry,
    model: str,
    *,
    config: Config,
    to: str | None = None,
    expect_current: str | None = None,
    alias: str | None = None,
) -> RollbackPlan:
    """Read the registry and check every guardrail; nothing is written."""
    alias = alias or config.sources.registry.alias
    settings = config.actions.rollback
    current = registry.get_alias(model, alias)
    current_version = current.version if current is not None else None
    if to is not None:
        target_version: str | None = to
        source = "--to"
    else:
        target_version, source = previous_champion_ref(registry, model, alias, current_version)
    target = registry.get_version(model, target_version) if target_version is not None else None

    items: list[CheckItem] = []
    lineage: Lineage | None = None
    metrics: dict[str, float] = {}
    if target is None:
        if target_version is None:
            detail = f"no previous {alias} to go back to ({source}); give --to VERSION"
        else:
            detail = f"model {model!r} has no version {target_version!r} ({source})"
        items.append(CheckItem("target exists", False, detail))
    else:
        described = f"version {target.version}"
        if target.description:
            described += f" ({target.description})"
        items.append(CheckItem("target exists", True, f"{described}; {source}"))
        items.append(
            CheckItem(
                "target READY",
                target.status == "READY",
                target.status if target.status == "READY" else f"status is {target.status}",
            )
        )
        items.append(
            CheckItem(
                "not the current",
                target.version != current_version,
                f"{alias} is at {current_version or 'nothing'}"
                if target.version != current_version
                else f"{alias} already points at {target.version}",
            )
        )
        items.append(_gate_item(target, settings.require_gate))
        lineage_item, lineage = _lineage_item(
            registry, model, target.version, settings.require_complete_lineage
        )
        items.append(lineage_item)
        if lineage is not None and lineage.run is not None:
            metrics = dict(lineage.run.metrics)
    expected = expect_current if expect_current is not None else current_version
    if expect_current is None:
        detail = f"{alias} is at {current_version or 'nothing'} (read now)"
        items.append(CheckItem("expected current", True, detail))
    else:
        matches = expected == current_version
        detail = (
            f"{alias} is at {current_version}"
            if matches
            else f"{alias} is at {current_version or 'nothing'}, not the expected {expected}"
        )
        items.append(CheckItem("expected current", matches, detail))
    protected = model in config.models.protected
    items.append(
        CheckItem(
            "protected",
            None,
            f"protected model: needs --confirm {model} (--yes does not replace it)"
            if protected
            else "not a protected model",
        )
    )
    return RollbackPlan(
        model=model,
        alias=alias,
        current=current,
        target=target,
        checklist=tuple(items),
        metrics=metrics,
        protected=protected,
        lineage=lineage,
        target_source=source,
    )


# ---------------------------------------------------------------------------------------------
# Execution


def actor_text(actor: Mapping[str, str]) -> str:
    """`user@host`, what the registry's alias history records as the actor."""
    user = actor.get("user") or "unknown"
    host = actor.get("host")
    return f"{user}@{host}" if host else user


def _confirmation_problem(plan: RollbackPlan, confirm: str | None, assume_yes: bool) -> str | None:
    """Why the move is not confirmed, or None when it is."""
    if confirm is not None and confirm != plan.model:
        return f"confirmation {confirm!r} does not match the model name {plan.model!r}"
    if plan.protected:
        if confirm != plan.model:
            return f"protected model: needs --confirm {plan.model} (--yes does not replace it)"
        return None
    if confirm == plan.model or assume_yes:
        return None
    return "confirmation required: --yes"


def _params(
    plan: RollbackPlan,
    reason: str,
    evidence: Mapping[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    """The params every rollback record carries: versions, reason, checklist, evidence."""
    captured: dict[str, Any] = dict(evidence or {})
    captured["versions"] = {
        "alias": plan.alias,
        "from": plan.current_version,
        "to": plan.target_version,
    }
    if plan.metrics:
        captured["target_metrics"] = dict(plan.metrics)
    params: dict[str, Any] = {
        "alias": plan.alias,
        "from": plan.current_version,
        "to": plan.target_version,
        "reason": reason,
        "checklist": [item.to_dict() for item in plan.checklist],
        "evidence": captured,
    }
    params.update(extra)
    return params


def _error_text(exc: BaseException) -> str:
    """A GovtuiError's own line; anything else named by its type."""
    return str(exc) if isinstance(exc, GovtuiError) else f"{type(exc).__name__}: {exc}"


def _alias_version(registry: ModelRegistry, model: str, alias: str) -> str | None:
    found = registry.get_alias(model, alias)
    return found.version if found is not None else None


def execute_rollback(
    plan: RollbackPlan,
    *,
    registry: ModelRegistry,
    audit: AuditLog,
    reason: str,
    actor: Mapping[str, str] | None = None,
    incident: str | None = None,
    read_only: bool = False,
    confirm: str | None = None,
    assume_yes: bool = False,
    dry_run: bool = False,
    evidence: Mapping[str, Any] | None = None,
) -> RollbackResult:
    """Refuse, dry-run, or move the alias with intent and outcome records around the move."""
    from govtui.actions.audit import actor_identity

    if not reason or not reason.strip():
        raise UsageError("rollback: a reason is required (--reason TEXT)")
    who = dict(actor) if actor is not None else actor_identity()
    model, alias = plan.model, plan.alias
    written: list[int] = []

    def record(outcome: str, **extra: Any) -> dict[str, Any]:
        entry = audit.append(
            ACTION,
            model,
            outcome=outcome,
            params=_params(plan, reason, evidence, **extra),
            incident=incident,
            actor=who,
        )
        written.append(int(entry["seq"]))
        return entry

    if not dry_run:
        try:
            ensure_writable(read_only, f"rollback of {model}")
        except ReadOnlyRefused as exc:
            record("refused", error=str(exc))
            raise
    refusal = plan.refusal
    if refusal is not None:
        record("refused", error=refusal, dry_run=dry_run)
        raise RollbackRefused(f"rollback of {model} refused: {refusal}", records=tuple(written))
    if dry_run:
        record("dry-run")
        return RollbackResult("dry-run", plan.current_version, plan.target_version, tuple(written))
    problem = _confirmation_problem(plan, confirm, assume_yes)
    if problem is not None:
        record("refused", error=problem)
        raise RollbackRefused(f"rollback of {model} refused: {problem}", records=tuple(written))

    target = plan.target_version
    assert target is not None  # a plan without a target fails "target exists"
    record("intent")
    try:
        now = _alias_version(registry, model, alias)
    except Exception as exc:
        record("failed", error=f"cannot re-read {alias} before the move: {_error_text(exc)}")
        raise RollbackFailed(
            f"rollback of {model} failed before the move: cannot re-read {alias}: {exc}",
            outcome="failed",
            records=tuple(written),
        ) from None
    if now != plan.current_version:
        problem = (
            f"concurrent move: {alias} is now at {now or 'nothing'}, "
            f"not {plan.current_version or 'nothing'} as planned"
        )
        record("refused", error=problem, read_back=now)
        raise RollbackRefused(f"rollback of {model} refused: {problem}", records=tuple(written))

    move_error: str | None = None
    try:
        registry.set_alias(model, alias, target, actor=actor_text(who), reason=reason)
    except KeyboardInterrupt:
        record("unconfirmed", error="interrupted during the alias move")
        raise
    except ReadOnlyRefused as exc:  # the registry itself is read-only: nothing was sent
        record("refused", error=str(exc))
        raise
    except Exception as exc:  # any failure of the registry mid-way: read back, never assume
        move_error = _error_text(exc)

    read_error: str | None = None
    read_back: str | None = None
    try:
        read_back = _alias_version(registry, model, alias)
    except Exception as exc:
        read_error = _error_text(exc)

    if move_error is None and read_error is None and read_back == target:
        try:
            record("done", read_back=read_back)
        except Exception as exc:
            raise RollbackFailed(
                f"rollback of {model}: {alias} moved to {target} but the outcome record "
                f"could not be written: {exc}",
                outcome="unconfirmed",
                records=tuple(written),
            ) from None
        return RollbackResult(
            "done", plan.current_version, target, tuple(written), read_back=read_back
        )

    outcome, message = _failure(plan, target, move_error, read_error, read_back)
    record(outcome, error=message, read_back=read_back)
    raise RollbackFailed(
        f"rollback of {model} {outcome}: {message}", outcome=outcome, records=tuple(written)
    )


def _failure(
    plan: RollbackPlan,
    target: str,
    move_error: str | None,
    read_error: str | None,
    read_back: str | None,
) -> tuple[str, str]:
    """`failed` when the alias is known not to be at the target, else `unconfirmed`."""
    alias = plan.alias
    if read_error is not None:
        cause = f"registry error: {move_error}; " if move_error else ""
        return "unconfirmed", f"{cause}cannot read {alias} back: {read_error}"
    shown = read_back or "nothing"
    if move_error is None:
        return "failed", f"read-back shows {alias} at {shown}, not {target}"
    if read_back == plan.current_version:
        return "failed", f"registry error: {move_error}; {alias} still at {shown}"
    if read_back == target:
        return "unconfirmed", (
            f"registry error: {move_error}; {alias} reads {shown} but the move did not complete "
            "(its alias-history entry may be missing)"
        )
    return "unconfirmed", f"registry error: {move_error}; {alias} reads {shown}"
