"""PromQL text built safely: string-literal and RE2 escaping, model selectors, bucket bounds.

Pure text functions shared by the Prometheus source and the rules generator. Every string that
came from outside (model names, feature names, config values) passes through `quote()` before
it lands inside a PromQL string literal, and through `regex_escape()` before it lands inside an
`=~` matcher.
"""

from __future__ import annotations

from collections.abc import Iterable

from govtui.config import ModelsConfig

# RE2 metacharacters (Go's regexp.QuoteMeta set): escaping these makes text match itself.
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def quote(value: str) -> str:
    """A PromQL double-quoted string literal whose content is exactly `value`."""
    escaped = (
        str(value)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def regex_escape(value: str) -> str:
    """RE2 pattern matching `value` literally (Prometheus anchors matchers at both ends)."""
    return "".join(f"\\{char}" if char in _RE2_SPECIAL else char for char in str(value))


def names_regex(names: Iterable[str]) -> str:
    """An RE2 alternation matching exactly the given names."""
    escaped = [regex_escape(name) for name in dict.fromkeys(names)]
    return "|".join(escaped)


def model_matchers(models: ModelsConfig, *, only: Iterable[str] | None = None) -> str:
    """Label matchers (no braces) selecting the configured models, never empty.

    `only` narrows to these names (per-model overrides); otherwise the include list and the
    regex are combined with `|`, and excluded names are removed with `!~`.
    """
    parts: list[str] = []
    if only is not None:
        parts.append(f"model=~{quote(names_regex(only))}")
    elif models.include or models.regex is not None:
        alternatives = []
        if models.include:
            alternatives.append(names_regex(models.include))
        if models.regex is not None:
            alternatives.append(f"(?:{models.regex})")
        parts.append(f"model=~{quote('|'.join(alternatives))}")
    else:
        parts.append('model!=""')
    if models.exclude:
        parts.append(f"model!~{quote(names_regex(models.exclude))}")
    return ",".join(parts)


def with_matchers(matchers: str, *extra: str) -> str:
    """Matchers joined with extra ones (`code=~"5.."`), still without braces."""
    return ",".join(part for part in (*extra, matchers) if part)


def le_regex(threshold: float) -> str:
    """RE2 matching the decimal spellings of a bucket bound (`0.5`, `0.50`, `.5`, `1`, `1.0`)."""
    text = repr(float(threshold))
    if "e" in text or "E" in text:
        text = f"{float(threshold):.15f}".rstrip("0")
    integer, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    integer = integer.lstrip("0")
    integer_part = f"0*{regex_escape(integer)}" if integer else "0*"
    if fraction:
        return f"{integer_part}\\.{fraction}0*"
    return f"{integer_part}(?:\\.0*)?"
