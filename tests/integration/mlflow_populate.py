"""Populate a real MLflow tracking server through MLflow's own Python API (run in the MLflow venv).

Usage: `python mlflow_populate.py TRACKING_URI MODEL_NAME [OPTIONS_JSON]`; prints one JSON object
describing what it created. It runs in the MLflow venv (scripts/mlflow-venv.sh), never in
govtui's environment, so it imports only MLflow, pandas and numpy.

Options (JSON object, all optional):
- `versions` (3): how many versions to register, each from its own training run.
- `champion` ("3"): the version the `champion` alias points at (null: no alias).
- `incomplete` ([]): versions whose run has no code version tag and no column lineage tag.
- `no_run` ([]): versions registered without a run id (lineage gap "no training run").
- `lineage_in` ("version"): where the column lineage JSON goes: "version" tag or "run" tag.
- `lineage_tag` ("govtui.column_lineage"): the tag name holding it.
- `legacy_stage` ({}): version -> legacy stage ("Staging", "Production", "Archived").
- `version_tags` ({}): version -> {key: value} extra version tags (e.g. `govtui.gate`).
- `model_tags` ({}): extra registered-model tags.
- `metrics` ({}): version -> {metric: value}, merged over the defaults (accuracy,
  selection_rate.sex.female/.male, demographic_parity_ratio).
- `status_wait` (true): wait until every version is READY.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

FEATURES = {
    "income_ratio": (["income", "debt"], "income / debt"),
    "age_bucket": (["age"], "age binned by decade"),
    "region_code": (["region"], "region one-hot"),
}


def _frame(version: int) -> pd.DataFrame:
    """Training data that differs per version, so every dataset digest differs."""
    rng = np.random.default_rng(version)
    rows = 50 + version
    return pd.DataFrame(
        {
            "income": rng.normal(50_000, 10_000, rows),
            "debt": rng.normal(10_000, 2_000, rows),
            "age": rng.integers(18, 90, rows),
            "region": rng.choice(["north", "south", "east"], rows),
            "label": rng.integers(0, 2, rows),
        }
    )


def _column_lineage(dataset: str) -> dict[str, Any]:
    """An OpenLineage columnLineage facet mapping each feature to columns of `dataset`."""
    return {
        "_producer": "govtui-tests",
        "fields": {
            feature: {
                "inputFields": [
                    {
                        "namespace": "mlflow",
                        "name": dataset,
                        "field": column,
                        "transformations": [
                            {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": ""}
                        ],
                    }
                    for column in columns
                ],
                "transformationDescription": description,
            }
            for feature, (columns, description) in FEATURES.items()
        },
    }


def _default_metrics(version: int) -> dict[str, float]:
    return {
        "accuracy": round(0.80 + 0.02 * version, 4),
        "selection_rate.sex.female": 0.41,
        "selection_rate.sex.male": 0.45,
        "demographic_parity_ratio": round(0.41 / 0.45, 6),
    }


def _wait_ready(client: MlflowClient, name: str, version: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = client.get_model_version(name, version).status
        if status != "PENDING_REGISTRATION":
            return status
        time.sleep(0.1)
    return status


def populate(uri: str, name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Runs with params, metrics and dataset inputs; versions, tags and the champion alias."""
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    count = int(options.get("versions", 3))
    champion = options.get("champion", str(count))
    incomplete = {str(v) for v in options.get("incomplete", [])}
    no_run = {str(v) for v in options.get("no_run", [])}
    lineage_in = options.get("lineage_in", "version")
    lineage_tag = options.get("lineage_tag", "govtui.column_lineage")
    legacy = {str(k): v for k, v in options.get("legacy_stage", {}).items()}
    version_tags = {str(k): v for k, v in options.get("version_tags", {}).items()}
    metric_overrides = {str(k): v for k, v in options.get("metrics", {}).items()}

    experiment_id = client.create_experiment(f"{name}-training")
    client.create_registered_model(name, tags=options.get("model_tags") or None)
    created: dict[str, Any] = {"model": name, "experiment_id": experiment_id, "versions": {}}
    for index in range(1, count + 1):
        version_key = str(index)
        dataset_name = f"{name}-train"
        frame = _frame(index)
        dataset = mlflow.data.from_pandas(
            frame,
            source=f"https://data.example.test/{name}/train-v{index}.parquet",
            name=dataset_name,
            targets="label",
        )
        evaluation = mlflow.data.from_numpy(
            frame[["income", "debt"]].to_numpy(),
            source=f"https://data.example.test/{name}/eval-v{index}.npy",
            name=f"{name}-eval",
        )
        lineage_json = json.dumps(_column_lineage(dataset_name))
        run_id = None
        commit = f"{index:02d}" + "ab" * 19
        if version_key not in no_run:
            with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-v{index}") as run:
                run_id = run.info.run_id
                mlflow.log_params({"learning_rate": str(0.1 / index), "max_depth": str(3 + index)})
                metrics = {**_default_metrics(index), **metric_overrides.get(version_key, {})}
                mlflow.log_metrics(metrics)
                mlflow.log_input(dataset, context="training")
                mlflow.log_input(evaluation, context="evaluation")
                if version_key in incomplete:
                    # MLflow records the commit of a git checkout it runs in: drop it.
                    if "mlflow.source.git.commit" in client.get_run(run_id).data.tags:
                        client.delete_tag(run_id, "mlflow.source.git.commit")
                else:
                    mlflow.set_tag("mlflow.source.git.commit", commit)
                    if lineage_in == "run":
                        mlflow.set_tag(lineage_tag, lineage_json)
            artifact_uri = client.get_run(run_id).info.artifact_uri
            source = f"{artifact_uri}/model"
        else:
            # A local source needs a run id; a remote URI is not fetched when registering.
            source = f"s3://govtui-tests/{name}/v{index}/model"
        model_version = client.create_model_version(
            name, source=source, run_id=run_id, description=f"version {index}"
        )
        version = str(model_version.version)
        status = _wait_ready(client, name, version) if options.get("status_wait", True) else ""
        if lineage_in == "version" and version_key not in incomplete:
            client.set_model_version_tag(name, version, lineage_tag, lineage_json)
        for key, value in version_tags.get(version_key, {}).items():
            client.set_model_version_tag(name, version, key, str(value))
        if version_key in legacy:
            client.transition_model_version_stage(name, version, legacy[version_key])
        created["versions"][version] = {
            "run_id": run_id,
            "status": status,
            "code_version": "" if version_key in incomplete or run_id is None else commit,
            "dataset": None
            if run_id is None
            else {
                "name": dataset_name,
                "digest": dataset.digest,
                "source": f"https://data.example.test/{name}/train-v{index}.parquet",
                "schema": list(frame.columns),
            },
            "eval_dataset": {"name": f"{name}-eval", "digest": evaluation.digest},
        }
    if champion is not None:
        client.set_registered_model_alias(name, "champion", str(champion))
        created["champion"] = str(champion)
    return created


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    options = json.loads(argv[3]) if len(argv) == 4 else {}
    result = populate(argv[1], argv[2], options)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
