"""The candidate gate: each check failing on its own, and `govtui check --candidate [--record]`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from govtui.actions.gate import (
    AUDIT_ACTION,
    CANDIDATE_FORMAT,
    TAG_DETAIL_LIMIT,
    GateVerdict,
    evaluate_candidate,
    record_verdict,
    vet_candidate,
)
from govtui.cli.main import main
from govtui.config import Config, FairnessConfig, GateConfig, QualityConfig
from govtui.errors import ActionFailed, ReadOnlyRefused, RegistryError
from govtui.sources.registry.base import (
    GATE_TAG,
    ColumnLineage,
    Dataset,
    Lineage,
    ModelVersion,
    TrainingRun,
)
from govtui.sources.registry.file import FileRegistry

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "registry.yaml"
DIGEST = "sha256:" + "c" * 64
GOOD_METRICS = {
    "accuracy": 0.93,
    "demographic_parity_ratio": 0.95,
    "selection_rate.sex.female": 0.20,
    "selection_rate.sex.male": 0.21,
}


def _candidate(**tags: str) -> ModelVersion:
    return ModelVersion("m", "5", "PENDING", tags=dict(tags), run_id="run-5")


def _lineage(metrics: dict[str, float] | None = None, **changes: Any) -> Lineage:
    fields: dict[str, Any] = {
        "model": "m",
        "version": "5",
        "deployment": "m-prod",
        "run": TrainingRun("run-5", {}, dict(GOOD_METRICS if metrics is None else metrics), "abc"),
        "datasets": (Dataset("tx", DIGEST, "s3://tx"),),
        "features": (ColumnLineage("amount", ("tx.amount",)),),
    }
    fields.update(changes)
    return Lineage(**fields)


CHAMPION = ModelVersion("m", "3", "READY", aliases=("champion",))


def _verdict(
    lineage: Lineage | None = None,
    config: Config | None = None,
    candidate: ModelVersion | None = None,
    champion_metrics: dict[str, float] | None = None,
) -> GateVerdict:
    return evaluate_candidate(
        candidate or _candidate(),
        lineage or _lineage(),
        config or Config(),
        champion=CHAMPION,
        champion_metrics={"accuracy": 0.94} if champion_metrics is None else champion_metrics,
    )


def _failed(verdict: GateVerdict) -> dict[str, str]:
    return {check.name: check.detail for check in verdict.failures}


def test_a_good_candidate_passes_every_check() -> None:
    verdict = _verdict()
    assert verdict.passed and verdict.verdict == "passed"
    assert [check.name for check in verdict.checks] == [
        "status",
        "lineage",
        "accuracy",
        "parity ratio",
        "parity sex",
    ]
    assert all(check.ok for check in verdict.checks)
    assert verdict.tag_value() == "passed"
    assert verdict.champion == "3"


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"run": None}, "lineage incomplete: no training run"),
        ({"run": TrainingRun("r", {}, GOOD_METRICS, "")}, "training run has no code version"),
        ({"datasets": ()}, "training run records no dataset"),
        ({"datasets": (Dataset("tx", ""),)}, "dataset tx has no digest"),
        ({"features": ()}, "no feature lineage"),
        ({"features": (ColumnLineage("f", ()),)}, "feature f has no source column"),
    ],
)
def test_incomplete_lineage_fails(changes: dict[str, Any], needle: str) -> None:
    verdict = _verdict(_lineage(**changes))
    assert not verdict.passed
    assert needle in _failed(verdict)["lineage"]
    assert verdict.tag_value().startswith("failed: lineage incomplete")


def test_a_missing_required_tag_fails() -> None:
    config = Config(gate=GateConfig(required_tags=["approved_by", "ticket"]))
    verdict = _verdict(config=config, candidate=_candidate(approved_by="carol", ticket="  "))
    assert _failed(verdict) == {"tag ticket": "required tag ticket missing"}
    checks = {check.name: check for check in verdict.checks}
    assert checks["tag approved_by"].ok is True


def test_accuracy_a_crit_drop_below_the_champion_fails() -> None:
    # 0.89 is exactly 0.05 below 0.94: crit, as the quality policy says (one source of truth).
    verdict = _verdict(_lineage({"accuracy": 0.89}))
    assert "accuracy 0.89 <= champion 3 0.94 - 0.05" in _failed(verdict)["accuracy"]
    assert _verdict(_lineage({"accuracy": 0.8901})).passed
    warned = _verdict(_lineage({"accuracy": 0.915}))
    assert warned.passed and "warn" in {c.name: c for c in warned.checks}["accuracy"].detail
    stricter = Config(quality=QualityConfig(warn_drop=0.005, crit_drop=0.01))
    assert not _verdict(_lineage({"accuracy": 0.93}), config=stricter).passed


def test_accuracy_below_the_configured_minimum_fails() -> None:
    config = Config(gate=GateConfig(min_accuracy=0.95))
    assert _failed(_verdict(config=config)) == {"min accuracy": "accuracy 0.93 < min 0.95"}
    missing = _verdict(_lineage({}), config=config)
    assert _failed(missing) == {"min accuracy": "accuracy not logged (min 0.95)"}


def test_accuracy_is_not_applicable_without_a_reference() -> None:
    no_metric = _verdict(_lineage({}))
    assert no_metric.passed
    assert {c.name: c.ok for c in no_metric.checks}["accuracy"] is None
    no_champion = evaluate_candidate(_candidate(), _lineage(), Config())
    assert no_champion.passed and no_champion.champion is None
    silent_champion = _verdict(champion_metrics={})
    assert {c.name: c.ok for c in silent_champion.checks}["accuracy"] is None


def test_a_low_parity_ratio_metric_fails() -> None:
    verdict = _verdict(_lineage({**GOOD_METRICS, "demographic_parity_ratio": 0.71}))
    assert _failed(verdict) == {"parity ratio": "demographic_parity_ratio 0.71 < 0.8"}
    assert verdict.tag_value() == "failed: demographic_parity_ratio 0.71 < 0.8"
    # The policy's threshold, not a constant: a looser crit ratio lets it pass.
    loose = Config(fairness=FairnessConfig(warn_ratio=0.75, crit_ratio=0.7))
    assert _verdict(_lineage({**GOOD_METRICS, "demographic_parity_ratio": 0.71}), loose).passed


def test_selection_rates_per_attribute_below_four_fifths_fail() -> None:
    metrics = {
        "accuracy": 0.93,
        "selection_rate.age.18-24": 0.30,
        "selection_rate.age.65+": 0.20,
        "selection_rate.age.25-44": 0.28,
        "selection_rate.sex.female": 0.25,
        "selection_rate.sex.male": 0.26,
        "selection_rate.region.eu": 0.2,  # one group only: not applicable
        "selection_rate.nogroup": 0.5,  # not attribute.group: ignored
    }
    verdict = _verdict(_lineage(metrics))
    assert _failed(verdict) == {
        "parity age": "age selection rate 65+ 0.2 / 18-24 0.3 = 0.6667 < 0.8",
    }
    checks = {check.name: check.ok for check in verdict.checks}
    assert checks["parity sex"] is True and checks["parity region"] is None


def test_min_and_max_metrics_and_non_finite_values() -> None:
    config = Config(gate=GateConfig(min_metrics={"auc": 0.9}, max_metrics={"log_loss": 0.3}))
    verdict = _verdict(_lineage({**GOOD_METRICS, "auc": 0.85, "log_loss": 0.2}), config)
    assert _failed(verdict) == {"min auc": "auc 0.85 < 0.9"}
    missing = _verdict(_lineage(dict(GOOD_METRICS)), config)
    assert set(_failed(missing)) == {"min auc", "max log_loss"}
    nan = _verdict(_lineage({**GOOD_METRICS, "accuracy": float("nan")}))
    assert _failed(nan) == {"accuracy": "accuracy is nan (not a finite number)"}


def test_failed_status_fails_and_long_details_are_cut() -> None:
    features = tuple(ColumnLineage(f"feature_{index:03d}", ()) for index in range(40))
    verdict = _verdict(
        _lineage(features=features), candidate=ModelVersion("m", "5", "FAILED", run_id="r")
    )
    assert _failed(verdict)["status"] == "status FAILED"
    value = verdict.tag_value()
    assert len(value) == TAG_DETAIL_LIMIT and value.endswith("...")
    assert ModelVersion("m", "5", "READY", tags={GATE_TAG: value}).gate == "failed"


def test_to_dict_is_the_candidate_format() -> None:
    data = _verdict(_lineage({"accuracy": 0.5})).to_dict()
    assert data["format"] == CANDIDATE_FORMAT
    assert data["passed"] is False and data["verdict"] == "failed"
    assert data["checks"][2] == {
        "name": "accuracy",
        "ok": False,
        "detail": "accuracy 0.5 <= champion 3 0.94 - 0.05 (= 0.89)",
    }
    assert json.loads(json.dumps(data)) == data


# ---------------------------------------------------------------------------------------------
# Against the file registry


@pytest.fixture
def registry(tmp_path: Path) -> FileRegistry:
    path = tmp_path / "registry.yaml"
    shutil.copy(SAMPLE, path)
    return FileRegistry(path)


def test_vet_candidate_compares_with_the_champions_run(registry: FileRegistry) -> None:
    verdict = vet_candidate(registry, "fraud-scorer", "5", Config())
    assert not verdict.passed and verdict.champion == "3"
    assert set(_failed(verdict)) == {"parity ratio", "parity card_region"}
    assert vet_candidate(registry, "fraud-scorer", "3", Config()).passed
    # v4's accuracy 0.861 is more than 0.05 below the champion's 0.934.
    assert "accuracy" in _failed(vet_candidate(registry, "fraud-scorer", "4", Config()))


def test_record_writes_reads_back_and_audits(registry: FileRegistry, tmp_path: Path) -> None:
    from govtui.actions.audit import AuditLog, verify

    audit = AuditLog(tmp_path / "audit.jsonl")
    verdict = vet_candidate(registry, "fraud-scorer", "5", Config())
    value = record_verdict(registry, verdict, read_only=False, audit=audit, incident="INC-1")
    assert value.startswith("failed: demographic_parity_ratio 0.703 < 0.8")
    version = FileRegistry(registry.path).get_version("fraud-scorer", "5")
    assert version is not None and version.tags[GATE_TAG] == value and version.gate == "failed"
    records = audit.records()
    assert [(r["action"], r["outcome"]) for r in records] == [
        (AUDIT_ACTION, "intent"),
        (AUDIT_ACTION, "recorded"),
    ]
    assert records[-1]["target"] == "fraud-scorer:5"
    assert records[-1]["incident"] == "INC-1"
    assert records[-1]["params"]["value"] == value
    assert records[-1]["params"]["previous"] is None
    assert {c["name"] for c in records[-1]["params"]["failed_checks"]} == {
        "parity ratio",
        "parity card_region",
    }
    assert verify(audit.path).ok


def test_record_in_read_only_mode_writes_nothing(registry: FileRegistry, tmp_path: Path) -> None:
    from govtui.actions.audit import AuditLog

    audit = AuditLog(tmp_path / "audit.jsonl")
    before = registry.path.read_bytes()
    verdict = vet_candidate(registry, "fraud-scorer", "5", Config())
    with pytest.raises(ReadOnlyRefused):
        record_verdict(registry, verdict, read_only=True, audit=audit)
    assert registry.path.read_bytes() == before
    assert [r["outcome"] for r in audit.records()] == ["refused"]


class _BrokenTags(FileRegistry):
    def set_version_tag(self, model: str, version: str, key: str, value: str) -> None:
        raise RegistryError("mlflow", "INTERNAL_ERROR: database is locked")


class _ForgetfulTags(FileRegistry):
    def set_version_tag(self, model: str, version: str, key: str, value: str) -> None:
        return None  # claims success, writes nothing


@pytest.mark.parametrize(
    ("registry_class", "needle"),
    [(_BrokenTags, "database is locked"), (_ForgetfulTags, "read-back shows govtui.gate")],
)
def test_a_failed_write_is_an_action_failure(
    registry: FileRegistry, tmp_path: Path, registry_class: type[FileRegistry], needle: str
) -> None:
    from govtui.actions.audit import AuditLog

    audit = AuditLog(tmp_path / "audit.jsonl")
    broken = registry_class(registry.path)
    verdict = vet_candidate(broken, "fraud-scorer", "5", Config())
    with pytest.raises(ActionFailed, match=needle) as caught:
        record_verdict(broken, verdict, read_only=False, audit=audit)
    assert caught.value.exit_code == 4
    assert [r["outcome"] for r in audit.records()] == ["intent", "failed"]
    assert needle in audit.records()[-1]["params"]["error"]


# ---------------------------------------------------------------------------------------------
# `govtui check --candidate`


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("GOVTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE, tmp_path / "registry.yaml")
    (tmp_path / "govtui.yaml").write_text(
        "sources:\n  registry:\n    kind: file\n    path: registry.yaml\n"
        "gate:\n  required_tags: [approved_by]\n"
    )
    return tmp_path


def _gate_tag(path: Path, version: str) -> str | None:
    found = FileRegistry(path / "registry.yaml").get_version("fraud-scorer", version)
    assert found is not None
    return found.tags.get(GATE_TAG)


def test_cli_exit_codes(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--candidate", "fraud-scorer:3"]) == 0
    out = capsys.readouterr().out
    assert "gate PASSED for fraud-scorer:3" in out and "tag approved_by" in out
    assert main(["check", "--candidate", "fraud-scorer:5"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  tag approved_by" in out and "required tag approved_by missing" in out
    assert "gate FAILED for fraud-scorer:5: 3 check(s) failed" in out
    assert main(["check", "--candidate", "fraud-scorer@champion"]) == 0
    capsys.readouterr()
    for ref, needle in [
        ("fraud-scorer:9", "has no version '9'"),
        ("ghost:1", "unknown model 'ghost'"),
        ("fraud-scorer", "name a version"),
    ]:
        assert main(["check", "--candidate", ref]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1


def test_cli_json_and_record(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    registry_before = (workspace / "registry.yaml").read_bytes()
    assert main(["check", "--candidate", "fraud-scorer:5", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == CANDIDATE_FORMAT and data["recorded"] is None
    assert (workspace / "registry.yaml").read_bytes() == registry_before  # no --record
    assert main(["check", "--candidate", "fraud-scorer:5", "--record", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["recorded"].startswith("failed: required tag approved_by missing; ")
    assert _gate_tag(workspace, "5") == data["recorded"]
    # Approve it, drop the parity problem from its run, and gate it again: it now passes.
    registry = FileRegistry(workspace / "registry.yaml")
    registry.set_version_tag("fraud-scorer", "5", "approved_by", "carol")
    text = (workspace / "registry.yaml").read_text()
    text = text.replace("selection_rate.card_region.foreign: 0.045", "foreign_rate: 0.045")
    text = text.replace("demographic_parity_ratio: 0.703", "demographic_parity_ratio: 0.9")
    (workspace / "registry.yaml").write_text(text)
    assert main(["check", "--candidate", "fraud-scorer:5", "--record"]) == 0
    assert "recorded govtui.gate = passed" in capsys.readouterr().out
    assert _gate_tag(workspace, "5") == "passed"
    from govtui.actions.audit import AuditLog

    records = AuditLog(workspace / "state" / "audit.jsonl").records()
    assert [(r["action"], r["outcome"], r["params"]["value"]) for r in records][-1] == (
        "gate.record",
        "recorded",
        "passed",
    )
    assert len(records) == 4


@pytest.mark.parametrize(
    "argv",
    [
        ["--read-only", "check", "--candidate", "fraud-scorer:5", "--record"],
        ["check", "--candidate", "fraud-scorer:5", "--record", "--read-only"],
    ],
)
def test_cli_record_read_only_is_exit_3_before_writing(
    workspace: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    before = (workspace / "registry.yaml").read_bytes()
    assert main(argv) == 3
    assert "read-only mode" in capsys.readouterr().err
    assert (workspace / "registry.yaml").read_bytes() == before


def test_cli_record_read_only_from_the_config(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = workspace / "govtui.yaml"
    config.write_text(
        "sources:\n  registry:\n    kind: file\n    path: registry.yaml\n    read_only: true\n"
    )
    before = (workspace / "registry.yaml").read_bytes()
    assert main(["check", "--candidate", "fraud-scorer:5", "--record"]) == 3
    assert (workspace / "registry.yaml").read_bytes() == before
    assert main(["check", "--candidate", "fraud-scorer:5"]) == 1  # vetting alone still works


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "--record"], "--record needs --candidate"),
        (["check", "--candidate", "fraud-scorer:5", "--model", "x"], "drop --model"),
        (["check", "--candidate", "fraud-scorer:5", "--signals", "d"], "drop --signals"),
        (["check", "--candidate", "fraud-scorer:5", "--format", "junit"], "not junit"),
    ],
)
def test_cli_usage_errors(
    workspace: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_cli_needs_a_config_or_demo(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "govtui.yaml").unlink()
    assert main(["check", "--candidate", "price-optimizer:4"]) == 2
    assert "--demo for the demo registry" in capsys.readouterr().err
    assert main(["check", "--demo", "--candidate", "price-optimizer:4"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  parity age_band" in out
    assert main(["check", "--demo", "--candidate", "price-optimizer@champion"]) == 0
    capsys.readouterr()
    assert main(["check", "--demo", "--candidate", "search-ranker:4", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    failed = {check["name"] for check in data["checks"] if check["ok"] is False}
    assert failed == {"status", "lineage", "accuracy"}
    assert data["previous_gate"].startswith("failed: lineage incomplete")


def test_cli_output_file(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = workspace / "verdict.json"
    argv = ["check", "--candidate", "fraud-scorer:3", "--format", "json", "--output", str(target)]
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(target.read_text())["passed"] is True


def test_cli_escapes_control_characters(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = FileRegistry(workspace / "registry.yaml")
    registry.set_version_tag("fraud-scorer", "3", "approved_by", "mallory\x1b[2J\x07")
    assert main(["check", "--candidate", "fraud-scorer:3"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "approved_by = mallory\\x1b[2J\\x07" in out
