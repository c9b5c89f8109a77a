"""`govtui lineage` and `govtui versions` on the file registry and on the demo registry."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from govtui.cli.main import main
from govtui.cli.versions import render_table
from govtui.sources.registry.base import ModelVersion
from govtui.sources.registry.file import FileRegistry

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "registry.yaml"
AT = "2026-03-10T12:00:00Z"


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
    )
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_tree_of_the_champion(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "lineage", "fraud-scorer")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "lineage of fraud-scorer:3"
    assert lines[1] == "deployment fraud-scorer-prod"
    assert lines[2].startswith("  version 3  READY  aliases champion  gate passed")
    assert "    run run-2026-01-10  started 2026-01-10T06:30:00Z" in lines
    assert "      code version 9a8b7c6d5e4f30211f2e3d4c5b6a79880a1b2c3d" in lines
    assert "      dataset cards-2025-12" in lines
    assert (
        "        digest sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        in lines
    )
    feature = lines.index("      feature card_age_days")
    assert lines[feature + 1 : feature + 4] == [
        "        <- cards-2025-12.issued_at",
        "        <- transactions-2025-12.ts",
        "        transformation days from issued_at to ts",
    ]
    assert lines[-1] == "lineage complete"
    assert "MISSING" not in out


def test_version_and_alias_refs(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "lineage", "fraud-scorer:2")
    assert code == 0 and out.startswith("lineage of fraud-scorer:2\n")
    code, out, _ = _run(capsys, "lineage", "fraud-scorer@champion", "--format", "json")
    assert code == 0 and json.loads(out)["version"] == "3"


def test_json_format(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "lineage", "churn-predictor:1", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "govtui.lineage/v1"
    assert data["complete"] is True and data["gaps"] == []
    assert data["feature_source"] == "file registry: version"
    assert [f["feature"] for f in data["features"]] == ["tenure_months", "sessions_30d"]
    assert data["model_version"]["aliases"] == ["champion"]
    assert data["run"]["params"] == {"C": "0.5", "penalty": "l2"}


def _break_lineage(workspace: Path) -> None:
    path = workspace / "registry.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    run = document["runs"]["run-2026-01-10"]
    run["code_version"] = ""
    run["features"][0]["source_columns"] = []
    run["features"][1]["transformation"] = "days \x1b[31mred\x1b[0m"
    document["datasets"]["cards-2025-12"]["source"] = "s3://x/\u202eevil\nnext"
    FileRegistry.create(path, document)


def test_gaps_are_marked_in_place(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _break_lineage(workspace)
    code, out, _ = _run(capsys, "lineage", "fraud-scorer")
    assert code == 0  # an incomplete lineage is shown, not an error
    lines = out.splitlines()
    run = lines.index("    run run-2026-01-10  started 2026-01-10T06:30:00Z")
    assert lines[run + 1] == "      MISSING: training run has no code version"
    feature = lines.index("      feature amount")
    assert lines[feature + 1] == "        MISSING: feature amount has no source column"
    assert lines[-1] == "lineage incomplete: 2 missing link(s)"
    assert "\x1b" not in out and "\u202e" not in out
    assert "transformation days \\x1b[31mred\\x1b[0m" in out
    assert "source s3://x/\\u202eevil\\nnext" in out
    code, out, _ = _run(capsys, "lineage", "fraud-scorer", "--format", "json")
    data = json.loads(out)
    assert data["complete"] is False
    assert data["gaps"] == [
        "training run has no code version",
        "feature amount has no source column",
    ]
    assert data["features"][1]["transformation"] == "days \x1b[31mred\x1b[0m"  # JSON escapes


def test_no_run_is_one_missing_line(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workspace / "registry.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    del document["models"]["fraud-scorer"]["versions"][1]["run_id"]
    FileRegistry.create(path, document)
    code, out, _ = _run(capsys, "lineage", "fraud-scorer")
    assert code == 0
    assert "    MISSING: no training run" in out.splitlines()
    assert "      MISSING: no feature lineage" in out.splitlines()
    assert out.splitlines()[-1] == "lineage incomplete: 2 missing link(s)"


def test_ascii_output(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = workspace / "registry.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    document["runs"]["run-2026-01-10"]["features"][0]["transformation"] = "€ → EUR"
    FileRegistry.create(path, document)
    code, out, _ = _run(capsys, "--ascii", "lineage", "fraud-scorer")
    assert code == 0 and out.isascii()
    assert "transformation \\u20ac \\u2192 EUR" in out
    _, out, _ = _run(capsys, "lineage", "fraud-scorer")
    assert "transformation € → EUR" in out


def test_diff(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "lineage", "fraud-scorer", "--diff", ":5")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "lineage diff fraud-scorer:3 -> fraud-scorer:5"
    assert lines[1].startswith("code version 9a8b7c6d")
    assert "  + transactions-2026-01  sha256:e3b0c442" in out
    assert "  - transactions-2025-12  sha256:9f86d081" in out
    assert "  + merchant_risk <- transactions-2026-01.merchant_id" in lines
    assert "    source columns transactions-2025-12.amount -> transactions-2026-01.amount" in lines
    assert "  ~ max_depth 7 -> 8" in lines
    assert "  ~ demographic_parity_ratio 0.951 -> 0.703" in lines
    code, out, _ = _run(capsys, "lineage", "fraud-scorer:3", "--diff", "fraud-scorer@champion")
    assert code == 0 and "no differences" in out
    code, out, _ = _run(
        capsys, "lineage", "fraud-scorer:2", "--diff", "fraud-scorer:3", "--format", "json"
    )
    data = json.loads(out)
    assert data["format"] == "govtui.lineage-diff/v1"
    assert (data["base_version"], data["other_version"], data["empty"]) == ("2", "3", False)
    assert {d["name"] for d in data["datasets"]["added"]} == {
        "transactions-2025-12",
        "cards-2025-12",
    }
    assert data["features"]["changed"][0]["fields"] == ["source_columns"]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["lineage", "fraud-scorer:9"], "model 'fraud-scorer' has no version '9'"),
        (["lineage", "fraud-scorer@shadow"], "has no alias 'shadow'"),
        (["lineage", "ghost"], "unknown model 'ghost'"),
        (["lineage", "fraud-scorer", "--diff", ":42"], "has no version '42'"),
        (["lineage", "fraud-scorer:"], "invalid model reference"),
        (["versions", "ghost"], "unknown model 'ghost'"),
    ],
)
def test_unknown_refs_exit_2(
    workspace: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1


@pytest.mark.parametrize("command", [["lineage", "fraud-scorer"], ["versions", "fraud-scorer"]])
def test_registry_failure_exits_2(
    workspace: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    (workspace / "registry.yaml").write_text("models: [\n")
    code, _, err = _run(capsys, *command)
    assert code == 2 and "registry.yaml:" in err and "invalid YAML" in err
    (workspace / "registry.yaml").unlink()
    code, _, err = _run(capsys, *command)
    assert code == 2 and "registry file not found" in err


def test_versions_table(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "versions", "fraud-scorer")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "fraud-scorer: 4 version(s)"
    assert lines[1].split() == ["VERSION", "STATUS", "ALIASES", "CREATED", "RUN", "GATE"]
    assert lines[3].split() == [
        "3",
        "READY",
        "champion",
        "2026-01-10T10:00:00Z",
        "run-2026-01-10",
        "passed",
    ]
    assert lines[4].split()[-1] == "failed" and lines[5].split()[-1] == "-"
    assert "STAGE" not in out


def test_versions_json_after_an_alias_move_and_a_recorded_gate(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = FileRegistry(workspace / "registry.yaml")
    registry.set_alias("fraud-scorer", "challenger", "5", actor="ci", at="2026-03-01T00:00:00Z")
    assert main(["check", "--candidate", "fraud-scorer:5", "--record"]) == 1
    capsys.readouterr()
    code, out, _ = _run(capsys, "versions", "fraud-scorer", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "govtui.versions/v1"
    assert data["aliases"] == {"challenger": "5", "champion": "3"}
    five = data["versions"][-1]
    assert (five["version"], five["aliases"], five["gate"]) == ("5", ["challenger"], "failed")
    assert five["tags"]["govtui.gate"].startswith("failed: demographic_parity_ratio 0.703")
    assert data["alias_history"][-1] == {
        "alias": "challenger",
        "from_version": None,
        "to_version": "5",
        "time": "2026-03-01T00:00:00Z",
        "actor": "ci",
        "reason": "",
    }


def test_versions_table_shows_legacy_stages_and_escapes() -> None:
    versions = [
        ModelVersion("m", "1", "READY", legacy_stage="Archived", run_id="r1"),
        ModelVersion("m", "2", "READY", aliases=("champion",), legacy_stage="Production"),
        ModelVersion("m", "3\x1b[2J", "PENDING", tags={"govtui.gate": "passed"}),
    ]
    text = render_table("m\x07", versions)
    assert "\x1b" not in text and "\x07" not in text
    lines = text.splitlines()
    assert lines[0] == "m\\x07: 3 version(s)"
    assert lines[1].split() == ["VERSION", "STATUS", "ALIASES", "STAGE", "CREATED", "RUN", "GATE"]
    assert lines[3].split() == ["2", "READY", "champion", "Production", "-", "-", "-"]
    assert lines[4].split()[0] == "3\\x1b[2J" and lines[4].split()[-1] == "passed"


def test_demo_registry_with_no_config(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workspace / "govtui.yaml").unlink()
    code, out, _ = _run(capsys, "--at", AT, "lineage", "fraud-scorer")
    assert code == 0 and out.splitlines()[-1] == "lineage complete"
    assert "<- fraud-scorer/transactions@v" in out
    code, out, _ = _run(capsys, "--at", AT, "lineage", "search-ranker:4")
    assert code == 0 and "      MISSING: training run has no code version" in out.splitlines()
    code, out, _ = _run(capsys, "versions", "price-optimizer", "--at", AT)
    assert code == 0
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert rows[2][2] == "champion" and rows[3][1:3] == ["PENDING", "challenger"]
    code, out, _ = _run(capsys, "lineage", "price-optimizer", "--diff", "@challenger", "--at", AT)
    assert code == 0 and "~ selection_rate.age_band.65+" in out
    assert (workspace / "state" / "demo").is_dir()
