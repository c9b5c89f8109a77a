"""Lineage and lineage diff outlines: the chain, gaps as `missing:` lines, drift first, literal text."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.analysis.results import FeatureDrift
from govtui.fleet.snapshot import AliasMoveInfo, VersionInfo
from govtui.sources.registry.base import ColumnLineage, Dataset, Lineage, TrainingRun
from govtui.sources.registry.lineage import diff_lineage
from govtui.ui.render.lineage_diff_text import (
    default_compare,
    diff_outline,
    diff_text,
    ordered_pair,
    version_order,
)
from govtui.ui.render.lineage_text import (
    drift_summary,
    feature_key,
    lineage_outline,
    lineage_text,
)
from govtui.ui.render.model_text import Palette

PALETTE = Palette(crit="bold red", warn="bold yellow", ok="green", muted="dim")


def _lineage(model: str = "fraud", feature: str = "amount_log", version: str = "3") -> Lineage:
    return Lineage(
        model=model,
        version=version,
        deployment="prod-eu",
        run=TrainingRun(
            "run-3",
            {"lr": "0.1", "depth": "6"},
            {"auc": 0.91},
            "git:abc123",
            "2026-01-01T00:00:00Z",
        ),
        datasets=(
            Dataset("transactions", "sha256:aa", "s3://lake/tx", ("amount", "merchant")),
            Dataset("customers", "sha256:bb", "s3://lake/cust", ("age",)),
        ),
        features=(
            ColumnLineage(feature, ("transactions.amount",), "log1p"),
            ColumnLineage("age", ("customers.age",), ""),
            ColumnLineage("hour", ("events.ts",), "hour of day"),
        ),
    )


def _drift(feature: str, psi: float | None, status: str) -> FeatureDrift:
    return FeatureDrift(feature, "numeric", psi, None, None, status)  # type: ignore[arg-type]


def test_lineage_outline_follows_the_chain() -> None:
    text = lineage_text(_lineage())
    lines = text.splitlines()
    assert lines[0] == "deployment prod-eu"
    assert lines[1] == "  model fraud  version 3"
    assert lines[2].startswith("    training run run-3  code git:abc123")
    assert "        lr = 0.1" in lines
    dataset_line = lines.index("      dataset transactions  digest sha256:aa  source s3://lake/tx")
    assert lines[dataset_line + 1] == "        schema amount, merchant"
    assert lines[dataset_line + 2] == "        feature amount_log  <- log1p"
    assert lines[dataset_line + 3] == "          column transactions.amount"
    assert "        feature age  <- identity" in lines
    assert "      features without a recorded dataset" in lines
    assert "lineage incomplete" not in text
    assert "missing:" not in text


def test_every_gap_is_a_visible_missing_line_where_the_link_is() -> None:
    base = _lineage()
    broken = dataclasses.replace(
        base,
        run=dataclasses.replace(base.run, code_version=""),  # type: ignore[type-var]
        datasets=(dataclasses.replace(base.datasets[0], digest=""), base.datasets[1]),
        features=(*base.features, ColumnLineage("orphan", (), "")),
    )
    assert len(broken.gaps) == 3
    lines = lineage_text(broken).splitlines()
    assert "    lineage incomplete: a rollback to this version is refused (3 gaps)" in lines
    for gap in broken.gaps:
        assert sum(line.strip() == f"missing: {gap}" for line in lines) == 1, gap
    run = next(index for index, line in enumerate(lines) if "training run" in line)
    assert lines[run + 1] == "      missing: training run has no code version"
    dataset = lines.index("      dataset transactions  digest -  source s3://lake/tx")
    assert lines[dataset + 1] == "        missing: dataset transactions has no digest"
    orphan = lines.index("        feature orphan  <- identity")
    assert lines[orphan + 1] == "          missing: feature orphan has no source column"


def test_no_run_and_no_features_are_missing_lines() -> None:
    lineage = dataclasses.replace(_lineage(), run=None, datasets=(), features=())
    text = lineage_text(lineage)
    assert "lineage incomplete" in text
    assert "    missing: no training run" in text.splitlines()
    assert "missing: no feature lineage" in text
    for gap in lineage.gaps:
        assert f"missing: {gap}" in text


def test_unknown_gap_phrases_are_still_shown() -> None:
    class Odd(Lineage):
        @property
        def gaps(self) -> tuple[str, ...]:
            return ("something else is missing",)

    base = _lineage()
    odd = Odd(base.model, base.version, base.deployment, base.run, base.datasets, base.features)
    lines = lineage_text(odd).splitlines()
    assert "      missing: something else is missing" in lines


def test_drifting_features_are_highlighted_and_first_with_their_psi() -> None:
    lineage = dataclasses.replace(
        _lineage(),
        features=(
            ColumnLineage("amount_log", ("transactions.amount",), "log1p"),
            ColumnLineage("merchant", ("transactions.merchant",), ""),
            ColumnLineage("age", ("customers.age",), ""),
        ),
    )
    drift = {
        "amount_log": _drift("amount_log", 0.02, "ok"),
        "merchant": _drift("merchant", 0.14, "warn"),
        "age": _drift("age", 0.41, "crit"),
        "income": _drift("income", 0.3, "crit"),
    }
    outline = lineage_outline(lineage, drift, PALETTE)
    plains = [line.label.plain for line in outline]
    # The dataset holding the crit feature comes first; within a dataset, drifting first.
    datasets = [plain for plain in plains if plain.startswith("dataset ")]
    assert datasets[0].startswith("dataset customers")
    transactions = plains.index(datasets[1])
    assert plains[transactions + 2] == "feature merchant  <- identity  PSI 0.140 WARN"
    assert plains[transactions + 4] == "feature amount_log  <- log1p  PSI 0.020"
    age = next(line for line in outline if line.key == feature_key("age"))
    assert age.label.plain == "feature age  <- identity  PSI 0.410 CRIT"
    assert any(span.style == "bold red" for span in age.label.spans)
    # A monitored feature without lineage is a visible gap, keyed so the jump finds it.
    income = [line for line in outline if line.key == feature_key("income")]
    assert [line.label.plain for line in income] == [
        "missing: no lineage recorded for feature income  PSI 0.300 CRIT"
    ]
    summary = drift_summary(drift, PALETTE).plain
    assert summary == "drifting: age PSI 0.410 CRIT, income PSI 0.300 CRIT, merchant PSI 0.140 WARN"


def test_lineage_labels_are_never_markup() -> None:
    outline = lineage_outline(_lineage(model="[bold]evil[/]", feature="f[/]x"))
    plains = [line.label.plain for line in outline]
    assert "model [bold]evil[/]  version 3" in plains
    assert any("feature f[/]x" in plain for plain in plains)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.text(alphabet="ab[]/.:@ ", min_size=1, max_size=6), min_size=1, max_size=4, unique=True
    ),
    st.booleans(),
)
def test_any_lineage_outline_shows_every_gap_and_feature(names: list[str], digests: bool) -> None:
    """Whatever the names, each feature has a node, each gap a `missing:` line, nothing styled."""
    lineage = Lineage(
        model="m[b]",
        version="1",
        deployment=None,
        run=TrainingRun("r", code_version="" if digests else "c"),
        datasets=tuple(Dataset(name, "sha" if digests else "") for name in names[:2]),
        features=tuple(
            ColumnLineage(name, (f"{names[0]}.{name}",) if index % 2 else ())
            for index, name in enumerate(names)
        ),
    )
    outline = lineage_outline(lineage)
    keys = [line.key for line in outline]
    for name in names:
        assert feature_key(name) in keys
    text = lineage_text(lineage)
    for gap in lineage.gaps:
        assert f"missing: {gap}" in text
    assert all(not line.label.style for line in outline)


# ---------------------------------------------------------------- diff


def test_diff_outline_says_what_changed() -> None:
    older = _lineage(version="3")
    newer = dataclasses.replace(
        older,
        version="4",
        run=dataclasses.replace(
            older.run, code_version="git:def456", params={"lr": "0.2", "depth": "6"}
        ),  # type: ignore[type-var]
        datasets=(
            dataclasses.replace(older.datasets[0], digest="sha256:cc"),
            Dataset("events", "sha256:ee", "s3://lake/ev", ("ts",)),
        ),
        features=(
            ColumnLineage("amount_log", ("transactions.amount",), "log1p, clipped"),
            ColumnLineage("hour", ("events.ts", "events.tz"), "hour of day"),
            ColumnLineage("weekday", ("events.ts",), "day of week"),
        ),
    )
    shown, other = ordered_pair(newer, older)
    assert (shown.version, other.version) == ("3", "4")
    diff = diff_lineage(shown, other)
    drift = {"hour": _drift("hour", 0.3, "crit")}
    lines = diff_text(diff, drift).splitlines()
    assert lines[0] == "lineage diff fraud  version 3  ->  version 4"
    assert "  code version  git:abc123 -> git:def456" in lines
    assert "    lr  0.1 -> 0.2" in lines
    assert "  datasets (+1 -1 ~1)" in lines
    assert any(line.startswith("    + dataset events  digest sha256:ee") for line in lines)
    assert any(line.startswith("    - dataset customers  digest sha256:bb") for line in lines)
    changed = lines.index("    ~ dataset transactions")
    assert lines[changed + 1] == "      digest  sha256:aa -> sha256:cc"
    assert "  features (+1 -1 ~2)" in lines
    hour = lines.index("    ~ feature hour  <- hour of day  PSI 0.300 CRIT")
    assert lines[hour + 1] == "      columns  +events.tz"
    assert lines.index("    ~ feature amount_log  <- log1p, clipped") > hour  # drifting first
    assert "      transformation  log1p -> log1p, clipped" in lines
    assert "    + feature weekday  <- day of week" in lines
    assert "    - feature age  <- identity" in lines
    assert diff_text(diff_lineage(older, older)).splitlines()[1].strip().startswith("no difference")


def test_diff_labels_are_never_markup() -> None:
    older = _lineage(feature="[red]x[/]", version="1")
    newer = dataclasses.replace(older, version="2", features=())
    outline = diff_outline(diff_lineage(older, newer), palette=PALETTE)
    assert any(line.label.plain == "- feature [red]x[/]  <- log1p" for line in outline)


def test_default_compare_version() -> None:
    versions = (
        VersionInfo("1", "ARCHIVED"),
        VersionInfo("2", "READY"),
        VersionInfo("3", "READY", ("champion",)),
        VersionInfo("4", "PENDING", ("challenger",)),
    )
    moves = (AliasMoveInfo("champion", "1", "3", 0.0),)
    # Another version shown: compare with the champion.
    assert default_compare(versions, moves, "2") == "3"
    # The champion shown: its previous champion from the alias history ...
    assert default_compare(versions, moves, "3") == "1"
    # ... else the highest earlier READY version, else the challenger, else the newest other.
    assert default_compare(versions, (), "3") == "2"
    only_challenger = (VersionInfo("3", "READY", ("champion",)), versions[3])
    assert default_compare(only_challenger, (), "3") == "4"
    assert default_compare((versions[0], versions[2]), (), "3") == "1"
    assert default_compare((versions[2],), (), "3") is None
    assert sorted(["10", "9", "b", "a"], key=version_order) == ["9", "10", "a", "b"]
