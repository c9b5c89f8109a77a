"""Model report and detail -> Rich Text cells and plain text, shared by panels, fallbacks and copy.

Pure functions (Rich only, no Textual): every figure the model screen shows is formatted here once,
so the panels, the narrow-width numeric view and the `y` copy of the view always agree. All text is
ASCII so `--ascii` holds, and external strings are put in `Text` objects (never parsed as markup).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.color import Color, ColorParseError
from rich.text import Text

from govtui.analysis.policy import BURN_RATE_ALERTS, ERROR_RATIO_WINDOW, MODEL_CHECKS
from govtui.analysis.results import (
    STATUS_RANK,
    FairnessResult,
    ModelReport,
    SloResult,
    Violation,
)
from govtui.config import BURN_WINDOWS, FairnessConfig
from govtui.fleet.snapshot import (
    AlertInfo,
    AliasMoveInfo,
    FeatureDistribution,
    FleetSnapshot,
    ModelDetail,
    Series,
    VersionInfo,
)
from govtui.timeutil import format_duration

MISSING = "-"
FOUR_FIFTHS_NOTE = (
    "The four-fifths (0.8) rule is a screening convention, not a legal test of discrimination."
)
DEFAULT_PARITY_LINE = FairnessConfig().crit_ratio
HEADER_REASONS = 2
"""Reasons shown under the model's name; the panels and the Alerts panel have the rest."""

Cells = tuple[Text, ...]
Row = tuple[str, Cells]

DRIFT_COLUMNS = ("feature", "kind", "PSI", "JS", "KS", "status")
FAIRNESS_SUMMARY_COLUMNS = (
    "attribute",
    "parity",
    "vs line",
    "DP diff",
    "EO diff",
    "EOdds",
    "status",
)
FAIRNESS_GROUP_COLUMNS = ("attribute", "group", "count", "selected", "TPR", "FPR", "note")
VIOLATION_COLUMNS = ("check", "subject", "severity", "value/limit", "message")
ALERT_COLUMNS = ("alert", "severity", "state", "since", "summary")
VERSION_COLUMNS = ("version", "status", "aliases", "created", "gate", "run")
ALIAS_MOVE_COLUMNS = ("time", "alias", "move", "actor", "reason")


@dataclass(frozen=True)
class Palette:
    """Rich styles per meaning, resolved from the theme at runtime (plain by default)."""

    crit: str = "bold"
    warn: str = "bold"
    ok: str = ""
    unknown: str = "dim"
    muted: str = "dim"
    accent: str = "bold"

    def status(self, status: str) -> str:
        """The style of a status word or a figure with that status."""
        return {
            "crit": self.crit,
            "warn": self.warn,
            "ok": self.ok,
            "page": self.crit,
            "ticket": self.warn,
        }.get(status, self.unknown)

    @classmethod
    def from_theme(cls, variables: Mapping[str, str]) -> Palette:
        """Styles from a theme's CSS variables (`status-crit`, `status-crit-emphasis`, ...)."""

        def style(colour_names: Sequence[str], emphasis: str = "", default: str = "") -> str:
            colour = next(
                (found for name in colour_names if (found := theme_colour(variables, name))), ""
            )
            emphasis_value = resolve_variable(variables, emphasis) if emphasis else None
            parts = [emphasis_value if emphasis_value is not None else default, colour]
            return " ".join(part for part in parts if part)

        return cls(
            crit=style(("status-crit", "error"), "status-crit-emphasis", "bold"),
            warn=style(("status-warn", "warning"), "status-warn-emphasis", "bold"),
            ok=style(("status-ok", "success")),
            unknown=style(("status-unknown", "text-dim"), default="dim"),
            muted=style(("text-dim",), default="dim"),
            accent=style(("status-stale", "accent"), default="bold"),
        )


def resolve_variable(variables: Mapping[str, str], name: str) -> str | None:
    """A theme variable's value, following `$other` references (None when absent or cyclic)."""
    seen: set[str] = set()
    value = variables.get(name)
    while value is not None and value.strip().startswith("$"):
        reference = value.strip()[1:]
        if reference in seen:
            return None
        seen.add(reference)
        value = variables.get(reference)
    return value.strip() if value is not None else None


def theme_colour(variables: Mapping[str, str], name: str) -> str:
    """A theme colour as `#RRGGBB` Rich understands (alpha dropped), or "" when unusable."""
    value = resolve_variable(variables, name)
    if not value:
        return ""
    text = value
    if text.startswith("#") and len(text) == 9:
        text = text[:7]  # drop alpha: Rich has no translucent colours
    try:
        Color.parse(text)
    except ColorParseError:
        return ""
    return text


@dataclass(frozen=True)
class ModelView:
    """Everything the model screen shows about one model, cut from one FleetSnapshot."""

    model: str
    report: ModelReport | None
    detail: ModelDetail | None
    alerts: tuple[AlertInfo, ...] = ()
    stale: Mapping[str, float] = field(default_factory=dict)
    evaluated_at: float = 0.0
    replay: bool = False
    generation: int = 0


def model_view(snapshot: FleetSnapshot, model: str) -> ModelView:
    """The slice of a snapshot about one model (its report, detail, alerts and stale checks)."""
    report = next((item for item in snapshot.report.models if item.model == model), None)
    return ModelView(
        model=model,
        report=report,
        detail=snapshot.details.get(model),
        alerts=tuple(alert for alert in snapshot.alerts if alert.model == model),
        stale=dict(snapshot.stale_checks.get(model, {})),
        evaluated_at=snapshot.evaluated_at,
        replay=snapshot.replay,
        generation=snapshot.generation,
    )


# ---------------------------------------------------------------- numbers


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def fmt_fraction(value: float | None, digits: int = 3) -> str:
    """A ratio in 0..1 as a decimal (`0.912`), `-` when absent."""
    return f"{value:.{digits}f}" if _finite(value) else MISSING


def fmt_percent(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage (`0.9123` -> `91.2%`), `-` when absent."""
    return f"{value * 100:.{digits}f}%" if _finite(value) else MISSING  # type: ignore[operator]


def fmt_objective(objective: float) -> str:
    """An SLO objective with as many decimals as it needs (`0.999` -> `99.9%`)."""
    text = f"{objective * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def fmt_small_percent(value: float | None) -> str:
    """An error ratio as a percentage with enough digits to compare against `1 - objective`."""
    if not _finite(value):
        return MISSING
    percent = value * 100  # type: ignore[operator]
    if percent == 0:
        return "0%"
    if abs(percent) >= 10:
        return f"{percent:.1f}%"
    if abs(percent) >= 0.1:
        return f"{percent:.2f}%"
    return f"{percent:.3f}%"


def fmt_burn(value: float | None) -> str:
    """A burn rate in at most five characters (`0.12`, `14.4`, `120`, `1.2k`)."""
    if not _finite(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if abs(number) < 10:
        return f"{number:.2f}"
    if abs(number) < 100:
        return f"{number:.1f}"
    if abs(number) < 9999.5:
        return f"{number:.0f}"
    if abs(number) < 99500:
        return f"{number / 1000:.0f}k"
    return ">99k"


def fmt_metric(value: float | None) -> str:
    """A drift or fairness statistic (`0.312`), `-` when absent."""
    return f"{value:.3f}" if _finite(value) else MISSING


def fmt_compact(value: float | None) -> str:
    """Three significant digits (`15.2`, `0.705`), `-` when absent."""
    return f"{value:.3g}" if _finite(value) else MISSING


def fmt_exhaustion(slo: SloResult) -> str:
    """When the error budget runs out at the current 1h burn rate."""
    if _finite(slo.error_budget_remaining) and slo.error_budget_remaining <= 0:  # type: ignore[operator]
        return "exhausted"
    seconds = slo.time_to_exhaustion_seconds
    if not _finite(seconds):
        return MISSING
    if seconds <= 0:  # type: ignore[operator]
        return "exhausted"
    return _coarse_duration(float(seconds))  # type: ignore[arg-type]


def _coarse_duration(seconds: float) -> str:
    """At most two units (`3d4h`, `2h5m`, `45s`)."""
    if seconds >= 86400 * 365:
        return ">1y"
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    parts: list[str] = []
    remaining = round(seconds)
    for name, size in units:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append(f"{count}{name}")
        if len(parts) == 2:
            break
    parts = [part for part in parts if not part.startswith("0")] or ["0s"]
    return "".join(parts)


def fmt_age(seconds: float) -> str:
    """An age like `45s` or `2m30s`."""
    return format_duration(max(0.0, seconds))


def fmt_time(unix_seconds: float | None) -> str:
    """A unix time as `YYYY-MM-DD HH:MMZ`, `-` when absent."""
    if not _finite(unix_seconds):
        return MISSING
    moment = datetime.fromtimestamp(float(unix_seconds), tz=UTC)  # type: ignore[arg-type]
    return moment.strftime("%Y-%m-%d %H:%MZ")


def fmt_instant_text(text: str | None) -> str:
    """An RFC 3339 string shortened to minutes (`2026-01-15 12:00Z`); other text kept as is."""
    if not text:
        return MISSING
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def fmt_since(started: str | None, now: float | None) -> str:
    """How long ago an RFC 3339 start was (`40m`), else the start shortened; `-` when absent."""
    if not started:
        return MISSING
    if now is not None:
        try:
            moment = datetime.fromisoformat(started.replace("Z", "+00:00"))
        except ValueError:
            return started
        if moment.tzinfo is not None:
            return _coarse_duration(max(0.0, now - moment.timestamp()))
    return fmt_instant_text(started)


def status_word(status: str) -> str:
    """The status as the console spells it (`CRIT`, `WARN`, `OK`, `UNKN`)."""
    return "UNKN" if status == "unknown" else status.upper()


def ascii_text(text: str) -> str:
    """External text made ASCII (non-ASCII characters become `?`) for `--ascii` consoles."""
    return text.encode("ascii", "replace").decode("ascii")


# ---------------------------------------------------------------- cells


def cell(text: object, style: str = "") -> Text:
    """One table cell; external strings go in verbatim (a Text is never parsed as markup)."""
    return Text(str(text), style=style, no_wrap=True, overflow="ellipsis")


def status_cell(status: str, palette: Palette) -> Text:
    """A status word in its style."""
    return cell(status_word(status), palette.status(status))


def burn_window_states(burn_rates: Mapping[str, float | None]) -> dict[str, str]:
    """Per window, `page` or `ticket` when it is part of a firing row of the alert table."""
    states: dict[str, str] = {}
    for condition in BURN_RATE_ALERTS:
        long_rate = burn_rates.get(condition.long_window)
        short_rate = burn_rates.get(condition.short_window)
        if not (_finite(long_rate) and _finite(short_rate)):
            continue
        if long_rate > condition.factor and short_rate > condition.factor:  # type: ignore[operator]
            for window in (condition.long_window, condition.short_window):
                if states.get(window) != "page":
                    states[window] = condition.severity
    return states


SLO_ROW_LABELS: tuple[tuple[str, str], ...] = (
    *((f"burn:{window}", f"burn {window}") for window in BURN_WINDOWS),
    ("alert", "alert"),
    ("objective", "objective"),
    ("sli", "SLI"),
    ("budget", "budget left"),
    ("exhaustion", "exhausts in"),
    ("error_ratio", f"err {ERROR_RATIO_WINDOW}/allowed"),
    ("coverage", "coverage"),
    ("status", "status"),
)


def slo_columns(report: ModelReport | None) -> tuple[str, ...]:
    """The SLO table's headers: a label column, then one column per SLO."""
    return ("", *(slo.name for slo in report.slos)) if report is not None else ("",)


def slo_rows(report: ModelReport | None, palette: Palette) -> list[Row]:
    """One row per figure, one column per SLO (narrow enough for 80 columns).

    Burn rates of the windows in a firing row of the alert table take its page/ticket style.
    """
    slos = report.slos if report is not None else []
    per_slo = [_slo_cells(slo, palette) for slo in slos]
    rows: list[Row] = []
    for key, label in SLO_ROW_LABELS:
        rows.append((key, (cell(label, palette.muted), *(cells[key] for cells in per_slo))))
    return rows


def _slo_cells(slo: SloResult, palette: Palette) -> dict[str, Text]:
    states = burn_window_states(slo.burn_rates)
    cells: dict[str, Text] = {}
    for window in BURN_WINDOWS:
        value = slo.burn_rates.get(window)
        state = states.get(window)
        style = palette.status(state) if state else ("" if _finite(value) else palette.muted)
        cells[f"burn:{window}"] = cell(fmt_burn(value), style)
    cells["alert"] = cell(
        slo.alert, palette.status(slo.alert) if slo.alert != "none" else palette.muted
    )
    cells["objective"] = cell(fmt_objective(slo.objective))
    cells["sli"] = cell(fmt_percent(slo.sli, 2))
    budget = slo.error_budget_remaining
    budget_style = ""
    if _finite(budget) and budget <= 0:  # type: ignore[operator]
        budget_style = palette.crit
    elif slo.status == "warn" and slo.alert == "none":
        budget_style = palette.warn  # warn without a ticket: the budget is low
    cells["budget"] = cell(fmt_percent(budget, 1), budget_style)
    cells["exhaustion"] = cell(fmt_exhaustion(slo), budget_style)
    allowed = 1 - slo.objective
    ratio = slo.error_ratio
    over = _finite(ratio) and ratio > allowed  # type: ignore[operator]
    cells["error_ratio"] = cell(
        f"{fmt_small_percent(ratio)}/{fmt_small_percent(allowed)}", palette.warn if over else ""
    )
    coverage = slo.coverage
    partial = _finite(coverage) and coverage < 0.999  # type: ignore[operator]
    cells["coverage"] = cell(fmt_percent(coverage, 0), palette.warn if partial else palette.muted)
    cells["status"] = status_cell(slo.status, palette)
    return cells


def drift_rows(report: ModelReport, palette: Palette) -> list[Row]:
    """Features by PSI (worst first, as analysis sorted them) with JS, KS and status."""
    rows: list[Row] = []
    for feature in report.drift.features:
        style = palette.status(feature.status) if feature.status in ("warn", "crit") else ""
        rows.append(
            (
                feature.feature,
                (
                    cell(feature.feature),
                    cell(feature.kind[:3], palette.muted),
                    cell(fmt_metric(feature.psi), style),
                    cell(fmt_metric(feature.js)),
                    cell(fmt_metric(feature.ks)),
                    status_cell(feature.status, palette),
                ),
            )
        )
    return rows


def drift_summary(report: ModelReport, palette: Palette) -> Text:
    """One line: drifted share and the model's drift status."""
    drift = report.drift
    with_data = sum(1 for feature in drift.features if feature.status != "unknown")
    return Text.assemble(
        ("drift ", ""),
        (status_word(drift.status), palette.status(drift.status)),
        (
            f"  {drift.drifted_features}/{with_data} drifted"
            f" ({fmt_percent(drift.drifted_share, 0)})  max PSI {fmt_metric(drift.max_psi)}",
            "",
        ),
    )


def distribution_rows(distribution: FeatureDistribution) -> list[tuple[str, str, str]]:
    """Per bin: the bin, its reference and current share as percentages."""
    return [
        (bin_name, fmt_percent(reference), fmt_percent(current))
        for bin_name, reference, current in zip(
            distribution.bins, distribution.reference, distribution.current, strict=False
        )
    ]


def distribution_text(distribution: FeatureDistribution | None, feature: str | None) -> Text:
    """The numeric view of a feature's distributions (the plot's narrow-width stand-in)."""
    if feature is None:
        return Text("select a feature (Enter) to compare its distributions", style="dim")
    if distribution is None:
        return Text.assemble((feature, "bold"), (": no distribution in this snapshot", "dim"))
    rows = distribution_rows(distribution)
    width = max([len("bin"), *(len(row[0]) for row in rows)])
    lines = [Text.assemble((distribution.feature, "bold"), f" ({distribution.kind})")]
    lines.append(Text(f"{'bin':<{width}}  {'ref':>7}  {'cur':>7}", style="dim"))
    for bin_name, reference, current in rows:
        lines.append(Text(f"{bin_name:<{width}}  {reference:>7}  {current:>7}"))
    return Text("\n").join(lines)


def parity_line(fairness_config: FairnessConfig | None) -> float:
    """The parity ratio line drawn and compared against (crit_ratio, 0.8 by default)."""
    return fairness_config.crit_ratio if fairness_config is not None else DEFAULT_PARITY_LINE


def fairness_summary_rows(report: ModelReport, palette: Palette, line: float) -> list[Row]:
    """Per attribute: parity ratio against the line, the other differences and status."""
    rows: list[Row] = []
    for item in report.fairness:
        ratio = item.demographic_parity_ratio
        if _finite(ratio):
            below = ratio < line  # type: ignore[operator]
            versus = cell(
                f"{'<' if below else '>='} {line:.2f}", palette.crit if below else palette.ok
            )
        else:
            versus = cell(MISSING, palette.muted)
        rows.append(
            (
                item.attribute,
                (
                    cell(item.attribute),
                    cell(
                        fmt_metric(ratio),
                        palette.status(item.status) if item.status != "ok" else "",
                    ),
                    versus,
                    cell(fmt_metric(item.demographic_parity_difference)),
                    cell(fmt_metric(item.equal_opportunity_difference)),
                    cell(fmt_metric(item.equalized_odds_difference)),
                    status_cell(item.status, palette),
                ),
            )
        )
    return rows


def group_row_key(attribute: str, group: str) -> str:
    """Row key of a group (attribute and group never collide: NUL cannot appear in labels)."""
    return f"{attribute}\x00{group}"


def fairness_group_rows(
    report: ModelReport, palette: Palette, min_samples: int | None = None
) -> list[Row]:
    """Every group with count, selection rate, TPR, FPR; insufficient groups marked and dimmed."""
    insufficient = "insufficient" if min_samples is None else f"insufficient (<{min_samples})"
    rows: list[Row] = []
    for item in report.fairness:
        for group in item.groups:
            style = "" if group.sufficient else palette.muted
            note = "" if group.sufficient else insufficient
            rows.append(
                (
                    group_row_key(item.attribute, group.group),
                    (
                        cell(item.attribute, palette.muted),
                        cell(group.group, style),
                        cell(str(group.count), style),
                        cell(fmt_fraction(group.selection_rate), style),
                        cell(fmt_fraction(group.tpr), style),
                        cell(fmt_fraction(group.fpr), style),
                        cell(note, palette.warn if note else ""),
                    ),
                )
            )
    return rows


def parity_text(fairness: Sequence[FairnessResult], line: float) -> Text:
    """The numeric stand-in for the parity plot: ratio per attribute against the line."""
    if not fairness:
        return Text("no fairness data", style="dim")
    lines = []
    for item in fairness:
        ratio = item.demographic_parity_ratio
        if _finite(ratio):
            relation = "<" if ratio < line else ">="  # type: ignore[operator]
            lines.append(Text(f"{item.attribute}: parity {ratio:.3f} {relation} {line:.2f} line"))
        else:
            lines.append(Text(f"{item.attribute}: parity {MISSING} (fewer than two groups)"))
    return Text("\n").join(lines)


def quality_summary(report: ModelReport, palette: Palette) -> Text:
    """Accuracy now, reference accuracy, change and status, with the labelled counts."""
    quality = report.quality
    change = quality.accuracy_change
    change_text = f"{change:+.3f}" if _finite(change) else MISSING
    return Text.assemble(
        ("accuracy ", ""),
        (fmt_fraction(quality.accuracy), palette.status(quality.status)),
        (f"  reference {fmt_fraction(quality.reference_accuracy)}  change {change_text}  ", ""),
        (status_word(quality.status), palette.status(quality.status)),
        (f"\nlabelled {quality.labelled}  reference labelled {quality.reference_labelled}", "dim"),
    )


def series_text(series: Series | None, evaluated_at: float, *, percent: bool = False) -> Text:
    """The numeric stand-in for a time plot: the latest hourly values, anomalies marked `!`."""
    if series is None or not series.values:
        return Text("no series in this snapshot", style="dim")
    points = list(zip(series.timestamps, series.values, strict=False))[-12:]
    flags = list(series.anomalies)[-len(points) :] if series.anomalies else [False] * len(points)
    flags += [False] * (len(points) - len(flags))
    parts = []
    for (timestamp, value), flagged in zip(points, flags, strict=False):
        hours = (timestamp - evaluated_at) / 3600
        shown = fmt_small_percent(value) if percent else fmt_fraction(value)
        when = "now" if round(hours) == 0 else f"{hours:+.0f}h"
        parts.append(f"{when} {shown}{'!' if flagged else ''}")
    lines = [", ".join(parts[index : index + 4]) for index in range(0, len(parts), 4)]
    text = Text("\n".join(lines))
    if series.reference is not None:
        shown = fmt_small_percent(series.reference) if percent else fmt_fraction(series.reference)
        text.append(f"\nreference {shown}", style="dim")
    if any(flags):
        text.append("  (! = anomaly)", style="dim")
    return text


def violation_rows(report: ModelReport, palette: Palette) -> list[Row]:
    """The model's violations, worst first, keyed so a row can open its runbook."""
    ordered = sorted(
        enumerate(report.violations), key=lambda pair: (-STATUS_RANK[pair[1].severity], pair[0])
    )
    rows: list[Row] = []
    for index, violation in ordered:
        rows.append(
            (
                violation_key(violation, index),
                (
                    cell(violation.check),
                    cell(violation.subject),
                    status_cell(violation.severity, palette),
                    cell(f"{fmt_compact(violation.value)}/{fmt_compact(violation.threshold)}"),
                    cell(violation.message),
                ),
            )
        )
    return rows


def violation_key(violation: Violation, index: int) -> str:
    """Row key of a violation: its check and subject (index only breaks exact duplicates)."""
    return f"{violation.check}\x00{violation.subject}\x00{index}"


def check_of_violation_key(key: str) -> str:
    """The runbook check key stored in a violation row key."""
    return key.split("\x00", 1)[0]


def alert_key(alert: AlertInfo) -> str:
    """Row key of an alert: its name and labels."""
    labels = ",".join(f"{name}={value}" for name, value in alert.labels)
    return f"{alert.name}\x00{labels}\x00{alert.starts_at}"


def alert_rows(
    alerts: Iterable[AlertInfo], palette: Palette, now: float | None = None
) -> list[Row]:
    """Firing and pending alerts, with how long they have fired; silenced ones say so, dimmed."""
    rows: list[Row] = []
    for alert in alerts:
        state = "silenced" if alert.silenced else alert.state
        style = palette.muted if alert.silenced else ""
        severity_style = (
            palette.muted if alert.silenced else _severity_style(alert.severity, palette)
        )
        rows.append(
            (
                alert_key(alert),
                (
                    cell(alert.name, style),
                    cell(alert.severity, severity_style),
                    cell(state, style),
                    cell(fmt_since(alert.starts_at, now), style),
                    cell(alert.summary, style),
                ),
            )
        )
    return rows


def _severity_style(severity: str, palette: Palette) -> str:
    lowered = severity.lower()
    if lowered in ("critical", "crit", "page"):
        return palette.crit
    if lowered in ("warning", "warn", "ticket"):
        return palette.warn
    return ""


def alerts_summary(view: ModelView, palette: Palette) -> Text:
    """One line: how many violations and alerts, and how many alerts are silenced."""
    violations = len(view.report.violations) if view.report is not None else 0
    silenced = sum(1 for alert in view.alerts if alert.silenced)
    active = len(view.alerts) - silenced
    return Text.assemble(
        (
            f"{violations} violation{'s' if violations != 1 else ''}",
            palette.crit if violations else "",
        ),
        f", {active} alert{'s' if active != 1 else ''} firing",
        (f", {silenced} silenced" if silenced else "", palette.muted),
    )


def version_rows(versions: Iterable[VersionInfo], palette: Palette) -> list[Row]:
    """Registry versions with aliases, status and the recorded candidate gate."""
    rows: list[Row] = []
    for version in versions:
        aliases = ",".join(version.aliases)
        gate = version.gate or MISSING
        gate_style = ""
        if version.gate:
            lowered = version.gate.lower()
            if lowered in ("fail", "failed", "crit"):
                gate_style = palette.crit
            elif lowered in ("pass", "passed", "ok"):
                gate_style = palette.ok
        rows.append(
            (
                version.version,
                (
                    cell(version.version, palette.accent if aliases else ""),
                    cell(version.status, "" if version.status == "READY" else palette.muted),
                    cell(aliases or MISSING, palette.accent if aliases else palette.muted),
                    cell(fmt_instant_text(version.created)),
                    cell(gate, gate_style),
                    cell(version.run_id or MISSING, palette.muted),
                ),
            )
        )
    return rows


def alias_move_rows(moves: Iterable[AliasMoveInfo], palette: Palette) -> list[Row]:
    """Alias moves, newest first (the same moves are marked on the time plots)."""
    ordered = sorted(moves, key=lambda move: move.time, reverse=True)
    rows: list[Row] = []
    for index, move in enumerate(ordered):
        rows.append(
            (
                f"{move.time}\x00{move.alias}\x00{index}",
                (
                    cell(fmt_time(move.time)),
                    cell(move.alias, palette.accent),
                    cell(f"{move.from_version or MISSING} -> {move.to_version}"),
                    cell(move.actor or MISSING, palette.muted),
                    cell(move.reason),
                ),
            )
        )
    return rows


def header_text(view: ModelView, palette: Palette) -> Text:
    """The line above the panels: model, version, health, reasons, evaluation time."""
    text = Text()
    text.append(view.model, style="bold")
    report = view.report
    if report is None:
        text.append("  not in the latest snapshot (filtered out or not reported)", style="dim")
        return text
    text.append(f"  version {report.version or MISSING}  ")
    text.append(status_word(report.status), style=palette.status(report.status))
    text.append(f"  {'REPLAY @' if view.replay else 'at'} {fmt_time(view.evaluated_at)}", "dim")
    if view.stale:
        stale = ", ".join(f"{check} {fmt_age(age)}" for check, age in sorted(view.stale.items()))
        text.append(f"  stale: {stale}", style=palette.warn)
    if report.checks:
        text.append("\n")
        ordered = [check for check in MODEL_CHECKS if check in report.checks]
        ordered += sorted(set(report.checks) - set(MODEL_CHECKS))
        for index, check in enumerate(ordered):
            status = report.checks[check]
            text.append(f"{'  ' if index else ''}{check} ", style="dim")
            text.append(status_word(status), style=palette.status(status))
    if report.reasons:
        text.append("\n")
        shown = report.reasons[:HEADER_REASONS]
        text.append("; ".join(shown), style=palette.status(report.status))
        if len(report.reasons) > len(shown):
            text.append(f" (+{len(report.reasons) - len(shown)} more)", style="dim")
    return text


# ---------------------------------------------------------------- plain text (copy, CLI)


def plain_table(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """Rows as an aligned plain-text table (for `y` copy and logs)."""
    body = [[item.plain for item in cells] for _, cells in rows]
    widths = [len(column) for column in columns]
    for line in body:
        for index, value in enumerate(line):
            widths[index] = max(widths[index], len(value))
    out = ["  ".join(column.ljust(widths[i]) for i, column in enumerate(columns)).rstrip()]
    for line in body:
        out.append("  ".join(value.ljust(widths[i]) for i, value in enumerate(line)).rstrip())
    return "\n".join(out)


def model_view_text(view: ModelView, fairness_config: FairnessConfig | None = None) -> str:
    """The whole model screen as plain text, panel by panel (what `y` copies)."""
    palette = Palette()
    sections = [header_text(view, palette).plain]
    report = view.report
    if report is not None:
        line = parity_line(fairness_config)
        sections += [
            "SLO\n" + plain_table(slo_columns(report), slo_rows(report, palette)),
            "Drift\n"
            + drift_summary(report, palette).plain
            + "\n"
            + plain_table(DRIFT_COLUMNS, drift_rows(report, palette)),
            "Fairness\n"
            + plain_table(FAIRNESS_SUMMARY_COLUMNS, fairness_summary_rows(report, palette, line))
            + "\n"
            + plain_table(
                FAIRNESS_GROUP_COLUMNS,
                fairness_group_rows(
                    report,
                    palette,
                    fairness_config.min_samples if fairness_config is not None else None,
                ),
            )
            + "\n"
            + FOUR_FIFTHS_NOTE,
            "Quality\n" + quality_summary(report, palette).plain,
            "Violations\n" + plain_table(VIOLATION_COLUMNS, violation_rows(report, palette)),
        ]
    sections.append(
        "Alerts\n" + plain_table(ALERT_COLUMNS, alert_rows(view.alerts, palette, view.evaluated_at))
    )
    if view.detail is not None:
        sections.append(
            "Versions\n"
            + plain_table(VERSION_COLUMNS, version_rows(view.detail.versions, palette))
            + "\n"
            + plain_table(ALIAS_MOVE_COLUMNS, alias_move_rows(view.detail.alias_moves, palette))
        )
    return "\n\n".join(sections) + "\n"
