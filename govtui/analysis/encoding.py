"""Turning tidy frame columns into integer codes and clean counts, fast on fleet-sized frames.

Sources emit rows in blocks (all rows of one model together), so most key columns are long runs
of one value; hashing only the first value of each run is several times faster than hashing every
row. Every helper falls back to plain factorisation when a column is not blocky.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Below this many rows per run, hashing every row is as cheap as finding the runs.
_MIN_RUN_LENGTH = 4
# Rows looked at first to guess whether a column is blocky at all.
_PROBE_ROWS = 2048


def run_heads(values: np.ndarray) -> np.ndarray:
    """Positions where a value differs from the one before it (position 0 included)."""
    size = len(values)
    if size == 0:
        return np.empty(0, dtype=np.intp)
    change = np.empty(size, dtype=bool)
    change[0] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    return np.flatnonzero(change)


def encode(series: pd.Series, *, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes per row (-1 for missing) and the distinct values (sorted when asked)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = np.asarray(series.cat.codes.to_numpy(), dtype=np.intp)
        categories = series.cat.categories.to_numpy(dtype=object)
        if sort and len(categories) > 1:
            order = np.argsort(categories.astype(str), kind="stable")
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
            categories = categories[order]
        return codes, categories
    values = series.to_numpy()
    if values.dtype == object and not all(isinstance(value, Hashable) for value in values[:1]):
        values = _hashable(values)
    heads: np.ndarray | None
    try:
        probe = run_heads(values[:_PROBE_ROWS])
        blocky = len(probe) * _MIN_RUN_LENGTH <= min(len(values), _PROBE_ROWS)
        heads = run_heads(values) if blocky else None
    except (TypeError, ValueError):
        heads = None
    if heads is None or len(heads) * _MIN_RUN_LENGTH > len(values):
        codes, uniques = factorize_values(values, sort)
        return np.asarray(codes, dtype=np.intp), np.asarray(uniques, dtype=object)
    head_codes, uniques = factorize_values(values[heads], sort)
    lengths = np.diff(np.append(heads, len(values)))
    return np.repeat(np.asarray(head_codes, dtype=np.intp), lengths), np.asarray(
        uniques, dtype=object
    )


def _hashable(values: np.ndarray) -> np.ndarray:
    """Cells that cannot be hashed (a list where a name belongs) stand in as their repr."""
    return np.array(
        [value if isinstance(value, Hashable) else repr(value) for value in values], dtype=object
    )


def factorize_values(values: np.ndarray, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize that never raises on odd cells (unhashable or unorderable names)."""
    try:
        codes, uniques = pd.factorize(values, sort=sort)
    except TypeError:
        # Unhashable cells past the first, or names of mixed types that cannot be ordered.
        codes, uniques = pd.factorize(_hashable(values).astype(str), sort=sort)
    return np.asarray(codes), np.asarray(uniques, dtype=object)


def encode_against(series: pd.Series, names: pd.Index) -> np.ndarray:
    """Position of each row's value in `names` (unique), -1 when absent or missing."""
    codes, uniques = encode(series)
    if len(uniques) == 0:
        return np.full(len(series), -1, dtype=np.intp)
    positions = np.asarray(names.get_indexer(name_index(uniques)), dtype=np.intp)
    return np.where(codes >= 0, positions[np.maximum(codes, 0)], -1)


def name_index(names: Sequence[object] | np.ndarray) -> pd.Index:
    """An index of names (object dtype, so lookups match whatever the frames hold)."""
    return pd.Index(np.asarray(list(names), dtype=object))


def numbers(series: pd.Series) -> np.ndarray:
    """A column as float64, with anything unparsable, NaN or infinite as NaN."""
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            parsed = pd.to_numeric(series, errors="coerce")
        except (TypeError, ValueError):
            parsed = pd.to_numeric(
                pd.Series(_hashable(series.to_numpy())).astype(str), errors="coerce"
            )
        values = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    values = np.array(values, dtype=np.float64, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def counts(series: pd.Series) -> np.ndarray:
    """A count column: missing stays NaN, negatives (counter resets upstream) become 0."""
    values = numbers(series)
    values[values < 0] = 0.0
    return values


@dataclass(frozen=True)
class Groups:
    """Rows grouped by several code columns: group id per row, codes and first row per group."""

    ids: np.ndarray
    parts: list[np.ndarray]
    first: np.ndarray

    @property
    def count(self) -> int:
        """Number of groups."""
        return len(self.first)


def dense_groups(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> Groups:
    """Group rows by several non-negative code columns at once.

    Groups are numbered in lexicographic order of the codes. O(rows) when the rows are already
    sorted or the key space is small, else a sort.
    """
    rows = len(codes[0]) if codes else 0
    if rows == 0:
        nothing = np.empty(0, dtype=np.intp)
        return Groups(nothing, [nothing for _ in codes], nothing)
    space = 1
    for size in sizes:
        space *= max(int(size), 1)
    if space >= 2**62:
        frame = pd.DataFrame({str(index): column for index, column in enumerate(codes)})
        ids = np.asarray(frame.groupby(list(frame.columns), sort=True).ngroup(), dtype=np.intp)
        first = _first_rows(ids, int(ids.max()) + 1)
        return Groups(ids, [column[first] for column in codes], first)
    key = np.zeros(rows, dtype=np.int64)
    for column, size in zip(codes, sizes, strict=True):
        key *= max(int(size), 1)
        key += column
    steps = np.diff(key)
    if (steps >= 0).all():
        # Already sorted (the usual shape of source output): groups are the runs.
        change = np.empty(rows, dtype=bool)
        change[0] = True
        np.greater(steps, 0, out=change[1:])
        first = np.flatnonzero(change)
        ids = np.cumsum(change) - 1
        return Groups(ids, [column[first] for column in codes], first)
    if space <= 4 * rows + 4096:
        seen = np.bincount(key, minlength=space) > 0
        group_keys = np.flatnonzero(seen)
        ids = (np.cumsum(seen) - 1)[key]
    else:
        group_keys, ids = np.unique(key, return_inverse=True)
    ids = np.asarray(ids, dtype=np.intp).ravel()
    first = _first_rows(ids, len(group_keys))
    return Groups(ids, [column[first] for column in codes], first)


def _first_rows(ids: np.ndarray, count: int) -> np.ndarray:
    first = np.full(count, len(ids), dtype=np.intp)
    np.minimum.at(first, ids, np.arange(len(ids), dtype=np.intp))
    return first


def kept(mask: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """The rows of each array where `mask` holds (the arrays themselves when it always holds)."""
    if mask.all():
        return list(arrays)
    return [array[mask] for array in arrays]


def to_optional(values: np.ndarray) -> list[float | None]:
    """Float array to a list with NaN as None (for the result dataclasses)."""
    if not np.isnan(values).any():
        return values.tolist()
    return [None if value != value else value for value in values.tolist()]
