"""A lineage diff -> an outline of Rich Text lines, and which version a diff compares by default.

Pure functions (Rich only, no Textual). The diff itself is `diff_lineage` of the registry layer;
this module only shows it: `+` only in the newer version, `-` only in the older, `~` changed.
Features that drift now are highlighted as on the lineage screen, so "changed and drifting"
stands out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Sized

from rich.text import Text

from govtui.analysis.results import FeatureDrift
from govtui.fleet.snapshot import AliasMoveInfo, VersionInfo
from govtui.sources.registry.base import DEFAULT_ALIAS, ColumnLineage, Dataset, Lineage
from govtui.sources.registry.lineage import LineageDiff
from govtui.ui.render.lineage_text import (
    OutlineLine,
    Part,
    drift_rank,
    feature_key,
    feature_label,
    outline_text,
)
from govtui.ui.render.model_text import MISSING, Palette

SAME = "no difference: same datasets, features, params, code version and metrics"


def _value(text: str | None) -> str:
    return text or "(none)"


def _number(value: float | None) -> str:
    return "(none)" if value is None else f"{value:g}"


def _counts(what: str, added: Sized, removed: Sized, changed: Sized) -> str:
    return f"{what} (+{len(added)} -{len(removed)} ~{len(changed)})"


def _set_change(before: Sequence[str], after: Sequence[str]) -> str:
    """`+new -gone` between two lists of names (`reordered` when only the order differs)."""
    added = [f"+{item}" for item in after if item not in before]
    removed = [f"-{item}" for item in before if item not in after]
    return " ".join([*added, *removed]) or "reordered"


class _DiffOutline:
    """Builds the outline of one diff, section by section."""

    def __init__(self, drift: Mapping[str, FeatureDrift], palette: Palette) -> None:
        self.drift = drift
        self.palette = palette
        self.lines: list[OutlineLine] = []

    def add(self, depth: int, key: str, *parts: Part, expanded: bool = True) -> None:
        self.lines.append(OutlineLine(depth, Text.assemble(*parts), expanded, key))

    def change(self, depth: int, key: str, name: str, before: str, after: str) -> None:
        """`NAME  before -> after`."""
        muted = self.palette.muted
        self.add(depth, key, (name, muted), ("  ", muted), before, (" -> ", muted), after)

    def sign(self, sign: str) -> Part:
        palette = self.palette
        style = {"+": palette.ok, "-": palette.crit, "~": palette.warn}[sign]
        return (f"{sign} ", style or "bold")

    def dataset(self, sign: str, dataset: Dataset) -> None:
        muted = self.palette.muted
        self.add(
            2,
            f"{sign}dataset:{dataset.name}",
            self.sign(sign),
            ("dataset ", muted),
            (dataset.name, "bold"),
            ("  digest ", muted),
            dataset.digest or MISSING,
            ("  source ", muted),
            dataset.source or MISSING,
        )

    def datasets(self, diff: LineageDiff) -> None:
        added, removed, changed = diff.datasets_added, diff.datasets_removed, diff.datasets_changed
        if not (added or removed or changed):
            return
        self.add(1, "datasets", (_counts("datasets", added, removed, changed), self.palette.muted))
        for item in added:
            self.dataset("+", item)
        for item in removed:
            self.dataset("-", item)
        for change in changed:
            before, after = change.before, change.after
            self.add(
                2,
                f"~dataset:{change.name}",
                self.sign("~"),
                ("dataset ", self.palette.muted),
                (change.name, "bold"),
            )
            if "digest" in change.fields:
                self.change(3, "", "digest", before.digest or MISSING, after.digest or MISSING)
            if "source" in change.fields:
                self.change(3, "", "source", before.source or MISSING, after.source or MISSING)
            if "schema" in change.fields:
                schema = _set_change(before.schema, after.schema)
                self.add(3, "", ("schema  ", self.palette.muted), schema)

    def by_drift(self, items: Iterable[ColumnLineage]) -> list[ColumnLineage]:
        return sorted(items, key=lambda item: drift_rank(self.drift.get(item.feature)))

    def feature(self, sign: str, item: ColumnLineage, *, expanded: bool) -> None:
        drift = self.drift.get(item.feature)
        label = feature_label(item, drift, self.palette, marker=f"{sign} ")
        self.lines.append(OutlineLine(2, label, expanded, f"{sign}{feature_key(item.feature)}"))

    def features(self, diff: LineageDiff) -> None:
        added, removed, changed = diff.features_added, diff.features_removed, diff.features_changed
        if not (added or removed or changed):
            return
        self.add(1, "features", (_counts("features", added, removed, changed), self.palette.muted))
        for sign, items in (("+", added), ("-", removed)):
            for item in self.by_drift(items):
                self.feature(sign, item, expanded=False)
                for column in item.source_columns:
                    self.add(3, "", ("column ", self.palette.muted), column)
        by_name = {change.feature: change for change in changed}
        for item in self.by_drift(change.after for change in changed):
            change = by_name[item.feature]
            self.feature("~", item, expanded=True)
            if "transformation" in change.fields:
                before = _value(change.before.transformation)
                self.change(3, "", "transformation", before, _value(item.transformation))
            if "source_columns" in change.fields:
                columns = _set_change(change.before.source_columns, item.source_columns)
                self.add(3, "", ("columns  ", self.palette.muted), columns)


def diff_outline(
    diff: LineageDiff,
    drift: Mapping[str, FeatureDrift] | None = None,
    palette: Palette | None = None,
) -> list[OutlineLine]:
    """Code version, params, datasets, features and metrics that differ, base -> other version."""
    palette = palette or Palette()
    builder = _DiffOutline(drift or {}, palette)
    muted = palette.muted
    builder.add(
        0,
        "diff",
        ("lineage diff ", muted),
        (diff.model, "bold"),
        ("  version ", muted),
        (diff.base_version, "bold"),
        ("  ->  version ", muted),
        (diff.other_version, "bold"),
    )
    if diff.empty:
        builder.add(1, "same", (SAME, muted))
        return builder.lines
    if diff.code_version is not None:
        code = diff.code_version
        builder.change(1, "code", "code version", _value(code.before), _value(code.after))
    if diff.params_changed:
        builder.add(1, "params", (f"params ({len(diff.params_changed)} changed)", muted))
        for param in diff.params_changed:
            before, after = _value(param.before), _value(param.after)
            builder.change(2, f"param:{param.name}", param.name, before, after)
    builder.datasets(diff)
    builder.features(diff)
    if diff.metrics_changed:
        builder.add(1, "metrics", (f"metrics ({len(diff.metrics_changed)} changed)", muted))
        for metric in diff.metrics_changed:
            before, after = _number(metric.before), _number(metric.after)
            builder.change(2, f"metric:{metric.name}", metric.name, before, after)
    return builder.lines


def diff_text(diff: LineageDiff, drift: Mapping[str, FeatureDrift] | None = None) -> str:
    """The diff outline as indented plain text (what `y` copies)."""
    return outline_text(diff_outline(diff, drift))


# ---------------------------------------------------------------- which version to compare


def version_order(version: str) -> tuple[int, int, str]:
    """Sort key of version names: numbers numerically, then other names as text."""
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def default_compare(
    versions: Sequence[VersionInfo],
    moves: Sequence[AliasMoveInfo],
    shown: str,
    alias: str = DEFAULT_ALIAS,
) -> str | None:
    """The version a diff compares `shown` with unless the operator picks another.

    The champion when another version is shown; for the champion, the previous champion (its last
    recorded alias move, else the highest earlier READY version), else the challenger, else the
    newest other version.
    """
    others = [item for item in versions if item.version != shown]
    if not others:
        return None
    champion = next((item.version for item in versions if alias in item.aliases), None)
    if champion is not None and champion != shown:
        return champion
    known = {item.version for item in others}
    last = next((move for move in reversed(moves) if move.alias == alias), None)
    if last is not None and last.to_version == shown and last.from_version in known:
        return last.from_version
    earlier = [
        item.version
        for item in others
        if item.status == "READY" and version_order(item.version) < version_order(shown)
    ]
    if earlier:
        return max(earlier, key=version_order)
    challenger = next((item.version for item in others if "challenger" in item.aliases), None)
    if challenger is not None:
        return challenger
    return max((item.version for item in others), key=version_order)


def ordered_pair(shown: Lineage, other: Lineage) -> tuple[Lineage, Lineage]:
    """The two lineages, older version first, so `+` reads as what the newer version brought."""
    if version_order(other.version) < version_order(shown.version):
        return other, shown
    return shown, other
