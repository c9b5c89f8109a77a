"""What every fuzz test shares: the bounded settings and the one property that matters.

Only GovtuiError subclasses with a readable one-line message may come out of a parser, whatever
the input; any other exception fails the test (hypothesis then shrinks it to a small example,
which is kept as an `@example` regression once fixed). `GOVTUI_FUZZ_EXAMPLES` sets the examples
per test (default 60: the whole directory in well under a minute; raise it for a long run).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from govtui.errors import GovtuiError

T = TypeVar("T")
DEFAULT_EXAMPLES = 60


def examples() -> int:
    try:
        return max(1, int(os.environ.get("GOVTUI_FUZZ_EXAMPLES", DEFAULT_EXAMPLES)))
    except ValueError:
        return DEFAULT_EXAMPLES


FUZZ = settings(
    max_examples=examples(),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def readable(error: GovtuiError) -> None:
    """The message an operator sees: one line, not empty, no traceback, bounded length."""
    message = str(error)
    assert message.strip(), f"{type(error).__name__} with an empty message"
    assert "\n" not in message and "\r" not in message, repr(message)
    assert "Traceback" not in message, message
    assert len(message) < 2000, message[:200]


def only_govtui_errors(call: Callable[[], T]) -> T | GovtuiError:
    """Run `call`; return its result or the GovtuiError it raised (checked readable). Anything
    else propagates and fails the test."""
    try:
        return call()
    except GovtuiError as error:
        readable(error)
        return error


# JSON values of any shape: the building block of every fuzzed response.
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["NaN", "+Inf", "-Inf", "1e308", "0x10", "", "1", "0.5", "-0"]),
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def maybe(strategy: st.SearchStrategy[Any], other: st.SearchStrategy[Any] = json_values) -> Any:
    """Usually `strategy`, sometimes any JSON value instead (a wrong type in that place)."""
    return st.one_of(strategy, strategy, strategy, other)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")
