"""Health: the worst-of ranking and how age makes a check stale, then unknown."""

from __future__ import annotations

import itertools
import math

import pytest

from govtui.analysis.health import effective_status, model_status

STATUSES = ("ok", "unknown", "warn", "crit")


def test_model_status_ranks_crit_warn_unknown_ok() -> None:
    assert model_status({}) == "unknown"
    assert model_status({"slo": "ok", "drift": "ok"}) == "ok"
    assert model_status({"slo": "ok", "drift": "unknown"}) == "unknown"
    assert model_status({"slo": "warn", "drift": "unknown"}) == "warn"
    assert model_status({"slo": "warn", "drift": "crit", "quality": "unknown"}) == "crit"
    for first, second in itertools.product(STATUSES, repeat=2):
        expected = max(first, second, key=STATUSES.index)
        assert model_status({"a": first, "b": second}) == expected


def test_never_computed_is_unknown() -> None:
    assert effective_status(None, None, 15, 10) == ("unknown", False)
    assert effective_status("ok", None, 15, 10) == ("unknown", False)
    assert effective_status(None, 3.0, 15, 10) == ("unknown", False)
    assert effective_status("crit", math.nan, 15, 10) == ("unknown", False)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0.0, ("crit", False)),
        (-5.0, ("crit", False)),  # clock skew counts as fresh
        (15.0, ("crit", False)),
        (30.0, ("crit", False)),
        (30.1, ("crit", True)),  # missed a refresh: stale, keeps its status
        (150.0, ("crit", True)),  # exactly 10 x refresh: still shown
        (150.1, ("unknown", True)),  # older than stale_after: unknown
    ],
)
def test_age_makes_a_check_stale_then_unknown(age: float, expected: tuple[str, bool]) -> None:
    assert effective_status("crit", age, 15, 10) == expected


def test_stale_after_factor_is_respected() -> None:
    assert effective_status("warn", 100, 60, 1.5) == ("unknown", True)
    assert effective_status("warn", 100, 60, 2) == ("warn", False)


def test_bad_status_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        effective_status("green", 1, 15, 10)
