"""Generated rules pass promtool, load into the real Prometheus, and the fast-burn page fires."""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

from govtui.demo.prometheus_stack import find_binary


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_generated_rules_pass_promtool(stack, govtui, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rules.yaml"
    config = stack.config_file("rules.yaml", f"  prometheus:\n    url: {stack.url}\n")
    result = govtui(["rules", "--config", str(config), "--output", str(out)], stack.env())
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    check = subprocess.run(
        [find_binary("promtool"), "check", "rules", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS" in check.stdout
    printed = govtui(["rules", "--demo", "--for-page", "2m"], stack.env())
    assert printed.returncode == 0 and "for: 2m" in printed.stdout
    bad = govtui(["rules", "--demo", "--for-page", "soon"], stack.env())
    assert bad.returncode == 2 and bad.stderr.startswith("govtui: rules: --for-page")


def test_rules_load_and_fast_burn_pages(stack, wait_for) -> None:  # type: ignore[no-untyped-def]
    groups = _get(f"{stack.url}/api/v1/rules")["data"]["groups"]
    names = {group["name"] for group in groups}
    assert {"govtui-slo-availability", "govtui-slo-latency"} <= names
    assert all(rule["health"] != "err" for group in groups for rule in group["rules"])

    def firing() -> list[dict]:
        alerts = _get(f"{stack.url}/api/v1/alerts")["data"]["alerts"]
        return [
            alert
            for alert in alerts
            if alert["labels"].get("alertname") == "GovtuiSloBurnRatePage"
            and alert["labels"].get("model") == "fraud-scorer"
            and alert["state"] == "firing"
        ]

    alerts = wait_for(firing, timeout=60, what="the fast-burn page alert")
    labels = alerts[0]["labels"]
    assert labels["severity"] == "page" and labels["runbook"] == "slo_page"
    assert labels["slo"] == "availability"
    # Healthy models do not page.
    all_alerts = _get(f"{stack.url}/api/v1/alerts")["data"]["alerts"]
    paged = {a["labels"].get("model") for a in all_alerts if a["labels"]["severity"] == "page"}
    assert "churn-predictor" not in paged and "spam-filter" not in paged
