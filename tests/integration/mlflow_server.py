"""A real MLflow tracking server for the integration tests, started once per test session.

The server runs from its own venv (`bash scripts/mlflow-venv.sh` creates it at
`${GOVTUI_MLFLOW_VENV:-~/.cache/govtui/mlflow-venv}`); a missing venv FAILS the tests. It uses a
SQLite backend in a temporary directory, listens on 127.0.0.1 on a free port with one worker,
and is stopped by its process group in teardown.

How a test uses it (each test registers its own model name, so tests never interfere):

    def test_rollback(mlflow_server):                  # the session fixture (conftest.py)
        created = populate_model(mlflow_server, "credit-rollback", champion="3")
        registry = MlflowRegistry(mlflow_server.registry_config())
        ...

`populate_model(server, name, **options)` runs `mlflow_populate.py` in the MLflow venv, which
creates, through MLflow's own Python API, one training run per version (params, evaluation
metrics, a `mlflow.source.git.commit` tag, a training and an evaluation dataset input), three
versions (`versions=N`), the `champion` alias on the last one (`champion="2"` or None), and the
column lineage JSON in the version tag `govtui.column_lineage`. Options: `incomplete=["1"]` (no
code version, no lineage tag), `no_run=["1"]`, `lineage_in="run"`, `legacy_stage={"1":
"Archived"}`, `version_tags={"3": {"govtui.gate": "passed"}}`, `model_tags={...}`,
`metrics={"2": {"accuracy": 0.5}}`. It returns what it created:

    {"model": name, "champion": "3", "experiment_id": "1",
     "versions": {"1": {"run_id": ..., "status": "READY", "code_version": "01abab...",
                        "dataset": {"name", "digest", "source", "schema"},
                        "eval_dataset": {"name", "digest"}}, ...}}

`server.config_block()` gives the YAML `registry:` section of a govtui config pointing at the
server, for CLI tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govtui.config import RegistryConfig
from govtui.demo.prometheus_stack import free_port, stop_process

STARTUP_TIMEOUT_SECONDS = 90.0
POPULATE_TIMEOUT_SECONDS = 300.0
POPULATE_SCRIPT = Path(__file__).with_name("mlflow_populate.py")


def mlflow_venv() -> Path:
    """Where scripts/mlflow-venv.sh put the MLflow venv."""
    configured = os.environ.get("GOVTUI_MLFLOW_VENV")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "govtui" / "mlflow-venv"


def _require_venv() -> Path:
    venv = mlflow_venv()
    for binary in ("python", "mlflow"):
        if not (venv / "bin" / binary).exists():
            pytest.fail(
                f"the MLflow venv is missing ({venv / 'bin' / binary} not found): run "
                "`bash scripts/mlflow-venv.sh` (the test command does)"
            )
    return venv


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without govtui or MLflow settings from the caller's shell."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOVTUI_", "MLFLOW_")) and key not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(extra)
    return env


@dataclass
class MlflowServer:
    """An MLflow tracking server we started (stop() ends its process group)."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    workdir: Path
    venv: Path
    log_file: Path
    populated: list[str] = field(default_factory=list)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def registry_config(self, **overrides: Any) -> RegistryConfig:
        """A govtui registry config pointing at this server."""
        return RegistryConfig(**{"kind": "mlflow", "url": self.url, **overrides})

    def config_block(self, indent: str = "  ", **settings: str) -> str:
        """The `registry:` YAML section (under `sources:`) pointing at this server."""
        lines = [f"{indent}registry:", f"{indent}  kind: mlflow", f"{indent}  url: {self.url}"]
        lines += [f"{indent}  {key}: {json.dumps(value)}" for key, value in settings.items()]
        return "\n".join(lines) + "\n"

    def log_tail(self, size: int = 2000) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return self.log_file.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Terminate the server's process group (the CLI and its uvicorn worker), then reap it."""
        _stop_group(self.process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    group = process.pid  # started with start_new_session: the group id is the leader's pid
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
    stop_process(process)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)  # a worker that outlived the leader


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start_mlflow_server(workdir: Path) -> MlflowServer:
    """Start `mlflow server` on a free loopback port and wait until /health answers."""
    venv = _require_venv()
    workdir.mkdir(parents=True, exist_ok=True)
    log_file = workdir / "mlflow.log"
    env = _clean_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", GIT_PYTHON_REFRESH="quiet")
    for _attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                [
                    str(venv / "bin" / "mlflow"),
                    "server",
                    "--backend-store-uri",
                    f"sqlite:///{workdir / 'mlflow.db'}",
                    "--default-artifact-root",
                    str(workdir / "artifacts"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                ],
                cwd=workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = MlflowServer(url, port, process, workdir, venv, log_file)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if _healthy(url):
                return server
            time.sleep(0.25)
        server.stop()
        if time.monotonic() >= deadline:
            break  # a slow start is not a port clash: do not try again
    pytest.fail(f"the MLflow server did not start: {log_file}\n{_tail(log_file)}")


def _tail(path: Path, size: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def populate_model(server: MlflowServer, name: str, **options: Any) -> dict[str, Any]:
    """Create runs, three versions and the champion alias for `name` (see the module docstring)."""
    workdir = server.workdir / "populate" / f"{len(server.populated)}"
    workdir.mkdir(parents=True, exist_ok=True)  # not a git checkout: no commit is auto-detected
    result = subprocess.run(
        [str(server.python), str(POPULATE_SCRIPT), server.url, name, json.dumps(options)],
        cwd=workdir,
        env=_clean_env(GIT_PYTHON_REFRESH="quiet", MLFLOW_TRACKING_URI=server.url),
        capture_output=True,
        text=True,
        timeout=POPULATE_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"populating MLflow model {name!r} failed (exit {result.returncode}):\n"
            f"{result.stderr[-3000:]}\n-- server log --\n{server.log_tail()}"
        )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        pytest.fail(f"mlflow_populate.py printed no JSON:\n{result.stdout[-2000:]}")
    server.populated.append(name)
    created: dict[str, Any] = json.loads(lines[-1])
    return created
