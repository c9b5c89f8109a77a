"""One fleet refresh against a real Prometheus: govtui's time against the raw HTTP floor.

A real Prometheus (loopback, temp dir, stopped by PID) holds a synthetic fleet of 1000 models x
20 features x 10 buckets and 3 protected attributes x 4 groups, backfilled with only the samples
the windows read (`benchmarks/fleet_data.py`, promtool `--max-block-duration`), plus a second
fleet of 100 models under another metric prefix. Measured, in separate processes so each one's
peak RSS is its own:

- the Collector (`govtui.fleet.collector.Collector`, its real code path): one refresh of every
  signal kind and the alerts (PrometheusSignalSource fetching and parsing, frames, analysis),
  then the snapshot built and pickled as it is sent to the console; its HTTP requests counted;
- the floor: the very same HTTP requests (recorded from the Collector) sent with a bare httpx
  client, concurrently as the Collector sends them, bodies read and discarded; alternating
  with the Collector's rounds so both see the same machine;
- the requests per refresh at 100 models (must equal the count at 1000);
- the console: the Textual app (headless `run_test`) showing the 1000 models from a real
  Collector process: the console's peak RSS, and the Collector process's.

Prints one JSON line. Targets: overhead over the floor <= 25 %, requests per refresh constant,
Collector peak RSS <= 400 MB, console peak RSS <= 150 MB.

    python benchmarks/bench_fleet_refresh.py [--models 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HERE = Path(__file__).resolve()
KINDS = ["slo", "drift", "fairness", "quality", "alerts"]
TARGET_OVERHEAD = 0.25
TARGET_COLLECTOR_MB = 400
TARGET_CONSOLE_MB = 150


def peak_rss_mb() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def process_peak_rss_mb(pid: int) -> float | None:
    """Another process's peak RSS (VmHWM) while it runs."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- the Collector child


class RequestRecorder:
    """Counts and records every request any httpx.AsyncClient sends in this process."""

    def __init__(self) -> None:
        import httpx

        self.requests: list[dict[str, Any]] = []
        original = httpx.AsyncClient.send
        recorder = self

        async def send(client: Any, request: Any, **kwargs: Any) -> Any:
            body = await request.aread()
            recorder.requests.append(
                {
                    "method": request.method,
                    "url": str(request.url),
                    "headers": {
                        key: value
                        for key, value in request.headers.items()
                        if key.lower() not in ("host", "content-length")
                    },
                    "body": base64.b64encode(body).decode("ascii"),
                }
            )
            return await original(client, request, **kwargs)

        httpx.AsyncClient.send = send  # type: ignore[method-assign]


async def collector_child(config_path: str, at: float) -> None:
    """Answer `refresh`, `requests` and `quit` on stdin with JSON lines on stdout."""
    recorder = RequestRecorder()
    from govtui.config import load_config
    from govtui.fleet import wire
    from govtui.fleet.client import CollectorSpec
    from govtui.fleet.collector import Collector

    sent = {"bytes": 0}

    def emit(message: object) -> None:
        sent["bytes"] = sum(len(frame) for frame in wire.encode(message))

    with tempfile.TemporaryDirectory(prefix="govtui-bench-state-") as state_dir:
        spec = CollectorSpec(loaded=load_config(Path(config_path)), state_dir=state_dir, at=at)
        collector = Collector(spec, emit)
        await collector.open()
        try:
            await _answer(collector, recorder, sent)
        finally:
            await collector.close()


async def _answer(collector: Any, recorder: RequestRecorder, sent: dict[str, int]) -> None:
    while True:
        line = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if line in ("", "quit"):
            break
        if line == "refresh":
            recorder.requests.clear()
            started = time.perf_counter()
            await collector.refresh(list(KINDS))
            refreshed = time.perf_counter()
            await collector._send_snapshot()
            done = time.perf_counter()
            report = collector.report
            errors = {
                kind: schedule.last_error
                for kind, schedule in collector.schedules.items()
                if schedule.failing
            }
            answer: dict[str, Any] = {
                "refresh_seconds": refreshed - started,
                "snapshot_seconds": done - refreshed,
                "total_seconds": done - started,
                "requests": len(recorder.requests),
                "models": len(report.models) if report is not None else 0,
                "snapshot_bytes": sent["bytes"],
                "errors": errors,
                "analysis_error": collector.analysis_error,
                "peak_rss_mb": peak_rss_mb(),
            }
        elif line == "requests":
            answer = {"requests": recorder.requests}
        else:
            answer = {"error": f"unknown command {line!r}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class CollectorProcess:
    """The parent's end of a collector child."""

    def __init__(self, config_path: Path, at: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE), "--collector-child", str(config_path), "--at", str(at)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the collector child died (exit {self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            self.ask("quit")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------- the floor


async def floor_round(requests: list[dict[str, Any]]) -> tuple[float, int]:
    """Send the recorded requests concurrently with a bare client; read and drop the bodies."""
    import httpx

    async def one(client: httpx.AsyncClient, request: dict[str, Any]) -> int:
        size = 0
        async with client.stream(
            request["method"],
            request["url"],
            headers=request["headers"],
            content=base64.b64decode(request["body"]) or None,
        ) as response:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
        return size

    async with httpx.AsyncClient(timeout=120, trust_env=False) as client:
        started = time.perf_counter()
        sizes = await asyncio.gather(*(one(client, request) for request in requests))
        return time.perf_counter() - started, sum(sizes)


# ---------------------------------------------------------------- the console child


async def console_child(config_path: str, models: int, at: float) -> None:
    """The console headless on the 1000 models from a real Collector process; prints RSS."""
    from govtui.config import load_config

    loaded = load_config(Path(config_path))
    with tempfile.TemporaryDirectory(prefix="govtui-bench-state-") as state_dir:
        result = await _console(loaded, state_dir, models, at)
    sys.stdout.write(json.dumps(result) + "\n")


async def _console(loaded: Any, state_dir: str, models: int, at: float) -> dict[str, Any]:
    from govtui.fleet.client import CollectorClient, CollectorSpec
    from govtui.fleet.requests import RefreshNow
    from govtui.ui.app import GovtuiApp
    from govtui.ui.screens.fleet import FleetScreen
    from govtui.ui.settings import ConsoleSettings

    client = CollectorClient.start(CollectorSpec(loaded=loaded, state_dir=state_dir, at=at))
    settings = ConsoleSettings(loaded=loaded, context="bench", operator="bench@host")
    app = GovtuiApp(settings, client)
    result: dict[str, Any] = {}
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            deadline = time.monotonic() + 300

            def shown() -> int:
                screen = app.screen
                return len(screen.table.row_keys) if isinstance(screen, FleetScreen) else 0

            while shown() < models:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the fleet never arrived ({shown()} rows)")
                await pilot.pause(0.1)
            first = app.snapshot.generation if app.snapshot else 0
            for _ in range(2):  # two more refreshes of everything while the console runs
                generation = app.snapshot.generation if app.snapshot else 0
                client.send(RefreshNow())
                while (app.snapshot.generation if app.snapshot else 0) <= generation:
                    if time.monotonic() > deadline:
                        raise RuntimeError("no snapshot after RefreshNow")
                    await pilot.pause(0.1)
                await pilot.press("pagedown", "pagedown", "end", "home")
                await pilot.pause(0.3)
            result = {
                "console_rows": shown(),
                "console_snapshots": (app.snapshot.generation if app.snapshot else 0) - first + 1,
                "console_peak_rss_mb": peak_rss_mb(),
                "collector_process_peak_rss_mb": process_peak_rss_mb(client.pid or 0),
                "console_imported_pandas": "pandas" in sys.modules,
            }
    finally:
        client.close()
    return result


def run_console(config_path: Path, models: int, at: float) -> dict[str, Any]:
    command = [sys.executable, str(HERE), "--console-child", str(config_path)]
    completed = subprocess.run(
        [*command, "--models", str(models), "--at", str(at)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"console child failed: {completed.stderr[-2000:]}")
    answer: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer


# ---------------------------------------------------------------- the parent


def measure(models: int, small: int, rounds: int, console: bool) -> dict[str, Any]:
    from fleet_data import END, FleetShape, config_text, start_fleet_prometheus

    fleets = [(FleetShape(models=models), "ml_"), (FleetShape(models=small, seed=1), "small_")]
    prometheus = start_fleet_prometheus(fleets)
    result: dict[str, Any] = {
        "benchmark": "fleet_refresh",
        "models": models,
        "features": 20,
        "buckets": 10,
        "attributes": 3,
        "groups": 4,
        "series_backfilled": prometheus.series,
        "samples_backfilled": prometheus.samples,
        "openmetrics_mb": round(prometheus.openmetrics_bytes / 2**20),
        "backfill_write_seconds": prometheus.write_seconds,
        "promtool_seconds": prometheus.promtool_seconds,
    }
    try:
        big = prometheus.workdir / "fleet.yaml"
        big.write_text(config_text(prometheus.url, "ml_"), encoding="utf-8")
        little = prometheus.workdir / "small.yaml"
        little.write_text(config_text(prometheus.url, "small_"), encoding="utf-8")

        collector = CollectorProcess(big, END)
        try:
            warm = collector.ask("refresh")  # loads the chunks Prometheus has not touched yet
            if warm["errors"] or warm["analysis_error"] or warm["models"] != models:
                raise RuntimeError(f"the refresh failed: {json.dumps(warm)[:2000]}")
            recorded = collector.ask("requests")["requests"]
            asyncio.run(floor_round(recorded))
            govtui_rounds: list[dict[str, Any]] = []
            floors: list[float] = []
            body_bytes = 0
            for index in range(rounds):
                # Alternate which goes first, so neither always follows the other.
                if index % 2:
                    seconds, body_bytes = asyncio.run(floor_round(recorded))
                    floors.append(seconds)
                    govtui_rounds.append(collector.ask("refresh"))
                else:
                    govtui_rounds.append(collector.ask("refresh"))
                    seconds, body_bytes = asyncio.run(floor_round(recorded))
                    floors.append(seconds)
            collector_peak = govtui_rounds[-1]["peak_rss_mb"]
        finally:
            collector.close()

        small_collector = CollectorProcess(little, END)
        try:
            small_round = small_collector.ask("refresh")
        finally:
            small_collector.close()

        total = statistics.median(r["total_seconds"] for r in govtui_rounds)
        refresh = statistics.median(r["refresh_seconds"] for r in govtui_rounds)
        snapshot = statistics.median(r["snapshot_seconds"] for r in govtui_rounds)
        floor = statistics.median(floors)
        overhead = total / floor - 1
        result.update(
            {
                "rounds": rounds,
                "refresh_kinds": KINDS,
                "govtui_refresh_seconds_median": round(refresh, 3),
                "govtui_snapshot_seconds_median": round(snapshot, 3),
                "govtui_total_seconds_median": round(total, 3),
                "govtui_total_seconds_best": round(
                    min(r["total_seconds"] for r in govtui_rounds), 3
                ),
                "floor_seconds_median": round(floor, 3),
                "floor_seconds_best": round(min(floors), 3),
                "overhead_median": round(overhead, 3),
                "target_overhead": TARGET_OVERHEAD,
                "overhead_under_target": overhead <= TARGET_OVERHEAD,
                "response_mb": round(body_bytes / 2**20, 1),
                "snapshot_mb": round(govtui_rounds[-1]["snapshot_bytes"] / 2**20, 1),
                "requests_per_refresh": govtui_rounds[-1]["requests"],
                "requests_per_refresh_at_models": {
                    str(small): small_round["requests"],
                    str(models): govtui_rounds[-1]["requests"],
                },
                "requests_constant": small_round["requests"] == govtui_rounds[-1]["requests"],
                "small_fleet_models": small_round["models"],
                "collector_peak_rss_mb": collector_peak,
                "target_collector_rss_mb": TARGET_COLLECTOR_MB,
                "collector_rss_under_target": collector_peak <= TARGET_COLLECTOR_MB,
            }
        )
        if console:
            shown = run_console(big, models, END)
            result.update(shown)
            result["target_console_rss_mb"] = TARGET_CONSOLE_MB
            result["console_rss_under_target"] = shown["console_peak_rss_mb"] <= TARGET_CONSOLE_MB
    finally:
        prometheus.stop()
    result.update(
        {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--small-models", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-console", action="store_true", help="skip the console RSS run")
    parser.add_argument("--collector-child", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--console-child", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.collector_child:
        asyncio.run(collector_child(args.collector_child, args.at))
        return
    if args.console_child:
        asyncio.run(console_child(args.console_child, args.models, args.at))
        return
    result = measure(args.models, args.small_models, args.rounds, not args.no_console)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
