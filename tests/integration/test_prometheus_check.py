"""`govtui check` against the real Prometheus agrees with `govtui check --demo` on the same fleet."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

RELATIVE = 0.02
# Figures this close to zero are compared absolutely (a relative error of a tiny value says
# nothing: a PSI of 1e-7 against 2e-7 is the same verdict).
ABSOLUTE_FLOOR = 1e-4


def _agree(label: str, ours: float | None, theirs: float | None, problems: list[str]) -> None:
    if ours is None or theirs is None:
        if ours is not theirs:
            problems.append(f"{label}: prometheus {ours} vs demo {theirs}")
        return
    if abs(ours - theirs) <= ABSOLUTE_FLOOR:
        return
    if not math.isclose(ours, theirs, rel_tol=RELATIVE):
        problems.append(f"{label}: prometheus {ours:.6g} vs demo {theirs:.6g}")


def _compare(prometheus: dict[str, Any], demo: dict[str, Any]) -> tuple[list[str], int]:
    """Differences beyond tolerance, and how many figures were compared."""
    problems: list[str] = []
    compared = 0
    theirs_by_model = {model["model"]: model for model in demo["models"]}
    assert set(theirs_by_model) == {model["model"] for model in prometheus["models"]}
    for ours in prometheus["models"]:
        name = ours["model"]
        theirs = theirs_by_model[name]
        if ours["status"] != theirs["status"]:
            problems.append(f"{name}: status {ours['status']} vs demo {theirs['status']}")
        checks_ours = sorted((v["check"], v["severity"]) for v in ours["violations"])
        checks_theirs = sorted((v["check"], v["severity"]) for v in theirs["violations"])
        if checks_ours != checks_theirs:
            problems.append(f"{name}: violations {checks_ours} vs demo {checks_theirs}")
        for slo, slo_demo in zip(ours["slos"], theirs["slos"], strict=True):
            assert slo["name"] == slo_demo["name"]
            if (slo["alert"], slo["status"]) != (slo_demo["alert"], slo_demo["status"]):
                problems.append(f"{name}.{slo['name']}: alert/status differ")
            for window, rate in slo["burn_rates"].items():
                _agree(
                    f"{name}.{slo['name']}.burn[{window}]",
                    rate,
                    slo_demo["burn_rates"][window],
                    problems,
                )
                compared += 1
            _agree(
                f"{name}.{slo['name']}.budget",
                slo["error_budget_remaining"],
                slo_demo["error_budget_remaining"],
                problems,
            )
            _agree(f"{name}.{slo['name']}.sli", slo["sli"], slo_demo["sli"], problems)
            compared += 2
        features_demo = {f["feature"]: f for f in theirs["drift"]["features"]}
        assert set(features_demo) == {f["feature"] for f in ours["drift"]["features"]}
        for feature in ours["drift"]["features"]:
            other = features_demo[feature["feature"]]
            for key in ("psi", "js", "ks"):
                _agree(f"{name}.{feature['feature']}.{key}", feature[key], other[key], problems)
                compared += 1
        fairness_demo = {f["attribute"]: f for f in theirs["fairness"]}
        for attribute in ours["fairness"]:
            other = fairness_demo[attribute["attribute"]]
            for key in ("demographic_parity_ratio", "demographic_parity_difference"):
                _agree(
                    f"{name}.{attribute['attribute']}.{key}", attribute[key], other[key], problems
                )
                compared += 1
        for key in ("accuracy", "reference_accuracy"):
            _agree(f"{name}.quality.{key}", ours["quality"][key], theirs["quality"][key], problems)
            compared += 1
    return problems, compared


def test_check_against_prometheus_agrees_with_demo(stack, govtui) -> None:  # type: ignore[no-untyped-def]
    block = f"  prometheus:\n    url: {stack.url}\n    timeout: 30s\n"
    config = stack.config_file("check-prometheus.yaml", block)
    at = str(stack.at)
    from_prometheus = govtui(
        ["check", "--config", str(config), "--at", at, "--format", "json"], stack.env()
    )
    from_demo = govtui(["check", "--demo", "--at", at, "--format", "json"], stack.env())
    assert from_prometheus.returncode in (0, 1), from_prometheus.stderr
    assert from_prometheus.returncode == from_demo.returncode, from_prometheus.stderr
    ours, theirs = json.loads(from_prometheus.stdout), json.loads(from_demo.stdout)
    assert ours["status"] == theirs["status"]
    assert not [w for w in ours.get("warnings", []) if "source failed" in w], ours["warnings"]
    problems, compared = _compare(ours, theirs)
    assert compared > 300
    assert not problems, "\n".join(problems)
    statuses = {model["model"]: model["status"] for model in ours["models"]}
    assert statuses["fraud-scorer"] == "crit"
    assert "ok" in statuses.values()


def test_prometheus_source_reports_coverage_and_freshness(stack) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from govtui.config import load_config
    from govtui.sources.signals import PrometheusSignalSource
    from govtui.timeutil import parse_instant

    block = f"  prometheus:\n    url: {stack.url}\n"
    loaded = load_config(stack.config_file("coverage.yaml", block))

    async def fetch():  # type: ignore[no-untyped-def]
        async with PrometheusSignalSource(loaded) as source:
            return await source.fetch(parse_instant(stack.at))

    signals = asyncio.run(fetch())
    assert signals.failed == {}
    requests = signals.requests
    assert requests is not None
    full = requests[requests["window"].isin(["5m", "1h", "1d", "3d", "30d"])]
    assert full["coverage"].min() > 0.99
    freshness = signals.freshness
    assert freshness is not None
    stale = freshness[freshness["model"] == "price-optimizer"]["last_seen"]
    fresh = freshness[freshness["model"] == "fraud-scorer"]["last_seen"]
    assert len(stale) == 4 and (stack.at - stale).min() > 15 * 60
    assert (stack.at - fresh).max() == pytest.approx(0, abs=1)
