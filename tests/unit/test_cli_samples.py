"""What ships next to the code: runbooks, the example CSV signals, and the CI snippets."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

import govtui
from govtui.cli.main import build_parser, main
from govtui.config import CHECK_KEYS

REPO = Path(govtui.__file__).resolve().parents[1]
PACKAGED_RUNBOOKS = REPO / "govtui" / "data" / "runbooks"
SAMPLE_RUNBOOKS = REPO / "sample_configs" / "runbooks"
CI_SNIPPETS = sorted((REPO / "sample_configs" / "ci").glob("*.yml"))


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GOVTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("key", CHECK_KEYS)
def test_every_check_key_has_a_runbook_shipped_twice_identically(key: str) -> None:
    packaged = PACKAGED_RUNBOOKS / f"{key}.md"
    sample = SAMPLE_RUNBOOKS / f"{key}.md"
    assert packaged.is_file() and sample.is_file()
    assert packaged.read_bytes() == sample.read_bytes()


def test_no_stray_runbooks() -> None:
    expected = {f"{key}.md" for key in CHECK_KEYS}
    assert {path.name for path in PACKAGED_RUNBOOKS.glob("*.md")} == expected
    assert {path.name for path in SAMPLE_RUNBOOKS.glob("*.md")} == expected


@pytest.mark.parametrize("key", CHECK_KEYS)
def test_runbooks_say_what_it_means_how_to_confirm_mitigate_and_escalate(key: str) -> None:
    text = (PACKAGED_RUNBOOKS / f"{key}.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    sections = [heading.split(" (")[0] for heading in headings]
    assert sections[:4] == ["What it means", "Confirm", "Mitigate", "Escalate"]
    assert f"(`{key}`)" in text.splitlines()[0]
    assert "```promql" in text, "a runbook shows how to confirm in Prometheus"
    assert "govtui check" in text
    assert "govtui rollback <model> --to <previous-version> --reason" in text
    assert "READY" in text and "--confirm <model>" in text, "rollback guardrails are stated"
    assert text.isascii(), "plain ASCII, so --ascii consoles show runbooks unchanged"


def test_fairness_runbook_calls_four_fifths_a_convention_not_a_legal_test() -> None:
    text = (PACKAGED_RUNBOOKS / "fairness.md").read_text(encoding="utf-8")
    assert "four-fifths" in text
    assert "convention" in text
    assert "not a legal test" in text


def test_runbooks_state_the_exact_thresholds() -> None:
    read = {key: (PACKAGED_RUNBOOKS / f"{key}.md").read_text("utf-8") for key in CHECK_KEYS}
    assert "14.4" in read["slo_page"] and "| long 6h, short 30m | burn rate 6 |" in read["slo_page"]
    assert "| long 1d, short 2h | burn rate 3 |" in read["slo_ticket"]
    assert "| long 3d, short 6h | burn rate 1 |" in read["slo_ticket"]
    assert "remaining < 0.25" in read["slo_budget"] and "remaining <= 0" in read["slo_budget"]
    assert "PSI >= 0.1" in read["drift"] and "PSI >= 0.25" in read["drift"]
    assert "< 0.8" in read["fairness"] and "< 0.9" in read["fairness"]
    assert "0.02" in read["quality"] and "0.05" in read["quality"]
    assert "15 minutes" in read["source_down"]


def test_example_signals_show_their_documented_verdicts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = REPO / "sample_configs" / "minimal.yaml"
    code = main(["check", "--config", str(config), "--format", "json", "--at", "1768478400"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    models = {item["model"]: item for item in document["models"]}
    assert models["fraud-scorer"]["status"] == "ok"
    found = {
        name: {(v["check"], v["severity"]) for v in item["violations"]}
        for name, item in models.items()
    }
    assert found["credit-risk"] == {("slo_ticket", "warn"), ("fairness", "crit")}
    assert {("slo_page", "crit"), ("drift", "crit"), ("quality", "crit")} <= found[
        "churn-predictor"
    ]


def _commands(node: Any) -> list[str]:
    """Every `govtui ...` command line in a CI snippet (YAML strings, any depth)."""
    if isinstance(node, dict):
        return [command for value in node.values() for command in _commands(value)]
    if isinstance(node, list):
        return [command for value in node for command in _commands(value)]
    if isinstance(node, str):
        text = " ".join(node.split())
        return [
            match.split("||")[0].strip() for match in re.findall(r"(?:^|\s)(govtui\s[^\n;]*)", text)
        ]
    return []


@pytest.mark.parametrize("path", CI_SNIPPETS, ids=lambda path: path.name)
def test_ci_snippets_are_yaml_whose_govtui_commands_parse(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    commands = _commands(document)
    assert any("govtui check" in command and "junit" in command for command in commands)
    assert any(command.startswith("govtui config validate") for command in commands)
    parser = build_parser()
    for command in commands:
        argv = [
            "2026-01-15T12:00:00Z" if "GOVTUI_AT" in word else word
            for word in shlex.split(command.replace('"$GOVTUI_CONFIG"', "govtui.yaml"))[1:]
        ]
        parsed = parser.parse_args(argv)
        assert callable(parsed.func), command


def test_ci_snippets_exist() -> None:
    assert {path.name for path in CI_SNIPPETS} == {"github-actions.yml", "gitlab-ci.yml"}
