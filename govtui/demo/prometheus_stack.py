"""A real Prometheus for the demo: backfilled history, the generated rules, the live exporter.

`start_prometheus_stack()` runs everything on free loopback ports under one work directory and
returns a handle whose `stop()` ends the processes it started, by PID, and removes the directory.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from govtui.config import LoadedConfig
from govtui.errors import SourceError

SOURCE = "prometheus"
# Backfilled blocks may be as long as the history (one pass over the file instead of many).
MAX_BLOCK_DURATION = "800h"
RETENTION = "400d"
READY_TIMEOUT_SECONDS = 30.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def find_binary(name: str) -> str:
    """Absolute path of an installed binary, or a SourceError saying how to install it."""
    found = shutil.which(name)
    if found is None:
        raise SourceError(
            SOURCE,
            f"`{name}` is not installed (Debian/Ubuntu: apt-get install prometheus "
            "prometheus-alertmanager)",
        )
    return found


def create_blocks(openmetrics: Path, data_dir: Path, *, promtool: str | None = None) -> None:
    """Turn an OpenMetrics file into TSDB blocks with promtool."""
    tool = promtool or find_binary("promtool")
    data_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            tool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={MAX_BLOCK_DURATION}",
            str(openmetrics),
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).split())[-300:]
        raise SourceError(SOURCE, f"promtool could not backfill {openmetrics}: {detail}")


def prometheus_config(
    *,
    scrape_targets: list[str],
    rule_files: list[Path],
    alertmanager: str | None = None,
    scrape_interval: str = "5s",
    evaluation_interval: str = "5s",
) -> str:
    """A minimal prometheus.yml (JSON is valid YAML) scraping the demo exporter."""
    document: dict[str, Any] = {
        "global": {
            "scrape_interval": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": "govtui-demo",
                "honor_labels": True,
                "static_configs": [{"targets": scrape_targets}],
            }
        ],
    }
    if alertmanager:
        document["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]
        }
    return json.dumps(document, indent=2) + "\n"


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Poll `/-/ready` until it answers 200, the process dies, or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SourceError(
                SOURCE, f"exited with code {process.returncode} at start: {_tail(log)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    raise SourceError(SOURCE, f"not ready after {timeout:g}s at {url}: {_tail(log)}")


def _tail(log: Path, chars: int = 300) -> str:
    try:
        return " ".join(log.read_text(errors="replace").split())[-chars:]
    except OSError:
        return "(no log)"


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """Terminate one process we started (by its PID), killing it if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@dataclass
class PrometheusProcess:
    """One Prometheus server we started."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    data_dir: Path
    config_file: Path
    log_file: Path
    args: list[str]

    @property
    def pid(self) -> int:
        """Process id (what stop() signals)."""
        return self.process.pid

    def stop(self) -> None:
        """Stop this server."""
        stop_process(self.process)

    def restart(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Start it again on the same port and data (after stop(), for resilience tests)."""
        self.stop()
        handle = self.log_file.open("ab")
        self.process = subprocess.Popen(
            self.args, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        handle.close()
        wait_ready(self.url, self.process, timeout, self.log_file)


def start_prometheus(
    workdir: Path,
    config_text: str,
    *,
    data_dir: Path | None = None,
    binary: str | None = None,
    timeout: float = READY_TIMEOUT_SECONDS,
    attempts: int = 3,
) -> PrometheusProcess:
    """Start Prometheus on a free loopback port with `config_text` and wait until it is ready."""
    executable = binary or find_binary("prometheus")
    data = data_dir or workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(config_text, encoding="utf-8")
    log_file = workdir / "prometheus.log"
    last_error: SourceError | None = None
    for _attempt in range(attempts):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        args = [
            executable,
            f"--config.file={config_file}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={data}",
            f"--storage.tsdb.retention.time={RETENTION}",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ]
        with log_file.open("ab") as handle:
            process = subprocess.Popen(
                args, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        try:
            wait_ready(url, process, timeout, log_file)
        except SourceError as exc:
            stop_process(process)
            last_error = exc
            continue
        return PrometheusProcess(url, port, process, data, config_file, log_file, args)
    assert last_error is not None
    raise last_error


@dataclass
class PrometheusStack:
    """The demo's Prometheus, its exporter and work directory; stop() tears all of it down."""

    url: str
    prometheus: PrometheusProcess
    exporter: Any
    workdir: Path
    end: float
    keep_workdir: bool = False
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        """Stop Prometheus (by PID) and the exporter, then remove the work directory."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self.prometheus.stop()
        finally:
            with contextlib.suppress(Exception):
                self.exporter.stop()
            if not self.keep_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PrometheusStack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_prometheus_stack(
    state_dir: Path,
    *,
    models: int = 12,
    seed: int = 7,
    end: datetime | None = None,
    hours: float = 31 * 24,
    alertmanager: str | None = None,
    workdir: Path | None = None,
    rule_for: dict[str, str] | None = None,
    scrape_interval: str = "5s",
) -> PrometheusStack:
    """Backfill the demo fleet up to `end` (default now), start its exporter and a Prometheus
    that scrapes it and evaluates the generated rules; returns when Prometheus is ready."""
    from govtui.analysis.rules import render_rules
    from govtui.demo.config import demo_config
    from govtui.demo.exporter import serve
    from govtui.demo.fleet import DemoFleet
    from govtui.demo.openmetrics import (
        FINEST_STEP,
        FleetSampler,
        backfill,
        help_for,
        window_edges,
    )
    from govtui.demo.registry import ensure_demo_registry
    from govtui.timeutil import utc_now

    prometheus_binary = find_binary("prometheus")
    promtool = find_binary("promtool")
    moment = end or utc_now()
    registry = ensure_demo_registry(state_dir, models=models, seed=seed, at=moment)
    fleet = DemoFleet(registry, models=models, seed=seed)
    sampler = FleetSampler(fleet)
    owned = workdir is None
    base = workdir or Path(tempfile.mkdtemp(prefix="govtui-prometheus-"))
    base.mkdir(parents=True, exist_ok=True)
    exporter = None
    try:
        last = math.floor(moment.timestamp() / FINEST_STEP) * FINEST_STEP
        openmetrics = base / "backfill.om"
        config = demo_config().config
        backfill(
            sampler,
            openmetrics,
            end=last,
            hours=hours,
            edges=window_edges(config, last),
            help_texts=help_for("ml_"),
        )
        create_blocks(openmetrics, base / "data", promtool=promtool)
        openmetrics.unlink()
        rules = base / "govtui-rules.yaml"
        rules.write_text(
            render_rules(config, source="the demo config", alert_for=rule_for), encoding="utf-8"
        )
        exporter = serve(sampler)
        target = exporter.url.removeprefix("http://").removesuffix("/metrics")
        text = prometheus_config(
            scrape_targets=[target],
            rule_files=[rules],
            alertmanager=alertmanager,
            scrape_interval=scrape_interval,
            evaluation_interval=scrape_interval,
        )
        prometheus = start_prometheus(base, text, binary=prometheus_binary)
    except BaseException:
        if exporter is not None:
            exporter.stop()
        if owned:
            shutil.rmtree(base, ignore_errors=True)
        raise
    return PrometheusStack(
        prometheus.url, prometheus, exporter, base, float(last), keep_workdir=not owned
    )


@contextmanager
def prometheus_demo(
    *, models: int = 12, seed: int = 7, state_dir: Path | None = None
) -> Iterator[LoadedConfig]:
    """`govtui demo --prometheus`: the demo config pointed at a throw-away real Prometheus,
    stopped (by PID) and removed when the block exits."""
    from govtui.config import PrometheusConfig
    from govtui.config import state_dir as default_state_dir
    from govtui.demo.config import demo_config

    stack = start_prometheus_stack(state_dir or default_state_dir(), models=models, seed=seed)
    try:
        loaded = demo_config()
        sources = loaded.config.sources.model_copy(
            update={"prometheus": PrometheusConfig(url=stack.url)}
        )
        config = loaded.config.model_copy(update={"sources": sources})
        yield LoadedConfig(config=config, path=loaded.path)
    finally:
        stack.stop()


__all__ = [
    "PrometheusProcess",
    "PrometheusStack",
    "create_blocks",
    "find_binary",
    "free_port",
    "prometheus_config",
    "prometheus_demo",
    "start_prometheus",
    "start_prometheus_stack",
    "stop_process",
]
