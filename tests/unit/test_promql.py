"""PromQL text: escaping (checked against a PromQL-string decoder and Python's re), templates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.config import ModelsConfig, WindowConfig
from govtui.errors import ConfigError
from govtui.sources import promql


def _decode_promql_string(literal: str) -> str:
    """Decode a double-quoted PromQL (Go) string literal with the escapes quote() emits."""
    assert literal.startswith('"') and literal.endswith('"')
    body = literal[1:-1]
    out, index = [], 0
    escapes = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}
    while index < len(body):
        char = body[index]
        if char == "\\":
            out.append(escapes[body[index + 1]])
            index += 2
            continue
        assert char not in '"\n', "unescaped quote or newline inside the literal"
        out.append(char)
        index += 1
    return "".join(out)


@settings(deadline=None, max_examples=300)
@given(st.text())
def test_quote_round_trips(value: str) -> None:
    assert _decode_promql_string(promql.quote(value)) == value


@settings(deadline=None, max_examples=300)
@given(st.text(min_size=1), st.text())
def test_regex_escape_matches_only_itself(name: str, other: str) -> None:
    pattern = re.compile(promql.regex_escape(name), re.DOTALL)
    assert pattern.fullmatch(name)
    if other != name:
        assert not pattern.fullmatch(other)


def test_names_regex_and_matchers() -> None:
    assert promql.names_regex(["a.b", "c|d", "a.b"]) == "a\\.b|c\\|d"
    assert promql.model_matchers(ModelsConfig()) == 'model!=""'
    matchers = promql.model_matchers(
        ModelsConfig(include=['x"y'], regex="fraud-.*", exclude=["old.one"])
    )
    assert matchers == 'model=~"x\\"y|(?:fraud-.*)",model!~"old\\\\.one"'
    assert promql.model_matchers(ModelsConfig(), only=["a+b"]) == 'model=~"a\\\\+b"'


@pytest.mark.parametrize(
    ("threshold", "matches", "rejects"),
    [
        (0.5, ["0.5", "0.50", ".5"], ["5", "0.05", "1.5"]),
        (1.0, ["1", "1.0", "01.00"], ["10", "0.1"]),
        (0.25, ["0.25", "0.250"], ["0.2", "0.255"]),
    ],
)
def test_le_regex_matches_numeric_spellings(
    threshold: float, matches: list[str], rejects: list[str]
) -> None:
    pattern = re.compile(promql.le_regex(threshold))
    assert all(pattern.fullmatch(text) for text in matches)
    assert not any(pattern.fullmatch(text) for text in rejects)


def test_window_modifiers() -> None:
    at = datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert promql.window_modifier(WindowConfig(duration="1h"), at) == ("1h", "")
    assert promql.window_modifier(WindowConfig(duration="1d", offset="7d"), at) == (
        "1d",
        " offset 7d",
    )
    absolute = WindowConfig(start="2026-01-01T00:00:00Z", end="2026-01-02T00:00:00Z")
    assert promql.window_modifier(absolute, at) == ("1d", " @ 1767312000")
    assert promql.shift_modifier("", 7200) == " offset 2h"
    assert promql.shift_modifier(" offset 7d", 3600) == " offset 7d1h"
    assert promql.shift_modifier(" @ 1767312000", 3600) == " @ 1767308400"


def test_render_templates() -> None:
    template = "sum by (model) (increase({prefix}requests_total{selector}[{window}]{offset}))"
    values = {"prefix": "ml_", "selector": '{model!=""}', "window": "5m", "offset": ""}
    assert (
        promql.render(template, values)
        == 'sum by (model) (increase(ml_requests_total{model!=""}[5m]))'
    )
    assert (
        promql.render('x{code=~"5..",{matchers}}', {"matchers": 'model="a"'})
        == 'x{code=~"5..",model="a"}'
    )
    with pytest.raises(ConfigError, match=r"unknown placeholder \{nope\}"):
        promql.render("{nope}", values, name="requests_total")
    with pytest.raises(ConfigError, match=r"placeholder \{step\} is not available"):
        promql.render("{step}", values, name="requests_total")


def test_union_and_label_window() -> None:
    tagged = promql.label_window("up", "w", '5"m')
    assert tagged == 'label_replace(up, "w", "5\\"m", "", "")'
    assert promql.union(["a", "b"]) == "(a) or (b)"
