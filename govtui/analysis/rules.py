"""Prometheus recording and multiwindow burn-rate alerting rules from the config and the policy.

In the spirit of Sloth and Pyrra: per SLO, recording rules for the error ratio over every
window the alert table needs (plus the SLO period, for the budget), and alerting rules built
from `govtui.analysis.policy.BURN_RATE_ALERTS` so the pages agree with the console and
`govtui check`. Plain `groups:` YAML with only standard fields, so Prometheus, Thanos Ruler and
the Mimir/Cortex ruler all load it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from govtui.analysis.policy import BURN_RATE_ALERTS
from govtui.analysis.promql import le_regex, model_matchers, names_regex, quote
from govtui.config import Config, SloConfig
from govtui.timeutil import format_duration, parse_duration

RATIO_RECORD = "govtui:slo_errors_per_request:ratio_rate{window}"
BUDGET_RECORD = "govtui:slo_error_budget_remaining:ratio"
OBJECTIVE_RECORD = "govtui:slo_objective:ratio"
ALERT_NAMES = {"page": "GovtuiSloBurnRatePage", "ticket": "GovtuiSloBurnRateTicket"}
BUDGET_ALERT = "GovtuiSloErrorBudgetExhausted"
RUNBOOK_KEYS = {"page": "slo_page", "ticket": "slo_ticket", "budget": "slo_budget"}


@dataclass(frozen=True)
class _SloGroup:
    """One SLO applied to a set of models (all selected ones, or the overridden ones)."""

    slo: SloConfig
    matchers: str
    scope: str = "fleet"


def _canonical(window: str) -> str:
    return format_duration(parse_duration(window))


def alert_windows() -> list[str]:
    """Every window the alert table reads, shortest first."""
    windows = {_canonical(c.long_window) for c in BURN_RATE_ALERTS}
    windows |= {_canonical(c.short_window) for c in BURN_RATE_ALERTS}
    return sorted(windows, key=parse_duration)


def _slo_groups(config: Config) -> list[_SloGroup]:
    """Fleet SLOs for every selected model without its own SLOs, then the per-model ones."""
    overridden = [
        name for name, override in config.models.overrides.items() if override.slos is not None
    ]
    fleet_matchers = model_matchers(config.models)
    if overridden:
        fleet_matchers += f",model!~{quote(names_regex(overridden))}"
    groups = [_SloGroup(slo, fleet_matchers) for slo in config.slos]
    shared: dict[SloConfig, list[str]] = {}
    for name in overridden:
        for slo in config.models.overrides[name].slos or ():
            shared.setdefault(slo, []).append(name)
    for index, (slo, models) in enumerate(shared.items(), start=1):
        matchers = model_matchers(config.models, only=models)
        groups.append(_SloGroup(slo, matchers, scope=f"override{index}"))
    return groups


def _error_ratio(slo: SloConfig, prefix: str, matchers: str, window: str) -> str:
    """PromQL for the share of bad events of one SLO over one window, by model."""
    if slo.kind == "availability":
        errors = f'{prefix}requests_total{{code=~"5..",{matchers}}}'
        total = f"{prefix}requests_total{{{matchers}}}"
        return (
            f"sum by (model) (rate({errors}[{window}]))\n"
            f"/\nsum by (model) (rate({total}[{window}]))"
        )
    assert slo.threshold_seconds is not None
    le = quote(le_regex(slo.threshold_seconds))
    fast = f"{prefix}request_duration_seconds_bucket{{le=~{le},{matchers}}}"
    total = f"{prefix}request_duration_seconds_count{{{matchers}}}"
    return (
        f"1 - (\n  sum by (model) (rate({fast}[{window}]))\n"
        f"  /\n  sum by (model) (rate({total}[{window}]))\n)"
    )


def _group(
    group: _SloGroup,
    prefix: str,
    runbook_urls: Mapping[str, str],
    alert_for: Mapping[str, str],
) -> dict[str, Any]:
    slo = group.slo
    # `scope` keeps the fleet's and an override's series of the same SLO name apart.
    labels = {"slo": slo.name, "scope": group.scope}
    period = _canonical(slo.period)
    windows = alert_windows()
    if period not in windows:
        windows.append(period)
    budget = f"(1 - {slo.objective!r})"
    selector = f"{{slo={quote(slo.name)},scope={quote(group.scope)}}}"
    rules: list[dict[str, Any]] = []
    for window in windows:
        rules.append(
            {
                "record": RATIO_RECORD.format(window=window),
                "expr": _error_ratio(slo, prefix, group.matchers, window),
                "labels": dict(labels),
            }
        )
    rules.append(
        {
            "record": BUDGET_RECORD,
            "expr": f"1 - {RATIO_RECORD.format(window=period)}{selector} / {budget}",
            "labels": dict(labels),
        }
    )
    for severity in ("page", "ticket"):
        conditions = [c for c in BURN_RATE_ALERTS if c.severity == severity]
        clauses = []
        for condition in conditions:
            long_window = _canonical(condition.long_window)
            short_window = _canonical(condition.short_window)
            threshold = f"({condition.factor!r} * {budget})"
            clauses.append(
                "(\n"
                f"  {RATIO_RECORD.format(window=long_window)}{selector} > {threshold}\n"
                "  and\n"
                f"  {RATIO_RECORD.format(window=short_window)}{selector} > {threshold}\n"
                ")"
            )
        explanation = "; ".join(
            f"{c.long_window} and {c.short_window} burn rates above {c.factor:g}"
            for c in conditions
        )
        rule: dict[str, Any] = {
            "alert": ALERT_NAMES[severity],
            "expr": "\nor\n".join(clauses),
        }
        if alert_for.get(severity):
            rule["for"] = alert_for[severity]
        rule["labels"] = {
            **labels,
            "severity": severity,
            "runbook": RUNBOOK_KEYS[severity],
        }
        rule["annotations"] = _annotations(
            f"{{{{ $labels.model }}}}: SLO {slo.name} is burning its error budget "
            f"({'page' if severity == 'page' else 'ticket'})",
            f"Objective {slo.objective:g} over {period}; fires when {explanation} "
            "(SRE workbook multiwindow alert).",
            runbook_urls.get(RUNBOOK_KEYS[severity]),
        )
        rules.append(rule)
    budget_rule: dict[str, Any] = {
        "alert": BUDGET_ALERT,
        "expr": f"{BUDGET_RECORD}{selector} <= 0",
    }
    if alert_for.get("budget"):
        budget_rule["for"] = alert_for["budget"]
    budget_rule["labels"] = {**labels, "severity": "ticket", "runbook": RUNBOOK_KEYS["budget"]}
    budget_rule["annotations"] = _annotations(
        f"{{{{ $labels.model }}}}: SLO {slo.name} has spent its error budget for {period}",
        "Error budget remaining is {{ $value | humanizePercentage }}.",
        runbook_urls.get(RUNBOOK_KEYS["budget"]),
    )
    rules.append(budget_rule)
    suffix = "" if group.scope == "fleet" else f"-{group.scope}"
    return {"name": f"govtui-slo-{slo.name}{suffix}", "rules": rules}


def _annotations(summary: str, description: str, runbook_url: str | None) -> dict[str, str]:
    annotations = {"summary": summary, "description": description}
    if runbook_url:
        annotations["runbook_url"] = runbook_url
    return annotations


def runbook_urls(config: Config) -> dict[str, str]:
    """Runbook entries of the config that are URLs (file paths mean nothing to Alertmanager)."""
    return {
        key: value
        for key, value in config.runbooks.paths.items()
        if value.startswith(("http://", "https://"))
    }


def build_rules(config: Config, *, alert_for: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The rule file as data: one group per SLO (and per set of models overriding it).

    `alert_for` optionally maps `page`, `ticket` or `budget` to a `for:` duration.
    """
    prometheus = config.sources.prometheus
    prefix = prometheus.metric_prefix if prometheus is not None else "ml_"
    urls = runbook_urls(config)
    durations = dict(alert_for or {})
    for key, value in durations.items():
        parse_duration(value)
        if key not in ("page", "ticket", "budget"):
            raise ValueError(f"alert_for key {key!r} must be page, ticket or budget")
    return {"groups": [_group(g, prefix, urls, durations) for g in _slo_groups(config)]}


class _RulesDumper(yaml.SafeDumper):
    """Literal blocks for multi-line expressions, so the file reads like hand-written rules."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RulesDumper.add_representer(str, _represent_text)


def render_rules(
    config: Config, *, source: str = "", alert_for: Mapping[str, str] | None = None
) -> str:
    """The rule file as YAML text with a header saying where it came from."""
    document = build_rules(config, alert_for=alert_for)
    body = yaml.dump(
        document, Dumper=_RulesDumper, sort_keys=False, default_flow_style=False, width=1000
    )
    origin = f" from {source}" if source else ""
    header = (
        f"# Generated by `govtui rules`{origin}; regenerate instead of editing.\n"
        "# Recording and multiwindow burn-rate alerting rules (SRE workbook table); valid for\n"
        "# Prometheus, Thanos Ruler and the Mimir/Cortex ruler.\n"
    )
    return header + body
