"""`govtui check` end to end on CSV signals: verdicts, exit codes, formats, output, errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import govtui
from govtui.analysis.frames import Signals
from govtui.cli.main import main

REPO = Path(govtui.__file__).resolve().parents[1]
AT = "2026-01-15T12:00:00Z"
WINDOW_SECONDS = {
    "5m": 300,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "6h": 21600,
    "1d": 86400,
    "3d": 259200,
    "30d": 2592000,
}
BINS = ("10", "50", "100", "500", "+Inf")
REFERENCE_SHARES = (0.30, 0.30, 0.20, 0.15, 0.05)
SHIFTED_SHARES = (0.05, 0.15, 0.20, 0.30, 0.30)
ALL_FILES = ("requests", "latency", "feature_bins", "outcomes")


@dataclass
class Model:
    """What one synthetic model's signals look like; defaults are healthy."""

    requests_per_second: float = 5.0
    error_ratio: dict[str, float] = field(default_factory=dict)  # per window, default 0.0002
    slow_ratio: dict[str, float] = field(default_factory=dict)  # per window, default 0.002
    drifted_features: tuple[str, ...] = ()
    selection_rates: tuple[float, float] = (0.25, 0.26)
    accuracy: tuple[float, float] = (0.91, 0.91)  # current, reference


HEALTHY = Model()
# Burn rate 4 over 1d and 2h: a ticket (warn); budget half left.
SLOW_BURN = Model(
    error_ratio={
        **dict.fromkeys(("5m", "30m", "1h", "2h", "6h", "1d"), 0.004),
        "3d": 0.0016,
        "30d": 0.0005,
    }
)
# Parity ratio 0.6: crit.
UNFAIR = Model(selection_rates=(0.18, 0.30))


def write_signals(
    directory: Path, models: dict[str, Model], files: Iterable[str] = ALL_FILES
) -> Path:
    """Write a CSV signals directory for the given models (only the files asked for)."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = set(files)
    rows: dict[str, list[list[Any]]] = {name: [] for name in ALL_FILES}
    for name, spec in models.items():
        for window, seconds in WINDOW_SECONDS.items():
            total = round(spec.requests_per_second * seconds)
            errors = round(total * spec.error_ratio.get(window, 0.0002))
            fast = total - round(total * spec.slow_ratio.get(window, 0.002))
            rows["requests"].append([name, window, total, errors])
            rows["latency"].append([name, window, total, fast])
        for feature in ("amount", "tenure"):
            current = SHIFTED_SHARES if feature in spec.drifted_features else REFERENCE_SHARES
            for bound, reference_share, current_share in zip(
                BINS, REFERENCE_SHARES, current, strict=True
            ):
                rows["feature_bins"].append(
                    [
                        name,
                        feature,
                        "numeric",
                        bound,
                        round(10000 * reference_share),
                        round(2000 * current_share),
                    ]
                )
        for window, accuracy in zip(("current", "reference"), spec.accuracy, strict=True):
            for group, rate in zip(("f", "m"), spec.selection_rates, strict=True):
                for prediction, count in ((1, 1000 * rate), (0, 1000 * (1 - rate))):
                    correct = round(count * accuracy)
                    wrong = round(count) - correct
                    positive, negative = (correct, wrong) if prediction else (wrong, correct)
                    rows["outcomes"] += [
                        [name, window, "sex", group, prediction, 1, positive],
                        [name, window, "sex", group, prediction, 0, negative],
                    ]
    headers = {
        "requests": ["model", "window", "total", "errors"],
        "latency": ["model", "window", "total", "fast"],
        "feature_bins": ["model", "feature", "kind", "bin", "reference", "current"],
        "outcomes": ["model", "window", "attribute", "group", "prediction", "label", "count"],
    }
    for name in ALL_FILES:
        if name not in wanted:
            continue
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers[name])
            writer.writerows(rows[name])
    return directory


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No config of the machine, no GOVTUI_* variable, state in the test's directory."""
    for name in list(os.environ):
        if name.startswith("GOVTUI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(capsys, "check", "--at", AT, "--format", "json", *argv)
    assert err == "", err
    return code, json.loads(out)


def by_model(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {model["model"]: model for model in document["models"]}


# --- exit codes -------------------------------------------------------------------------------


def test_healthy_fleet_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY, "b": HEALTHY})
    code, out, err = run(capsys, "check", "--signals", str(signals), "--at", AT)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].endswith(": PASS")


def test_crit_model_exits_1_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"fair": HEALTHY, "unfair": UNFAIR})
    code, document = check_json(capsys, "--signals", str(signals))
    assert code == 1
    models = by_model(document)
    assert models["unfair"]["status"] == "crit"
    assert models["fair"]["status"] == "ok"
    assert document["gate"] == {"fail_on": "crit", "passed": False, "failing_models": ["unfair"]}
    (violation,) = models["unfair"]["violations"]
    assert violation["check"] == "fairness" and violation["severity"] == "crit"
    assert violation["value"] == pytest.approx(0.6)


def test_fail_on_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signals = str(write_signals(tmp_path / "signals", {"slow": SLOW_BURN, "ok": HEALTHY}))
    code, document = check_json(capsys, "--signals", signals)
    assert code == 0
    assert by_model(document)["slow"]["status"] == "warn"
    assert by_model(document)["slow"]["slos"][0]["alert"] == "ticket"
    assert check_json(capsys, "--signals", signals, "--fail-on", "crit")[0] == 0
    assert check_json(capsys, "--signals", signals, "--fail-on", "warn")[0] == 1
    assert check_json(capsys, "--signals", signals, "--fail-on", "unknown")[0] == 1


def test_unknown_fails_only_at_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signals = write_signals(
        tmp_path / "signals", {"a": HEALTHY}, files=("requests", "latency", "feature_bins")
    )
    code, document = check_json(capsys, "--signals", str(signals))
    assert code == 0
    model = by_model(document)["a"]
    assert model["status"] == "unknown"
    assert model["quality"]["status"] == "unknown"
    assert model["fairness"] == [] or all(f["status"] == "unknown" for f in model["fairness"])
    assert check_json(capsys, "--signals", str(signals), "--fail-on", "warn")[0] == 0
    assert check_json(capsys, "--signals", str(signals), "--fail-on", "unknown")[0] == 1


def test_absent_file_makes_only_its_checks_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY}, files=("requests", "outcomes"))
    code, document = check_json(capsys, "--signals", str(signals))
    model = by_model(document)["a"]
    slos = {slo["name"]: slo for slo in model["slos"]}
    assert slos["availability"]["status"] == "ok"
    assert slos["latency"]["status"] == "unknown"
    assert model["drift"]["status"] == "unknown"
    assert model["quality"]["status"] == "ok"
    assert {item["status"] for item in model["fairness"]} == {"ok"}
    assert any("latency.csv absent" in warning for warning in document["warnings"])
    assert code == 0


def test_model_with_no_computable_check_fails_at_every_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY}, files=("requests",))
    # `ghost` appears only in a file that feeds no check: nothing about it can be computed.
    (signals / "series.csv").write_text(
        "model,signal,timestamp,value\nghost,accuracy,1768478400,0.9\n", encoding="utf-8"
    )
    for level in ("crit", "warn", "unknown"):
        code, document = check_json(capsys, "--signals", str(signals), "--fail-on", level)
        assert code == 1, level
        failing = document["gate"]["failing_models"]
        assert "ghost" in failing
        # `a` has unknown checks too, but not all of them: it fails only at `unknown`.
        assert ("a" in failing) == (level == "unknown")
        assert by_model(document)["ghost"]["status"] == "unknown"


def test_no_config_no_demo_no_signals_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check")
    assert code == 2 and out == ""
    assert err.startswith("govtui: check: no config found")
    assert "--demo" in err and "--signals" in err
    assert err.count("\n") == 1


def test_keyboard_interrupt_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import govtui.analysis.evaluate as evaluate

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate, "evaluate_fleet", interrupted)
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY})
    code, _, err = run(capsys, "check", "--signals", str(signals))
    assert code == 130
    assert err == "govtui: interrupted\n"


def test_malformed_csv_is_one_line_exit_2_without_traceback(tmp_path: Path) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY})
    lines = (signals / "requests.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = "a,1h,lots,0"
    (signals / "requests.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "govtui", "check", "--signals", str(signals), "--at", AT],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (f"govtui: {signals / 'requests.csv'}:4: total: not a number: 'lots'\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model,window,total\na,1h,1\n", "requests.csv:1: errors: missing column"),
        ("model,window,total,errors\na,1h,-3,0\n", "requests.csv:2: total: negative count -3"),
    ],
)
def test_bad_csv_through_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY})
    (signals / "requests.csv").write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "check", "--signals", str(signals))
    assert code == 2 and out == ""
    assert expected in err and err.count("\n") == 1


def test_unknown_model_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"fraud-scorer": HEALTHY})
    code, out, err = run(capsys, "check", "--signals", str(signals), "--model", "fraud-scorr")
    assert code == 2 and out == ""
    assert "--model 'fraud-scorr': no such model" in err
    assert "did you mean fraud-scorer" in err


def test_bad_at_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY})
    code, _, err = run(capsys, "check", "--signals", str(signals), "--at", "tomorrow")
    assert code == 2
    assert err.startswith("govtui: --at: invalid time 'tomorrow'")


def test_demo_and_signals_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "--demo", "--signals", "x")
    assert code == 2
    assert "not allowed with argument" in err


# --- selection, time, config ----------------------------------------------------------------


def test_model_filter_keeps_only_the_named_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = str(write_signals(tmp_path / "signals", {"a": HEALTHY, "b": UNFAIR, "c": HEALTHY}))
    code, document = check_json(capsys, "--signals", signals, "--model", "a", "--model", "c")
    assert code == 0
    assert sorted(by_model(document)) == ["a", "c"]
    assert document["status"] == "ok"
    code, document = check_json(capsys, "--signals", signals, "--model", "b")
    assert code == 1 and list(by_model(document)) == ["b"]


def test_at_works_before_and_after_the_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = str(write_signals(tmp_path / "signals", {"a": HEALTHY}))
    code, out, _ = run(
        capsys, "--at", "1768478400", "check", "--signals", signals, "--format", "json"
    )
    assert (code, json.loads(out)["evaluated_at"]) == (0, AT)
    code, out, _ = run(
        capsys,
        "check",
        "--signals",
        signals,
        "--format",
        "json",
        "--at",
        "2026-01-15T13:00:00+01:00",
    )
    assert (code, json.loads(out)["evaluated_at"]) == (0, AT)


def test_config_signals_dir_relative_to_config_and_policy_fail_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_signals(tmp_path / "project" / "signals", {"slow": SLOW_BURN})
    config = tmp_path / "project" / "govtui.yaml"
    config.write_text("sources:\n  signals_dir: signals\npolicy:\n  fail_on: warn\n", "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    code, out, err = run(capsys, "check", "--config", str(config), "--at", AT)
    assert (code, err) == (1, "")
    assert "--fail-on warn" in out
    code, _, _ = run(capsys, "check", "--config", str(config), "--at", AT, "--fail-on", "crit")
    assert code == 0


def test_discovered_config_in_cwd_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_signals(tmp_path / "signals", {"unfair": UNFAIR})
    (tmp_path / "govtui.yaml").write_text("sources:\n  signals_dir: signals\n", "utf-8")
    code, document = check_json(capsys)
    assert code == 1
    assert list(by_model(document)) == ["unfair"]


def test_config_thresholds_apply_to_signals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"unfair": UNFAIR})
    config = tmp_path / "lenient.yaml"
    config.write_text("fairness:\n  crit_ratio: 0.5\n  warn_ratio: 0.55\n", "utf-8")
    code, document = check_json(capsys, "--config", str(config), "--signals", str(signals))
    assert code == 0
    assert by_model(document)["unfair"]["status"] == "ok"


def test_config_models_section_selects_and_refuses_excluded_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY, "b": UNFAIR})
    config = tmp_path / "govtui.yaml"
    config.write_text("models:\n  exclude: [b]\n", "utf-8")
    code, document = check_json(capsys, "--signals", str(signals))
    assert code == 0 and list(by_model(document)) == ["a"]
    code, _, err = run(capsys, "check", "--signals", str(signals), "--model", "b")
    assert code == 2
    assert "--model 'b': excluded by the config" in err


def test_broken_config_exits_2_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "govtui.yaml"
    config.write_text("sources:\n  signals_dir: signals\n  prometeus: {}\n", "utf-8")
    code, out, err = run(capsys, "check")
    assert code == 2 and out == ""
    assert err == f"govtui: {config}:3: sources.prometeus: unknown key\n"


def test_config_without_a_source_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "govtui.yaml"
    config.write_text("ui:\n  theme: dark\n", "utf-8")
    code, _, err = run(capsys, "check", "--config", str(config))
    assert code == 2
    assert "configures no signal source" in err


def test_prometheus_config_without_the_prometheus_source_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "govtui.sources.signals", None)
    config = tmp_path / "govtui.yaml"
    config.write_text("sources:\n  prometheus:\n    url: http://127.0.0.1:9\n", "utf-8")
    code, _, err = run(capsys, "check", "--config", str(config))
    assert code == 2
    assert err.startswith("govtui: check: reading signals from Prometheus is not available")


def test_prometheus_config_uses_the_signals_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from govtui.sources.files import read_signals_dir

    directory = write_signals(tmp_path / "signals", {"remote": UNFAIR})
    calls: list[Any] = []

    class FakeSource:
        """Stands in for PrometheusSignalSource: records what check asks for."""

        def __init__(self, loaded: Any) -> None:
            calls.append(("url", loaded.config.sources.prometheus.url))

        async def __aenter__(self) -> FakeSource:
            return self

        async def __aexit__(self, *exc_info: object) -> None:
            calls.append(("closed", True))

        async def fetch(self, at: Any, *, kinds: Any = None) -> Signals:
            calls.append(("fetch", at.timestamp(), tuple(kinds)))
            return read_signals_dir(directory)

    module = types.ModuleType("govtui.sources.signals")
    module.PrometheusSignalSource = FakeSource  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "govtui.sources.signals", module)
    config = tmp_path / "govtui.yaml"
    config.write_text("sources:\n  prometheus:\n    url: http://127.0.0.1:9\n", "utf-8")
    code, document = check_json(capsys, "--config", str(config))
    assert code == 1
    assert list(by_model(document)) == ["remote"]
    assert calls[0] == ("url", "http://127.0.0.1:9")
    assert calls[1][:2] == ("fetch", 1768478400)
    assert "series" not in calls[1][2] and "requests" in calls[1][2]
    assert calls[2] == ("closed", True)


def test_prometheus_unreachable_exits_2_naming_the_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "govtui.yaml"
    config.write_text(
        "sources:\n  prometheus:\n    url: http://127.0.0.1:9\n    timeout: 2s\n    retries: 0\n",
        "utf-8",
    )
    code, out, err = run(capsys, "check", "--config", str(config), "--at", AT)
    assert code == 2 and out == ""
    assert err.startswith("govtui: prometheus")
    assert err.count("\n") == 1


# --- formats and output ---------------------------------------------------------------------

SLO_KEYS = {
    "name",
    "kind",
    "objective",
    "sli",
    "error_budget_remaining",
    "coverage",
    "burn_rates",
    "alert",
    "status",
}
MODEL_KEYS = {
    "model",
    "version",
    "status",
    "reasons",
    "slos",
    "drift",
    "fairness",
    "quality",
    "violations",
}


def test_json_follows_the_check_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = {
        "a": HEALTHY,
        "b": UNFAIR,
        "c": Model(drifted_features=("amount",), accuracy=(0.80, 0.91)),
    }
    signals = write_signals(tmp_path / "signals", models)
    code, document = check_json(capsys, "--signals", str(signals))
    assert code == 1
    assert document["schema"] == "govtui.check/v1"
    assert document["evaluated_at"] == AT
    assert document["status"] == "crit"
    statuses = {"ok", "warn", "crit", "unknown"}
    for model in document["models"]:
        assert set(model) >= MODEL_KEYS
        assert model["status"] in statuses
        assert isinstance(model["reasons"], list)
        for slo in model["slos"]:
            assert set(slo) >= SLO_KEYS
            assert slo["kind"] in ("availability", "latency")
            assert set(slo["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
            assert slo["alert"] in ("page", "ticket", "none")
            assert slo["status"] in statuses
        assert {"features", "drifted_share", "status"} <= set(model["drift"])
        for feature in model["drift"]["features"]:
            assert {"feature", "psi", "js", "ks", "status"} <= set(feature)
        for item in model["fairness"]:
            assert {
                "attribute",
                "groups",
                "demographic_parity_difference",
                "demographic_parity_ratio",
                "equal_opportunity_difference",
                "equalized_odds_difference",
                "status",
            } <= set(item)
            for group in item["groups"]:
                assert {"group", "count", "selection_rate", "tpr", "fpr", "sufficient"} <= set(
                    group
                )
        assert {"accuracy", "reference_accuracy", "status"} <= set(model["quality"])
        for violation in model["violations"]:
            assert {"check", "subject", "value", "threshold", "severity", "message"} <= set(
                violation
            )
            assert violation["check"] in {
                "slo_page",
                "slo_ticket",
                "slo_budget",
                "drift",
                "fairness",
                "quality",
                "source_down",
            }
    checks = {v["check"] for v in by_model(document)["c"]["violations"]}
    assert {"drift", "quality"} <= checks
    # Sorted as the design says: worst first, then name.
    assert [model["model"] for model in document["models"]][-1] == "a"


def test_text_is_plain_and_lists_violations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"ok-model": HEALTHY, "bad-model": UNFAIR})
    code, out, _ = run(capsys, "check", "--signals", str(signals), "--at", AT)
    assert code == 1
    assert "\x1b" not in out
    lines = out.splitlines()
    assert (
        lines[0] == f"govtui check at {AT}: fleet crit, 1 of 2 models fail at --fail-on crit: FAIL"
    )
    assert lines[2].split() == ["MODEL", "VERSION", "STATUS", "GATE", "REASONS"]
    assert lines[3].split()[:4] == ["bad-model", "-", "crit", "FAIL"]
    assert lines[4].split()[:4] == ["ok-model", "-", "ok", "pass"]
    assert "VIOLATIONS" in lines
    assert any(line.startswith("crit") and "fairness" in line for line in lines)


def test_output_is_written_and_summary_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"b": UNFAIR})
    target = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "check",
        "--signals",
        str(signals),
        "--at",
        AT,
        "--format",
        "json",
        "--output",
        str(target),
    )
    assert (code, err) == (1, "")
    assert json.loads(target.read_text(encoding="utf-8"))["schema"] == "govtui.check/v1"
    assert out.startswith(f"govtui check at {AT}")
    code, out, _ = run(
        capsys, "check", "--signals", str(signals), "--output", str(target), "--quiet"
    )
    assert code == 1 and out == ""
    assert target.read_text(encoding="utf-8").startswith("govtui check at ")
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".report")]


def test_output_failure_leaves_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"b": UNFAIR})
    target = tmp_path / "out" / "report.xml"
    target.parent.mkdir()
    target.write_text("<previous/>", encoding="utf-8")

    def no_space(source: Any, destination: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    code, out, err = run(
        capsys, "check", "--signals", str(signals), "--format", "junit", "--output", str(target)
    )
    assert code == 2 and out == ""
    assert err == f"govtui: {target}: cannot write: No space left on device\n"
    assert target.read_text(encoding="utf-8") == "<previous/>"
    assert [path.name for path in target.parent.iterdir()] == ["report.xml"]


def test_output_into_missing_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY})
    code, _, err = run(
        capsys, "check", "--signals", str(signals), "--output", str(tmp_path / "no" / "r.txt")
    )
    assert code == 2 and "does not exist" in err


# JUnit: the element and attribute names of the Jenkins/Ant JUnit XSD that we emit.
JUNIT_ATTRIBUTES = {
    "testsuites": {"name", "tests", "failures", "errors", "skipped", "time"},
    "testsuite": {"name", "tests", "failures", "errors", "skipped", "time", "timestamp"},
    "properties": set(),
    "property": {"name", "value"},
    "testcase": {"name", "classname", "time"},
    "failure": {"message", "type"},
    "skipped": {"message"},
    "system-out": set(),
}
JUNIT_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"properties", "testcase"},
    "properties": {"property"},
    "testcase": {"failure", "skipped", "system-out"},
}


def validate_junit(text: str) -> ET.Element:
    """Structural JUnit validation: names, required attributes, counts that add up."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    for element in root.iter():
        assert element.tag in JUNIT_ATTRIBUTES, element.tag
        assert set(element.attrib) <= JUNIT_ATTRIBUTES[element.tag], element.tag
        for child in element:
            assert child.tag in JUNIT_CHILDREN.get(element.tag, set()), (element.tag, child.tag)
    for element in root.iter("testsuite"):
        assert set(element.attrib) == JUNIT_ATTRIBUTES["testsuite"]
        children = [child.tag for child in element]
        assert children[0] == "properties" and children.count("properties") == 1
        cases = element.findall("testcase")
        assert int(element.get("tests", "-1")) == len(cases)
        assert int(element.get("failures", "-1")) == len(element.findall("testcase/failure"))
        assert int(element.get("skipped", "-1")) == len(element.findall("testcase/skipped"))
        assert element.get("errors") == "0"
        for case in cases:
            assert case.get("name") and case.get("classname")
            outcome = [child.tag for child in case if child.tag in ("failure", "skipped")]
            assert len(outcome) <= 1
    assert int(root.get("tests", "-1")) == len(root.findall("testsuite/testcase"))
    assert int(root.get("failures", "-1")) == len(root.findall("testsuite/testcase/failure"))
    assert int(root.get("skipped", "-1")) == len(root.findall("testsuite/testcase/skipped"))
    return root


def test_junit_has_a_suite_per_model_and_a_case_per_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(
        tmp_path / "signals", {"ok": HEALTHY, "unfair": UNFAIR, "slow": SLOW_BURN}
    )
    code, out, _ = run(capsys, "check", "--signals", str(signals), "--at", AT, "--format", "junit")
    assert code == 1
    root = validate_junit(out)
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"ok", "unfair", "slow"}
    names = [case.get("name") for case in suites["ok"].findall("testcase")]
    assert names == [
        "slo:availability",
        "slo:latency",
        "drift",
        "fairness:sex",
        "quality",
        "source",
    ]
    (failure,) = suites["unfair"].findall("testcase/failure")
    assert failure.get("type") == "crit"
    assert "four-fifths" in (failure.get("message") or "")
    assert not suites["ok"].findall("testcase/failure")
    assert not suites["slow"].findall("testcase/failure")  # warn does not fail at crit
    code, out, _ = run(
        capsys,
        "check",
        "--signals",
        str(signals),
        "--at",
        AT,
        "--format",
        "junit",
        "--fail-on",
        "warn",
    )
    root = validate_junit(out)
    slow = next(suite for suite in root.findall("testsuite") if suite.get("name") == "slow")
    (failure,) = slow.findall("testcase/failure")
    assert failure.get("type") == "warn"


def test_junit_skips_unknown_checks_unless_nothing_was_computed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signals = write_signals(tmp_path / "signals", {"a": HEALTHY}, files=("requests",))
    (signals / "series.csv").write_text(
        "model,signal,timestamp,value\nghost,accuracy,1768478400,0.9\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "check", "--signals", str(signals), "--at", AT, "--format", "junit")
    assert code == 1
    root = validate_junit(out)
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    a_skipped = {
        case.get("name")
        for case in suites["a"].findall("testcase")
        if case.find("skipped") is not None
    }
    assert {"slo:latency", "drift", "quality"} <= a_skipped
    assert not suites["a"].findall("testcase/failure")
    ghost_failed = {
        case.get("name")
        for case in suites["ghost"].findall("testcase")
        if case.find("failure") is not None
    }
    assert {"slo:availability", "slo:latency", "drift", "quality"} <= ghost_failed
    assert not suites["ghost"].findall("testcase/skipped")


def test_junit_escapes_hostile_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "a<b>&\"c'\x07"
    signals = write_signals(tmp_path / "signals", {name: UNFAIR})
    code, out, _ = run(capsys, "check", "--signals", str(signals), "--at", AT, "--format", "junit")
    assert code == 1
    root = validate_junit(out)
    assert root.find("testsuite").get("name") == "a<b>&\"c'\\x07"  # type: ignore[union-attr]
    code, out, _ = run(capsys, "check", "--signals", str(signals), "--at", AT)
    assert "\x07" not in out and "\\x07" in out


def test_versions_come_from_a_configured_file_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from govtui.demo.registry import build_demo_document
    from govtui.sources.registry.file import FileRegistry
    from govtui.timeutil import parse_instant

    document = build_demo_document(models=2, seed=7, anchor=parse_instant(AT))
    registry = FileRegistry.create(tmp_path / "registry.yaml", document)
    names = [model.name for model in registry.list_models()]
    write_signals(tmp_path / "signals", dict.fromkeys([*names, "unregistered"], HEALTHY))
    config = tmp_path / "govtui.yaml"
    config.write_text(
        "sources:\n  signals_dir: signals\n  registry:\n    kind: file\n    path: registry.yaml\n",
        "utf-8",
    )
    code, result = check_json(capsys, "--config", str(config))
    assert code == 0
    versions = {name: item["version"] for name, item in by_model(result).items()}
    for name in names:
        champion = registry.get_alias(name, "champion")
        assert champion is not None and versions[name] == champion.version
    assert versions["unregistered"] is None
    (tmp_path / "registry.yaml").unlink()
    code, _, err = run(capsys, "check", "--config", str(config))
    assert code == 2
    assert err.startswith("govtui: registry: ") and "file registry not found" in err
