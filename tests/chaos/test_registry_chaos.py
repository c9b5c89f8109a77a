"""The MLflow registry through the fault-injecting proxy: CLI reads, gates and audited rollbacks.

While the proxy faults MLflow's answers (and the server is SIGKILLed and restarted in the
middle), `govtui versions`, `lineage`, `check --candidate` and real `rollback`s run against it.
Each exits with a code from the design's table and at most one line on stderr, never a
traceback; every rollback that acted leaves its intent record and an outcome record; the audit
chain verifies; and with faults off the registry reads the same as before.
"""

from __future__ import annotations

import json
import time
from collections import Counter

from govtui.actions.audit import AuditLog, verify
from tests.chaos.conftest import ChaosMlflow, chaos_seconds, govtui

MAX_ROUNDS = 5
ALLOWED_EXITS = {
    "versions": {0, 2},
    "lineage": {0, 2},
    "candidate": {0, 1, 2},
    "rollback": {0, 1, 2, 4},
}


def _assert_clean(result, label: str, allowed: set[int]) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode in allowed, f"{label}: exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr, f"{label}: {result.stderr[-2000:]}"
    if result.returncode == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("govtui: "), f"{label}: {result.stderr}"


def _without_aliases(text: str) -> dict[str, object]:
    """The lineage JSON without the aliases (the rollbacks moved the champion meanwhile)."""
    data = json.loads(text)
    data["model_version"].pop("aliases", None)
    return data  # type: ignore[no-any-return]


def test_registry_commands_survive_chaos(chaos_mlflow: ChaosMlflow, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mlflow = chaos_mlflow
    config = mlflow.config_file(tmp_path, "mlflow.yaml")
    env = {"GOVTUI_STATE_DIR": str(tmp_path / "state")}
    import os

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GOVTUI_")}, **env}
    base = ["--config", str(config)]
    model = mlflow.model
    commands = {
        "versions": ["versions", model, "--format", "json", *base],
        "lineage": ["lineage", f"{model}:3", "--format", "json", *base],
        "candidate": ["check", "--candidate", f"{model}:3", "--format", "json", *base],
    }
    before = {name: govtui(args, env) for name, args in commands.items()}
    for name, result in before.items():
        _assert_clean(result, f"{name} before", {0})
    exits: Counter[str] = Counter()
    mlflow.proxy.faults_on()
    try:
        started = time.monotonic()
        rounds = 0
        while rounds < MAX_ROUNDS and (rounds < 3 or time.monotonic() - started < chaos_seconds()):
            if rounds == 1:
                mlflow.kill()
            for name, args in commands.items():
                result = govtui(args, env)
                _assert_clean(result, f"{name} round {rounds}", ALLOWED_EXITS[name])
                exits[f"{name}:{result.returncode}"] += 1
            target = "3" if rounds % 2 == 0 else "2"
            rollback = govtui(
                ["rollback", model, "--to", target, "--reason", f"chaos {rounds}", "--yes", *base],
                env,
            )
            _assert_clean(rollback, f"rollback round {rounds}", ALLOWED_EXITS["rollback"])
            exits[f"rollback:{rollback.returncode}"] += 1
            if rounds == 1:
                mlflow.restart()
            rounds += 1
    finally:
        mlflow.proxy.faults_off()
        if mlflow.server.process.poll() is not None:
            mlflow.restart()
    assert any(key.endswith(":2") for key in exits), f"the chaos never failed a command: {exits}"
    after = govtui(commands["lineage"], env)
    _assert_clean(after, f"lineage after {dict(exits)} {mlflow.restarts}", {0})
    assert _without_aliases(after.stdout) == _without_aliases(before["lineage"].stdout)
    # Every rollback that acted left its intent and its outcome; the chain verifies.
    audit = tmp_path / "mlflow-audit.jsonl"
    recorded = sum(exits[f"rollback:{code}"] for code in (0, 1, 4))
    if not audit.exists():  # every rollback failed to read the registry before acting
        assert recorded == 0, f"{recorded} rollbacks acted or refused without a record: {exits}"
        return
    result = verify(audit)
    assert result.ok, result.reason
    outcomes = Counter(
        record["outcome"] for record in AuditLog(audit).records() if record["action"] == "rollback"
    )
    acted = outcomes["done"] + outcomes["failed"] + outcomes["unconfirmed"]
    assert outcomes["intent"] == acted, (outcomes, AuditLog(audit).records()[-6:])
    assert sum(outcomes.values()) >= recorded, (outcomes, dict(exits))
    print(
        f"mlflow chaos: {dict(mlflow.proxy.stats.counts)}, {mlflow.restarts}, {dict(exits)}, "
        f"audit {dict(outcomes)}"
    )
