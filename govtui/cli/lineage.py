"""`govtui lineage`: where a model version comes from, down to the source columns, for scripts."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING, Any

from govtui.cli.common import add_config_and_at, at_from_args
from govtui.cli.plain import plain

if TYPE_CHECKING:
    from govtui.sources.registry.base import Lineage, ModelVersion
    from govtui.sources.registry.lineage import LineageDiff, ModelRef

FORMATS = ("tree", "json")
INDENT = "  "

EPILOG = """\
MODEL alone means the version behind the serving alias (sources.registry.alias, `champion`);
MODEL@ALIAS names another alias, MODEL:VERSION a version. --diff takes a full reference or, for
the same model, just :VERSION or @ALIAS. With no config the demo registry (in the state dir)
is read.

exit codes: 0 printed (an incomplete lineage is shown, with MISSING lines, not an error);
2 unknown model, alias or version, or the registry failed.

examples:
  govtui lineage fraud-scorer
  govtui lineage fraud-scorer:3 --format json
  govtui lineage fraud-scorer --diff :5
"""


def register(subparsers: Any) -> None:
    """Add the `lineage` subcommand."""
    parser = subparsers.add_parser(
        "lineage",
        help="show a model version's lineage: run, datasets, features, source columns",
        description="Print the lineage of a model version: deployment -> version -> training "
        "run (params, code version) -> datasets (digest, source, schema) -> features -> "
        "source columns with their transformation. Missing links are marked MISSING.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_and_at(parser)
    parser.add_argument("ref", metavar="MODEL[@ALIAS|:VERSION]", help="the version to show")
    parser.add_argument("--format", choices=FORMATS, default="tree", help="output format")
    parser.add_argument(
        "--diff",
        metavar="OTHER_REF",
        help="show what changed from REF to OTHER_REF instead (datasets, features, params, ...)",
    )
    parser.set_defaults(func=run_lineage)


def other_ref(text: str, base: ModelRef) -> ModelRef:
    """`--diff` value: a full reference, or `:VERSION` / `@ALIAS` of the same model."""
    from govtui.sources.registry.lineage import parse_model_ref

    if text[:1] in (":", "@"):
        return parse_model_ref(base.model + text)
    return parse_model_ref(text)


def run_lineage(args: argparse.Namespace) -> int:
    """Resolve the reference(s), read the lineage, print it."""
    from govtui.cli.common import loaded_or_demo
    from govtui.cli.registry_access import open_registry
    from govtui.sources.registry.lineage import (
        diff_lineage,
        diff_to_dict,
        lineage_to_dict,
        parse_model_ref,
        resolve_ref,
    )

    ref = parse_model_ref(args.ref)
    other = other_ref(args.diff, ref) if args.diff is not None else None
    loaded = loaded_or_demo(args)
    alias = loaded.config.sources.registry.alias
    ascii_only = bool(getattr(args, "ascii", False))
    with open_registry(loaded, at_from_args(args)) as registry:
        version = resolve_ref(registry, ref, alias)
        lineage = registry.lineage(version.model, version.version)
        if other is None:
            if args.format == "json":
                text = _json(lineage_to_dict(lineage, version=version))
            else:
                text = render_tree(lineage, version, ascii_only=ascii_only)
        else:
            compared = resolve_ref(registry, other, alias)
            other_lineage = registry.lineage(compared.model, compared.version)
            diff = diff_lineage(lineage, other_lineage)
            if args.format == "json":
                text = _json(diff_to_dict(diff))
            else:
                text = render_diff(diff, ascii_only=ascii_only)
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class _Lines:
    """An indented outline; every external string passes through `plain`."""

    def __init__(self, *, ascii_only: bool) -> None:
        self.lines: list[str] = []
        self.ascii_only = ascii_only

    def text(self, value: object) -> str:
        shown = plain(value)
        if self.ascii_only and not shown.isascii():
            shown = shown.encode("ascii", "backslashreplace").decode("ascii")
        return shown

    def add(self, depth: int, line: str) -> None:
        self.lines.append(INDENT * depth + line)

    def render(self) -> str:
        return "\n".join(self.lines) + "\n"


def _metric(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def render_tree(lineage: Lineage, version: ModelVersion, *, ascii_only: bool = False) -> str:
    """The lineage as an indented outline, each missing link a `MISSING: ...` line in place."""
    out = _Lines(ascii_only=ascii_only)
    t = out.text
    placed: set[str] = set()

    def missing(depth: int, gap: str) -> None:
        placed.add(gap)
        out.add(depth, f"MISSING: {t(gap)}")

    out.add(0, f"lineage of {t(lineage.model)}:{t(lineage.version)}")
    deployment = t(lineage.deployment) if lineage.deployment else "(none recorded)"
    out.add(0, f"deployment {deployment}")
    facts = [t(version.status)]
    if version.aliases:
        facts.append("aliases " + ", ".join(t(alias) for alias in version.aliases))
    if version.legacy_stage:
        facts.append(f"legacy stage {t(version.legacy_stage)}")
    facts.append(f"gate {t(version.gate) if version.gate else '(not recorded)'}")
    if version.created:
        facts.append(f"created {t(version.created)}")
    out.add(1, f"version {t(lineage.version)}  " + "  ".join(facts))
    run = lineage.run
    if run is None:
        missing(2, "no training run")
    else:
        started = f"  started {t(run.started)}" if run.started else ""
        out.add(2, f"run {t(run.run_id)}{started}")
        if run.code_version:
            out.add(3, f"code version {t(run.code_version)}")
        else:
            missing(3, "training run has no code version")
        if run.params:
            params = " ".join(f"{t(k)}={t(v)}" for k, v in sorted(run.params.items()))
            out.add(3, f"params {params}")
        if run.metrics:
            out.add(3, "metrics")
            for name, value in sorted(run.metrics.items()):
                out.add(4, f"{t(name)} {_metric(value)}")
        if not lineage.datasets:
            missing(3, "training run records no dataset")
        for dataset in lineage.datasets:
            out.add(3, f"dataset {t(dataset.name)}")
            if dataset.digest:
                out.add(4, f"digest {t(dataset.digest)}")
            else:
                missing(4, f"dataset {dataset.name} has no digest")
            if dataset.source:
                out.add(4, f"source {t(dataset.source)}")
            if dataset.schema:
                out.add(4, "schema " + ", ".join(t(column) for column in dataset.schema))
    origin = f" (from {t(lineage.feature_source)})" if lineage.feature_source else ""
    out.add(2, f"features{origin}")
    if not lineage.features:
        missing(3, "no feature lineage")
    for item in lineage.features:
        out.add(3, f"feature {t(item.feature)}")
        if not item.source_columns:
            missing(4, f"feature {item.feature} has no source column")
        for column in item.source_columns:
            out.add(4, f"<- {t(column)}")
        if item.transformation:
            out.add(4, f"transformation {t(item.transformation)}")
    for gap in lineage.gaps:
        if gap not in placed:
            missing(1, gap)
    gaps = len(lineage.gaps)
    out.add(0, "lineage complete" if not gaps else f"lineage incomplete: {gaps} missing link(s)")
    return out.render()


def render_diff(diff: LineageDiff, *, ascii_only: bool = False) -> str:
    """What changed from the base version to the other, one `+` / `-` / `~` line per change."""
    out = _Lines(ascii_only=ascii_only)
    t = out.text
    other_model = diff.other_model or diff.model
    out.add(
        0,
        f"lineage diff {t(diff.model)}:{t(diff.base_version)} -> "
        f"{t(other_model)}:{t(diff.other_version)}",
    )
    if diff.empty:
        out.add(1, "no differences in datasets, features, params, code version or metrics")
        return out.render()
    if diff.code_version is not None:
        before = t(diff.code_version.before or "(none)")
        after = t(diff.code_version.after or "(none)")
        out.add(0, f"code version {before} -> {after}")
    if diff.datasets_added or diff.datasets_removed or diff.datasets_changed:
        out.add(0, "datasets")
        for dataset in diff.datasets_added:
            out.add(1, f"+ {t(dataset.name)}  {t(dataset.digest or '(no digest)')}")
        for dataset in diff.datasets_removed:
            out.add(1, f"- {t(dataset.name)}  {t(dataset.digest or '(no digest)')}")
        for change in diff.datasets_changed:
            out.add(1, f"~ {t(change.name)}")
            for field in change.fields:
                before_value = getattr(change.before, field)
                after_value = getattr(change.after, field)
                if field == "schema":
                    before_value, after_value = ", ".join(before_value), ", ".join(after_value)
                out.add(2, f"{field} {t(before_value)} -> {t(after_value)}")
    if diff.features_added or diff.features_removed or diff.features_changed:
        out.add(0, "features")
        for feature in diff.features_added:
            sources = ", ".join(t(column) for column in feature.source_columns) or "(none)"
            out.add(1, f"+ {t(feature.feature)} <- {sources}")
        for feature in diff.features_removed:
            sources = ", ".join(t(column) for column in feature.source_columns) or "(none)"
            out.add(1, f"- {t(feature.feature)} <- {sources}")
        for feature_change in diff.features_changed:
            out.add(1, f"~ {t(feature_change.feature)}")
            if "source_columns" in feature_change.fields:
                before = ", ".join(t(c) for c in feature_change.before.source_columns) or "(none)"
                after = ", ".join(t(c) for c in feature_change.after.source_columns) or "(none)"
                out.add(2, f"source columns {before} -> {after}")
            if "transformation" in feature_change.fields:
                before = t(feature_change.before.transformation or "(none)")
                after = t(feature_change.after.transformation or "(none)")
                out.add(2, f"transformation {before} -> {after}")
    if diff.params_changed:
        out.add(0, "params")
        for param in diff.params_changed:
            before = t(param.before) if param.before is not None else "(unset)"
            after = t(param.after) if param.after is not None else "(unset)"
            out.add(1, f"~ {t(param.name)} {before} -> {after}")
    if diff.metrics_changed:
        out.add(0, "metrics")
        for metric in diff.metrics_changed:
            before = _metric(metric.before) if metric.before is not None else "(not logged)"
            after = _metric(metric.after) if metric.after is not None else "(not logged)"
            out.add(1, f"~ {t(metric.name)} {before} -> {after}")
    return out.render()
