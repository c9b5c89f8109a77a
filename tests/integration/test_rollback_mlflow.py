"""Rollback against a real MLflow server, through `govtui rollback`: dry run, guardrails,
read-only with zero mutating requests (counted by a recording httpx transport), the happy path
read back from the server, a concurrent alias move, and registry failures injected mid-way."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from govtui.actions.audit import AuditLog, verify
from govtui.cli import rollback as rollback_cli
from govtui.cli.main import main
from govtui.config import LoadedConfig
from govtui.sources.registry.base import ALIAS_HISTORY_TAG, ModelVersion
from govtui.sources.registry.mlflow import MlflowRegistry
from tests.integration.mlflow_server import MlflowServer, populate_model

MUTATING_METHODS = ("POST", "PUT", "PATCH", "DELETE")
Request = tuple[str, str]


class Recording(httpx.BaseTransport):
    """Passes requests to the server, logging (method, path); `fail` answers some with a 500."""

    def __init__(self, log: list[Request], fail: Callable[[httpx.Request], bool] | None) -> None:
        self.inner = httpx.HTTPTransport()
        self.log = log
        self.fail = fail

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.method, request.url.path))
        if self.fail is not None and self.fail(request):
            body = {"error_code": "INTERNAL_ERROR", "message": "injected failure"}
            return httpx.Response(500, json=body, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Cli:
    """`govtui rollback` against the server with a recording transport under every registry."""

    def __init__(self, server: MlflowServer, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.server = server
        self.audit_path = root / "audit.jsonl"
        self.config = root / "govtui.yaml"
        self.config.write_text(
            "sources:\n" + server.config_block(retries="0") + "audit:\n  path: audit.jsonl\n",
            encoding="utf-8",
        )
        self.requests: list[Request] = []
        self.fail: Callable[[httpx.Request], bool] | None = None
        self.wrap: Callable[[MlflowRegistry], Any] | None = None
        monkeypatch.setenv("GOVTUI_STATE_DIR", str(root / "state"))
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        monkeypatch.setattr(rollback_cli, "open_registry", self._open)

    def _open(self, loaded: LoadedConfig, state: Path, at: object) -> Any:
        registry = MlflowRegistry(
            loaded.config.sources.registry, transport=Recording(self.requests, self.fail)
        )
        return self.wrap(registry) if self.wrap is not None else registry

    def rollback(self, *args: str, root_args: tuple[str, ...] = ()) -> int:
        self.requests.clear()
        return main([*root_args, "--config", str(self.config), "rollback", *args])

    @property
    def mutating(self) -> list[Request]:
        return [item for item in self.requests if item[0] in MUTATING_METHODS]

    def outcomes(self) -> list[str]:
        return [r["outcome"] for r in AuditLog(self.audit_path).records()]

    def fresh(self) -> MlflowRegistry:
        """A registry of our own, to read back what the server holds."""
        return MlflowRegistry(self.server.registry_config())

    def champion(self, model: str) -> str | None:
        with self.fresh() as registry:
            found = registry.get_alias(model, "champion")
        return found.version if found else None


GATED = {"govtui.gate": "passed 2026-11-01T00:00:00Z"}


def test_rollback_against_mlflow(
    mlflow_server: MlflowServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = "rollback-happy"
    populate_model(
        mlflow_server,
        model,
        versions=4,
        champion="4",
        incomplete=["1"],
        version_tags={"1": GATED, "3": GATED, "4": GATED},
    )
    cli = Cli(mlflow_server, tmp_path, monkeypatch)

    # Dry run: the default target (no alias history yet) is the highest earlier READY version.
    assert cli.rollback(model, "--reason", "r", "--dry-run") == 0
    assert "dry run: champion would move 4 -> 3" in capsys.readouterr().out
    assert cli.mutating == [] and cli.outcomes() == ["dry-run"]

    # Each guardrail refuses with exit 1, one record, and no mutating request.
    refusals = [
        (("--to", "9"), "target exists: model 'rollback-happy' has no version '9'"),
        (("--to", "4"), "not the current: champion already points at 4"),
        (("--to", "2"), "gate passed: no recorded gate"),
        (("--to", "1"), "lineage complete: gaps: training run has no code version"),
        (("--expect-current", "3"), "expected current: champion is at 4, not the expected 3"),
    ]
    for args, reason in refusals:
        assert cli.rollback(model, *args, "--reason", "r", "--yes") == 1, args
        assert reason in capsys.readouterr().err
        assert cli.mutating == []
    assert cli.outcomes() == ["dry-run"] + ["refused"] * len(refusals)

    # Read-only: refused before any mutating request reaches the server.
    assert cli.rollback(model, "--reason", "r", "--yes", root_args=("--read-only",)) == 3
    assert "read-only mode: rollback of rollback-happy refused" in capsys.readouterr().err
    assert cli.requests and cli.mutating == []
    assert cli.outcomes()[-1] == "refused" and cli.champion(model) == "4"

    # Happy path: intent, the alias move, read-back from the server, done.
    assert cli.rollback(model, "--reason", "v4 misbehaves", "--yes") == 0
    out = capsys.readouterr().out
    assert "champion moved 4 -> 3 (read back 3" in out
    assert "accuracy" in out  # the target run's evaluation metrics are shown
    assert {path.rsplit("/", 1)[-1] for _, path in cli.mutating} == {"alias", "set-tag"}
    assert cli.outcomes()[-2:] == ["intent", "done"]
    assert cli.champion(model) == "3"
    with cli.fresh() as registry:
        move = registry.alias_history(model)[-1]
        tags = registry.get_model(model).tags  # type: ignore[union-attr]
    assert (move.alias, move.from_version, move.to_version) == ("champion", "4", "3")
    assert move.reason == "v4 misbehaves" and "@" in move.actor
    assert ALIAS_HISTORY_TAG in tags

    # Now the alias history names the previous champion (4): the default target follows it.
    assert cli.rollback(model, "--reason", "r", "--dry-run") == 0
    assert "champion would move 3 -> 4" in capsys.readouterr().out
    assert verify(cli.audit_path).ok


class Racing:
    """Wraps a registry so another operator moves the alias right before our move."""

    def __init__(self, inner: MlflowRegistry, move: Callable[[], None]) -> None:
        self.inner = inner
        self.move = move
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get_alias(self, model: str, alias: str = "champion") -> ModelVersion | None:
        self.calls += 1
        if self.calls == 2:  # the re-read just before the move
            self.move()
        return self.inner.get_alias(model, alias)


def test_concurrent_move_and_failures_mid_way(
    mlflow_server: MlflowServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = "rollback-race"
    populate_model(
        mlflow_server,
        model,
        versions=3,
        champion="3",
        version_tags={"1": GATED, "2": GATED, "3": GATED},
    )
    cli = Cli(mlflow_server, tmp_path, monkeypatch)

    def bob_moves() -> None:
        with cli.fresh() as registry:
            registry.set_alias(model, "champion", "1", actor="bob@laptop", reason="bob's fix")

    cli.wrap = lambda registry: Racing(registry, bob_moves)
    assert cli.rollback(model, "--reason", "r", "--yes") == 1
    assert "concurrent move: champion is now at 1, not 3 as planned" in capsys.readouterr().err
    assert cli.outcomes() == ["intent", "refused"]
    assert cli.mutating == []  # our move was never sent
    assert cli.champion(model) == "1"  # bob's move stands
    cli.wrap = None

    # The alias moves but the alias-history tag write fails: unconfirmed, exit 4, never done.
    def history_write(request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path.endswith("registered-models/set-tag")

    cli.fail = history_write
    assert cli.rollback(model, "--to", "3", "--reason", "r", "--yes") == 4
    captured = capsys.readouterr()
    assert "rollback of rollback-race unconfirmed" in captured.err
    assert "rolled back" not in captured.out
    assert cli.outcomes()[-2:] == ["intent", "unconfirmed"]
    assert cli.champion(model) == "3"  # the alias did move ...
    with cli.fresh() as registry:
        assert registry.alias_history(model)[-1].to_version == "1"  # ... its history did not

    # The alias move itself fails: failed, exit 4, the alias unchanged.
    def alias_move(request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path.endswith("registered-models/alias")

    cli.fail = alias_move
    assert cli.rollback(model, "--to", "2", "--reason", "r", "--yes") == 4
    assert "rollback of rollback-race failed: registry error" in capsys.readouterr().err
    assert cli.outcomes()[-2:] == ["intent", "failed"]
    assert AuditLog(cli.audit_path).records()[-1]["params"]["read_back"] == "3"
    assert cli.champion(model) == "3"
    assert verify(cli.audit_path).ok
