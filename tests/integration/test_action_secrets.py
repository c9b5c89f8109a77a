"""Secrets never leak: rollback, silence, note, incident and audit commands run (as subprocesses,
against the real servers, on success and failure paths) with a bearer token, a basic-auth
password and the audit HMAC key set to distinctive strings; none appears in the audit file or in
any stdout/stderr."""

from __future__ import annotations

import base64
import re
import socket
from pathlib import Path

from tests.integration.mlflow_server import MlflowServer, populate_model

TOKEN = "tok-7f3a9c-bearer-SECRET"
PASSWORD = "pw-91b2e4-basic-SECRET"
URL_PASSWORD = "pw-55d0aa-inurl-SECRET"
HMAC_KEY = "hmac-c0ffee-key-SECRET"
SECRETS = (
    TOKEN,
    PASSWORD,
    URL_PASSWORD,
    HMAC_KEY,
    base64.b64encode(f"ops:{PASSWORD}".encode()).decode(),
    base64.b64encode(f"ops:{URL_PASSWORD}".encode()).decode(),
)
# Env var names the audit log's own redaction does not recognise, so the test shows that the
# actions never put credentials into a record in the first place.
ENV = {"GOVTUI_TEST_AM_BEARER": TOKEN, "GOVTUI_TEST_REG_PW": PASSWORD, "GOVTUI_AUDIT_KEY": HMAC_KEY}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(path: Path, prometheus: str, alertmanager: str, mlflow: str) -> Path:
    path.write_text(
        f"""\
sources:
  prometheus:
    url: {prometheus}
    auth:
      bearer_token_env: GOVTUI_TEST_AM_BEARER
  alertmanager:
    url: {alertmanager}
    retries: 0
    auth:
      bearer_token_env: GOVTUI_TEST_AM_BEARER
  registry:
    kind: mlflow
    url: {mlflow}
    retries: 0
    auth:
      basic:
        username: ops
        password_env: GOVTUI_TEST_REG_PW
audit:
  path: audit.jsonl
""",
        encoding="utf-8",
    )
    return path


def test_no_secret_in_audit_or_output(  # type: ignore[no-untyped-def]
    stack, mlflow_server: MlflowServer, govtui, tmp_path: Path
) -> None:
    model = "rollback-secrets"
    gated = {"govtui.gate": "passed"}
    populate_model(mlflow_server, model, versions=3, champion="3", version_tags={"2": gated})
    good = _config(tmp_path / "good.yaml", stack.url, stack.alertmanager.url, mlflow_server.url)
    port = _closed_port()
    bad = _config(
        tmp_path / "bad.yaml",
        f"http://ops:{URL_PASSWORD}@127.0.0.1:{port}",
        f"http://ops:{URL_PASSWORD}@127.0.0.1:{port}",
        f"http://127.0.0.1:{port}",
    )
    env = stack.env(**ENV, GOVTUI_STATE_DIR=str(tmp_path / "state"))
    outputs: list[str] = []

    def run(config: Path, *args: str) -> int:
        result = govtui(["--config", str(config), *args], env)
        outputs.extend([result.stdout, result.stderr])
        return int(result.returncode)

    assert run(good, "incident", "start", "secrets drill") == 0
    assert run(good, "rollback", model, "--reason", "drill", "--yes") == 0
    assert run(good, "rollback", model, "--to", "9", "--reason", "drill", "--yes") == 1
    assert run(good, "rollback", model, "--reason", "drill", "--yes", "--format", "json") == 1
    assert run(good, "silence", "fraud-scorer", "--for", "10m", "--reason", "drill") == 0
    silence_id = re.findall(r"silence id (\S+)", outputs[-2])[0]
    assert run(good, "silence", "--list") == 0
    assert run(good, "silence", "--expire", silence_id, "--reason", "drill") == 0
    assert run(good, "note", model, "drill", "note") == 0
    # Failure paths: unreachable backends with credentials in the config and in the URL.
    assert run(bad, "silence", "fraud-scorer", "--for", "10m", "--reason", "drill") == 4
    assert run(bad, "silence", "--list") == 2
    assert run(bad, "rollback", model, "--reason", "drill", "--yes") == 2
    assert run(good, "incident", "end") == 0
    assert run(good, "audit", "verify") == 0
    assert run(good, "audit", "head") == 0
    assert run(good, "audit", "show", "--format", "json") == 0
    assert run(good, "audit", "export", "--format", "csv") == 0
    incident_id = re.findall(r"INC-\d{8}-\d+", outputs[0])[0]
    assert run(good, "incident", "report", incident_id, "--format", "json") == 0

    audit_text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert '"outcome":"done"' in audit_text and '"hmac":"' in audit_text
    assert "failed" in audit_text  # the failed silence was recorded, its error included
    for secret in SECRETS:
        assert secret not in audit_text, secret
        for index, text in enumerate(outputs):
            assert secret not in text, (secret, index)
