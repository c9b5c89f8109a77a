"""MlflowRegistry against a real MLflow tracking server populated through MLflow's own API."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from govtui.errors import ReadOnlyRefused, RegistryError, UsageError
from govtui.sources.registry.base import ALIAS_HISTORY_TAG, ModelRegistry
from govtui.sources.registry.mlflow import MlflowRegistry
from tests.integration.mlflow_server import MlflowServer, populate_model, start_mlflow_server

READ_MODEL = "it-read"


@pytest.fixture(scope="module")
def read_model(mlflow_server: MlflowServer) -> dict[str, Any]:
    """One model the read-only tests share: v1 incomplete and Archived, v3 champion with a gate."""
    return populate_model(
        mlflow_server,
        READ_MODEL,
        incomplete=["1"],
        legacy_stage={"1": "Archived"},
        version_tags={"3": {"govtui.gate": "passed"}},
        model_tags={"govtui.deployment": "k8s/credit-scoring"},
    )


@pytest.fixture
def registry(mlflow_server: MlflowServer) -> Iterator[MlflowRegistry]:
    with MlflowRegistry(mlflow_server.registry_config()) as opened:
        yield opened


class CountingTransport(httpx.BaseTransport):
    """The real HTTP transport, recording the method and path of every request sent."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _model_tags(server: MlflowServer, model: str) -> dict[str, str]:
    """The model's tags straight from the REST API (not through the code under test)."""
    response = httpx.get(
        f"{server.url}/api/2.0/mlflow/registered-models/get", params={"name": model}, timeout=10
    )
    response.raise_for_status()
    tags = response.json()["registered_model"].get("tags", [])
    return {item["key"]: item["value"] for item in tags}


def test_registry_satisfies_the_protocol(registry: MlflowRegistry) -> None:
    assert isinstance(registry, ModelRegistry)


def test_models_and_versions_carry_aliases_status_runs_and_legacy_stage(
    registry: MlflowRegistry, read_model: dict[str, Any]
) -> None:
    models = {item.name: item for item in registry.list_models()}
    assert models[READ_MODEL].aliases == {"champion": "3"}
    assert models[READ_MODEL].tags["govtui.deployment"] == "k8s/credit-scoring"

    versions = registry.list_versions(READ_MODEL)
    assert [item.version for item in versions] == ["1", "2", "3"]
    by_version = {item.version: item for item in versions}
    assert by_version["3"].aliases == ("champion",)
    assert by_version["2"].aliases == ()
    for number, created in read_model["versions"].items():
        assert by_version[number].run_id == created["run_id"]
        assert by_version[number].created is not None
    # The legacy stage is read and shown; an Archived stage makes the version ARCHIVED.
    assert by_version["1"].legacy_stage == "Archived"
    assert by_version["1"].status == "ARCHIVED"
    assert by_version["2"].legacy_stage is None
    assert by_version["2"].status == "READY"
    assert by_version["3"].gate == "passed"


def test_pagination_reads_every_page(
    mlflow_server: MlflowServer, read_model: dict[str, Any]
) -> None:
    transport = CountingTransport()
    with MlflowRegistry(
        mlflow_server.registry_config(page_size=1), transport=transport
    ) as registry:
        versions = registry.list_versions(READ_MODEL)
        assert [item.version for item in versions] == ["1", "2", "3"]
        assert [item.aliases for item in versions] == [(), (), ("champion",)]
        searches = [path for _method, path in transport.sent if path.endswith("/search")]
        assert len(searches) >= 3  # one request per version with a page size of 1
        page = registry.list_versions_page(READ_MODEL)
        assert len(page.versions) == 1
        assert page.next_page_token is not None
        assert READ_MODEL in {item.name for item in registry.list_models()}


def test_get_alias_and_get_version(registry: MlflowRegistry, read_model: dict[str, Any]) -> None:
    champion = registry.get_alias(READ_MODEL, "champion")
    assert champion is not None
    assert champion.version == "3"
    assert champion.aliases == ("champion",)
    assert champion.run_id == read_model["versions"]["3"]["run_id"]
    assert registry.get_alias(READ_MODEL, "challenger") is None
    assert registry.get_alias("it-no-such-model", "champion") is None
    assert registry.get_version(READ_MODEL, "99") is None
    assert registry.get_version("it-no-such-model", "1") is None
    version = registry.get_version(READ_MODEL, "2")
    assert version is not None
    assert version.status == "READY"


def test_lineage_of_a_complete_version(
    registry: MlflowRegistry, read_model: dict[str, Any]
) -> None:
    created = read_model["versions"]["3"]
    lineage = registry.lineage(READ_MODEL, "3")
    assert lineage.deployment == "k8s/credit-scoring"
    assert lineage.run is not None
    assert lineage.run.run_id == created["run_id"]
    assert lineage.run.code_version == created["code_version"]
    assert lineage.run.params == {"learning_rate": str(0.1 / 3), "max_depth": "6"}
    assert lineage.run.metrics["accuracy"] == pytest.approx(0.86)
    assert lineage.run.metrics["selection_rate.sex.female"] == pytest.approx(0.41)
    assert "demographic_parity_ratio" in lineage.run.metrics
    assert lineage.run.started is not None
    datasets = {item.name: item for item in lineage.datasets}
    train = datasets[created["dataset"]["name"]]
    assert train.digest == created["dataset"]["digest"]
    assert train.source == created["dataset"]["source"]
    assert train.schema == tuple(created["dataset"]["schema"])
    assert datasets[created["eval_dataset"]["name"]].digest == created["eval_dataset"]["digest"]
    features = {item.feature: item for item in lineage.features}
    assert set(features) == {"income_ratio", "age_bucket", "region_code"}
    assert features["income_ratio"].source_columns == (
        f"{READ_MODEL}-train.income",
        f"{READ_MODEL}-train.debt",
    )
    assert "income / debt" in features["income_ratio"].transformation
    # Every source column names a column of a dataset the run consumed.
    for item in lineage.features:
        for column in item.source_columns:
            dataset, _, name = column.rpartition(".")
            assert name in datasets[dataset].schema
    assert lineage.feature_source == "tag govtui.column_lineage"
    assert lineage.gaps == ()
    assert lineage.complete


def test_lineage_gaps_of_an_incomplete_version(
    registry: MlflowRegistry, read_model: dict[str, Any]
) -> None:
    lineage = registry.lineage(READ_MODEL, "1")
    assert lineage.run is not None
    assert lineage.run.code_version == ""
    assert lineage.datasets  # the run still consumed its datasets
    assert lineage.features == ()
    assert lineage.feature_source == ""
    assert lineage.gaps == ("training run has no code version", "no feature lineage")
    assert not lineage.complete


def test_lineage_from_run_tag_and_version_without_run(
    mlflow_server: MlflowServer, registry: MlflowRegistry
) -> None:
    populate_model(mlflow_server, "it-run-tag", versions=2, no_run=["1"], lineage_in="run")
    from_run = registry.lineage("it-run-tag", "2")
    assert from_run.feature_source == "tag govtui.column_lineage"
    assert {item.feature for item in from_run.features} == {
        "income_ratio",
        "age_bucket",
        "region_code",
    }
    assert from_run.complete
    no_run = registry.lineage("it-run-tag", "1")
    assert no_run.run is None
    assert no_run.datasets == ()
    assert no_run.gaps[0] == "no training run"


def test_lineage_from_an_openlineage_file(mlflow_server: MlflowServer, tmp_path: Path) -> None:
    populate_model(mlflow_server, "it-file", versions=2, incomplete=["1", "2"])
    event = {
        "eventType": "COMPLETE",
        "outputs": [
            {
                "namespace": "mlflow",
                "name": "other-model",
                "facets": {
                    "columnLineage": {
                        "fields": {
                            "wrong": {
                                "inputFields": [{"namespace": "s3", "name": "x", "field": "y"}]
                            }
                        }
                    }
                },
            },
            {
                "namespace": "mlflow",
                "name": "it-file",
                "facets": {
                    "columnLineage": {
                        "fields": {
                            "tenure_months": {
                                "inputFields": [
                                    {"namespace": "s3", "name": "crm", "field": "signup_date"}
                                ],
                                "transformationDescription": "months since signup",
                            }
                        }
                    }
                },
            },
        ],
    }
    (tmp_path / "lineage.json").write_text(json.dumps(event), encoding="utf-8")
    settings = mlflow_server.registry_config(lineage_file="lineage.json")
    with MlflowRegistry(settings, base_dir=tmp_path) as registry:
        lineage = registry.lineage("it-file", "2")
    assert lineage.feature_source == f"file {tmp_path / 'lineage.json'}"
    assert [(item.feature, item.source_columns) for item in lineage.features] == [
        ("tenure_months", ("crm.signup_date",))
    ]
    assert lineage.features[0].transformation == "months since signup"


def test_set_alias_moves_are_read_back_with_their_history(
    mlflow_server: MlflowServer, registry: MlflowRegistry
) -> None:
    model = "it-move"
    populate_model(mlflow_server, model)
    registry.set_alias(model, "champion", "2", actor="alice", reason="v3 drifts")
    # Read back through a fresh client, so nothing comes from this one's state.
    with MlflowRegistry(mlflow_server.registry_config()) as fresh:
        moved = fresh.get_alias(model, "champion")
        assert moved is not None
        assert moved.version == "2"
        assert {item.version: item.aliases for item in fresh.list_versions(model)} == {
            "1": (),
            "2": ("champion",),
            "3": (),
        }
        registry.set_alias(
            model, "champion", "3", actor="bob", reason="fixed", at="2026-11-28T12:00:00Z"
        )
        history = fresh.alias_history(model)
    assert [(m.alias, m.from_version, m.to_version) for m in history] == [
        ("champion", "3", "2"),
        ("champion", "2", "3"),
    ]
    assert (history[0].actor, history[0].reason) == ("alice", "v3 drifts")
    assert (history[1].actor, history[1].time) == ("bob", "2026-11-28T12:00:00Z")
    stored = json.loads(_model_tags(mlflow_server, model)[ALIAS_HISTORY_TAG])
    assert stored[1] == {
        "alias": "champion",
        "from_version": "2",
        "to_version": "3",
        "time": "2026-11-28T12:00:00Z",
        "actor": "bob",
        "reason": "fixed",
    }


def test_version_tags_and_alias_delete(
    mlflow_server: MlflowServer, registry: MlflowRegistry
) -> None:
    model = "it-tags"
    populate_model(mlflow_server, model)
    registry.set_version_tag(model, "2", "govtui.gate", "failed: accuracy 0.70 < 0.80")
    version = registry.get_version(model, "2")
    assert version is not None
    assert version.gate == "failed"
    registry.set_model_tag(model, "team", "risk")
    assert _model_tags(mlflow_server, model)["team"] == "risk"

    registry.set_alias(model, "challenger", "2")
    challenger = registry.get_alias(model, "challenger")
    assert challenger is not None
    assert challenger.version == "2"
    registry.delete_alias(model, "challenger")
    assert registry.get_alias(model, "challenger") is None
    assert registry.get_alias(model, "champion") is not None
    # Deleting is not a move: the history keeps the one move that was made.
    assert [(m.alias, m.to_version) for m in registry.alias_history(model)] == [("challenger", "2")]


def test_read_only_sends_no_mutating_request(mlflow_server: MlflowServer) -> None:
    model = "it-read-only"
    populate_model(mlflow_server, model)
    transport = CountingTransport()
    with MlflowRegistry(
        mlflow_server.registry_config(read_only=True), transport=transport
    ) as registry:
        for attempt in (
            lambda: registry.set_alias(model, "champion", "1", reason="x"),
            lambda: registry.delete_alias(model, "champion"),
            lambda: registry.set_version_tag(model, "1", "govtui.gate", "passed"),
            lambda: registry.set_model_tag(model, "k", "v"),
        ):
            with pytest.raises(ReadOnlyRefused):
                attempt()
        assert transport.sent == []
        champion = registry.get_alias(model, "champion")
    assert champion is not None
    assert champion.version == "3"
    assert all(method == "GET" for method, _path in transport.sent)


def test_server_errors_become_registry_errors(
    registry: MlflowRegistry, read_model: dict[str, Any]
) -> None:
    with pytest.raises(RegistryError) as missing:
        registry.lineage(READ_MODEL, "99")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(RegistryError) as bad_target:
        registry.set_alias(READ_MODEL, "canary", "99")
    assert bad_target.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "version=99" in str(bad_target.value)
    with pytest.raises(RegistryError) as unknown:
        registry.list_versions("it-no-such-model")
    assert unknown.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(UsageError):
        registry.set_alias(READ_MODEL, "v1", "2")  # reserved by MLflow: refused before sending
    champion = registry.get_alias(READ_MODEL, "champion")
    assert champion is not None
    assert champion.version == "3"
    assert ALIAS_HISTORY_TAG not in _model_tags_of(registry, READ_MODEL)


def _model_tags_of(registry: MlflowRegistry, model: str) -> dict[str, str]:
    found = registry.get_model(model)
    assert found is not None
    return found.tags


# ---------------------------------------------------------------------------------------------
# The CLI against the same server


@pytest.fixture
def cli(mlflow_server: MlflowServer, tmp_path: Path, govtui: Any) -> Any:
    """Run `govtui COMMAND --config <MLflow config> ARGS` in a subprocess."""
    config = tmp_path / "govtui.yaml"
    config.write_text("sources:\n" + mlflow_server.config_block(), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOVTUI_")}
    env["GOVTUI_STATE_DIR"] = str(tmp_path / "state")

    def run(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return govtui([command, "--config", str(config), *args], env)  # type: ignore[no-any-return]

    return run


def test_cli_versions_and_lineage(cli: Any, read_model: dict[str, Any]) -> None:
    versions = cli("versions", READ_MODEL, "--format", "json")
    assert versions.returncode == 0, versions.stderr
    data = json.loads(versions.stdout)
    assert data["aliases"] == {"champion": "3"}
    assert [
        (item["version"], item["status"], item["aliases"], item["legacy_stage"], item["gate"])
        for item in data["versions"]
    ] == [
        ("1", "ARCHIVED", [], "Archived", None),
        ("2", "READY", [], None, None),
        ("3", "READY", ["champion"], None, "passed"),
    ]

    champion = cli("lineage", READ_MODEL, "--format", "json")
    assert champion.returncode == 0, champion.stderr
    lineage = json.loads(champion.stdout)
    created = read_model["versions"]["3"]
    assert (lineage["version"], lineage["complete"], lineage["gaps"]) == ("3", True, [])
    assert lineage["run"]["code_version"] == created["code_version"]
    train = next(item for item in lineage["datasets"] if item["name"] == created["dataset"]["name"])
    assert (train["digest"], train["source"]) == (
        created["dataset"]["digest"],
        created["dataset"]["source"],
    )
    assert {item["feature"] for item in lineage["features"]} == {
        "income_ratio",
        "age_bucket",
        "region_code",
    }

    incomplete = cli("lineage", f"{READ_MODEL}:1")
    assert incomplete.returncode == 0, incomplete.stderr
    assert "MISSING: training run has no code version" in incomplete.stdout
    assert "MISSING: no feature lineage" in incomplete.stdout

    missing = cli("lineage", f"{READ_MODEL}:99")
    assert missing.returncode == 2
    assert "no version '99'" in missing.stderr


def test_a_missing_mlflow_venv_fails_rather_than_skips(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOVTUI_MLFLOW_VENV", str(tmp_path / "no-venv"))
    with pytest.raises(pytest.fail.Exception, match=r"bash scripts/mlflow-venv\.sh"):
        start_mlflow_server(tmp_path / "server")
