"""File registry: schema validation with file:line errors, round trips, atomic locked writes."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from govtui.errors import EXIT_USAGE, InputError, UsageError
from govtui.sources.registry.base import ModelRegistry
from govtui.sources.registry.file import (
    FileRegistry,
    UnknownEntry,
    lock_path_for,
    parse_registry,
)
from govtui.timeutil import parse_instant

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "registry.yaml"
DIGEST = "sha256:" + "ab" * 32


def _document() -> dict[str, Any]:
    return {
        "models": {
            "fraud-scorer": {
                "description": "scores transactions",
                "tags": {"team": "risk"},
                "deployment": "fraud-scorer-prod",
                "aliases": {"champion": "2"},
                "alias_history": [
                    {"alias": "champion", "to_version": "1", "time": "2026-01-01T00:00:00Z"},
                    {
                        "alias": "champion",
                        "from_version": "1",
                        "to_version": "2",
                        "time": "2026-02-01T00:00:00Z",
                        "actor": "ci",
                        "reason": "retrain",
                    },
                ],
                "versions": [
                    {
                        "version": "1",
                        "status": "READY",
                        "created": "2025-12-30T00:00:00Z",
                        "run_id": "run-1",
                        "tags": {"govtui.gate": "passed"},
                    },
                    {
                        "version": "2",
                        "status": "READY",
                        "created": "2026-01-30T00:00:00Z",
                        "run_id": "run-2",
                        "tags": {"govtui.gate": "passed"},
                    },
                    {"version": "3", "status": "FAILED", "tags": {"govtui.gate": "failed"}},
                ],
            }
        },
        "runs": {
            "run-1": {
                "params": {"max_depth": "6"},
                "metrics": {"auc": 0.91},
                "code_version": "abc123",
                "started": "2025-12-29T00:00:00Z",
                "datasets": ["warehouse.transactions"],
                "features": [
                    {
                        "feature": "amount",
                        "source_columns": ["warehouse.transactions.amount"],
                        "transformation": "log1p",
                    }
                ],
            },
            "run-2": {"code_version": "def456", "datasets": ["warehouse.transactions"]},
        },
        "datasets": {
            "warehouse.transactions": {
                "digest": DIGEST,
                "source": "s3://lake/tx/",
                "schema": ["amount", "ts"],
            }
        },
    }


@pytest.fixture
def registry(tmp_path: Path) -> FileRegistry:
    return FileRegistry.create(tmp_path / "registry.yaml", _document())


def test_implements_the_protocol(registry: FileRegistry) -> None:
    assert isinstance(registry, ModelRegistry)


def test_round_trip_reads_models_versions_aliases_and_lineage(registry: FileRegistry) -> None:
    reopened = FileRegistry(registry.path)
    [model] = reopened.list_models()
    assert model.name == "fraud-scorer"
    assert model.aliases == {"champion": "2"}
    assert model.tags == {"team": "risk"}
    versions = reopened.list_versions("fraud-scorer")
    assert [v.version for v in versions] == ["1", "2", "3"]
    assert [v.status for v in versions] == ["READY", "READY", "FAILED"]
    assert versions[1].aliases == ("champion",)
    assert versions[2].tags == {"govtui.gate": "failed"}
    champion = reopened.get_alias("fraud-scorer")
    assert champion is not None and champion.version == "2" and champion.run_id == "run-2"
    assert reopened.get_alias("fraud-scorer", "challenger") is None
    history = reopened.alias_history("fraud-scorer")
    assert [(m.from_version, m.to_version) for m in history] == [(None, "1"), ("1", "2")]
    lineage = reopened.lineage("fraud-scorer", "1")
    assert lineage.deployment == "fraud-scorer-prod"
    assert lineage.run is not None and lineage.run.params == {"max_depth": "6"}
    assert lineage.run.metrics == {"auc": 0.91}
    assert [d.digest for d in lineage.datasets] == [DIGEST]
    assert lineage.datasets[0].schema == ("amount", "ts")
    assert lineage.features[0].source_columns == ("warehouse.transactions.amount",)
    assert lineage.complete
    assert not reopened.lineage("fraud-scorer", "2").complete  # its run lists no features
    assert not reopened.lineage("fraud-scorer", "3").complete  # no run at all


def test_version_features_replace_the_runs(tmp_path: Path) -> None:
    document = _document()
    document["models"]["fraud-scorer"]["versions"][1]["features"] = [
        {"feature": "ts_hour", "source_columns": ["warehouse.transactions.ts"]}
    ]
    registry = FileRegistry.create(tmp_path / "r.yaml", document)
    lineage = registry.lineage("fraud-scorer", "2")
    assert [f.feature for f in lineage.features] == ["ts_hour"]
    assert lineage.complete


def test_set_alias_records_the_move_and_persists(registry: FileRegistry) -> None:
    registry.set_alias(
        "fraud-scorer",
        "champion",
        "1",
        actor="alice",
        reason="rollback: errors",
        at="2026-03-01T12:00:00+02:00",
    )
    reopened = FileRegistry(registry.path)
    assert reopened.get_alias("fraud-scorer").version == "1"  # type: ignore[union-attr]
    last = reopened.alias_history("fraud-scorer")[-1]
    assert (last.alias, last.from_version, last.to_version) == ("champion", "2", "1")
    assert last.time == "2026-03-01T10:00:00Z"
    assert (last.actor, last.reason) == ("alice", "rollback: errors")


def test_set_alias_without_time_uses_now_in_utc(registry: FileRegistry) -> None:
    registry.set_alias("fraud-scorer", "challenger", "1")
    last = registry.alias_history("fraud-scorer")[-1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", last.time)
    assert last.from_version is None
    assert registry.list_models()[0].aliases == {"champion": "2", "challenger": "1"}


@pytest.mark.parametrize(
    ("model", "version", "needle"),
    [("nope", "1", "unknown model 'nope'"), ("fraud-scorer", "9", "has no version '9'")],
)
def test_set_alias_refuses_unknown_model_or_version(
    registry: FileRegistry, model: str, version: str, needle: str
) -> None:
    before = registry.path.read_bytes()
    with pytest.raises(UnknownEntry) as caught:
        registry.set_alias(model, "champion", version)
    assert needle in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    assert isinstance(caught.value, InputError)
    assert registry.path.read_bytes() == before


def test_set_alias_refuses_bad_alias_or_time(registry: FileRegistry) -> None:
    with pytest.raises(UsageError):
        registry.set_alias("fraud-scorer", "bad alias", "1")
    with pytest.raises(UsageError, match="invalid alias move time"):
        registry.set_alias("fraud-scorer", "champion", "1", at="yesterday")


def test_unknown_model_lookups_raise(registry: FileRegistry) -> None:
    with pytest.raises(UnknownEntry):
        registry.list_versions("ghost")
    with pytest.raises(UnknownEntry):
        registry.lineage("fraud-scorer", "42")


def test_failed_replace_leaves_the_old_file_and_no_temp_files(
    registry: FileRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = registry.path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        registry.set_alias("fraud-scorer", "champion", "1", at="2026-03-01T00:00:00Z")
    monkeypatch.undo()
    assert registry.path.read_bytes() == before
    leftovers = [p.name for p in registry.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert FileRegistry(registry.path).get_alias("fraud-scorer").version == "2"  # type: ignore[union-attr]


def test_write_fsyncs_file_and_directory(
    registry: FileRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[bool] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}") if os.path.exists("/proc") else True)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    registry.set_alias("fraud-scorer", "champion", "1", at="2026-03-01T00:00:00Z")
    assert len(synced) >= 2
    assert False in synced and True in synced  # the temp file, then the directory


def test_keeps_file_mode(registry: FileRegistry) -> None:
    os.chmod(registry.path, 0o640)
    registry.set_alias("fraud-scorer", "champion", "1", at="2026-03-01T00:00:00Z")
    assert registry.path.stat().st_mode & 0o777 == 0o640


def test_lock_file_is_a_sibling(registry: FileRegistry) -> None:
    registry.set_alias("fraud-scorer", "champion", "1", at="2026-03-01T00:00:00Z")
    assert lock_path_for(registry.path) == registry.path.with_name("registry.yaml.lock")
    assert lock_path_for(registry.path).exists()


def _move_many(path: str, worker: int, moves: int) -> None:
    registry = FileRegistry(Path(path))
    for index in range(moves):
        version = "1" if (worker + index) % 2 else "2"
        registry.set_alias("fraud-scorer", "champion", version, actor=f"w{worker}-{index}")


def _assert_no_lost_update(path: Path, expected_moves: int) -> None:
    registry = FileRegistry(path)
    history = registry.alias_history("fraud-scorer")
    added = history[2:]
    assert len(added) == expected_moves
    assert len({move.actor for move in added}) == expected_moves
    chain = history[1:]
    for previous, move in itertools.pairwise(chain):
        assert move.from_version == previous.to_version  # each move saw the one before it
    assert registry.get_alias("fraud-scorer").version == history[-1].to_version  # type: ignore[union-attr]


def test_parallel_processes_never_lose_an_update(registry: FileRegistry) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_move_many, args=(str(registry.path), worker, 5))
        for worker in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    _assert_no_lost_update(registry.path, 20)


def test_parallel_threads_never_lose_an_update(registry: FileRegistry) -> None:
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            _move_many(str(registry.path), worker, 5)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _assert_no_lost_update(registry.path, 30)


def test_sees_changes_made_by_another_instance(registry: FileRegistry) -> None:
    assert registry.get_alias("fraud-scorer").version == "2"  # type: ignore[union-attr]
    FileRegistry(registry.path).set_alias(
        "fraud-scorer", "champion", "1", at="2026-03-01T00:00:00Z"
    )
    assert registry.get_alias("fraud-scorer").version == "1"  # type: ignore[union-attr]
    assert registry.alias_histories()["fraud-scorer"][-1].to_version == "1"


def test_external_strings_are_kept_verbatim(tmp_path: Path) -> None:
    document = _document()
    odd = "fraud [bold]scorer[/] ${HOME} `rm -rf` é"
    document["models"] = {odd: document["models"]["fraud-scorer"]}
    document["models"][odd]["description"] = "line one\nline two: {{ not a template }}"
    registry = FileRegistry.create(tmp_path / "r.yaml", document)
    registry.set_alias(odd, "champion", "1", reason="quote ' and \" and\nnewline", at="1767225600")
    reopened = FileRegistry(registry.path)
    [model] = reopened.list_models()
    assert model.name == odd
    assert model.description == "line one\nline two: {{ not a template }}"
    assert reopened.alias_history(odd)[-1].reason == "quote ' and \" and\nnewline"
    assert reopened.alias_history(odd)[-1].time == "2026-01-01T00:00:00Z"


def test_yaml_scalars_become_text_and_timestamps_rfc3339(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "models:\n"
        "  m:\n"
        "    aliases: {champion: 3}\n"
        "    tags: {tier: 1}\n"
        "    alias_history:\n"
        "      - {alias: champion, to_version: 3, time: 1767225600}\n"
        "    versions:\n"
        "      - version: 3\n"
        "        status: READY\n"
        "        created: 2026-01-02 03:04:05+01:00\n"
    )
    registry = FileRegistry(path)
    [version] = registry.list_versions("m")
    assert version.version == "3"
    assert version.created == "2026-01-02T02:04:05Z"
    assert registry.list_models()[0].tags == {"tier": "1"}
    assert registry.get_alias("m").version == "3"  # type: ignore[union-attr]
    assert registry.alias_history("m")[0].time == "2026-01-01T00:00:00Z"


def _errors() -> list[tuple[str, int, str, str]]:
    head = "models:\n  m:\n"
    version = "    versions:\n      - version: '1'\n        status: READY\n"
    dataset = f"datasets:\n  d:\n    digest: '{DIGEST}'\n    schema: [x]\n"
    return [
        (head + "    versions:\n      - version: '1'\n        status: LIVE\n", 5,
         "models.m.versions[0].status", "must be 'READY'"),
        (head + "    aliases: {champion: '9'}\n" + version, 3,
         "models.m.aliases.champion", "unknown version '9'"),
        (head + "    versions:\n      - version: 1.10\n        status: READY\n", 4,
         "models.m.versions[0].version", "must be quoted"),
        (head + "    versionz: []\n", 3, "models.m.versionz", "unknown key"),
        (head + "    versions:\n      - status: READY\n", 4,
         "models.m.versions[0].version", "required key is missing"),
        (head + version + "      - version: '1'\n        status: READY\n", 6,
         "models.m.versions[1].version", "duplicate version"),
        (head + version + "        run_id: run-x\n", 6,
         "models.m.versions[0].run_id", "unknown run 'run-x'"),
        (head + "    alias_history:\n      - alias: champion\n        to_version: '1'\n"
         "        time: yesterday\n", 6, "models.m.alias_history[0].time", "invalid time"),
        (head + "    tags: {flag: true}\n", 3, "models.m.tags.flag", "must be text"),
        ("runs:\n  r:\n    datasets: [missing]\n", 3, "runs.r.datasets[0]",
         "unknown dataset 'missing'"),
        (dataset + "runs:\n  r:\n    features:\n      - feature: f\n"
         "        source_columns: [d.y]\n", 9, "runs.r.features[0].source_columns[0]",
         "column 'y' is not in the schema"),
        (dataset + "runs:\n  r:\n    features:\n      - feature: f\n"
         "        source_columns: [e.x]\n", 9, "runs.r.features[0].source_columns[0]",
         "names no known dataset"),
        ("datasets:\n  d:\n    digest: md5:00\n", 3, "datasets.d.digest", "sha256:"),
        ("models:\n  m: [\n", 3, "(file)", "invalid YAML"),
        ("- just\n- a list\n", 1, "(top level)", "expected a mapping"),
        ('models:\n  "bad\\nname": {}\n', 2, "models.bad\\nname", "control characters"),
    ]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "field", "problem"), _errors())
def test_bad_registry_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, problem: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        FileRegistry(path).validate()
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: {field}: "), message
    assert problem in message
    assert "\n" not in message
    assert caught.value.exit_code == EXIT_USAGE


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        FileRegistry(tmp_path / "absent.yaml").list_models()


def test_sample_registry_validates_with_complete_lineage() -> None:
    registry = FileRegistry(SAMPLE)
    registry.validate()
    for model in registry.list_models():
        for version in registry.list_versions(model.name):
            if version.status == "READY":
                assert registry.lineage(model.name, version.version).complete


def test_json_registry_stays_json(tmp_path: Path) -> None:
    registry = FileRegistry.create(tmp_path / "r.yaml", _document(), style="json")
    assert registry.path.read_text().startswith("{")
    registry.set_alias("fraud-scorer", "champion", "1", at="2026-03-01T00:00:00Z")
    text = registry.path.read_text()
    assert text.startswith("{")
    assert yaml.safe_load(text)["models"]["fraud-scorer"]["aliases"] == {"champion": "1"}
    assert parse_registry(text).models["fraud-scorer"].aliases == {"champion": "1"}


def test_rewrite_is_valid_yaml_with_the_same_content(registry: FileRegistry) -> None:
    before = parse_registry(registry.path.read_text())
    registry.set_alias("fraud-scorer", "champion", "2", at="2026-03-01T00:00:00Z")
    after = parse_registry(registry.path.read_text())
    assert after.runs == before.runs and after.datasets == before.datasets
    assert len(after.models["fraud-scorer"].alias_history) == 3
    assert parse_instant(after.models["fraud-scorer"].alias_history[-1].time).year == 2026


def test_set_version_tag_persists_and_keeps_other_tags(registry: FileRegistry) -> None:
    registry.set_version_tag("fraud-scorer", "2", "govtui.gate", "failed: parity ratio 0.71 < 0.8")
    registry.set_version_tag("fraud-scorer", "2", "approved_by", "carol")
    reopened = FileRegistry(registry.path)
    version = reopened.get_version("fraud-scorer", "2")
    assert version is not None
    assert version.tags == {
        "govtui.gate": "failed: parity ratio 0.71 < 0.8",
        "approved_by": "carol",
    }
    assert version.gate == "failed"
    assert reopened.get_version("fraud-scorer", "1").tags == {"govtui.gate": "passed"}  # type: ignore[union-attr]
    assert reopened.get_alias("fraud-scorer").version == "2"  # type: ignore[union-attr]
    assert len(reopened.alias_history("fraud-scorer")) == 2  # a tag is not an alias move


@pytest.mark.parametrize(
    ("model", "version", "needle"),
    [("nope", "1", "unknown model 'nope'"), ("fraud-scorer", "9", "has no version '9'")],
)
def test_set_version_tag_refuses_unknown_model_or_version(
    registry: FileRegistry, model: str, version: str, needle: str
) -> None:
    before = registry.path.read_bytes()
    with pytest.raises(UnknownEntry, match=needle):
        registry.set_version_tag(model, version, "govtui.gate", "passed")
    assert registry.path.read_bytes() == before


def test_set_version_tag_refuses_a_bad_key(registry: FileRegistry) -> None:
    before = registry.path.read_bytes()
    for key in ("", "bad\nkey", "nul\x00"):
        with pytest.raises(UsageError, match="invalid tag key"):
            registry.set_version_tag("fraud-scorer", "1", key, "x")
    assert registry.path.read_bytes() == before


def test_delete_alias_keeps_the_history_and_is_idempotent(registry: FileRegistry) -> None:
    registry.set_alias("fraud-scorer", "challenger", "1", at="2026-03-01T00:00:00Z")
    registry.delete_alias("fraud-scorer", "challenger")
    reopened = FileRegistry(registry.path)
    assert reopened.list_models()[0].aliases == {"champion": "2"}
    assert reopened.get_alias("fraud-scorer", "challenger") is None
    assert reopened.alias_history("fraud-scorer")[-1].alias == "challenger"  # history kept
    before = registry.path.read_bytes()
    registry.delete_alias("fraud-scorer", "challenger")  # not set: nothing to do
    assert registry.path.read_bytes() == before
    with pytest.raises(UnknownEntry, match="unknown model"):
        registry.delete_alias("ghost", "champion")


def _tag_many(path: str, worker: int, tags: int) -> None:
    registry = FileRegistry(Path(path))
    for index in range(tags):
        registry.set_version_tag("fraud-scorer", str(1 + index % 3), f"w{worker}.{index}", "x")
        if index % 2:
            registry.set_alias("fraud-scorer", "champion", "1", actor=f"w{worker}-{index}")


def test_parallel_processes_never_lose_a_tag(registry: FileRegistry) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_tag_many, args=(str(registry.path), worker, 6))
        for worker in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    reopened = FileRegistry(registry.path)
    keys = set()
    for version in reopened.list_versions("fraud-scorer"):
        keys |= {key for key in version.tags if key.startswith("w")}
    assert keys == {f"w{worker}.{index}" for worker in range(4) for index in range(6)}
    assert len(reopened.alias_history("fraud-scorer")) == 2 + 4 * 3  # alias moves kept too


def test_parallel_tags_and_alias_deletes_in_threads(registry: FileRegistry) -> None:
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            local = FileRegistry(registry.path)
            for index in range(5):
                local.set_version_tag("fraud-scorer", "3", f"t{worker}.{index}", str(index))
                local.set_alias("fraud-scorer", f"a{worker}", "1")
                local.delete_alias("fraud-scorer", f"a{worker}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reopened = FileRegistry(registry.path)
    tags = reopened.get_version("fraud-scorer", "3").tags  # type: ignore[union-attr]
    assert len([key for key in tags if key.startswith("t")]) == 20
    assert reopened.list_models()[0].aliases == {"champion": "2"}
