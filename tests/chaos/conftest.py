"""The chaos suite's own servers: Prometheus, Alertmanager and MLflow, each behind a proxy.

They are separate from the integration tests' shared stack because these tests kill and restart
them. Started the same way (tests/integration/conftest.py helpers), on loopback ports, stopped by
PID. `GOVTUI_CHAOS_SECONDS` (default 10) bounds how long faults are injected per test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govtui.demo.prometheus_stack import PrometheusStack, start_prometheus_stack, stop_process
from tests.chaos.proxy import ChaosProxy
from tests.integration.conftest import Alertmanager, _require, _start_alertmanager

DEFAULT_CHAOS_SECONDS = 10.0


def chaos_seconds() -> float:
    """How long each test injects faults (`GOVTUI_CHAOS_SECONDS`)."""
    try:
        return max(1.0, float(os.environ.get("GOVTUI_CHAOS_SECONDS", DEFAULT_CHAOS_SECONDS)))
    except ValueError:
        return DEFAULT_CHAOS_SECONDS


@dataclass
class ChaosStack:
    """Prometheus and Alertmanager, the proxies in front of them, and a work dir."""

    prometheus: PrometheusStack
    alertmanager: Alertmanager
    prometheus_proxy: ChaosProxy
    alertmanager_proxy: ChaosProxy
    workdir: Path
    state_dir: Path
    at: int
    restarts: list[str] = field(default_factory=list)

    @property
    def proxies(self) -> tuple[ChaosProxy, ...]:
        return (self.prometheus_proxy, self.alertmanager_proxy)

    def faults_on(self) -> None:
        for proxy in self.proxies:
            proxy.faults_on()

    def faults_off(self) -> None:
        for proxy in self.proxies:
            proxy.faults_off()

    def kill_prometheus(self) -> None:
        """SIGKILL the real Prometheus (no clean shutdown)."""
        process = self.prometheus.prometheus.process
        if process.poll() is None:
            process.kill()
            process.wait(10)
        self.restarts.append("prometheus killed")

    def restart_prometheus(self) -> None:
        """Start it again on the same port and data; returns when it is ready."""
        self.prometheus.prometheus.restart()
        self.restarts.append("prometheus restarted")

    def kill_alertmanager(self) -> None:
        process = self.alertmanager.process
        if process.poll() is None:
            process.kill()
            process.wait(10)
        self.restarts.append("alertmanager killed")

    def restart_alertmanager(self) -> None:
        """A new Alertmanager (new port and storage); the proxy now points at it."""
        stop_process(self.alertmanager.process)
        index = sum(1 for event in self.restarts if event == "alertmanager restarted") + 1
        workdir = self.workdir / f"alertmanager-{index}"
        workdir.mkdir()
        self.alertmanager = _start_alertmanager(workdir)
        self.alertmanager_proxy.upstream = (
            "127.0.0.1",
            int(self.alertmanager.address.rsplit(":", 1)[1]),
        )
        self.restarts.append("alertmanager restarted")

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for govtui subprocesses: this stack's state dir, no stray config."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GOVTUI_") and key != "NO_COLOR"
        }
        env["GOVTUI_STATE_DIR"] = str(self.state_dir)
        env.update(extra)
        return env

    def config_file(
        self, name: str, *, refresh: str = "1s", timeout: str = "1s", registry: str = ""
    ) -> Path:
        """The demo config pointed at the proxies, every kind refreshing every `refresh`
        (`registry`: a `registry:` block replacing the demo registry)."""
        from govtui.demo.config import demo_config

        loaded = demo_config()
        assert loaded.path is not None
        text = loaded.path.read_text(encoding="utf-8")
        sources = (
            f"sources:\n"
            f"  prometheus:\n    url: {self.prometheus_proxy.url}\n"
            f"    timeout: {timeout}\n    retries: 1\n"
            f"  alertmanager:\n    url: {self.alertmanager_proxy.url}\n"
            f"    timeout: {timeout}\n    retries: 1\n"
        )
        text = text.replace("sources:\n", sources, 1)
        if registry:
            start = text.index("  registry:\n")
            end = text.index("\n", text.index("alias:", start)) + 1
            text = text[:start] + registry + text[end:]
        text = text.replace("runbooks/", f"{loaded.path.parent}/runbooks/")
        refresh_block = (
            "ui:\n  theme: dark\n  refresh:\n"
            + "".join(
                f"    {kind}: {refresh}\n"
                for kind in ("slo", "drift", "fairness", "quality", "alerts")
            )
            + f"    registry: {refresh}\n"
        )
        text = text.replace("ui:\n  theme: dark\n", refresh_block, 1)
        text += f"audit:\n  path: {self.workdir / 'audit.jsonl'}\n"
        path = self.workdir / name
        path.write_text(text, encoding="utf-8")
        return path


def govtui(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The govtui CLI in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "govtui.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def chaos_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosStack]:
    """Prometheus (backfilled demo fleet, live exporter, rules) and Alertmanager, proxied."""
    _require("prometheus")
    _require("promtool")
    workdir = tmp_path_factory.mktemp("chaos")
    state_dir = workdir / "state"
    state_dir.mkdir()
    alertmanager = _start_alertmanager(workdir)
    prometheus: PrometheusStack | None = None
    proxies: list[ChaosProxy] = []
    stack: ChaosStack | None = None
    try:
        prometheus = start_prometheus_stack(
            state_dir,
            workdir=workdir / "prometheus",
            alertmanager=alertmanager.address,
            scrape_interval="2s",
        )
        prometheus_proxy = ChaosProxy(prometheus.prometheus.port, seed=1).start()
        proxies.append(prometheus_proxy)
        am_port = int(alertmanager.address.rsplit(":", 1)[1])
        alertmanager_proxy = ChaosProxy(am_port, seed=2).start()
        proxies.append(alertmanager_proxy)
        stack = ChaosStack(
            prometheus,
            alertmanager,
            prometheus_proxy,
            alertmanager_proxy,
            workdir,
            state_dir,
            int(prometheus.end),
        )
        yield stack
    finally:
        for proxy in proxies:
            proxy.stop()
        if prometheus is not None:
            prometheus.stop()
        stop_process(stack.alertmanager.process if stack is not None else alertmanager.process)
        shutil.rmtree(workdir / "prometheus", ignore_errors=True)


@dataclass
class ChaosMlflow:
    """A real MLflow server with one populated model, behind a proxy; killable, restartable."""

    server: Any
    proxy: ChaosProxy
    workdir: Path
    model: str
    created: dict[str, Any]
    restarts: list[str] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL the server's process group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.server.process.pid, signal.SIGKILL)
        self.server.process.wait(10)
        self.restarts.append("mlflow killed")

    def restart(self) -> None:
        """A new server on the same SQLite store (new port); the proxy now points at it."""
        from tests.integration.mlflow_server import start_mlflow_server

        self.server.stop()
        self.server = start_mlflow_server(self.workdir)
        self.proxy.upstream = ("127.0.0.1", self.server.port)
        self.restarts.append("mlflow restarted")

    def registry_block(self, *, timeout: str = "2s") -> str:
        """The `registry:` section (under `sources:`) for this MLflow, through the proxy."""
        return (
            "  registry:\n    kind: mlflow\n"
            f"    url: {self.proxy.url}\n    timeout: {timeout}\n    retries: 1\n"
        )

    def config_file(self, directory: Path, name: str, *, timeout: str = "2s") -> Path:
        """A config whose registry is this MLflow, through the proxy."""
        text = (
            f"sources:\n{self.registry_block(timeout=timeout)}"
            f"audit:\n  path: {directory / 'mlflow-audit.jsonl'}\n"
        )
        path = directory / name
        path.write_text(text, encoding="utf-8")
        return path


@pytest.fixture(scope="session")
def chaos_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosMlflow]:
    """MLflow (its own venv, SQLite, 127.0.0.1) with model `chaos-credit`, proxied."""
    from tests.integration.mlflow_server import populate_model, start_mlflow_server

    workdir = tmp_path_factory.mktemp("chaos-mlflow")
    server = start_mlflow_server(workdir)
    proxy: ChaosProxy | None = None
    try:
        created = populate_model(
            server, "chaos-credit", champion="2", version_tags={"3": {"govtui.gate": "passed"}}
        )
        proxy = ChaosProxy(server.port, seed=3).start()
        chaos = ChaosMlflow(server, proxy, workdir, "chaos-credit", created)
        yield chaos
        server = chaos.server
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here needs the real servers: mark it `integration` (as tests/integration)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
