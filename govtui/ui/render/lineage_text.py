"""Lineage and lineage diffs -> outlines of Rich Text lines, shared by the screens and `y` copies.

Pure functions (Rich only, no Textual). A lineage reads deployment -> version -> training run
(params, code version) -> datasets (name, digest, source, schema) -> features -> source columns.
Every gap of `Lineage.gaps` is a visible `missing: ...` line where the link is missing (never
left out), and features the model's drift results flag are highlighted and listed first with
their PSI. External strings only ever go into `Text` objects, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text

from govtui.analysis.results import FeatureDrift, ModelReport
from govtui.sources.registry.base import ColumnLineage, Dataset, Lineage
from govtui.ui.render.model_text import MISSING, Palette, fmt_instant_text, fmt_metric, status_word

DRIFTING = ("crit", "warn")
INCOMPLETE_NOTE = "lineage incomplete: a rollback to this version is refused"
MONITORED_WITHOUT_LINEAGE = "monitored features without recorded lineage"

Part = tuple[str, str] | str


@dataclass(frozen=True)
class OutlineLine:
    """One node of an outline: depth, label, whether it starts expanded, and a stable key."""

    depth: int
    label: Text
    expanded: bool = True
    key: str = ""


def feature_key(feature: str) -> str:
    """The outline key of a feature's node (a feature under two datasets has two such nodes)."""
    return f"feature:{feature}"


# ---------------------------------------------------------------- drift


def drift_by_feature(report: ModelReport | None) -> dict[str, FeatureDrift]:
    """The model's drift result per feature (empty without a report)."""
    if report is None:
        return {}
    return {item.feature: item for item in report.drift.features}


def is_drifting(drift: FeatureDrift | None) -> bool:
    """Whether a feature's drift is warn or crit."""
    return drift is not None and drift.status in DRIFTING


def drift_rank(drift: FeatureDrift | None) -> tuple[int, float]:
    """Sort key: crit before warn before the rest, the larger PSI first within each."""
    if not is_drifting(drift):
        return (len(DRIFTING), 0.0)
    assert drift is not None
    psi = drift.psi if drift.psi is not None else 0.0
    return (DRIFTING.index(drift.status), -psi)


def drifting_features(drift: Mapping[str, FeatureDrift]) -> list[FeatureDrift]:
    """The warn and crit features, worst first."""
    return sorted((item for item in drift.values() if is_drifting(item)), key=drift_rank)


def drift_summary(drift: Mapping[str, FeatureDrift], palette: Palette) -> Text:
    """`drifting: income PSI 0.410 CRIT, region PSI 0.140 WARN` (empty when nothing drifts)."""
    found = drifting_features(drift)
    text = Text()
    if not found:
        return text
    text.append("drifting: ", palette.muted)
    for index, item in enumerate(found):
        if index:
            text.append(", ")
        style = palette.status(item.status)
        text.append(item.feature, style)
        text.append(f" PSI {fmt_metric(item.psi)} {status_word(item.status)}", style)
    return text


def _drift_parts(drift: FeatureDrift | None, palette: Palette) -> list[Part]:
    if drift is None or drift.psi is None:
        return []
    if is_drifting(drift):
        style = palette.status(drift.status)
        return [(f"  PSI {fmt_metric(drift.psi)} {status_word(drift.status)}", style)]
    return [(f"  PSI {fmt_metric(drift.psi)}", palette.muted)]


def feature_label(
    item: ColumnLineage, drift: FeatureDrift | None, palette: Palette, marker: str = ""
) -> Text:
    """`feature NAME  <- TRANSFORMATION  PSI 0.410 CRIT`, the name in its drift status style."""
    name_style = palette.status(drift.status) if is_drifting(drift) else "bold"  # type: ignore[union-attr]
    parts: list[Part] = [
        (marker, palette.muted),
        ("feature ", palette.muted),
        (item.feature, name_style),
        ("  <- ", palette.muted),
        item.transformation or "identity",
        *_drift_parts(drift, palette),
    ]
    return Text.assemble(*parts)


def _missing(depth: int, phrase: str, palette: Palette, key: str = "") -> OutlineLine:
    label = Text.assemble(("missing: ", palette.warn), (phrase, palette.warn))
    return OutlineLine(depth, label, True, key or f"missing:{phrase}")


# ---------------------------------------------------------------- lineage


def _gap_anchors(lineage: Lineage) -> dict[str, list[str]]:
    """Each gap phrase placed at the node it concerns (unknown phrases stay at the version)."""
    places: dict[str, str] = {
        "no training run": "run",
        "training run has no code version": "run",
        "training run records no dataset": "datasets",
        "no feature lineage": "datasets",
    }
    for dataset in lineage.datasets:
        places[f"dataset {dataset.name} has no digest"] = f"dataset:{dataset.name}"
    for item in lineage.features:
        places[f"feature {item.feature} has no source column"] = feature_key(item.feature)
    anchors: dict[str, list[str]] = {}
    for gap in lineage.gaps:
        anchors.setdefault(places.get(gap, "version"), []).append(gap)
    return anchors


def _features_of(dataset: Dataset, features: Iterable[ColumnLineage]) -> list[ColumnLineage]:
    prefix = f"{dataset.name}."
    return [item for item in features if any(col.startswith(prefix) for col in item.source_columns)]


def lineage_outline(
    lineage: Lineage,
    drift: Mapping[str, FeatureDrift] | None = None,
    palette: Palette | None = None,
) -> list[OutlineLine]:
    """Deployment -> version -> run (params, code) -> datasets -> features -> source columns."""
    palette = palette or Palette()
    drift = drift or {}
    anchors = _gap_anchors(lineage)
    out: list[OutlineLine] = []

    def add(depth: int, key: str, *parts: Part, expanded: bool = True) -> None:
        out.append(OutlineLine(depth, Text.assemble(*parts), expanded, key))

    def gaps_at(anchor: str, depth: int) -> None:
        out.extend(_missing(depth, gap, palette) for gap in anchors.get(anchor, ()))

    muted = palette.muted
    add(0, "deployment", ("deployment ", muted), (lineage.deployment or "(not recorded)", "bold"))
    version_parts = (("model ", muted), (lineage.model, "bold"), ("  version ", muted))
    add(1, "version", *version_parts, (lineage.version, "bold"))
    if not lineage.complete:
        count = len(lineage.gaps)
        add(2, "gaps", (f"{INCOMPLETE_NOTE} ({count} gap{'s' * (count != 1)})", palette.warn))
        gaps_at("version", 3)
    run = lineage.run
    if run is None:
        gaps_at("run", 2)
    else:
        add(
            2,
            "run",
            ("training run ", muted),
            (run.run_id, "bold"),
            ("  code ", muted),
            run.code_version or MISSING,
            ("  started ", muted),
            fmt_instant_text(run.started),
        )
        gaps_at("run", 3)
        if run.params:
            add(3, "params", ("params", muted), expanded=False)
            for name, value in sorted(run.params.items()):
                add(4, f"param:{name}", name, (" = ", muted), str(value))
        if run.metrics:
            add(3, "metrics", ("metrics", muted), expanded=False)
            for name, metric in sorted(run.metrics.items()):
                add(4, f"metric:{name}", name, (" = ", muted), f"{metric:g}")
    depth = 3
    gaps_at("datasets", depth)

    def worst(features: Sequence[ColumnLineage]) -> tuple[int, float]:
        ranks = [drift_rank(drift.get(item.feature)) for item in features]
        return min(ranks, default=drift_rank(None))

    def add_features(features: Sequence[ColumnLineage], at: int) -> None:
        for item in sorted(features, key=lambda found: drift_rank(drift.get(found.feature))):
            key = feature_key(item.feature)
            out.append(
                OutlineLine(at, feature_label(item, drift.get(item.feature), palette), True, key)
            )
            gaps_at(key, at + 1)
            for column in item.source_columns:
                add(at + 1, f"column:{item.feature}:{column}", ("column ", muted), column)

    grouped = [(dataset, _features_of(dataset, lineage.features)) for dataset in lineage.datasets]
    attributed = {item.feature for _, features in grouped for item in features}
    for dataset, features in sorted(grouped, key=lambda pair: worst(pair[1])):
        key = f"dataset:{dataset.name}"
        add(
            depth,
            key,
            ("dataset ", muted),
            (dataset.name, "bold"),
            ("  digest ", muted),
            dataset.digest or MISSING,
            ("  source ", muted),
            dataset.source or MISSING,
        )
        gaps_at(key, depth + 1)
        if dataset.schema:
            schema = ", ".join(dataset.schema)
            add(depth + 1, f"schema:{dataset.name}", ("schema ", muted), schema, expanded=False)
        add_features(features, depth + 1)
    orphans = [item for item in lineage.features if item.feature not in attributed]
    if orphans:
        add(depth, "orphans", ("features without a recorded dataset", muted))
        add_features(orphans, depth + 1)
    recorded = {item.feature for item in lineage.features}
    unrecorded = sorted(
        (name for name in drift if name not in recorded),
        key=lambda name: (drift_rank(drift[name]), name),
    )
    if unrecorded:
        add(depth, "monitored", (MONITORED_WITHOUT_LINEAGE, palette.warn))
        for name in unrecorded:
            line = _missing(
                depth + 1, f"no lineage recorded for feature {name}", palette, feature_key(name)
            )
            line.label.append_text(Text.assemble(*_drift_parts(drift[name], palette)))
            out.append(line)
    return out


def outline_text(outline: Iterable[OutlineLine]) -> str:
    """An outline as indented plain text."""
    return "\n".join("  " * line.depth + line.label.plain for line in outline) + "\n"


def lineage_text(lineage: Lineage, drift: Mapping[str, FeatureDrift] | None = None) -> str:
    """The lineage outline as indented plain text (what `y` copies)."""
    return outline_text(lineage_outline(lineage, drift))
