"""Rollback against the file registry, through `govtui rollback`: happy path, dry run, each
guardrail, a concurrent move, registry failures mid-way and read-only; every case checks the
audit records it leaves and the exit code. Plus the default-target rule and the demo healing."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govtui.actions.audit import AuditLog, verify
from govtui.actions.rollback import plan_rollback, previous_champion, previous_champion_ref
from govtui.cli import rollback as rollback_cli
from govtui.cli.main import main
from govtui.config import Config
from govtui.errors import ReadOnlyRefused, RegistryError
from govtui.sources.registry.base import ModelVersion
from govtui.sources.registry.file import FileRegistry

DIGEST = "sha256:" + "cd" * 32
MODEL = "fraud"


def _run(run_id: str, *, code: str = "abc123") -> dict[str, Any]:
    return {
        "params": {"max_depth": "6"},
        "metrics": {"auc": 0.91, "accuracy": 0.88},
        "code_version": code,
        "datasets": ["lake.tx"],
        "features": [{"feature": "amount", "source_columns": ["lake.tx.amount"]}],
    }


def _version(
    version: str, status: str = "READY", gate: str | None = "passed", run: str | None = None
) -> dict[str, Any]:
    tags = {"govtui.gate": gate} if gate is not None else {}
    return {"version": version, "status": status, "run_id": run or f"run-{version}", "tags": tags}


def _document() -> dict[str, Any]:
    history = [
        {"alias": "champion", "to_version": "1", "time": "2026-01-01T00:00:00Z"},
        {
            "alias": "champion",
            "from_version": "1",
            "to_version": "2",
            "time": "2026-02-01T00:00:00Z",
        },
        {"alias": "challenger", "to_version": "5", "time": "2026-02-15T00:00:00Z"},
        {
            "alias": "champion",
            "from_version": "2",
            "to_version": "3",
            "time": "2026-03-01T00:00:00Z",
        },
        {
            "alias": "champion",
            "from_version": "3",
            "to_version": "4",
            "time": "2026-03-02T00:00:00Z",
        },
    ]
    versions = [
        _version("1", "ARCHIVED"),
        _version("2"),
        _version("3"),
        _version("4"),
        _version("5", "PENDING", gate=None),
        _version("6", gate="failed 2026-03-03T00:00:00Z accuracy 0.71 < 0.8"),
        _version("7", gate=None),
        _version("8", run="run-nocode"),
    ]
    model = {
        "deployment": "fraud-prod",
        "aliases": {"champion": "4", "challenger": "5"},
        "alias_history": history,
        "versions": versions,
    }
    runs = {f"run-{v}": _run(f"run-{v}") for v in "1234567"}
    runs["run-nocode"] = _run("run-nocode", code="")
    return {
        "models": {MODEL: model, "payments": {**model, "deployment": "payments-prod"}},
        "runs": runs,
        "datasets": {"lake.tx": {"digest": DIGEST, "source": "s3://lake/tx", "schema": ["amount"]}},
    }


class Setup:
    """A config, file registry and audit log in a temp dir."""

    def __init__(self, root: Path, extra: str = "") -> None:
        self.root = root
        self.registry_path = root / "registry.yaml"
        FileRegistry.create(self.registry_path, _document())
        self.audit_path = root / "audit.jsonl"
        self.config = root / "govtui.yaml"
        self.config.write_text(
            "sources:\n  registry:\n    kind: file\n    path: registry.yaml\n"
            "models:\n  protected: [payments]\n"
            f"audit:\n  path: audit.jsonl\n{extra}",
            encoding="utf-8",
        )

    @property
    def registry(self) -> FileRegistry:
        return FileRegistry(self.registry_path)

    def champion(self, model: str = MODEL) -> str | None:
        found = self.registry.get_alias(model, "champion")
        return found.version if found else None

    def records(self) -> list[dict[str, Any]]:
        return AuditLog(self.audit_path).records() if self.audit_path.exists() else []

    def outcomes(self) -> list[str]:
        return [record["outcome"] for record in self.records()]

    def rollback(self, *args: str, root_args: tuple[str, ...] = ()) -> int:
        return main([*root_args, "--config", str(self.config), "rollback", *args])


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Setup:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: no prompt
    return Setup(tmp_path)


def _last_error(setup: Setup) -> str:
    return str(setup.records()[-1]["params"].get("error", ""))


# -- happy path and dry run -------------------------------------------------------------------


def test_happy_path_moves_reads_back_and_records_intent_and_done(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    code = setup.rollback(MODEL, "--reason", "v4 burns the budget", "--yes")
    out = capsys.readouterr().out
    assert code == 0
    assert setup.champion() == "3"
    assert "champion moved 4 -> 3 (read back 3" in out
    assert "alias moved; watch traffic in the console or with --watch" in out
    assert "ok    gate passed" in out and "auc 0.91" in out
    records = setup.records()
    assert [r["outcome"] for r in records] == ["intent", "done"]
    assert all(r["action"] == "rollback" and r["target"] == MODEL for r in records)
    params = records[1]["params"]
    assert (params["from"], params["to"], params["reason"]) == ("4", "3", "v4 burns the budget")
    assert params["read_back"] == "3"
    assert params["evidence"]["versions"] == {"alias": "champion", "from": "4", "to": "3"}
    assert params["evidence"]["target_metrics"]["auc"] == "0.91"  # no floats in records
    assert str(params["evidence"]["checks"]).startswith("unavailable")  # no signals configured
    assert {item["name"] for item in params["checklist"]} >= {"gate passed", "lineage complete"}
    move = setup.registry.alias_history(MODEL)[-1]
    assert (move.from_version, move.to_version, move.reason) == ("4", "3", "v4 burns the budget")
    assert "@" in move.actor
    assert verify(setup.audit_path).ok


def test_dry_run_writes_one_record_and_moves_nothing(setup: Setup) -> None:
    assert setup.rollback(MODEL, "--reason", "r", "--dry-run") == 0
    assert setup.champion() == "4"
    assert setup.outcomes() == ["dry-run"]


def test_json_output(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.rollback(MODEL, "--to", "2", "--reason", "r", "--yes", "--format", "json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "govtui.rollback/v1"
    assert (document["from"], document["to"], document["outcome"]) == ("4", "2", "done")
    assert document["records"] == [1, 2] and document["read_back"] == "2"


def test_refusal_in_json_still_prints_the_document(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.rollback(MODEL, "--to", "6", "--reason", "r", "--yes", "--format", "json") == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["outcome"] == "refused" and document["records"] == [1]
    assert captured.err.startswith("govtui: rollback of fraud refused: gate passed")


# -- each guardrail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--to", "99"), "target exists: model 'fraud' has no version '99'"),
        (("--to", "5"), "target READY: status is PENDING"),
        (("--to", "1"), "target READY: status is ARCHIVED"),
        (("--to", "4"), "not the current: champion already points at 4"),
        (("--to", "6"), "gate passed: recorded gate is 'failed 2026-03-03T00:00:00Z"),
        (
            ("--to", "7"),
            "gate passed: no recorded gate (govtui check --candidate fraud:7 --record)",
        ),
        (("--to", "8"), "lineage complete: gaps: training run has no code version"),
        (("--expect-current", "3"), "expected current: champion is at 4, not the expected 3"),
    ],
)
def test_each_guardrail_refuses_with_exit_1_and_one_record(
    setup: Setup, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], reason: str
) -> None:
    code = setup.rollback(MODEL, *args, "--reason", "r", "--yes")
    err = capsys.readouterr().err
    assert code == 1
    assert reason in err
    assert setup.champion() == "4"
    assert setup.outcomes() == ["refused"]
    assert reason in _last_error(setup)


def test_guardrail_refusal_in_a_dry_run_exits_1(setup: Setup) -> None:
    assert setup.rollback(MODEL, "--to", "5", "--reason", "r", "--dry-run") == 1
    assert setup.outcomes() == ["refused"]
    assert setup.records()[0]["params"]["dry_run"] is True


def test_gate_and_lineage_not_required_when_configured_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    extra = "actions:\n  rollback:\n    require_gate: false\n    require_complete_lineage: false\n"
    setup = Setup(tmp_path, extra)
    assert setup.rollback(MODEL, "--to", "6", "--reason", "r", "--yes") == 0
    assert setup.champion() == "6"
    assert setup.rollback(MODEL, "--to", "8", "--reason", "r", "--yes") == 0
    assert setup.champion() == "8"
    checklist = setup.records()[-1]["params"]["checklist"]
    lineage = next(item for item in checklist if item["name"] == "lineage complete")
    assert lineage["ok"] is None and "not required" in lineage["detail"]


def test_protected_model_needs_confirm_and_yes_does_not_replace_it(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup.rollback("payments", "--reason", "r", "--yes") == 1
    assert "protected model: needs --confirm payments" in capsys.readouterr().err
    assert setup.rollback("payments", "--reason", "r", "--confirm", "fraud") == 1
    assert "does not match the model name" in capsys.readouterr().err
    assert setup.champion("payments") == "4"
    assert setup.rollback("payments", "--reason", "r", "--confirm", "payments") == 0
    assert setup.champion("payments") == "3"
    assert setup.outcomes() == ["refused", "refused", "intent", "done"]


def test_no_terminal_and_no_yes_refuses(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.rollback(MODEL, "--reason", "r") == 1
    assert "confirmation required: --yes" in capsys.readouterr().err
    assert setup.outcomes() == ["refused"] and setup.champion() == "4"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("typed", "code", "champion"), [("fraud\n", 0, "3"), ("no\n", 1, "4")])
def test_terminal_prompt_asks_for_the_model_name(
    setup: Setup,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    typed: str,
    code: int,
    champion: str,
) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(typed))
    assert setup.rollback(MODEL, "--reason", "r") == code
    assert "type the model name (fraud)" in capsys.readouterr().out
    assert setup.champion() == champion


def test_empty_reason_is_a_usage_error(setup: Setup) -> None:
    assert setup.rollback(MODEL, "--reason", "  ", "--yes") == 2
    assert setup.records() == []


def test_unknown_model_is_a_usage_error(setup: Setup) -> None:
    assert setup.rollback("nope", "--reason", "r", "--yes") == 2


# -- concurrent move, registry failures, read-only ------------------------------------------


class Wrapped:
    """A registry wrapper: hooks around set_alias/get_alias, counts mutating calls."""

    MUTATING = ("set_alias", "set_version_tag", "delete_alias")

    def __init__(self, inner: FileRegistry) -> None:
        self.inner = inner
        self.mutating_calls = 0
        self.get_alias_calls = 0
        self.before_get_alias: Callable[[int], None] | None = None
        self.set_alias_hook: Callable[..., None] | None = None
        self.read_back_override: Callable[[int], ModelVersion | None] | None = None

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name in self.MUTATING and name != "set_alias":

            def counted(*args: Any, **kwargs: Any) -> Any:
                self.mutating_calls += 1
                return attribute(*args, **kwargs)

            return counted
        return attribute

    def get_alias(self, model: str, alias: str = "champion") -> ModelVersion | None:
        self.get_alias_calls += 1
        if self.before_get_alias is not None:
            self.before_get_alias(self.get_alias_calls)
        if self.read_back_override is not None and self.get_alias_calls >= 3:
            return self.read_back_override(self.get_alias_calls)
        return self.inner.get_alias(model, alias)

    def set_alias(self, model: str, alias: str, version: str, **kwargs: Any) -> None:
        self.mutating_calls += 1
        if self.set_alias_hook is not None:
            self.set_alias_hook(model, alias, version, **kwargs)
        else:
            self.inner.set_alias(model, alias, version, **kwargs)


@pytest.fixture
def wrapped(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> Wrapped:
    registry = Wrapped(setup.registry)
    monkeypatch.setattr(rollback_cli, "open_registry", lambda *args: registry)
    return registry


def test_concurrent_move_between_plan_and_execute_is_refused(
    setup: Setup, wrapped: Wrapped, capsys: pytest.CaptureFixture[str]
) -> None:
    def someone_else_moves(call: int) -> None:
        if call == 2:  # the re-read right before the move
            FileRegistry(setup.registry_path).set_alias(MODEL, "champion", "2", actor="bob")

    wrapped.before_get_alias = someone_else_moves
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 1
    assert "concurrent move: champion is now at 2, not 4 as planned" in capsys.readouterr().err
    assert setup.outcomes() == ["intent", "refused"]
    assert setup.champion() == "2"  # the other operator's move stands
    assert wrapped.mutating_calls == 0


def test_registry_failure_mid_way_exits_4_with_intent_and_failed(
    setup: Setup, wrapped: Wrapped, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RegistryError(
            "registry", "connection reset while writing", error_code="INTERNAL_ERROR"
        )

    wrapped.set_alias_hook = broken
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 4
    captured = capsys.readouterr()
    assert "rollback of fraud failed: registry error: registry: connection reset" in captured.err
    assert "rolled back" not in captured.out and "alias moved" not in captured.out
    assert setup.outcomes() == ["intent", "failed"]
    assert setup.records()[-1]["params"]["read_back"] == "4"
    assert setup.champion() == "4"


def test_read_back_that_lies_is_never_reported_done(
    setup: Setup, wrapped: Wrapped, capsys: pytest.CaptureFixture[str]
) -> None:
    wrapped.set_alias_hook = lambda *args, **kwargs: None  # accepted, but nothing moves
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 4
    assert "read-back shows champion at 4, not 3" in capsys.readouterr().err
    assert setup.outcomes() == ["intent", "failed"]


def test_move_that_raises_after_moving_is_unconfirmed(setup: Setup, wrapped: Wrapped) -> None:
    def half_done(model: str, alias: str, version: str, **kwargs: Any) -> None:
        setup.registry.set_alias(model, alias, version, **kwargs)
        raise RegistryError("mlflow", "history tag write failed")

    wrapped.set_alias_hook = half_done
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 4
    assert setup.outcomes() == ["intent", "unconfirmed"]
    assert "alias-history entry may be missing" in _last_error(setup)


def test_read_back_failure_is_unconfirmed(setup: Setup, wrapped: Wrapped) -> None:
    def unreadable(call: int) -> ModelVersion | None:
        raise RegistryError("registry", "timed out")

    wrapped.read_back_override = unreadable
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 4
    assert setup.outcomes() == ["intent", "unconfirmed"]
    assert "cannot read champion back" in _last_error(setup)


@pytest.mark.parametrize(
    ("root_args", "extra"),
    [
        (("--read-only",), ""),
        ((), "ui:\n  read_only: true\n"),
        ((), "REGISTRY_READ_ONLY"),
    ],
)
def test_read_only_refuses_with_exit_3_and_no_mutating_call(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_args: tuple[str, ...],
    extra: str,
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    setup = Setup(tmp_path, "" if extra == "REGISTRY_READ_ONLY" else extra)
    if extra == "REGISTRY_READ_ONLY":
        text = setup.config.read_text().replace(
            "path: registry.yaml\n", "path: registry.yaml\n    read_only: true\n"
        )
        setup.config.write_text(text)
    registry = Wrapped(setup.registry)
    monkeypatch.setattr(rollback_cli, "open_registry", lambda *args: registry)
    assert setup.rollback(MODEL, "--reason", "r", "--yes", root_args=root_args) == 3
    assert "read-only mode: rollback of fraud refused" in capsys.readouterr().err
    assert registry.mutating_calls == 0
    assert setup.outcomes() == ["refused"]
    assert setup.champion() == "4"


def test_read_only_flag_after_the_subcommand(setup: Setup, wrapped: Wrapped) -> None:
    assert setup.rollback(MODEL, "--reason", "r", "--yes", "--read-only") == 3
    assert wrapped.mutating_calls == 0


def test_read_only_still_allows_a_dry_run(setup: Setup, wrapped: Wrapped) -> None:
    assert setup.rollback(MODEL, "--reason", "r", "--dry-run", root_args=("--read-only",)) == 0
    assert setup.outcomes() == ["dry-run"] and wrapped.mutating_calls == 0


def test_records_carry_the_active_incident(setup: Setup) -> None:
    assert main(["--config", str(setup.config), "incident", "start", "budget", "burn"]) == 0
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 0
    incident = setup.records()[0]["target"]
    assert incident.startswith("INC-")
    assert [r["incident"] for r in setup.records()] == [incident] * 3


# -- the default target (previous champion) ---------------------------------------------------


def _registry(
    tmp_path: Path,
    history: list[tuple[str, str | None, str]],
    versions: list[tuple[str, str]],
    current: str | None,
) -> FileRegistry:
    document = _document()
    model = document["models"][MODEL]
    model["alias_history"] = [
        {
            "alias": alias,
            "from_version": start,
            "to_version": end,
            "time": f"2026-03-{i + 1:02d}T00:00:00Z",
        }
        for i, (alias, start, end) in enumerate(history)
    ]
    model["versions"] = [_version(v, status, run="run-1") for v, status in versions]
    model["aliases"] = {"champion": current} if current is not None else {}
    for alias, _start, end in history:
        if alias != "champion":
            model["aliases"][alias] = end
    document["models"] = {MODEL: model}
    return FileRegistry.create(tmp_path / "r.yaml", document)


READY4 = [("1", "READY"), ("2", "READY"), ("3", "READY"), ("4", "READY")]


@pytest.mark.parametrize(
    ("history", "versions", "current", "expected"),
    [
        # The last move's from-version.
        (
            [("champion", None, "2"), ("champion", "2", "3"), ("champion", "3", "4")],
            READY4,
            "4",
            "3",
        ),
        # Other aliases' moves are ignored.
        (
            [("champion", "2", "3"), ("champion", "3", "4"), ("challenger", "1", "2")],
            READY4,
            "4",
            "3",
        ),
        # A re-set to the same version is skipped (its from-version is the current one).
        (
            [("champion", "2", "3"), ("champion", "3", "4"), ("champion", "4", "4")],
            READY4,
            "4",
            "3",
        ),
        # After a rollback 4 -> 3 the previous champion is 4 (shown; guardrails still apply).
        (
            [("champion", "2", "3"), ("champion", "3", "4"), ("champion", "4", "3")],
            READY4,
            "3",
            "4",
        ),
        # No history: the highest READY version earlier than the current one.
        (
            [],
            [("1", "READY"), ("2", "ARCHIVED"), ("3", "READY"), ("4", "READY"), ("5", "READY")],
            "4",
            "3",
        ),
        ([], [("1", "READY"), ("2", "READY"), ("3", "PENDING"), ("4", "READY")], "4", "2"),
        # Whole-number versions compare as numbers (10 after 9), not as text.
        ([], [("8", "READY"), ("9", "READY"), ("10", "READY"), ("11", "READY")], "11", "10"),
        # History naming only the first set: fall back.
        ([("champion", None, "2")], [("1", "READY"), ("2", "READY")], "2", "1"),
        # Nothing earlier at all.
        ([("champion", None, "1")], [("1", "READY"), ("2", "READY")], "1", None),
    ],
)
def test_previous_champion_rule(
    tmp_path: Path,
    history: list[tuple[str, str | None, str]],
    versions: list[tuple[str, str]],
    current: str | None,
    expected: str | None,
) -> None:
    registry = _registry(tmp_path, history, versions, current)
    found = previous_champion(registry, MODEL, "champion")
    assert (found.version if found else None) == expected


def test_previous_champion_explains_where_it_came_from(tmp_path: Path) -> None:
    registry = _registry(tmp_path, [], READY4, "4")
    assert previous_champion_ref(registry, MODEL, "champion", "4") == (
        "3",
        "highest READY version before 4 (no alias history)",
    )


def test_no_previous_champion_refuses_and_asks_for_to(tmp_path: Path) -> None:
    registry = _registry(tmp_path, [("champion", None, "1")], READY4, "1")
    plan = plan_rollback(registry, MODEL, config=Config())
    assert not plan.ok and plan.target is None
    assert plan.refusal is not None and "give --to VERSION" in plan.refusal


def test_history_pointing_at_a_deleted_version_refuses(tmp_path: Path) -> None:
    registry = _registry(tmp_path, [("champion", "2", "3"), ("champion", "3", "4")], READY4, "4")
    document = registry.document().to_yaml_data()
    document["models"][MODEL]["versions"] = [
        v for v in document["models"][MODEL]["versions"] if v["version"] != "3"
    ]
    registry = FileRegistry.create(tmp_path / "r2.yaml", document)
    plan = plan_rollback(registry, MODEL, config=Config())
    assert plan.refusal == (
        "target exists: model 'fraud' has no version '3' (previous champion per the alias "
        "history (3 -> 4 at 2026-03-02T00:00:00Z))"
    )


# -- the demo: a rollback heals the model on the next evaluation ------------------------------


def test_demo_rollback_heals_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./govtui.yaml
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    now = int(time.time())

    def status(offset_minutes: int) -> tuple[str, str, list[str]]:
        at = str(now + offset_minutes * 60)
        assert main(
            ["check", "--demo", "--at", at, "--model", "fraud-scorer", "--format", "json"]
        ) in (0, 1)
        model = json.loads(capsys.readouterr().out)["models"][0]
        return model["status"], model["version"], [v["check"] for v in model["violations"]]

    assert status(1) == ("crit", "4", ["slo_page"])
    assert main(["rollback", "fraud-scorer", "--reason", "fast burn after v4", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "champion moved 4 -> 3" in out and "evidence: checks crit (slo_page crit)" in out
    records = AuditLog(tmp_path / "state" / "audit.jsonl").records()
    assert [r["outcome"] for r in records] == ["intent", "done"]
    assert records[0]["params"]["evidence"]["checks"][0]["check"] == "slo_page"
    # 40 minutes on the page is gone; the long windows may still hold v4's burn (a ticket) and
    # the budget it spent stays spent.
    healed = status(40)
    assert healed[0] in ("ok", "warn") and healed[1] == "3"
    assert "slo_page" not in healed[2] and set(healed[2]) <= {"slo_ticket", "slo_budget"}


def test_demo_watch_sees_traffic_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert (
        main(["rollback", "credit-limit", "--reason", "accuracy", "--yes", "--watch", "30s"]) == 0
    )
    assert "traffic on v3: 100% \u2014 moved" in capsys.readouterr().out


def test_a_registry_that_refuses_as_read_only_is_exit_3_not_a_failure(
    setup: Setup, wrapped: Wrapped
) -> None:
    def refuses(*args: Any, **kwargs: Any) -> None:
        raise ReadOnlyRefused("read-only mode: moving alias champion of fraud refused")

    wrapped.set_alias_hook = refuses
    assert setup.rollback(MODEL, "--reason", "r", "--yes") == 3
    assert setup.outcomes() == ["intent", "refused"]
    assert setup.champion() == "4"


def test_without_a_config_the_demo_protects_loan_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVTUI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("GOVTUI_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["rollback", "loan-approval", "--reason", "parity", "--yes"]) == 1
    assert "protected model: needs --confirm loan-approval" in capsys.readouterr().err
    assert (
        main(["rollback", "loan-approval", "--reason", "parity", "--confirm", "loan-approval"]) == 0
    )
    assert "champion moved 3 -> 2" in capsys.readouterr().out
