"""Run every benchmark, one after another, and print one JSON document with the machine, each
benchmark's own JSON line and every target met or not.

    python benchmarks/run_all.py            # the full set (about 10 minutes on 2 vCPUs)
    python benchmarks/run_all.py --quick    # fewer runs and rounds (about 5 minutes)
    python benchmarks/run_all.py --only analysis --only first_frame

Needs what the test command installs (tmux, prometheus, promtool). A benchmark that fails is
reported under `failures` with the end of its stderr, and the others still run; the exit code
is 0 when every benchmark ran (targets met or not), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    """One script: its arguments for a full and a quick run, and how to read its targets."""

    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    targets: Callable[[dict[str, Any]], list[dict[str, Any]]]
    timeout: float = 3600


def target(figure: str, value: Any, wanted: str, met: bool | None) -> dict[str, Any]:
    return {"figure": figure, "value": value, "target": wanted, "met": met}


def _analysis(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        target(
            "analysis of 1000 models, best (s)",
            result["seconds_best"],
            "< 0.2",
            result["seconds_best"] < 0.2,
        ),
    ]


def _first_frame(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        target(
            "first frame, warm start / bare Textual (median)",
            result["ratio_warm_median"],
            "<= 1.5",
            result["ratio_warm_median"] <= 1.5,
        ),
        target(
            "first frame, cold start / bare Textual (median)",
            result["ratio_cold_median"],
            "<= 1.5",
            result["ratio_cold_median"] <= 1.5,
        ),
    ]


def _key_latency(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        target(
            "keypress p95 at 1000 models while refreshing (ms)",
            result["p95_ms"],
            "< 50",
            result["p95_ms"] < 50,
        )
    ]


def _memory(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        target(
            "console RSS growth over the refreshes (MB, fitted)",
            result["console_fitted_growth_mb"],
            f"<= noise bound {result['allowed_growth_mb']}",
            result["flat_within_noise"],
        ),
    ]


def _fleet_refresh(result: dict[str, Any]) -> list[dict[str, Any]]:
    found = [
        target(
            "refresh overhead over the raw HTTP floor (median)",
            result["overhead_median"],
            "<= 0.25",
            result["overhead_median"] <= 0.25,
        ),
        target(
            "HTTP requests per refresh at 100 / 1000 models",
            result["requests_per_refresh_at_models"],
            "constant",
            result["requests_constant"],
        ),
        target(
            "Collector peak RSS (MB)",
            result["collector_peak_rss_mb"],
            "<= 400",
            result["collector_peak_rss_mb"] <= 400,
        ),
    ]
    if "console_peak_rss_mb" in result:
        found.append(
            target(
                "console peak RSS with 1000 models (MB)",
                result["console_peak_rss_mb"],
                "<= 150",
                result["console_peak_rss_mb"] <= 150,
            )
        )
    return found


def _audit(result: dict[str, Any]) -> list[dict[str, Any]]:
    """bench_audit.py: verify throughput has a target; the HMAC and append figures are reported."""
    verify_rate = result["verify_records_per_second"]
    found = [target("audit verify (records/s)", verify_rate, ">= 200000", verify_rate >= 200_000)]
    for key in ("verify_hmac_records_per_second", "fsynced_appends_per_second"):
        if key in result:
            found.append(target(f"audit {key.replace('_', ' ')}", result[key], "(reported)", None))
    return found


BENCHMARKS = (
    Benchmark("analysis", "bench_analysis.py", ("--repeat", "9"), ("--repeat", "3"), _analysis),
    Benchmark(
        "first_frame", "bench_first_frame.py", ("--runs", "7"), ("--runs", "3"), _first_frame
    ),
    Benchmark(
        "key_latency",
        "bench_key_latency.py",
        ("--models", "1000", "--keys", "300"),
        ("--models", "1000", "--keys", "100"),
        _key_latency,
    ),
    Benchmark(
        "memory",
        "bench_memory.py",
        ("--snapshots", "120"),
        ("--snapshots", "30", "--visits", "4"),
        _memory,
    ),
    Benchmark(
        "fleet_refresh",
        "bench_fleet_refresh.py",
        ("--rounds", "5"),
        ("--rounds", "2"),
        _fleet_refresh,
    ),
    Benchmark("audit", "bench_audit.py", (), ("--records", "100000", "--repeat", "3"), _audit),
)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": model or platform.processor(),
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("govtui", "textual", "pandas", "numpy", "pydantic", "httpx"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    for binary in ("prometheus", "promtool"):
        try:
            output = subprocess.run(
                [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
            )
            text = (output.stdout or output.stderr).splitlines()
            found[binary] = text[0].split("version", 1)[-1].split()[0] if text else ""
        except (OSError, subprocess.TimeoutExpired):
            continue
    return found


def run(benchmark: Benchmark, quick: bool) -> tuple[dict[str, Any] | None, str | None, float]:
    """The benchmark's JSON line, or None and the end of its stderr."""
    script = HERE / benchmark.script
    arguments = benchmark.quick if quick else benchmark.full
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [sys.executable, str(script), *arguments],
            capture_output=True,
            text=True,
            timeout=benchmark.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {benchmark.timeout:g}s", time.monotonic() - started
    elapsed = time.monotonic() - started
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        tail = (completed.stderr or completed.stdout)[-2000:]
        return None, f"exit {completed.returncode}: {tail}", elapsed
    try:
        return json.loads(lines[-1]), None, elapsed
    except ValueError as exc:
        return None, f"unreadable output ({exc}): {lines[-1][:500]}", elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and rounds")
    parser.add_argument(
        "--only",
        action="append",
        choices=[benchmark.name for benchmark in BENCHMARKS],
        help="run only this benchmark (repeatable)",
    )
    parser.add_argument("--output", metavar="FILE", help="also write the JSON document here")
    args = parser.parse_args()
    document: dict[str, Any] = {
        "govtui_benchmarks": 1,
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": args.quick,
        "machine": machine(),
        "versions": versions(),
        "results": {},
        "seconds": {},
        "targets": [],
        "failures": {},
    }
    for benchmark in BENCHMARKS:
        if args.only and benchmark.name not in args.only:
            continue
        if not (HERE / benchmark.script).is_file():
            document["failures"][benchmark.name] = f"{benchmark.script} is not there"
            continue
        print(f"run_all: {benchmark.name} ...", file=sys.stderr, flush=True)
        result, failure, elapsed = run(benchmark, args.quick)
        document["seconds"][benchmark.name] = round(elapsed, 1)
        if result is None:
            document["failures"][benchmark.name] = failure
            continue
        document["results"][benchmark.name] = result
        try:
            for item in benchmark.targets(result):
                document["targets"].append({"benchmark": benchmark.name, **item})
        except (KeyError, TypeError) as exc:
            document["failures"][benchmark.name] = f"missing figure {exc}"
    met = [item["met"] for item in document["targets"] if item["met"] is not None]
    document["targets_met"] = sum(met)
    document["targets_total"] = len(met)
    text = json.dumps(document, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if not document["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
