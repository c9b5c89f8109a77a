"""PromQL query templates: placeholders, window modifiers, batching windows into one query.

The escaping helpers live in `govtui.analysis.promql` (the rules generator needs them too) and
are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from govtui.analysis.promql import (
    le_regex,
    model_matchers,
    names_regex,
    quote,
    regex_escape,
    with_matchers,
)
from govtui.config import WindowConfig
from govtui.errors import ConfigError
from govtui.timeutil import format_duration, parse_duration, parse_instant

_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")

# Placeholders a query template may use, with what they expand to.
PLACEHOLDERS: dict[str, str] = {
    "prefix": "the metric prefix (sources.prometheus.metric_prefix, default `ml_`)",
    "matchers": 'the model label matchers without braces, e.g. `model=~"a|b"`',
    "selector": 'the model label matchers with braces, e.g. `{model=~"a|b"}`',
    "window": "the range of the window, e.g. `5m`, `1h`, `30d`",
    "offset": "the window's time modifier: empty, ` offset 7d` or ` @ 1767225600`",
    "at": "the evaluation time in unix seconds",
    "step": "the subquery resolution for coverage and freshness queries",
}


def window_modifier(window: WindowConfig, at: datetime) -> tuple[str, str]:
    """(range, modifier) of a window relative to `at`: ` offset 7d`, ` @ <end>`, or none."""
    if window.start is not None and window.end is not None:
        start, end = parse_instant(window.start), parse_instant(window.end)
        duration = int((end - start).total_seconds())
        return format_duration(duration), f" @ {end.timestamp():.0f}"
    offset = parse_duration(window.offset)
    modifier = f" offset {format_duration(offset)}" if offset else ""
    return format_duration(parse_duration(window.duration)), modifier


def shift_modifier(modifier: str, extra_seconds: int) -> str:
    """A time modifier moved `extra_seconds` further into the past (labels arriving late)."""
    if extra_seconds <= 0:
        return modifier
    text = modifier.strip()
    if text.startswith("@"):
        return f" @ {float(text[1:].strip()) - extra_seconds:.0f}"
    existing = parse_duration(text.removeprefix("offset").strip()) if text else 0
    return f" offset {format_duration(existing + extra_seconds)}"


def render(template: str, values: Mapping[str, str], *, name: str = "query") -> str:
    """Fill `{placeholder}`s in a query template; other braces (label matchers) stay as they are."""

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in values:
            return values[key]
        if key in PLACEHOLDERS:
            raise ConfigError(
                f"sources.prometheus.queries.{name}: placeholder {{{key}}} is not available "
                f"in this query (available: {', '.join('{' + k + '}' for k in values)})"
            )
        raise ConfigError(
            f"sources.prometheus.queries.{name}: unknown placeholder {{{key}}} "
            f"(known: {', '.join('{' + k + '}' for k in PLACEHOLDERS)})"
        )

    return _PLACEHOLDER_RE.sub(substitute, template)


def label_window(expression: str, label: str, value: str) -> str:
    """The expression with a constant label added, so several windows share one query."""
    return f"label_replace({expression}, {quote(label)}, {quote(value)}, {quote('')}, {quote('')})"


def union(expressions: Iterable[str]) -> str:
    """Expressions joined with `or` (label sets differ by the added label, so nothing is lost)."""
    return " or ".join(f"({expression})" for expression in expressions)


__all__ = [
    "PLACEHOLDERS",
    "label_window",
    "le_regex",
    "model_matchers",
    "names_regex",
    "quote",
    "regex_escape",
    "render",
    "shift_modifier",
    "union",
    "window_modifier",
    "with_matchers",
]
