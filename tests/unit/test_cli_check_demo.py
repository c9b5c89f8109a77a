"""`govtui check --demo`: every scenario is flagged as expected, and a rollback heals its model."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from govtui.cli.main import main
from govtui.demo.fleet import DemoFleet
from govtui.demo.registry import ensure_demo_registry
from govtui.demo.scenarios import (
    ACCURACY_DROP,
    EXPECTED_FINDINGS,
    FAST_BURN,
    HEALTHY,
    LATENCY_BREACH,
    SMALL_GROUP,
)
from govtui.timeutil import format_instant, parse_instant

AT = "2026-01-15T12:00:00Z"
# Late enough that every window (1 d of outcomes behind a 2 h label delay, 6 h burn windows)
# lies after a rollback made at AT, early enough that the demo registry is still reused.
HEALED_AT = format_instant(parse_instant(AT) + timedelta(days=1, hours=3))


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GOVTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)


def check_demo(capsys: pytest.CaptureFixture[str], at: str, *extra: str) -> tuple[int, Any]:
    code = main(["check", "--demo", "--format", "json", "--at", at, *extra])
    captured = capsys.readouterr()
    assert captured.err == "", captured.err
    return code, json.loads(captured.out)


RANK = {"ok": 0, "unknown": 1, "warn": 2, "crit": 3}


def severity_of(report: dict[str, Any], check: str) -> str | None:
    """How severe a check is for a model: the model-level status for drift, fairness and
    quality (a crit feature can leave drift at warn), else the worst violation of that key."""
    if check == "drift":
        return str(report["drift"]["status"])
    if check == "fairness":
        return max((item["status"] for item in report["fairness"]), key=RANK.__getitem__)
    if check == "quality":
        return str(report["quality"]["status"])
    severities = [item["severity"] for item in report["violations"] if item["check"] == check]
    return max(severities, key=RANK.__getitem__) if severities else None


def scenarios(tmp_path: Path) -> dict[str, str]:
    """Model -> scenario of the demo fleet the CLI evaluated (same state dir, same time)."""
    registry = ensure_demo_registry(tmp_path / "state", at=parse_instant(AT))
    return DemoFleet(registry).scenarios


def test_every_scenario_is_flagged_with_its_check_and_severity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = check_demo(capsys, AT)
    assert code == 1
    assert document["schema"] == "govtui.check/v1"
    assert document["evaluated_at"] == AT
    models = {item["model"]: item for item in document["models"]}
    by_scenario = scenarios(tmp_path)
    assert set(models) == set(by_scenario)
    assert set(EXPECTED_FINDINGS) <= set(by_scenario.values()), "every scenario is in the fleet"
    for name, scenario in by_scenario.items():
        report = models[name]
        found = {(item["check"], item["severity"]) for item in report["violations"]}
        expected = EXPECTED_FINDINGS[scenario]
        if expected is None:
            assert found == set(), f"{name} ({scenario}) should be clean, got {found}"
            assert report["status"] == "ok", f"{name} ({scenario}): {report['reasons']}"
            continue
        check, severity = expected
        assert check in {item["check"] for item in report["violations"]}, (name, scenario, found)
        assert severity_of(report, check) == severity, (name, scenario, report["reasons"])
        assert report["version"], f"{name} has no champion version"
    small = next(name for name, scenario in by_scenario.items() if scenario == SMALL_GROUP)
    age_band = next(item for item in models[small]["fairness"] if item["attribute"] == "age_band")
    insufficient = [group for group in age_band["groups"] if not group["sufficient"]]
    assert insufficient and all(group["count"] < 100 for group in insufficient)
    healthy = [name for name, scenario in by_scenario.items() if scenario == HEALTHY]
    assert healthy


def _previous_champion(registry: Any, model: str) -> str:
    """The version the champion alias pointed at before its latest move."""
    moves = [move for move in registry.alias_history(model) if move.alias == "champion"]
    assert moves and moves[-1].from_version, f"{model} has no earlier champion"
    return str(moves[-1].from_version)


@pytest.mark.parametrize("scenario", [ACCURACY_DROP, FAST_BURN, LATENCY_BREACH])
def test_rolling_the_champion_back_heals_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scenario: str
) -> None:
    registry = ensure_demo_registry(tmp_path / "state", at=parse_instant(AT))
    fleet = DemoFleet(registry)
    model = next(name for name, kind in fleet.scenarios.items() if kind == scenario)
    bad_version = registry.get_alias(model, "champion")
    assert bad_version is not None

    # Not healed on its own: a day later the model still fails.
    code, document = check_demo(capsys, HEALED_AT, "--model", model)
    assert code == 1, document["models"][0]["reasons"]
    assert document["models"][0]["version"] == bad_version.version

    good = _previous_champion(registry, model)
    registry.set_alias(
        model, "champion", good, actor="on-call", reason=f"test rollback of {scenario}", at=AT
    )

    code, document = check_demo(capsys, HEALED_AT, "--model", model)
    (report,) = document["models"]
    assert report["version"] == good
    assert report["status"] == "ok", report["reasons"]
    assert code == 0
    # The rest of the fleet is untouched by this rollback.
    code, document = check_demo(capsys, HEALED_AT)
    assert code == 1
    others = [item for item in document["models"] if item["model"] != model]
    assert any(item["status"] == "crit" for item in others)


def test_documented_json_example_is_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/check.md shows one model of `govtui check --demo --format json --at AT`; it must
    still be what the command prints, so the documentation cannot drift from the code."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "check.md"
    blocks = re.findall(r"```json\n(.*?)\n```", docs.read_text(encoding="utf-8"), flags=re.DOTALL)
    (example,) = [json.loads(block) for block in blocks]
    (documented,) = example["models"]
    code, document = check_demo(capsys, example["evaluated_at"])
    assert code == 1
    actual = next(item for item in document["models"] if item["model"] == documented["model"])
    assert actual == _approx(documented)
    assert {key: document[key] for key in ("schema", "evaluated_at", "status", "gate")} == {
        key: example[key] for key in ("schema", "evaluated_at", "status", "gate")
    }


def _approx(value: Any) -> Any:
    """Floats compared to 1e-9 relative, everything else exactly."""
    if isinstance(value, dict):
        return {key: _approx(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_approx(item) for item in value]
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-9, abs=1e-15)
    return value
