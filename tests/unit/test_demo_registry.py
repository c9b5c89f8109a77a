"""The demo registry: generated deterministically with full lineage, reused, re-anchored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from govtui.config import LoadedConfig
from govtui.demo.config import demo_config
from govtui.demo.registry import (
    build_demo_document,
    demo_registry_path,
    ensure_demo_registry,
    floor_hour,
)
from govtui.demo.scenarios import ANCHOR_KEY, SCENARIOS, build_specs
from govtui.sources.registry.file import FileRegistry

AT = datetime(2026, 3, 10, 12, 34, 56, tzinfo=UTC)
ANCHOR = datetime(2026, 3, 10, 12, tzinfo=UTC)


def test_creates_an_anchored_registry(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, at=AT)
    assert registry.path == demo_registry_path(tmp_path, models=12, seed=7)
    assert registry.metadata[ANCHOR_KEY] == "2026-03-10T12:00:00Z"
    assert floor_hour(AT) == ANCHOR
    names = [model.name for model in registry.list_models()]
    assert names[:3] == ["fraud-scorer", "credit-limit", "search-ranker"]
    assert len(names) == 12 == len(set(names))


def test_every_scenario_is_in_the_default_fleet() -> None:
    assert {spec.scenario for spec in build_specs(12, 7)} == set(SCENARIOS)


def test_full_lineage_for_every_version(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, at=AT)
    for model in registry.list_models():
        versions = registry.list_versions(model.name)
        assert len(versions) >= 3
        for version in versions:
            lineage = registry.lineage(model.name, version.version)
            assert lineage.deployment == f"{model.name}-prod"
            assert lineage.run is not None
            if version.status == "FAILED":
                # Trained from a notebook: deliberately incomplete, so rollback refuses it.
                assert lineage.gaps == ("training run has no code version",)
                continue
            assert lineage.complete, (model.name, version.version)
            assert lineage.run.code_version
            assert all(
                d.digest.startswith("sha256:") and len(d.digest) == 71 for d in lineage.datasets
            )
            assert all(d.schema for d in lineage.datasets)
        champion = registry.get_alias(model.name)
        assert champion is not None and champion.status == "READY"
        assert champion.tags["govtui.gate"] == "passed"


def test_bad_versions_have_an_earlier_good_ready_version(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, at=AT)
    for name in ("fraud-scorer", "credit-limit", "eta-estimator", "ad-ctr"):
        history = registry.alias_history(name)
        previous = history[-1].from_version
        assert previous is not None
        [earlier] = [v for v in registry.list_versions(name) if v.version == previous]
        assert earlier.status == "READY" and earlier.tags["govtui.gate"] == "passed"


def test_document_is_deterministic_and_seeded() -> None:
    first = build_demo_document(models=12, seed=7, anchor=ANCHOR)
    assert first == build_demo_document(models=12, seed=7, anchor=ANCHOR)
    other = build_demo_document(models=12, seed=8, anchor=ANCHOR)
    assert first["runs"].keys() != other["runs"].keys()
    assert first["models"].keys() == other["models"].keys()


def test_reused_within_six_days_so_rollbacks_persist(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, at=AT)
    registry.set_alias("fraud-scorer", "champion", "3", at="2026-03-10T13:00:00Z")
    again = ensure_demo_registry(tmp_path, at=ANCHOR + timedelta(days=5, hours=23))
    assert again.get_alias("fraud-scorer").version == "3"  # type: ignore[union-attr]
    assert again.metadata[ANCHOR_KEY] == "2026-03-10T12:00:00Z"


@pytest.mark.parametrize("offset", [timedelta(days=6), timedelta(seconds=-1)])
def test_reanchored_outside_its_six_days(tmp_path: Path, offset: timedelta) -> None:
    registry = ensure_demo_registry(tmp_path, at=AT)
    registry.set_alias("fraud-scorer", "champion", "3", at="2026-03-10T13:00:00Z")
    moved = ensure_demo_registry(tmp_path, at=ANCHOR + offset)
    assert moved.metadata[ANCHOR_KEY] == floor_hour(ANCHOR + offset).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert moved.get_alias("fraud-scorer").version == "4"  # type: ignore[union-attr]


def test_corrupt_copy_is_regenerated(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, at=AT)
    registry.path.write_text("models: [\n")
    again = ensure_demo_registry(tmp_path, at=AT)
    again.validate()
    assert len(again.list_models()) == 12


def test_seed_and_size_have_their_own_copies(tmp_path: Path) -> None:
    a = ensure_demo_registry(tmp_path, at=AT)
    b = ensure_demo_registry(tmp_path, seed=8, at=AT)
    c = ensure_demo_registry(tmp_path, models=20, at=AT)
    assert len({a.path, b.path, c.path}) == 3
    assert [m.name for m in c.list_models()][12:14] == ["model-0013", "model-0014"]


def test_large_fleets_are_written_as_json(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, models=101, at=AT)
    text = registry.path.read_text()
    assert text.startswith("{")
    assert len(yaml.safe_load(text)["models"]) == 101
    assert len(FileRegistry(registry.path).list_models()) == 101


def test_demo_config_is_packaged_and_complete() -> None:
    loaded = demo_config()
    assert isinstance(loaded, LoadedConfig)
    assert loaded.path is not None and loaded.path.name == "demo.yaml"
    config = loaded.config
    slos = {slo.name: slo for slo in config.slos}
    assert slos["availability"].objective == 0.999
    assert slos["latency"].objective == 0.99 and slos["latency"].threshold_seconds == 0.5
    assert config.fairness.attributes == ["sex", "age_band"]
    assert len(config.models.protected) == 1
    assert config.models.protected[0] in {spec.name for spec in build_specs(12, 7)}
    for key in (
        "slo_page",
        "slo_ticket",
        "slo_budget",
        "drift",
        "fairness",
        "quality",
        "source_down",
    ):
        runbook = config.runbook_for("fraud-scorer", key)
        assert runbook == f"runbooks/{key}.md"
        assert loaded.resolve(runbook) == loaded.path.parent / "runbooks" / f"{key}.md"
        assert loaded.resolve(runbook).is_file()


@pytest.mark.parametrize("models", [12, 150])
def test_champions_and_previous_champions_have_complete_lineage(
    tmp_path: Path, models: int
) -> None:
    registry = ensure_demo_registry(tmp_path, models=models, at=AT)
    checked = 0
    for model in registry.list_models():
        champion = registry.get_alias(model.name)
        assert champion is not None
        wanted = {champion.version}
        previous = [m.from_version for m in registry.alias_history(model.name) if m.from_version]
        wanted.update(previous[-1:])
        for version in wanted:
            lineage = registry.lineage(model.name, version)
            assert lineage.gaps == (), (model.name, version, lineage.gaps)
            assert all(feature.source_columns for feature in lineage.features)
            checked += 1
    assert checked >= 2 * models - 1


def test_runs_log_the_metrics_the_candidate_gate_reads(tmp_path: Path) -> None:
    registry = ensure_demo_registry(tmp_path, models=40, at=AT)
    specs = {spec.name: spec for spec in build_specs(40, 7)}
    unfair = fair = 0
    for model in registry.list_models():
        for version in registry.list_versions(model.name):
            run = registry.lineage(model.name, version.version).run
            assert run is not None
            metrics = run.metrics
            assert 0.5 < metrics["accuracy"] < 1
            for attribute, groups in specs[model.name].groups.items():
                rates = [metrics[f"selection_rate.{attribute}.{group.name}"] for group in groups]
                assert all(0 < rate < 1 for rate in rates)
            ratio = metrics["demographic_parity_ratio"]
            if version.gate == "passed":
                assert ratio >= 0.9
                assert version.tags["approved_by"]
            else:
                assert "approved_by" not in version.tags
            if version.status == "PENDING":
                if specs[model.name].index % 2:
                    assert ratio < 0.8
                    unfair += 1
                else:
                    assert ratio >= 0.9
                    fair += 1
            if version.status == "FAILED":
                assert version.gate == "failed"
                assert version.tags["govtui.gate"].startswith("failed: lineage incomplete")
    assert unfair and fair


def test_demo_pending_candidate_fails_the_gate_on_parity(tmp_path: Path) -> None:
    from govtui.actions.gate import vet_candidate

    registry = ensure_demo_registry(tmp_path, at=AT)
    config = demo_config().config
    verdict = vet_candidate(registry, "price-optimizer", "4", config)
    assert not verdict.passed
    assert {check.name for check in verdict.failures} == {"parity ratio", "parity age_band"}
    champion = registry.get_alias("price-optimizer")
    assert champion is not None
    assert vet_candidate(registry, "price-optimizer", champion.version, config).passed
