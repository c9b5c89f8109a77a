"""Time to the first fleet frame with data, against a bare Textual app with one DataTable.

Both run the same way in the same run: a fresh process in a real terminal (tmux, own socket,
100x30), timed from the moment the process is started until its data is on the terminal
(polling capture-pane). govtui is `python -m govtui demo --at ...` exactly as an operator starts
it (Collector process, demo registry in a warm state dir); the baseline is this file with
`--bare-app`. govtui runs from its wheel, built and installed (bytecode compiled) into a venv
that sees this Python's packages, as an operator runs it; `--source` runs the source tree instead
(with PYTHONDONTWRITEBYTECODE set, that recompiles govtui at every start). Prints one JSON line.
Target: govtui <= 1.5 x the bare app.

    python benchmarks/bench_first_frame.py [--runs 5] [--models 12] [--source]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AT = "2026-01-15T12:00:00Z"
BARE_MARKER = "bare-row-ready"


def run_bare_app() -> None:
    """The baseline: one DataTable with one row, started like any Textual app."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("model", "health")
            table.add_row(BARE_MARKER, "ok")

    Bare().run()


class Terminal:
    """A tmux server of our own with one window."""

    def __init__(self, tmux: str) -> None:
        self.tmux = tmux
        self.socket = f"govtui-bench-{os.getpid()}"

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [self.tmux, "-u", "-L", self.socket, *args], capture_output=True, timeout=30
        )
        return result.stdout.decode("utf-8", "replace")

    def time_until(
        self, command: list[str], marker: str, env: dict[str, str], *, quit_keys: str = ""
    ) -> float:
        """Seconds from starting `command` in a fresh window until `marker` is on screen.

        With `quit_keys` the app is then asked to quit and waited for (so it can save state);
        otherwise the window is killed.
        """
        self.run("kill-server")
        exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        script = f"unset COLUMNS LINES; {exports} exec {shlex.join(command)}"
        start = time.perf_counter()
        self.run("new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", script)
        deadline = start + 60
        while time.perf_counter() < deadline:
            if marker in self.run("capture-pane", "-p"):
                elapsed = time.perf_counter() - start
                if quit_keys:
                    self.run("send-keys", "-l", quit_keys)
                    self.run("send-keys", "Enter")
                    self.wait_for_exit()
                self.run("kill-server")
                return elapsed
            time.sleep(0.005)
        screen = self.run("capture-pane", "-p")
        self.run("kill-server")
        raise RuntimeError(f"{marker!r} never appeared:\n{screen}")

    def wait_for_exit(self, timeout: float = 30.0) -> None:
        """Until the window's process has exited (the session ends with it)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            result = subprocess.run(
                [self.tmux, "-L", self.socket, "has-session"], capture_output=True, timeout=30
            )
            if result.returncode != 0:
                return
            time.sleep(0.05)
        raise RuntimeError("the app did not quit")


def installed_python(workdir: Path) -> str:
    """Build govtui's wheel and install it into a venv that sees this Python's packages (pip
    compiles the bytecode at install, as for any operator's install); its interpreter."""
    wheels = workdir / "wheels"
    venv = workdir / "venv"
    quiet = {"check": True, "capture_output": True}
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip_wheel, "-q", "-w", str(wheels), str(REPO)], **quiet)  # type: ignore[arg-type]
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], **quiet)  # type: ignore[arg-type]
    python = str(venv / "bin" / "python")
    wheel = next(wheels.glob("govtui-*.whl"))
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], **quiet)  # type: ignore[arg-type]
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument(
        "--source",
        action="store_true",
        help="run govtui from this source tree (PYTHONPATH) instead of an installed wheel",
    )
    parser.add_argument("--bare-app", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_app:
        run_bare_app()
        return
    tmux = shutil.which("tmux")
    if tmux is None:
        raise SystemExit("bench_first_frame: needs tmux")
    terminal = Terminal(tmux)
    state = tempfile.mkdtemp(prefix="govtui-bench-")
    env = {"GOVTUI_STATE_DIR": state, "TERM": "xterm-256color"}
    python = sys.executable
    if args.source:
        env["PYTHONPATH"] = str(REPO)
    else:
        python = installed_python(Path(state) / "install")
    govtui = [python, "-m", "govtui", "demo", "--models", str(args.models), "--at", AT]
    bare = [python, str(Path(__file__).resolve()), "--bare-app"]
    # The first run writes the demo registry into the state dir; quitting saves the snapshot
    # cache. "cold" runs start without that cache (the Collector's first snapshot is the first
    # data), "warm" ones with it (the cached picture, marked stale, is the first data).
    terminal.time_until(govtui, "models  ", env, quit_keys=":q")
    cache = Path(state) / "snapshots"
    cached = sorted(cache.glob("*.snapshot"))
    if not cached:
        raise SystemExit("bench_first_frame: the console did not save its snapshot cache")
    saved = {path: path.read_bytes() for path in cached}
    cold: list[float] = []
    warm: list[float] = []
    bare_times: list[float] = []
    for _ in range(args.runs):  # interleaved, so all three see the same machine load
        bare_times.append(terminal.time_until(bare, BARE_MARKER, env))
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(terminal.time_until(govtui, "models  ", env))
        cache.mkdir(exist_ok=True)
        for path, data in saved.items():
            path.write_bytes(data)
        warm.append(terminal.time_until(govtui, "models  ", env))
    shutil.rmtree(state, ignore_errors=True)
    bare_median = statistics.median(bare_times)
    cold_median = statistics.median(cold)
    warm_median = statistics.median(warm)
    print(
        json.dumps(
            {
                "benchmark": "first_fleet_frame",
                "models": args.models,
                "runs": args.runs,
                "govtui_from": "source tree" if args.source else "installed wheel",
                "bare_datatable_seconds_best": round(min(bare_times), 3),
                "govtui_cold_seconds_best": round(min(cold), 3),
                "govtui_warm_seconds_best": round(min(warm), 3),
                "bare_datatable_seconds_median": round(bare_median, 3),
                "govtui_cold_seconds_median": round(cold_median, 3),
                "govtui_warm_seconds_median": round(warm_median, 3),
                "ratio_cold_median": round(cold_median / bare_median, 2),
                "ratio_warm_median": round(warm_median / bare_median, 2),
                "target_ratio": 1.5,
                "warm_under_target": warm_median / bare_median <= 1.5,
                "cold_under_target": cold_median / bare_median <= 1.5,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
