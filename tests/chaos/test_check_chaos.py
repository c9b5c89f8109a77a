"""`govtui check` through the fault-injecting proxy: a verdict or a one-line error, never a crash.

While faults are on, every run must exit 0 or 1 (a verdict, JSON on stdout) or 2 (one line on
stderr naming the backend), and print no traceback; Prometheus is also killed in the middle of
the runs and restarted. With faults off the same command gives the verdict again.
"""

from __future__ import annotations

import json
import time

from tests.chaos.conftest import ChaosStack, chaos_seconds, govtui

MAX_RUNS = 10


def _assert_clean(result, label: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode in (0, 1, 2), f"{label}: exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr, f"{label}: {result.stderr[-2000:]}"
    if result.returncode == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("govtui: "), f"{label}: {result.stderr}"
        assert "prometheus" in lines[0] or "alertmanager" in lines[0], lines[0]
    else:
        report = json.loads(result.stdout)
        assert len(report["models"]) == 12, label


def test_check_gives_a_verdict_or_one_line_error_under_chaos(chaos_stack: ChaosStack) -> None:
    stack = chaos_stack
    config = stack.config_file("check.yaml", timeout="1s")
    args = ["check", "--config", str(config), "--at", str(stack.at), "--format", "json"]
    before = govtui(args, stack.env())
    _assert_clean(before, "before the chaos")
    assert before.returncode in (0, 1), before.stderr
    outcomes: list[int] = []
    stack.faults_on()
    try:
        started = time.monotonic()
        runs = 0
        while runs < MAX_RUNS and (runs < 4 or time.monotonic() - started < chaos_seconds()):
            if runs == 2:
                stack.kill_prometheus()
            result = govtui(args, stack.env())
            _assert_clean(result, f"run {runs} under chaos")
            outcomes.append(result.returncode)
            if runs == 2:
                stack.restart_prometheus()
            runs += 1
    finally:
        stack.faults_off()
        if stack.prometheus.prometheus.process.poll() is not None:
            stack.restart_prometheus()
    assert 2 in outcomes, f"the chaos never failed a run: {outcomes}"
    after = govtui(args, stack.env())
    _assert_clean(after, "after the chaos")
    assert after.returncode == before.returncode, after.stderr
    assert json.loads(after.stdout)["models"] == json.loads(before.stdout)["models"]
