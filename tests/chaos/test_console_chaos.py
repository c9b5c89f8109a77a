"""The console and its Collector under chaos: faults on every request, servers killed and restarted.

The console (Pilot) runs on the demo config pointed at proxied Prometheus and Alertmanager while
the proxies delay, drop, reset, truncate, garble and answer errors, Prometheus and Alertmanager
are SIGKILLed and restarted, and two writers append to the audit log. Then faults stop.
Asserted: no unhandled exception (the app's, the Collector's log, a CollectorFailed), the
panels went stale and came back within two refresh intervals (plus one in-flight request's
timeout), and every audit record whose append returned is in a chain that verifies.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from govtui.actions.audit import AuditLog, verify
from govtui.config import load_config
from govtui.fleet.client import CollectorClient, CollectorSpec
from govtui.ui.app import GovtuiApp
from govtui.ui.settings import ConsoleSettings
from tests.chaos.conftest import ChaosMlflow, ChaosStack, chaos_seconds

REFRESH_SECONDS = 2.0
TIMEOUT_SECONDS = 1.0
RETRIES = 1
KEYS = ("down", "down", "enter", "escape", "r", "pagedown", "up", "enter", "escape", "home")
COLLECTOR_FAILURES = ("Traceback", "refresh failed", "analysis failed", "snapshot failed")

APPENDER = """\
import sys
from pathlib import Path
from govtui.actions.audit import AuditLog
log = AuditLog(Path(sys.argv[1]))
for index in range(int(sys.argv[2])):
    record = log.append("note", f"model-{index % 7}", outcome="recorded",
                        params={"text": f"process note {index}", "index": index})
    print(record["hash"], flush=True)
"""


def _states(app: GovtuiApp) -> dict[str, str]:
    snapshot = app.snapshot
    if snapshot is None:
        return {}
    return {source.name: source.state for source in snapshot.sources}


def _recovered(app: GovtuiApp) -> bool:
    snapshot = app.snapshot
    if snapshot is None or snapshot.generation <= 0:
        return False
    states = _states(app)
    return (
        states.get("prometheus") == "live"
        and states.get("alertmanager") == "live"
        and states.get("registry") == "live"
        and not any(snapshot.stale_checks.values())
        and len(snapshot.report.models) == 12
    )


async def _until(pilot: Any, condition: Any, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await pilot.pause(0.05)
    return time.monotonic() - started


class ThreadAppender:
    """Appends notes from a thread until stopped; keeps the hash of every append that returned."""

    def __init__(self, path: Path) -> None:
        self.log = AuditLog(path)
        self.hashes: list[str] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        index = 0
        while not self._stop.is_set():
            try:
                record = self.log.append(
                    "note",
                    f"model-{index % 5}",
                    outcome="recorded",
                    params={"text": f"thread note {index}", "ratio": 0.25},
                )
                self.hashes.append(record["hash"])
            except BaseException as exc:  # any failure is a finding
                self.errors.append(exc)
                return
            index += 1
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


async def test_console_survives_chaos_and_recovers(
    chaos_stack: ChaosStack, chaos_mlflow: ChaosMlflow, capfd: pytest.CaptureFixture[str]
) -> None:
    stack = chaos_stack
    path = stack.config_file(
        "console.yaml",
        refresh=f"{REFRESH_SECONDS:g}s",
        timeout=f"{TIMEOUT_SECONDS:g}s",
        registry=chaos_mlflow.registry_block(timeout=f"{TIMEOUT_SECONDS:g}s"),
    )
    loaded = load_config(path)
    audit_path = stack.workdir / "audit.jsonl"
    collector = CollectorClient.start(
        CollectorSpec(loaded=loaded, demo=False, state_dir=str(stack.state_dir))
    )
    settings = ConsoleSettings(
        loaded=loaded, context="chaos test", theme="dark", operator="chaos@test", demo=False
    )
    seconds = chaos_seconds()
    seen_states: set[tuple[str, str]] = set()
    appender = ThreadAppender(audit_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(audit_path), "200"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        app = GovtuiApp(settings, collector)
        async with app.run_test(size=(160, 48)) as pilot:
            await _until(pilot, lambda: _recovered(app), 60, "the fleet live before the chaos")
            appender.start()
            stack.faults_on()
            chaos_mlflow.proxy.faults_on()
            started = time.monotonic()
            events = [
                (seconds * 0.3, stack.kill_prometheus),
                (seconds * 0.45, stack.kill_alertmanager),
                (seconds * 0.5, stack.restart_prometheus),
                (seconds * 0.6, stack.restart_alertmanager),
            ]
            pending: list[asyncio.Future[Any]] = []
            index = 0
            while time.monotonic() - started < seconds:
                elapsed = time.monotonic() - started
                while events and events[0][0] <= elapsed:
                    _at, action = events.pop(0)
                    pending.append(asyncio.ensure_future(asyncio.to_thread(action)))
                await pilot.press(KEYS[index % len(KEYS)])
                index += 1
                seen_states.update(_states(app).items())
                await pilot.pause(0.1)
            for action in [action for _at, action in events]:
                pending.append(asyncio.ensure_future(asyncio.to_thread(action)))
            for future in pending:
                await future
            stack.faults_off()
            chaos_mlflow.proxy.faults_off()
            stopped = time.monotonic()
            while len(app.screen_stack) > 2:
                await pilot.press("escape")
            allowed = 2 * REFRESH_SECONDS + TIMEOUT_SECONDS * (RETRIES + 1) + 1.0
            await _until(pilot, lambda: _recovered(app), 60, "recovery after the chaos")
            recovery = time.monotonic() - stopped
            shown = app.screen_text()
            assert app.collector_error is None
            assert collector.exitcode is None, "the Collector process died"
        assert app._exception is None  # run_test re-raises too; belt and braces
    finally:
        collector.close()
        appender.stop()
        writer_output, _ = writer.communicate(timeout=60)
    faulted = sum(proxy.stats.faulted for proxy in (*stack.proxies, chaos_mlflow.proxy))
    summary = (
        f"chaos {seconds:g}s: {[dict(p.stats.counts) for p in stack.proxies]}, "
        f"mlflow {dict(chaos_mlflow.proxy.stats.counts)}, "
        f"{stack.restarts}, states seen {sorted(seen_states)}, recovered in {recovery:.2f}s "
        f"(allowed {allowed:g}s), audit: {len(appender.hashes)} thread + 200 process appends"
    )
    with capfd.disabled():
        print(summary)
    assert faulted >= 10, f"too little chaos: {[p.stats for p in stack.proxies]}"
    assert ("prometheus", "live") in seen_states or ("prometheus", "stale") in seen_states
    assert {("prometheus", "stale"), ("prometheus", "down")} & seen_states, seen_states
    assert recovery <= allowed, f"recovered after {recovery:.1f}s (allowed {allowed:g}s)"
    assert "fraud-scorer" in shown
    # Nothing unhandled in the Collector process (its log goes to the inherited stderr).
    captured = capfd.readouterr()
    for marker in COLLECTOR_FAILURES:
        assert marker not in captured.err, captured.err[-3000:]
    # No audit record lost: every append that returned is in a chain that verifies.
    assert not appender.errors, appender.errors
    assert writer.returncode == 0
    returned = set(appender.hashes) | set(writer_output.split())
    assert len(appender.hashes) >= 5 and len(writer_output.split()) == 200
    result = verify(audit_path)
    assert result.ok, result.reason
    on_disk = {record["hash"] for record in AuditLog(audit_path).records()}
    assert returned <= on_disk
    assert result.records == len(on_disk)
