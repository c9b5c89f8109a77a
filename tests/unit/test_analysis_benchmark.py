"""The analysis benchmark stays runnable: a small fleet through the same script."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_analysis.py"


def test_benchmark_runs_and_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("bench_analysis", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--models", "30", "--repeat", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["benchmark"] == "analysis"
    assert result["models"] == 30
    assert result["rows"]["feature_bins"] == 30 * 20 * 10
    assert result["rows"]["outcomes"] == 30 * 2 * 3 * 4 * 2 * 3
    assert 0 < result["seconds_best"] <= result["seconds_median"]
    assert result["target_seconds"] == 0.2
    # The synthetic fleet has healthy, drifting and unfair models.
    assert {"ok", "crit"} <= set(result["statuses"])
