"""The simulator's outlets: OpenMetrics backfill promtool accepts, and the live exporter."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from govtui.demo.prometheus_stack import find_binary


def test_backfill_is_valid_openmetrics_aligned_to_its_step(stack, govtui, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fleet.om"
    end = stack.at + 123  # not aligned: the last sample is rounded down to the 5 minute step
    result = govtui(
        [
            "simulate",
            "backfill",
            "--out",
            str(out),
            "--hours",
            "3",
            "--end",
            str(end),
            "--models",
            "12",
        ],
        stack.env(),
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.endswith("# EOF\n")
    assert (
        "# TYPE ml_requests counter" in text
        and "# TYPE ml_request_duration_seconds histogram" in text
    )
    times = {int(t) for t in re.findall(r" (\d+)\n", text)}
    assert max(times) == stack.at and all(t % 300 == 0 for t in times)
    assert min(times) == stack.at - 3 * 3600
    # The stale model's samples stop when its source goes stale.
    stale = [int(t) for t in re.findall(r'model="price-optimizer"[^\n]* (\d+)\n', text)]
    assert stale and max(stale) < stack.at - 15 * 60
    blocks = subprocess.run(
        [
            find_binary("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(out),
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert blocks.returncode == 0, blocks.stderr
    bad = govtui(["simulate", "backfill", "--out", str(tmp_path / "x" / "f.om")], stack.env())
    assert bad.returncode == 2 and "does not exist" in bad.stderr


def test_serve_exposes_the_live_fleet(stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    process = subprocess.Popen(
        [sys.executable, "-m", "govtui.cli.main", "simulate", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=stack.env(),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/metrics)", line)
        assert match, line + (process.stderr.read() if process.poll() is not None else "")  # type: ignore[union-attr]
        with urllib.request.urlopen(match.group(1), timeout=10) as response:
            first = response.read().decode()
        time.sleep(1.1)
        with urllib.request.urlopen(match.group(1), timeout=10) as response:
            second = response.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "# TYPE ml_requests_total counter" in first
    assert 'ml_request_duration_seconds_bucket{le="0.5",model="fraud-scorer"' in first or (
        'model="fraud-scorer"' in first and 'le="0.5"' in first
    )
    assert 'model="price-optimizer"' not in first  # its source is stale
    pattern = r'ml_requests_total\{code="200",model="spam-filter",version="3"\} ([0-9.e+]+)'
    before, after = re.search(pattern, first), re.search(pattern, second)
    assert before and after and float(after.group(1)) > float(before.group(1))
