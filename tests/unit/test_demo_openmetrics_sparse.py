"""A sparse backfill: each metric family only at the sample times one evaluation reads."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from govtui.config import BURN_WINDOWS
from govtui.demo.config import demo_config
from govtui.demo.fleet import DemoFleet
from govtui.demo.openmetrics import FleetSampler, backfill, family_times, write_openmetrics
from govtui.demo.registry import ensure_demo_registry
from govtui.timeutil import parse_duration

END = 1_768_435_200  # a whole day (2026-01-15T00:00:00Z)
HOUR = 3600
DAY = 86400
CONFIG = demo_config().config  # drift 1h against 1d a week ago, fairness 1d, label delay 2h


def test_each_family_gets_only_the_edges_of_its_windows() -> None:
    times = family_times(CONFIG, END)
    slo_edges = {END} | {END - parse_duration(w) for w in BURN_WINDOWS} | {END - 30 * DAY}
    assert set(times["request_duration_seconds"]) == slo_edges
    drift_edges = {END, END - HOUR, END - 7 * DAY, END - 8 * DAY}
    assert set(times["feature_value"]) == set(times["feature_category"]) == drift_edges
    assert set(times["predictions"]) == {END, END - DAY, END - 7 * DAY, END - 8 * DAY}
    # The plot series read requests and labelled predictions hourly over the 7 d lookback.
    grid = set(range(END - 7 * DAY - HOUR, END + 1, HOUR))
    assert set(times["requests"]) == slo_edges | grid
    labelled = {END, END - 2 * HOUR, END - 2 * HOUR - DAY, END - 7 * DAY, END - 8 * DAY}
    assert set(times["labeled_predictions"]) == labelled | grid
    without_series = family_times(CONFIG, END, series=False)
    assert set(without_series["requests"]) == slo_edges
    assert set(without_series["labeled_predictions"]) == labelled


def test_write_openmetrics_keeps_a_family_to_its_times_and_can_leave_the_file_open() -> None:
    keys = [("x_total", {"model": "a"}), ("y_total", {"model": "a"})]
    matrix = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]])
    handle = io.StringIO()
    written = write_openmetrics(handle, keys, matrix, [10, 20, 30], only_at={"x": [20]}, eof=False)
    text = handle.getvalue()
    assert written == 3
    assert 'x_total{model="a"} 2 20\n' in text and 'x_total{model="a"} 1 10' not in text
    assert 'y_total{model="a"} 4 10\n' in text and 'y_total{model="a"} 6 30\n' in text
    assert "# EOF" not in text


def test_sparse_backfill_of_the_demo_fleet(tmp_path: Path) -> None:
    at = datetime.fromtimestamp(END, tz=UTC)
    fleet = DemoFleet(ensure_demo_registry(tmp_path / "state", at=at))
    times = family_times(CONFIG, END)
    out = tmp_path / "sparse.om"
    summary = backfill(FleetSampler(fleet), out, end=END, hours=31 * 24, sparse=times)
    text = out.read_text()
    assert text.endswith("# EOF\n")
    seen: dict[str, set[int]] = defaultdict(set)
    for family, moment in re.findall(
        r"^ml_([a-z_]+?)(?:_total|_bucket|_count|_sum)\{.* (\d+)$", text, re.M
    ):
        seen[family].add(int(moment))
    for family, moments in seen.items():
        assert moments <= set(times[family]), family
    assert seen["feature_value"] == set(times["feature_value"])
    assert summary.times == len(set().union(*times.values()))
    # Far fewer samples than the default tiered grid.
    dense = backfill(FleetSampler(fleet), tmp_path / "dense.om", end=END, hours=31 * 24)
    assert summary.samples * 3 < dense.samples
