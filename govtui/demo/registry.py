"""The demo's file registry: generated with full lineage, anchored in time, kept in the state dir."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from govtui.demo.scenarios import (
    ANCHOR_KEY,
    FAILED_ACCURACY_DROP,
    FAIRNESS_CANDIDATE_SCALE,
    GENERATOR_KEY,
    GENERATOR_VERSION,
    MODELS_KEY,
    SEED_KEY,
    VALID_FOR,
    ModelSpec,
    VersionSpec,
    build_specs,
)
from govtui.errors import GovtuiError
from govtui.sources.registry.file import (
    REGISTRY_FORMAT,
    FileRegistry,
    RegistryDocument,
    RegistryStyle,
    parse_registry,
    registry_lock,
    validate_registry_data,
    write_registry_atomic,
)
from govtui.timeutil import format_instant, parse_instant, utc_now

# Above this many models the demo registry is written as JSON (valid YAML, far faster to load).
YAML_MODELS_LIMIT = 100


def demo_registry_path(state_dir: Path, *, models: int = 12, seed: int = 7) -> Path:
    """Where the demo registry for a fleet size and seed lives (so rollbacks persist)."""
    return Path(state_dir) / "demo" / f"registry-{models}-models-seed-{seed}.yaml"


def floor_hour(moment: datetime) -> datetime:
    """The whole UTC hour at or before `moment`."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ensure_demo_registry(
    state_dir: Path, *, models: int = 12, seed: int = 7, at: datetime | None = None
) -> FileRegistry:
    """The demo registry in the state dir: reused while `at` is within its 6 days, else re-made.

    Re-made (re-anchored at the hour of `at`) when missing, unreadable, made for another
    seed, size or generator, or when `at` falls outside [anchor, anchor + 6 d).
    """
    moment = (at or utc_now()).astimezone(UTC)
    path = demo_registry_path(state_dir, models=models, seed=seed)
    registry = FileRegistry(path)
    with registry_lock(path):
        document = _reusable(path, models=models, seed=seed, at=moment)
        if document is None:
            generated = build_demo_document(models=models, seed=seed, anchor=floor_hour(moment))
            document = validate_registry_data(generated, str(path))
            style: RegistryStyle = "yaml" if models <= YAML_MODELS_LIMIT else "json"
            write_registry_atomic(path, document, style=style)
        registry.adopt(document)
    return registry


def _reusable(path: Path, *, models: int, seed: int, at: datetime) -> RegistryDocument | None:
    """The existing copy when it was made for this fleet and `at` is within its 6 days."""
    try:
        document = parse_registry(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, GovtuiError):
        return None
    metadata = document.metadata
    expected = {GENERATOR_KEY: GENERATOR_VERSION, SEED_KEY: str(seed), MODELS_KEY: str(models)}
    if any(metadata.get(key) != value for key, value in expected.items()):
        return None
    try:
        anchor = parse_instant(metadata[ANCHOR_KEY])
    except (KeyError, ValueError):
        return None
    return document if anchor <= at < anchor + timedelta(seconds=VALID_FOR) else None


def _hex(*parts: object) -> str:
    return hashlib.sha256("/".join(str(part) for part in parts).encode()).hexdigest()


def build_demo_document(*, models: int, seed: int, anchor: datetime) -> dict[str, Any]:
    """The registry document of the demo fleet (plain data, ready to validate and write)."""
    specs = build_specs(models, seed)
    document: dict[str, Any] = {
        "format": REGISTRY_FORMAT,
        "metadata": {
            ANCHOR_KEY: format_instant(anchor),
            SEED_KEY: str(seed),
            MODELS_KEY: str(models),
            GENERATOR_KEY: GENERATOR_VERSION,
        },
        "models": {},
        "runs": {},
        "datasets": {},
    }
    for spec in specs:
        _add_model(document, spec, seed, anchor)
    return document


def _at(anchor: datetime, offset: float) -> str:
    return format_instant(anchor + timedelta(seconds=offset))


# The quality policy's default crit drop, quoted in the demo's recorded gate verdicts.
CRIT_DROP = 0.05
# Who approves a version that passed the gate (the `approved_by` tag), picked per model.
REVIEWERS = ("alice", "bob", "carol", "dana", "erik", "fatima")


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (seeded, stable across runs)."""
    return int(_hex(*parts)[:8], 16) / 0x1_0000_0000


def _unfair_candidate(spec: ModelSpec, version: VersionSpec) -> bool:
    """Every other model's PENDING candidate was evaluated unfair: the gate fails it on parity."""
    return version.status == "PENDING" and spec.index % 2 == 1


def _failed_gate_detail(accuracy: float, champion: str, champion_accuracy: float) -> str:
    """The verdict the candidate gate recorded on a FAILED version (its notebook-trained run has
    no code version, and it was far less accurate than the champion of the day)."""
    floor = champion_accuracy - CRIT_DROP
    return (
        "failed: lineage incomplete: training run has no code version; "
        f"accuracy {accuracy:.4f} <= champion {champion} {champion_accuracy:.4f} - {CRIT_DROP} "
        f"(= {floor:.4f})"
    )


def _evaluation_metrics(spec: ModelSpec, version: VersionSpec, seed: int) -> dict[str, float]:
    """Metrics the training pipeline logged on its offline evaluation set (the gate reads these).

    Offline every version looks like the healthy model (the scenarios' bad versions go wrong in
    production: errors, latency, a labelling vendor's labels), with a little seeded noise;
    FAILED versions are clearly less accurate, and an unfair candidate selects one age band
    far less often than the others.
    """
    healthy = spec.default_behaviour
    base = spec.base_rate
    noise = (_unit("accuracy", seed, spec.name, version.version) - 0.5) * 0.012
    accuracy = base * healthy.tpr + (1 - base) * (1 - healthy.fpr) + noise
    if version.status == "FAILED":
        accuracy -= FAILED_ACCURACY_DROP
    metrics: dict[str, float] = {"accuracy": round(accuracy, 4)}
    ratios = []
    for attribute, groups in spec.groups.items():
        rates = []
        for position, group in enumerate(groups):
            positive = min(1.0, base * group.base_rate_factor)
            tpr = min(1.0, healthy.tpr * group.tpr_factor)
            fpr = min(1.0, healthy.fpr * group.fpr_factor)
            rate = positive * tpr + (1 - positive) * fpr
            rate *= 1 + (_unit("rate", seed, spec.name, version.version, group.name) - 0.5) * 0.01
            last = position == len(groups) - 1
            if attribute == "age_band" and last and _unfair_candidate(spec, version):
                rate *= FAIRNESS_CANDIDATE_SCALE
            rate = round(rate, 4)
            metrics[f"selection_rate.{attribute}.{group.name}"] = rate
            rates.append(rate)
        ratios.append(min(rates) / max(rates) if max(rates) > 0 else 1.0)
    metrics["demographic_parity_ratio"] = round(min(ratios), 4)
    return metrics


def _champion_before(spec: ModelSpec, moment: float) -> VersionSpec:
    """The version promoted last before `moment` (what a candidate made then was gated against)."""
    promoted = [
        version
        for version in spec.versions
        if version.promoted is not None and version.promoted <= moment
    ]
    return max(promoted, key=lambda version: version.promoted or 0.0)


def _add_model(document: dict[str, Any], spec: ModelSpec, seed: int, anchor: datetime) -> None:
    versions: list[dict[str, Any]] = []
    for version in spec.versions:
        run_id = _add_run(document, spec, version, seed, anchor)
        tags = {"framework": "xgboost" if spec.index % 2 == 0 else "lightgbm"}
        if version.gate == "failed":
            champion = _champion_before(spec, version.created)
            champion_run = next(item for item in versions if item["version"] == champion.version)
            tags["govtui.gate"] = _failed_gate_detail(
                document["runs"][run_id]["metrics"]["accuracy"],
                champion.version,
                document["runs"][champion_run["run_id"]]["metrics"]["accuracy"],
            )
        elif version.gate is not None:
            tags["govtui.gate"] = version.gate
        if version.gate == "passed":
            tags["approved_by"] = REVIEWERS[
                int(_unit("reviewer", seed, spec.name, version.version) * 6)
            ]
        versions.append(
            {
                "version": version.version,
                "status": version.status,
                "created": _at(anchor, version.created),
                "run_id": run_id,
                "description": version.description,
                "tags": tags,
            }
        )
    promoted = sorted(
        (version for version in spec.versions if version.promoted is not None),
        key=lambda version: version.promoted or 0.0,
    )
    history: list[dict[str, str | None]] = []
    previous: str | None = None
    for version in promoted:
        history.append(
            {
                "alias": "champion",
                "from_version": previous,
                "to_version": version.version,
                "time": _at(anchor, version.promoted or 0.0),
                "actor": version.promoted_by,
                "reason": version.reason,
            }
        )
        previous = version.version
    aliases = {"champion": previous} if previous is not None else {}
    pending = [version for version in spec.versions if version.status == "PENDING"]
    if pending:
        candidate = pending[-1]
        aliases["challenger"] = candidate.version
        history.append(
            {
                "alias": "challenger",
                "to_version": candidate.version,
                "time": _at(anchor, candidate.created + 3600),
                "actor": "ci-pipeline",
                "reason": "candidate for shadow traffic",
            }
        )
        history.sort(key=lambda move: parse_instant(str(move["time"])))
    document["models"][spec.name] = {
        "description": spec.description,
        "tags": {
            "team": spec.team,
            "tier": "1" if spec.requests_per_second >= 100 else "2",
            "govtui.demo.scenario": spec.scenario,
        },
        "deployment": f"{spec.name}-prod",
        "aliases": aliases,
        "alias_history": history,
        "versions": versions,
    }


def _add_run(
    document: dict[str, Any], spec: ModelSpec, version: VersionSpec, seed: int, anchor: datetime
) -> str:
    run_id = _hex("run", seed, spec.name, version.version)[:32]
    created = anchor + timedelta(seconds=version.created)
    snapshot = (created - timedelta(days=1)).strftime("%Y-%m-%d")
    dataset_for: dict[str, str] = {}
    for table, columns in spec.tables.items():
        name = f"{spec.name}/{table}@v{version.version}"
        dataset_for[table] = name
        document["datasets"][name] = {
            "digest": "sha256:" + _hex("dataset", seed, spec.name, table, version.version),
            "source": f"s3://lake/{spec.team}/{table}/snapshot={snapshot}/",
            "schema": list(columns),
        }
    features = []
    for feature in spec.features:
        sources = []
        for reference in feature.source_columns:
            table, column = reference.split(".", 1)
            sources.append(f"{dataset_for[table]}.{column}")
        features.append(
            {
                "feature": feature.name,
                "source_columns": sources,
                "transformation": feature.transformation,
            }
        )
    digest = _hex("metrics", seed, spec.name, version.version)
    offline_auc = 0.86 + int(digest[:4], 16) / 0xFFFF * 0.06
    document["runs"][run_id] = {
        "params": {
            "learning_rate": f"{0.03 + int(digest[4:6], 16) / 255 * 0.07:.3f}",
            "max_depth": str(4 + int(digest[6:8], 16) % 5),
            "n_estimators": str(200 + 50 * (int(digest[8:10], 16) % 9)),
            "training_window": "90d",
        },
        "metrics": {
            "auc": round(offline_auc, 4),
            "log_loss": round(0.45 - (offline_auc - 0.86), 4),
            **_evaluation_metrics(spec, version, seed),
        },
        # A FAILED version was trained from a notebook: its lineage is deliberately incomplete.
        "code_version": ""
        if version.status == "FAILED"
        else _hex("code", spec.team, version.version)[:40],
        "started": format_instant(created - timedelta(hours=3)),
        "datasets": list(dataset_for.values()),
        "features": features,
    }
    return run_id
