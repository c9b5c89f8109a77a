"""CSV signals: a directory of tidy CSV files read into the same frames Prometheus would give.

Files (columns as the design's data contracts): `requests.csv`, `latency.csv`,
`feature_bins.csv`, `outcomes.csv`, and optionally `series.csv` and `freshness.csv`. An absent
file leaves its frame None, so the checks that need it are reported unknown. Any invalid cell
raises InputError `FILE:LINE: column: problem`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from govtui.analysis.frames import FRAME_COLUMNS, OPTIONAL_COLUMNS, Signals, frame_models
from govtui.errors import InputError
from govtui.timeutil import format_duration, parse_duration, parse_instant

SIGNAL_FILES: dict[str, str] = {
    "requests": "requests.csv",
    "latency": "latency.csv",
    "feature_bins": "feature_bins.csv",
    "outcomes": "outcomes.csv",
    "series": "series.csv",
    "freshness": "freshness.csv",
}
# What goes unknown when a file is absent (said once as a warning, so CI logs explain it).
_ABSENT_MEANS = {
    "requests": "availability SLOs are unknown",
    "latency": "latency SLOs are unknown",
    "feature_bins": "drift is unknown",
    "outcomes": "fairness and quality are unknown",
}
_OUTCOME_WINDOWS = ("current", "reference")


class _Table:
    """Raw cells of one CSV file by column, with the file line each row came from."""

    def __init__(self, label: str, header: list[str], rows: list[list[str]], lines: list[int]):
        self.label = label
        self.header = header
        self.lines = lines
        self.cells: dict[str, pd.Series] = {
            name: pd.Series([row[index] for row in rows], dtype=object).str.strip()
            for index, name in enumerate(header)
        }

    def fail(self, row: int, column: str, problem: str) -> InputError:
        """The one-line error for a cell, by its row index in the table."""
        return InputError(f"{self.label}:{self.lines[row]}: {column}: {problem}")


Parser = Callable[[_Table, str], pd.Series]


@dataclass(frozen=True)
class _Column:
    name: str
    parse: Parser


def _first(mask: pd.Series | np.ndarray) -> int | None:
    """Index of the first True in a boolean mask, or None."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(positions[0]) if positions.size else None


def _text(table: _Table, column: str) -> pd.Series:
    values = table.cells[column]
    bad = _first(values == "")
    if bad is not None:
        raise table.fail(bad, column, "empty value")
    return values.astype(str)


def _optional_text(table: _Table, column: str) -> pd.Series:
    values = table.cells[column]
    return values.where(values != "", None)


def _numbers(table: _Table, column: str, *, allow_empty: bool = False) -> pd.Series:
    raw = table.cells[column]
    numbers = pd.to_numeric(raw.replace("", np.nan), errors="coerce").astype("float64")
    empty = raw == ""
    if not allow_empty:
        bad = _first(empty)
        if bad is not None:
            raise table.fail(bad, column, "empty value")
    bad = _first(numbers.isna() & ~empty & ~raw.str.lower().isin(["nan"]))
    if bad is not None:
        raise table.fail(bad, column, f"not a number: {raw.iloc[bad]!r}")
    return numbers


def _count(table: _Table, column: str) -> pd.Series:
    numbers = _numbers(table, column)
    raw = table.cells[column]
    bad = _first(~np.isfinite(numbers))
    if bad is not None:
        raise table.fail(bad, column, f"count must be finite, got {raw.iloc[bad]!r}")
    bad = _first(numbers < 0)
    if bad is not None:
        raise table.fail(bad, column, f"negative count {raw.iloc[bad]}")
    # Counts from a counter's increase() can be fractional; keep ints when they are whole.
    if bool((numbers == np.floor(numbers)).all()):
        return numbers.astype("int64")
    return numbers


def _fraction(table: _Table, column: str) -> pd.Series:
    numbers = _numbers(table, column, allow_empty=True)
    raw = table.cells[column]
    bad = _first(numbers.notna() & ((numbers < 0) | (numbers > 1)))
    if bad is not None:
        raise table.fail(bad, column, f"must be between 0 and 1, got {raw.iloc[bad]}")
    return numbers


def _value(table: _Table, column: str) -> pd.Series:
    return _numbers(table, column, allow_empty=True)


def _binary(table: _Table, column: str, *, allow_empty: bool) -> pd.Series:
    raw = table.cells[column]
    valid = raw.isin(["0", "1"]) | (allow_empty & (raw == ""))
    bad = _first(~valid)
    if bad is not None:
        expected = "0, 1 or empty (not yet labelled)" if allow_empty else "0 or 1"
        raise table.fail(bad, column, f"expected {expected}, got {raw.iloc[bad]!r}")
    if allow_empty:
        return pd.to_numeric(raw.replace("", np.nan)).astype("float64")
    return raw.astype("int64")


def _prediction(table: _Table, column: str) -> pd.Series:
    return _binary(table, column, allow_empty=False)


def _label(table: _Table, column: str) -> pd.Series:
    return _binary(table, column, allow_empty=True)


def _window(table: _Table, column: str) -> pd.Series:
    values = _text(table, column)
    canonical: dict[str, str] = {}
    for position, text in enumerate(values):
        if text in canonical:
            continue
        try:
            canonical[text] = format_duration(parse_duration(text))
        except ValueError:
            raise table.fail(
                position, column, f"invalid window {text!r} (expected a duration like 5m, 1h, 30d)"
            ) from None
    return values.map(canonical)


def _outcome_window(table: _Table, column: str) -> pd.Series:
    values = table.cells[column].str.lower()
    bad = _first(~values.isin(_OUTCOME_WINDOWS))
    if bad is not None:
        raise table.fail(
            bad, column, f"expected current or reference, got {table.cells[column].iloc[bad]!r}"
        )
    return values.astype(str)


def _kind(table: _Table, column: str) -> pd.Series:
    values = table.cells[column].str.lower()
    bad = _first(~values.isin(["numeric", "categorical"]))
    if bad is not None:
        raise table.fail(
            bad,
            column,
            f"unknown kind {table.cells[column].iloc[bad]!r} (expected numeric or categorical)",
        )
    return values.astype(str)


def _instant(table: _Table, column: str) -> pd.Series:
    raw = table.cells[column]
    seconds = pd.to_numeric(raw, errors="coerce").astype("float64")
    result = seconds.to_numpy(copy=True)
    for position in np.flatnonzero(seconds.isna().to_numpy()):
        text = raw.iloc[position]
        if text == "":
            raise table.fail(int(position), column, "empty value")
        try:
            result[position] = parse_instant(text).timestamp()
        except ValueError:
            raise table.fail(
                int(position),
                column,
                f"invalid time {text!r} (expected RFC 3339 or unix seconds)",
            ) from None
    bad = _first(~np.isfinite(result))
    if bad is not None:
        raise table.fail(bad, column, f"invalid time {raw.iloc[bad]!r}")
    return pd.Series(result, dtype="float64")


_SPECS: dict[str, tuple[_Column, ...]] = {
    "requests": (
        _Column("model", _text),
        _Column("window", _window),
        _Column("total", _count),
        _Column("errors", _count),
        _Column("coverage", _fraction),
    ),
    "latency": (
        _Column("model", _text),
        _Column("window", _window),
        _Column("total", _count),
        _Column("fast", _count),
        _Column("coverage", _fraction),
        _Column("slo", _optional_text),
    ),
    "feature_bins": (
        _Column("model", _text),
        _Column("feature", _text),
        _Column("kind", _kind),
        _Column("bin", _text),
        _Column("reference", _count),
        _Column("current", _count),
    ),
    "outcomes": (
        _Column("model", _text),
        _Column("window", _outcome_window),
        _Column("attribute", _text),
        _Column("group", _text),
        _Column("prediction", _prediction),
        _Column("label", _label),
        _Column("count", _count),
    ),
    "series": (
        _Column("model", _text),
        _Column("signal", _text),
        _Column("timestamp", _instant),
        _Column("value", _value),
    ),
    "freshness": (
        _Column("model", _text),
        _Column("signal", _text),
        _Column("last_seen", _instant),
    ),
}
# Columns a file may leave out: the optional extras, and outcomes' `window` (then all current).
_MAY_OMIT: dict[str, tuple[str, ...]] = {**OPTIONAL_COLUMNS, "outcomes": ("window",)}
# Rows that must be unique; a repeated key is almost always a concatenation mistake.
_KEYS: dict[str, tuple[str, ...]] = {
    "requests": ("model", "window"),
    "latency": ("model", "window", "slo"),
    "outcomes": ("model", "window", "attribute", "group", "prediction", "label"),
    "series": ("model", "signal", "timestamp"),
    "freshness": ("model", "signal"),
}


def _read_table(path: Path, label: str) -> _Table:
    """Parse the CSV text, keeping each row's line number; rejects ragged rows."""
    rows: list[list[str]] = []
    lines: list[int] = []
    line = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            line = reader.line_num
            if header is None or not any(cell.strip() for cell in header):
                raise InputError(f"{label}:1: (header): empty file, expected a header row")
            header = [cell.strip() for cell in header]
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise InputError(
                        f"{label}:{line}: (row): expected {len(header)} fields, found {len(row)}"
                    )
                rows.append(row)
                lines.append(line)
    except UnicodeDecodeError:
        raise InputError(f"{label}:{line + 1}: (file): not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{label}:{line + 1}: (row): malformed CSV: {exc}") from None
    except OSError as exc:
        raise InputError(f"{label}:0: (file): cannot read: {exc.strerror or exc}") from None
    return _Table(label, header, rows, lines)


def read_frame(path: Path, name: str, *, label: str | None = None) -> pd.DataFrame:
    """Read one signal CSV into its tidy frame, validating every cell."""
    label = label or str(path)
    table = _read_table(path, label)
    contract = FRAME_COLUMNS[name]
    may_omit = _MAY_OMIT.get(name, ())
    known = {column.name for column in _SPECS[name]}
    seen: set[str] = set()
    for column in table.header:
        if column == "":
            raise InputError(f"{label}:1: (header): empty column name")
        if column in seen:
            raise InputError(f"{label}:1: {column}: duplicate column")
        if column not in known:
            expected = ", ".join(column.name for column in _SPECS[name])
            raise InputError(f"{label}:1: {column}: unknown column (expected {expected})")
        seen.add(column)
    for column in contract:
        if column not in seen and column not in may_omit:
            raise InputError(f"{label}:1: {column}: missing column")

    data: dict[str, pd.Series] = {}
    for spec in _SPECS[name]:
        if spec.name in seen:
            data[spec.name] = spec.parse(table, spec.name)
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(table.lines)))
    if name == "outcomes" and "window" not in frame:
        frame.insert(1, "window", pd.Series(["current"] * len(frame), dtype=object).astype(str))
    _check_rows(name, frame, table)
    if name == "feature_bins":
        frame = _order_bins(frame, table)
    ordered = [column for column in contract if column in frame]
    ordered += [str(column) for column in frame.columns if column not in ordered]
    return frame[ordered].reset_index(drop=True)


def _check_rows(name: str, frame: pd.DataFrame, table: _Table) -> None:
    """Rules across columns: parts never exceed totals, keys unique."""
    for part in ("errors", "fast"):
        if part in frame:
            bad = _first(frame[part] > frame["total"])
            if bad is not None:
                raise table.fail(bad, part, f"{frame[part].iloc[bad]} exceeds total")
    keys = [column for column in _KEYS.get(name, ()) if column in frame]
    if keys:
        _reject_duplicates(frame, keys, table, keys[-1])


def _reject_duplicates(frame: pd.DataFrame, keys: list[str], table: _Table, column: str) -> None:
    duplicated = frame.duplicated(subset=keys, keep="first")
    bad = _first(duplicated)
    if bad is None:
        return
    row = frame.iloc[bad]
    same = (frame[keys].eq(row[keys]) | (frame[keys].isna() & row[keys].isna())).all(axis=1)
    first_row = _first(same)
    first_line = table.lines[first_row] if first_row is not None else table.lines[bad]
    described = ", ".join(f"{key}={row[key]}" for key in keys)
    raise table.fail(bad, column, f"duplicate row for {described} (first at line {first_line})")


def _bin_bound(text: str) -> float:
    lowered = text.lower()
    if lowered in ("+inf", "inf"):
        return math.inf
    return float(text)


def _order_bins(frame: pd.DataFrame, table: _Table) -> pd.DataFrame:
    """Numeric bins parsed and sorted ascending per feature; kinds consistent; no repeated bin."""
    first_kind = frame.groupby(["model", "feature"], sort=False)["kind"].transform("first")
    bad = _first(frame["kind"] != first_kind)
    if bad is not None:
        raise table.fail(bad, "kind", "a feature must be all numeric or all categorical")
    numeric = (frame["kind"] == "numeric").to_numpy()
    bounds = np.full(len(frame), np.nan)
    bins = frame["bin"].to_numpy(dtype=object, copy=True)
    for position in np.flatnonzero(numeric):
        text = str(bins[position])
        try:
            bound = _bin_bound(text)
        except ValueError:
            raise table.fail(
                int(position), "bin", f"numeric bin must be an upper bound or +Inf, got {text!r}"
            ) from None
        if math.isnan(bound) or bound == -math.inf:
            raise table.fail(int(position), "bin", f"invalid bucket bound {text!r}")
        bounds[position] = bound
        if bound == math.inf:
            bins[position] = "+Inf"
    frame = frame.assign(bin=pd.Series(bins, index=frame.index).astype(str))
    # Numeric bins compare as numbers (`0.5` and `0.50` are one bound), categories as text.
    bound_key = pd.Series(bounds, index=frame.index)
    identity = frame["bin"].where(~numeric, bound_key.astype(str))
    keyed = frame.assign(_identity=identity)
    _reject_duplicates(keyed, ["model", "feature", "_identity"], table, "bin")
    order = frame.assign(
        _feature_order=frame.groupby(["model", "feature"], sort=False).ngroup(),
        _bound=np.where(numeric, bounds, 0.0),
        _row=np.arange(len(frame)),
    ).sort_values(["_feature_order", "_bound", "_row"], kind="stable")
    return frame.loc[order.index]


def read_signals_dir(directory: Path) -> Signals:
    """Read every signal CSV present in a directory into Signals (absent files -> None frames)."""
    if not directory.is_dir():
        raise InputError(f"{directory}: signals directory not found")
    frames: dict[str, pd.DataFrame | None] = {}
    warnings: list[str] = []
    for name, filename in SIGNAL_FILES.items():
        path = directory / filename
        if path.is_file():
            frames[name] = read_frame(path, name, label=str(path))
        else:
            frames[name] = None
            if name in _ABSENT_MEANS:
                warnings.append(f"{path} absent: {_ABSENT_MEANS[name]}")
    if all(frame is None for frame in frames.values()):
        expected = ", ".join(SIGNAL_FILES.values())
        raise InputError(f"{directory}: no signal files found (expected any of {expected})")
    return Signals.from_frames(sorted(frame_models(frames)), frames, warnings=warnings)
