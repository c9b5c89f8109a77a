"""Real Prometheus and Alertmanager, started once per test session on free loopback ports.

Prometheus is fed by the simulator: an OpenMetrics backfill (ending at T, a sample time) turned
into blocks with promtool before it starts, and the live exporter as a scrape target; it loads
the generated rules and sends alerts to the Alertmanager. Missing binaries FAIL the tests (the
test command installs them); processes are stopped by PID in teardown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govtui.demo.prometheus_stack import (
    PrometheusStack,
    find_binary,
    free_port,
    start_prometheus_stack,
    stop_process,
)
from govtui.errors import SourceError

ALERTMANAGER_BINARIES = ("prometheus-alertmanager", "alertmanager")


def _require(name: str) -> str:
    try:
        return find_binary(name)
    except SourceError as exc:
        pytest.fail(f"{exc} -- the integration tests need it; the test command installs it")


@dataclass
class Alertmanager:
    """An Alertmanager we started."""

    url: str
    address: str
    process: subprocess.Popen[bytes]


@dataclass
class Stack:
    """What the integration tests share: Prometheus, Alertmanager, the state dir and T."""

    prometheus: PrometheusStack
    alertmanager: Alertmanager
    state_dir: Path
    at: int
    workdir: Path

    @property
    def url(self) -> str:
        return self.prometheus.url

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for govtui subprocesses: this session's state dir, no stray config."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GOVTUI_") and key != "NO_COLOR"
        }
        env["GOVTUI_STATE_DIR"] = str(self.state_dir)
        env.update(extra)
        return env

    def config_file(self, name: str, prometheus_block: str, extra: str = "") -> Path:
        """The demo config with a `sources.prometheus` section (and extra sources) added."""
        from govtui.demo.config import demo_config

        loaded = demo_config()
        assert loaded.path is not None
        text = loaded.path.read_text(encoding="utf-8")
        text = text.replace("sources:\n", f"sources:\n{prometheus_block}{extra}", 1)
        # Runbook paths are relative to the packaged config; point them back at it.
        text = text.replace("runbooks/", f"{loaded.path.parent}/runbooks/")
        path = self.workdir / name
        path.write_text(text, encoding="utf-8")
        return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this directory needs the real servers: mark it `integration`."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


def _govtui(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the govtui CLI in a subprocess, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "govtui.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def _start_alertmanager(workdir: Path) -> Alertmanager:
    binary = None
    for name in ALERTMANAGER_BINARIES:
        try:
            binary = find_binary(name)
            break
        except SourceError:
            continue
    if binary is None:
        pytest.fail(
            "Alertmanager is not installed (apt-get install prometheus-alertmanager); the "
            "test command installs it"
        )
    config = workdir / "alertmanager.yml"
    config.write_text(
        "route:\n  receiver: blackhole\n  group_wait: 1s\n  group_interval: 1s\n"
        "receivers:\n  - name: blackhole\n",
        encoding="utf-8",
    )
    storage = workdir / "alertmanager-data"
    storage.mkdir()
    log = workdir / "alertmanager.log"
    for _attempt in range(3):
        port = free_port()
        address = f"127.0.0.1:{port}"
        with log.open("ab") as handle:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--web.listen-address={address}",
                    "--cluster.listen-address=",
                    f"--storage.path={storage}",
                ],
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://{address}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return Alertmanager(f"http://{address}", address, process)
            except OSError:
                time.sleep(0.05)
        stop_process(process)
    pytest.fail(f"Alertmanager did not start: {log.read_text(errors='replace')[-500:]}")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Prometheus with backfilled demo history up to T, the live exporter and the rules."""
    _require("prometheus")
    _require("promtool")
    workdir = tmp_path_factory.mktemp("prometheus-stack")
    state_dir = workdir / "state"
    state_dir.mkdir()
    alertmanager = _start_alertmanager(workdir)
    prometheus: PrometheusStack | None = None
    try:
        prometheus = start_prometheus_stack(
            state_dir,
            workdir=workdir / "prometheus",
            alertmanager=alertmanager.address,
            scrape_interval="2s",
        )
        yield Stack(prometheus, alertmanager, state_dir, int(prometheus.end), workdir)
    finally:
        if prometheus is not None:
            prometheus.stop()
        stop_process(alertmanager.process)


def _wait_for(predicate, timeout: float, interval: float = 0.25, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns something truthy, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def govtui():  # type: ignore[no-untyped-def]
    """Run `govtui ARGS` in a subprocess: govtui(args, env, timeout=120)."""
    return _govtui


@pytest.fixture(scope="session")
def wait_for():  # type: ignore[no-untyped-def]
    """Poll a predicate with a bounded timeout: wait_for(predicate, timeout, what=...)."""
    return _wait_for


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real MLflow tracking server for the session; see tests/integration/mlflow_server.py."""
    from tests.integration.mlflow_server import start_mlflow_server

    server = start_mlflow_server(tmp_path_factory.mktemp("mlflow"))
    try:
        yield server
    finally:
        server.stop()
