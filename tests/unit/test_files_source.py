"""CSV signals: frames as the data contracts say, and one-line `FILE:LINE: column: problem` errors."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govtui.analysis.frames import FRAME_COLUMNS
from govtui.errors import InputError
from govtui.sources.files import SIGNAL_FILES, read_frame, read_signals_dir

REQUESTS = "model,window,total,errors\nfraud,5m,300,1\nfraud,1h,3600,4\nchurn,1h,100,0\n"
LATENCY = "model,window,total,fast\nfraud,1h,3600,3500\n"
FEATURE_BINS = (
    "model,feature,kind,bin,reference,current\n"
    "fraud,amount,numeric,+Inf,5,6\n"
    "fraud,amount,numeric,10,50,40\n"
    "fraud,amount,numeric,1,30,20\n"
    "fraud,channel,categorical,web,10,12\n"
    "fraud,channel,categorical,branch,5,5\n"
)
OUTCOMES = (
    "model,window,attribute,group,prediction,label,count\n"
    "fraud,current,sex,f,1,1,10\n"
    "fraud,current,sex,f,1,,5\n"
    "fraud,reference,sex,m,0,0,7\n"
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / SIGNAL_FILES[name]
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_frame_with_contract_columns_and_types(tmp_path: Path) -> None:
    write(tmp_path, "requests", REQUESTS)
    write(tmp_path, "latency", LATENCY)
    write(tmp_path, "feature_bins", FEATURE_BINS)
    write(tmp_path, "outcomes", OUTCOMES)
    signals = read_signals_dir(tmp_path)

    assert signals.models == ["churn", "fraud"]
    assert signals.requests is not None
    assert tuple(signals.requests.columns) == FRAME_COLUMNS["requests"]
    assert signals.requests["total"].tolist() == [300, 3600, 100]
    assert signals.requests["errors"].dtype == np.int64
    assert signals.latency is not None
    assert tuple(signals.latency.columns) == FRAME_COLUMNS["latency"]
    assert signals.outcomes is not None
    assert tuple(signals.outcomes.columns) == FRAME_COLUMNS["outcomes"]
    labels = signals.outcomes["label"].tolist()
    assert labels[0] == 1 and math.isnan(labels[1]) and labels[2] == 0
    assert signals.outcomes["prediction"].tolist() == [1, 1, 0]
    assert signals.series is None and signals.freshness is None
    assert signals.failed == {}


def test_numeric_bins_sorted_ascending_with_inf_last_and_categories_in_file_order(
    tmp_path: Path,
) -> None:
    write(tmp_path, "feature_bins", FEATURE_BINS.replace("+Inf", "inf"))
    frame = read_signals_dir(tmp_path).feature_bins
    assert frame is not None
    amount = frame[frame["feature"] == "amount"]
    assert amount["bin"].tolist() == ["1", "10", "+Inf"]
    assert amount["reference"].tolist() == [30, 50, 5]
    assert amount["current"].tolist() == [20, 40, 6]
    channel = frame[frame["feature"] == "channel"]
    assert channel["bin"].tolist() == ["web", "branch"]
    assert tuple(frame.columns) == FRAME_COLUMNS["feature_bins"]


def test_absent_files_leave_frames_none_and_say_what_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "requests", REQUESTS)
    signals = read_signals_dir(tmp_path)
    assert signals.requests is not None
    assert signals.latency is None
    assert signals.feature_bins is None
    assert signals.outcomes is None
    joined = " | ".join(signals.warnings)
    assert "latency.csv absent: latency SLOs are unknown" in joined
    assert "drift is unknown" in joined
    assert "fairness and quality are unknown" in joined


def test_windows_are_normalised_durations(tmp_path: Path) -> None:
    write(tmp_path, "requests", "model,window,total,errors\na,60m,10,0\na,24h,20,0\na,30d,30,0\n")
    frame = read_signals_dir(tmp_path).requests
    assert frame is not None
    assert frame["window"].tolist() == ["1h", "1d", "30d"]


def test_outcomes_without_window_column_are_all_current(tmp_path: Path) -> None:
    write(tmp_path, "outcomes", "model,attribute,group,prediction,label,count\na,sex,f,1,0,3\n")
    frame = read_signals_dir(tmp_path).outcomes
    assert frame is not None
    assert tuple(frame.columns) == FRAME_COLUMNS["outcomes"]
    assert frame["window"].tolist() == ["current"]


def test_optional_columns_are_kept(tmp_path: Path) -> None:
    write(tmp_path, "requests", "model,window,total,errors,coverage\na,30d,10,1,0.5\na,1h,1,0,\n")
    write(tmp_path, "latency", "model,window,total,fast,slo\na,1h,10,9,fast-path\na,5m,1,1,\n")
    signals = read_signals_dir(tmp_path)
    assert signals.requests is not None and signals.latency is not None
    coverage = signals.requests["coverage"].tolist()
    assert coverage[0] == 0.5 and math.isnan(coverage[1])
    assert signals.latency["slo"].tolist() == ["fast-path", None]


def test_fractional_counts_are_kept_as_floats(tmp_path: Path) -> None:
    write(tmp_path, "requests", "model,window,total,errors\na,1h,10.5,0.25\n")
    frame = read_signals_dir(tmp_path).requests
    assert frame is not None
    assert frame["total"].tolist() == [10.5]
    assert frame["errors"].dtype == np.float64


def test_series_and_freshness_accept_rfc3339_and_unix_seconds(tmp_path: Path) -> None:
    write(
        tmp_path,
        "series",
        "model,signal,timestamp,value\na,accuracy,2026-01-15T12:00:00Z,0.9\na,accuracy,1768482000,\n",
    )
    write(tmp_path, "freshness", "model,signal,last_seen\na,requests,1768478400\n")
    signals = read_signals_dir(tmp_path)
    assert signals.series is not None and signals.freshness is not None
    assert signals.series["timestamp"].tolist() == [1768478400.0, 1768482000.0]
    assert signals.series["value"].iloc[0] == 0.9
    assert math.isnan(signals.series["value"].iloc[1])
    assert signals.freshness["last_seen"].tolist() == [1768478400.0]
    assert signals.models == ["a"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("requests", "model,window,total\na,1h,1\n", ":1: errors: missing column"),
        ("requests", "model,window,total,errors\na,1h,abc,0\n", ":2: total: not a number: 'abc'"),
        ("requests", "model,window,total,errors\na,1h,10,-1\n", ":2: errors: negative count -1"),
        ("requests", "model,window,total,errors\na,1h,10,11\n", ":2: errors: 11 exceeds total"),
        ("requests", "model,window,total,errors\na,1h,inf,0\n", ":2: total: count must be finite"),
        ("requests", "model,window,total,errors\na,1h,,0\n", ":2: total: empty value"),
        ("requests", "model,window,total,errors\n,1h,1,0\n", ":2: model: empty value"),
        ("requests", "model,window,total,errors\na,soon,1,0\n", ":2: window: invalid window"),
        (
            "requests",
            "model,window,total,errors\na,1h,1,0\na,60m,1,0\n",
            ":3: window: duplicate row for model=a, window=1h (first at line 2)",
        ),
        ("requests", "model,window,total,errors,colour\na,1h,1,0,red\n", ":1: colour: unknown"),
        ("requests", "model,window,total,errors,total\n", ":1: total: duplicate column"),
        ("requests", "model,window,total,errors\na,1h,1\n", ":2: (row): expected 4 fields"),
        ("requests", "", ":1: (header): empty file"),
        ("latency", "model,window,total,fast\na,1h,10,12\n", ":2: fast: 12 exceeds total"),
        (
            "feature_bins",
            "model,feature,kind,bin,reference,current\na,x,ordinal,1,1,1\n",
            ":2: kind: unknown kind 'ordinal' (expected numeric or categorical)",
        ),
        (
            "feature_bins",
            "model,feature,kind,bin,reference,current\na,x,numeric,high,1,1\n",
            ":2: bin: numeric bin must be an upper bound or +Inf, got 'high'",
        ),
        (
            "feature_bins",
            "model,feature,kind,bin,reference,current\na,x,numeric,0.5,1,1\na,x,numeric,0.50,1,1\n",
            ":3: bin: duplicate row",
        ),
        (
            "feature_bins",
            "model,feature,kind,bin,reference,current\na,x,numeric,1,1,1\na,x,categorical,b,1,1\n",
            ":3: kind: a feature must be all numeric or all categorical",
        ),
        (
            "outcomes",
            "model,window,attribute,group,prediction,label,count\na,current,s,f,yes,1,1\n",
            ":2: prediction: expected 0 or 1, got 'yes'",
        ),
        (
            "outcomes",
            "model,window,attribute,group,prediction,label,count\na,current,s,f,1,2,1\n",
            ":2: label: expected 0, 1 or empty (not yet labelled), got '2'",
        ),
        (
            "outcomes",
            "model,window,attribute,group,prediction,label,count\na,later,s,f,1,1,1\n",
            ":2: window: expected current or reference, got 'later'",
        ),
        (
            "series",
            "model,signal,timestamp,value\na,acc,yesterday,1\n",
            ":2: timestamp: invalid time 'yesterday'",
        ),
    ],
)
def test_bad_csv_names_file_line_and_column(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InputError) as caught:
        read_signals_dir(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{path}:"), message
    assert expected in message, message
    assert "\n" not in message
    assert caught.value.exit_code == 2


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path: Path) -> None:
    text = 'model,window,total,errors\n"multi\nline",1h,1,0\n\nb,1h,x,0\n'
    path = write(tmp_path, "requests", text)
    with pytest.raises(InputError, match=rf"^{path}:5: total: not a number: 'x'$"):
        read_signals_dir(tmp_path)


def test_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes(b"model,window,total,errors\na,1h,1,0\n\xff\xfe,1h,1,0\n")
    with pytest.raises(InputError, match=r"requests.csv:\d+: \(file\): not UTF-8 text$"):
        read_signals_dir(tmp_path)


def test_utf8_bom_and_padded_cells_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes("\ufeffmodel , window,total,errors\n über , 1h , 5 , 1 \n".encode())
    frame = read_signals_dir(tmp_path).requests
    assert frame is not None
    assert frame["model"].tolist() == ["über"]
    assert frame["total"].tolist() == [5]


def test_missing_or_empty_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="signals directory not found"):
        read_signals_dir(tmp_path / "nope")
    with pytest.raises(InputError, match="no signal files found"):
        read_signals_dir(tmp_path)


_names = st.text(alphabet="abcxyz-_., \"'0123456789é", min_size=1, max_size=8).filter(
    lambda text: text.strip() == text and text != ""
)
_counts = st.integers(min_value=0, max_value=10**9)


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(_names, st.sampled_from(["5m", "1h", "6h", "1d", "30d"]), _counts, _counts),
        max_size=30,
        unique_by=lambda row: (row[0], row[1]),
    )
)
def test_requests_round_trip_through_csv(
    tmp_path: Path, rows: list[tuple[str, str, int, int]]
) -> None:
    rows = [
        (model, window, max(total, errors), min(total, errors))
        for model, window, total, errors in rows
    ]
    path = tmp_path / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "window", "total", "errors"])
        writer.writerows(rows)
    frame = read_frame(path, "requests")
    expected = pd.DataFrame(rows, columns=["model", "window", "total", "errors"])
    assert frame["model"].tolist() == expected["model"].tolist()
    assert frame["window"].tolist() == expected["window"].tolist()
    assert frame["total"].tolist() == expected["total"].tolist()
    assert frame["errors"].tolist() == expected["errors"].tolist()


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    bounds=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
        min_size=1,
        max_size=12,
        unique=True,
    ),
    data=st.data(),
)
def test_numeric_bins_come_out_sorted_whatever_the_file_order(
    tmp_path: Path, bounds: list[float], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations([*bounds, math.inf]))
    counts = {bound: index for index, bound in enumerate(shuffled)}
    path = tmp_path / "feature_bins.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model", "feature", "kind", "bin", "reference", "current"])
        for bound in shuffled:
            label = "+Inf" if bound == math.inf else repr(bound)
            writer.writerow(["m", "f", "numeric", label, counts[bound], 2 * counts[bound]])
    frame = read_frame(path, "feature_bins")
    parsed = [math.inf if text == "+Inf" else float(text) for text in frame["bin"]]
    assert parsed == sorted([*bounds, math.inf])
    assert frame["reference"].tolist() == [counts[bound] for bound in parsed]
    assert frame["current"].tolist() == [2 * counts[bound] for bound in parsed]
