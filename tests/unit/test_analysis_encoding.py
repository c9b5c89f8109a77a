"""Column encoding helpers: run-based and hashed paths agree with plain pandas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.encoding import (
    counts,
    dense_groups,
    encode,
    encode_against,
    name_index,
    numbers,
)


@settings(deadline=None, max_examples=80)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "zz", None]), min_size=0, max_size=60),
    st.integers(1, 50),
    st.booleans(),
)
def test_encode_round_trips(values: list[str | None], repeat: int, sort: bool) -> None:
    # Repeating each value makes the column blocky (the run-based path); short runs hash rows.
    column = pd.Series([value for value in values for _ in range(repeat)], dtype=object)
    codes, uniques = encode(column, sort=sort)
    assert len(codes) == len(column)
    decoded = [None if code < 0 else uniques[code] for code in codes]
    assert decoded == column.tolist()
    assert len(set(uniques.tolist())) == len(uniques)
    if sort:
        assert uniques.tolist() == sorted(uniques.tolist())
    category = column.astype("category")
    cat_codes, cat_uniques = encode(category, sort=sort)
    assert [None if code < 0 else cat_uniques[code] for code in cat_codes] == column.tolist()


def test_encode_against_a_fixed_list() -> None:
    column = pd.Series(["b", "b", "x", None, "a"] * 3)
    codes = encode_against(column, name_index(["a", "b", "c"]))
    assert codes.tolist() == [1, 1, -1, -1, 0] * 3
    assert encode_against(pd.Series([], dtype=object), name_index(["a"])).tolist() == []


def test_numbers_and_counts() -> None:
    raw = pd.Series(["1", "2.5", "x", "inf", None, "-3"], dtype=object)
    values = numbers(raw)
    assert values[:2].tolist() == [1.0, 2.5]
    assert all(math.isnan(value) for value in values[2:5])
    assert counts(raw)[-1] == 0.0
    nullable = pd.Series([1, None, 3], dtype="Int64")
    assert np.isnan(numbers(nullable)[1]) and numbers(nullable)[2] == 3.0
    assert numbers(pd.Series([True, False])).tolist() == [1.0, 0.0]


@settings(deadline=None, max_examples=80)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 6)), min_size=1, max_size=200),
    st.booleans(),
    st.sampled_from([(5, 7), (5_000_000, 7_000_000)]),
)
def test_dense_groups_match_pandas_groupby(
    pairs: list[tuple[int, int]], presort: bool, sizes: tuple[int, int]
) -> None:
    if presort:
        pairs = sorted(pairs)
    first = np.array([pair[0] for pair in pairs], dtype=np.intp)
    second = np.array([pair[1] for pair in pairs], dtype=np.intp)
    groups = dense_groups([first, second], list(sizes))
    frame = pd.DataFrame({"a": first, "b": second})
    expected_ids = frame.groupby(["a", "b"], sort=True).ngroup().to_numpy()
    assert groups.ids.tolist() == expected_ids.tolist()
    keys = frame.groupby(["a", "b"], sort=True).size().index
    assert groups.parts[0].tolist() == list(keys.get_level_values(0))
    assert groups.parts[1].tolist() == list(keys.get_level_values(1))
    assert groups.first.tolist() == [
        int(np.flatnonzero(expected_ids == g)[0]) for g in range(groups.count)
    ]


def test_dense_groups_on_huge_key_spaces_and_no_rows() -> None:
    big = [np.array([2, 1, 2]), np.array([5, 5, 5]), np.array([0, 0, 0])]
    groups = dense_groups(big, [2**40, 2**30, 2**10])
    assert groups.ids.tolist() == [1, 0, 1]
    assert groups.parts[0].tolist() == [1, 2]
    assert dense_groups([np.array([], dtype=np.intp)], [3]).count == 0
