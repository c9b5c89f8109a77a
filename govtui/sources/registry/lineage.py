"""Lineage helpers shared by every registry: model references, OpenLineage parsing, diffs."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from govtui.errors import InputError, UsageError
from govtui.sources.registry.base import (
    ColumnLineage,
    Dataset,
    Lineage,
    ModelRegistry,
    ModelVersion,
)

LINEAGE_FORMAT = "govtui.lineage/v1"
LINEAGE_DIFF_FORMAT = "govtui.lineage-diff/v1"
COLUMN_LINEAGE_FACET = "columnLineage"


def printable(text: str) -> str:
    """External text in a one-line error: control characters escaped, length bounded."""
    shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 80 else shown[:77] + "..."


# ---------------------------------------------------------------------------------------------
# Model references: MODEL, MODEL@ALIAS, MODEL:VERSION


@dataclass(frozen=True)
class ModelRef:
    """A model and, optionally, one alias or one version of it."""

    model: str
    alias: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.model}:{self.version}"
        if self.alias is not None:
            return f"{self.model}@{self.alias}"
        return self.model


def parse_model_ref(text: str) -> ModelRef:
    """`MODEL`, `MODEL@ALIAS` or `MODEL:VERSION`; the last `@` or `:` splits, so names may hold them."""
    if not text or not text.isprintable() or text != text.strip():
        raise UsageError(f"invalid model reference {printable(text)!r}")
    position = max(text.rfind("@"), text.rfind(":"))
    if position < 0:
        return ModelRef(model=text)
    model, rest = text[:position], text[position + 1 :]
    if not model or not rest:
        raise UsageError(
            f"invalid model reference {printable(text)!r} (expected MODEL, MODEL@ALIAS or "
            "MODEL:VERSION)"
        )
    if text[position] == "@":
        return ModelRef(model=model, alias=rest)
    return ModelRef(model=model, version=rest)


class UnknownModelVersion(InputError):
    """The model, alias or version a reference names does not exist in the registry."""


def resolve_ref(registry: ModelRegistry, ref: ModelRef, default_alias: str) -> ModelVersion:
    """The version a reference names (a bare model means its `default_alias`), else exit 2.

    Looks the version or alias up directly; only a miss lists the models, to say which part of
    the reference is unknown.
    """
    alias = ref.alias if ref.alias is not None else default_alias
    if ref.version is not None:
        found = registry.get_version(ref.model, ref.version)
        missing = f"has no version {printable(ref.version)!r}"
    else:
        found = registry.get_alias(ref.model, alias)
        missing = f"has no alias {printable(alias)!r}"
    if found is not None:
        return found
    if ref.model not in {item.name for item in registry.list_models()}:
        raise UnknownModelVersion(f"unknown model {printable(ref.model)!r}")
    raise UnknownModelVersion(f"model {printable(ref.model)!r} {missing}")


# ---------------------------------------------------------------------------------------------
# OpenLineage columnLineage


class _Bad(Exception):
    """A problem at a field path inside the parsed document."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    shown = printable(key)
    return f"{path}.{shown}" if path else shown


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad(path, f"expected an object, got {_kind(value)}")
    return value


def _sequence(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(path, f"expected a list, got {_kind(value)}")
    return value


def _text(value: Any, path: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _Bad(path, f"expected text, got {_kind(value)}")
    if required and not value:
        raise _Bad(path, "must not be empty")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _transformation_text(item: Mapping[str, Any], path: str) -> str:
    """`TYPE/SUBTYPE: description` of one OpenLineage transformation."""
    kind = _text(item.get("type"), _join(path, "type"), required=False)
    subtype = _text(item.get("subtype"), _join(path, "subtype"), required=False)
    description = _text(item.get("description"), _join(path, "description"), required=False)
    label = "/".join(part for part in (kind, subtype) if part)
    if label and description:
        return f"{label}: {description}"
    return label or description


def _facet_features(facet: Mapping[str, Any], path: str) -> list[ColumnLineage]:
    """Features of one columnLineage facet, in the facet's order."""
    fields = _mapping(facet.get("fields"), _join(path, "fields"))
    found: list[ColumnLineage] = []
    for feature, spec in fields.items():
        feature_path = _join(_join(path, "fields"), str(feature))
        if not isinstance(feature, str) or not feature or not feature.isprintable():
            raise _Bad(feature_path, "a feature name must be non-empty text without control chars")
        spec = _mapping(spec, feature_path)
        inputs_path = _join(feature_path, "inputFields")
        columns: list[str] = []
        transformations: list[str] = []
        for index, raw in enumerate(_sequence(spec.get("inputFields", []), inputs_path)):
            item_path = _join(inputs_path, index)
            item = _mapping(raw, item_path)
            namespace = _text(item.get("namespace"), _join(item_path, "namespace"), required=False)
            name = _text(item.get("name"), _join(item_path, "name"), required=not namespace)
            field = _text(item.get("field"), _join(item_path, "field"))
            column = f"{name or namespace}.{field}"
            if column not in columns:
                columns.append(column)
            steps_path = _join(item_path, "transformations")
            for step_index, step in enumerate(
                _sequence(item.get("transformations", []), steps_path)
            ):
                step_path = _join(steps_path, step_index)
                text = _transformation_text(_mapping(step, step_path), step_path)
                if text and text not in transformations:
                    transformations.append(text)
        description = _text(
            spec.get("transformationDescription"),
            _join(feature_path, "transformationDescription"),
            required=False,
        )
        if description:
            transformations.insert(0, description)
        found.append(
            ColumnLineage(
                feature=feature,
                source_columns=tuple(columns),
                transformation="; ".join(dict.fromkeys(transformations)),
            )
        )
    return found


def _event_features(event: Mapping[str, Any], path: str) -> list[ColumnLineage]:
    """Features of every output dataset's columnLineage facet of one run event."""
    found: list[ColumnLineage] = []
    outputs_path = _join(path, "outputs")
    for index, raw in enumerate(_sequence(event.get("outputs", []), outputs_path)):
        output_path = _join(outputs_path, index)
        output = _mapping(raw, output_path)
        found.extend(_dataset_features(output, output_path))
    return found


def _dataset_features(dataset: Mapping[str, Any], path: str) -> list[ColumnLineage]:
    """Features of one OpenLineage dataset's columnLineage facet (none when it has no facet)."""
    facets_path = _join(path, "facets")
    facets = _mapping(dataset.get("facets", {}), facets_path)
    facet = facets.get(COLUMN_LINEAGE_FACET)
    if facet is None:
        return []
    facet_path = _join(facets_path, COLUMN_LINEAGE_FACET)
    return _facet_features(_mapping(facet, facet_path), facet_path)


def _document_features(document: Any, path: str) -> list[ColumnLineage]:
    """Dispatch on the OpenLineage shape: facet, facets map, dataset, run event, list of those."""
    if isinstance(document, list):
        found: list[ColumnLineage] = []
        for index, item in enumerate(document):
            found.extend(_document_features(item, _join(path, index)))
        return found
    document = _mapping(document, path or "(top level)")
    if "fields" in document:
        return _facet_features(document, path)
    if COLUMN_LINEAGE_FACET in document:
        facet_path = _join(path, COLUMN_LINEAGE_FACET)
        return _facet_features(_mapping(document[COLUMN_LINEAGE_FACET], facet_path), facet_path)
    if "outputs" in document or "eventType" in document or "run" in document:
        return _event_features(document, path)
    if "facets" in document:
        return _dataset_features(document, path)
    raise _Bad(
        path or "(top level)",
        "expected an OpenLineage columnLineage facet (`fields`) or run event (`outputs`)",
    )


def _load_text(text: str, label: str) -> Any:
    """JSON, or JSON Lines (OpenLineage's file transport writes one event per line)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as first:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1:
            events = []
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InputError(
                        f"{label}:{number}: (file): invalid JSON: {exc.msg} (column {exc.colno})"
                    ) from None
            return events
        raise InputError(
            f"{label}:{first.lineno}: (file): invalid JSON: {first.msg} (column {first.colno})"
        ) from None


def parse_column_lineage(data: Any, *, label: str) -> tuple[ColumnLineage, ...]:
    """Features and their source columns from OpenLineage JSON (text, bytes or parsed data).

    Accepts a `columnLineage` facet (`{"fields": ...}`), a facets map holding one, an OpenLineage
    dataset, a run event (`outputs[].facets.columnLineage`), or a list / JSON Lines file of run
    events. A source column is `<dataset name>.<field>`; the transformation is the
    `transformationDescription` and each `TYPE/SUBTYPE: description`, joined by `; `. A feature
    named twice keeps its last definition (a COMPLETE event after a START). Anything malformed
    raises InputError `LABEL: field.path: problem`.
    """
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{label}: (file): not UTF-8 text") from None
    if isinstance(data, str):
        data = _load_text(data, label)
    try:
        features = _document_features(data, "")
    except _Bad as bad:
        raise InputError(f"{label}: {bad.path}: {bad.problem}") from None
    merged: dict[str, ColumnLineage] = {}
    for item in features:
        merged.pop(item.feature, None)
        merged[item.feature] = item
    return tuple(merged.values())


def column_lineage_facet(features: Iterable[ColumnLineage]) -> dict[str, Any]:
    """The OpenLineage columnLineage facet for features (the inverse of parse_column_lineage)."""
    fields: dict[str, Any] = {}
    for item in features:
        inputs = []
        for column in item.source_columns:
            name, _, field = column.rpartition(".")
            inputs.append({"namespace": "", "name": name, "field": field})
        spec: dict[str, Any] = {"inputFields": inputs}
        if item.transformation:
            spec["transformationDescription"] = item.transformation
        fields[item.feature] = spec
    return {"fields": fields}


# ---------------------------------------------------------------------------------------------
# Lineage diff: what another version trained on, compared with a base version


@dataclass(frozen=True)
class DatasetChange:
    """A dataset both versions consumed, under the same name, with other content or origin."""

    name: str
    before: Dataset
    after: Dataset
    fields: tuple[str, ...]  # which of digest, source, schema differ


@dataclass(frozen=True)
class FeatureChange:
    """A feature both versions use, computed from other columns or another way."""

    feature: str
    before: ColumnLineage
    after: ColumnLineage
    fields: tuple[str, ...]  # which of source_columns, transformation differ


@dataclass(frozen=True)
class TextChange:
    """A param or the code version: None on a side means absent there."""

    name: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class MetricChange:
    """A run metric: None on a side means the run did not log it."""

    name: str
    before: float | None
    after: float | None


@dataclass(frozen=True)
class LineageDiff:
    """What changed from the base version's lineage to the other's (added = only in other)."""

    model: str
    base_version: str
    other_version: str
    datasets_added: tuple[Dataset, ...] = ()
    datasets_removed: tuple[Dataset, ...] = ()
    datasets_changed: tuple[DatasetChange, ...] = ()
    features_added: tuple[ColumnLineage, ...] = ()
    features_removed: tuple[ColumnLineage, ...] = ()
    features_changed: tuple[FeatureChange, ...] = ()
    params_changed: tuple[TextChange, ...] = ()
    code_version: TextChange | None = None
    metrics_changed: tuple[MetricChange, ...] = ()
    other_model: str = ""  # set when the two versions belong to different models

    @property
    def empty(self) -> bool:
        """True when the two versions trained on the same data, features, params and code."""
        return not (
            self.datasets_added
            or self.datasets_removed
            or self.datasets_changed
            or self.features_added
            or self.features_removed
            or self.features_changed
            or self.params_changed
            or self.code_version is not None
            or self.metrics_changed
        )

    @property
    def changed_features(self) -> frozenset[str]:
        """Names of features added, removed or changed (the console highlights these)."""
        return frozenset(
            [item.feature for item in self.features_added]
            + [item.feature for item in self.features_removed]
            + [item.feature for item in self.features_changed]
        )


def _same_metric(before: float, after: float) -> bool:
    return before == after or (math.isnan(before) and math.isnan(after))


def _by_name(datasets: Iterable[Dataset]) -> dict[str, Dataset]:
    found: dict[str, Dataset] = {}
    for item in datasets:
        found.setdefault(item.name, item)
    return found


def _by_feature(features: Iterable[ColumnLineage]) -> dict[str, ColumnLineage]:
    found: dict[str, ColumnLineage] = {}
    for item in features:
        found.setdefault(item.feature, item)
    return found


def diff_lineage(a: Lineage, b: Lineage) -> LineageDiff:
    """Datasets, features, params, code version and metrics that differ from `a` (base) to `b`."""
    datasets_a, datasets_b = _by_name(a.datasets), _by_name(b.datasets)
    dataset_changes = []
    for name in datasets_a.keys() & datasets_b.keys():
        before, after = datasets_a[name], datasets_b[name]
        fields = tuple(
            field
            for field in ("digest", "source", "schema")
            if getattr(before, field) != getattr(after, field)
        )
        if fields:
            dataset_changes.append(DatasetChange(name, before, after, fields))
    features_a, features_b = _by_feature(a.features), _by_feature(b.features)
    feature_changes = []
    for feature in features_a.keys() & features_b.keys():
        old, new = features_a[feature], features_b[feature]
        fields = tuple(
            field
            for field in ("source_columns", "transformation")
            if getattr(old, field) != getattr(new, field)
        )
        if fields:
            feature_changes.append(FeatureChange(feature, old, new, fields))
    params_a = dict(a.run.params) if a.run else {}
    params_b = dict(b.run.params) if b.run else {}
    params = [
        TextChange(name, params_a.get(name), params_b.get(name))
        for name in sorted(params_a.keys() | params_b.keys())
        if params_a.get(name) != params_b.get(name)
    ]
    metrics_a = dict(a.run.metrics) if a.run else {}
    metrics_b = dict(b.run.metrics) if b.run else {}
    metrics = []
    for name in sorted(metrics_a.keys() | metrics_b.keys()):
        before_value, after_value = metrics_a.get(name), metrics_b.get(name)
        if (
            before_value is None
            or after_value is None
            or not _same_metric(before_value, after_value)
        ):
            metrics.append(MetricChange(name, before_value, after_value))
    code_a = a.run.code_version or None if a.run else None
    code_b = b.run.code_version or None if b.run else None
    return LineageDiff(
        model=a.model,
        base_version=a.version,
        other_version=b.version,
        datasets_added=tuple(item for name, item in datasets_b.items() if name not in datasets_a),
        datasets_removed=tuple(item for name, item in datasets_a.items() if name not in datasets_b),
        datasets_changed=tuple(sorted(dataset_changes, key=lambda item: item.name)),
        features_added=tuple(item for name, item in features_b.items() if name not in features_a),
        features_removed=tuple(item for name, item in features_a.items() if name not in features_b),
        features_changed=tuple(sorted(feature_changes, key=lambda item: item.feature)),
        params_changed=tuple(params),
        code_version=TextChange("code_version", code_a, code_b) if code_a != code_b else None,
        metrics_changed=tuple(metrics),
        other_model=b.model if b.model != a.model else "",
    )


# ---------------------------------------------------------------------------------------------
# JSON shapes


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a non-finite metric becomes null."""
    if value is None or not math.isfinite(value):
        return None
    return value


def dataset_to_dict(dataset: Dataset) -> dict[str, Any]:
    """One dataset as JSON-able data."""
    return {
        "name": dataset.name,
        "digest": dataset.digest,
        "source": dataset.source,
        "schema": list(dataset.schema),
    }


def feature_to_dict(feature: ColumnLineage) -> dict[str, Any]:
    """One feature and its source columns as JSON-able data."""
    return {
        "feature": feature.feature,
        "source_columns": list(feature.source_columns),
        "transformation": feature.transformation,
    }


def version_to_dict(version: ModelVersion) -> dict[str, Any]:
    """One model version as JSON-able data (the recorded gate parsed out of its tag)."""
    return {
        "model": version.model,
        "version": version.version,
        "status": version.status,
        "aliases": list(version.aliases),
        "legacy_stage": version.legacy_stage,
        "created": version.created,
        "run_id": version.run_id,
        "gate": version.gate,
        "tags": dict(sorted(version.tags.items())),
        "description": version.description,
    }


def lineage_to_dict(lineage: Lineage, *, version: ModelVersion | None = None) -> dict[str, Any]:
    """The lineage as `govtui.lineage/v1` data; with `version`, its status, aliases and gate."""
    run = lineage.run
    data: dict[str, Any] = {
        "format": LINEAGE_FORMAT,
        "model": lineage.model,
        "version": lineage.version,
        "deployment": lineage.deployment,
        "complete": lineage.complete,
        "gaps": list(lineage.gaps),
        "run": None
        if run is None
        else {
            "run_id": run.run_id,
            "code_version": run.code_version,
            "started": run.started,
            "params": dict(sorted(run.params.items())),
            "metrics": {name: _number(value) for name, value in sorted(run.metrics.items())},
        },
        "datasets": [dataset_to_dict(item) for item in lineage.datasets],
        "features": [feature_to_dict(item) for item in lineage.features],
        "feature_source": lineage.feature_source,
    }
    if version is not None:
        data["model_version"] = version_to_dict(version)
    return data


def diff_to_dict(diff: LineageDiff) -> dict[str, Any]:
    """The diff as `govtui.lineage-diff/v1` data."""
    return {
        "format": LINEAGE_DIFF_FORMAT,
        "model": diff.model,
        "other_model": diff.other_model or diff.model,
        "base_version": diff.base_version,
        "other_version": diff.other_version,
        "empty": diff.empty,
        "datasets": {
            "added": [dataset_to_dict(item) for item in diff.datasets_added],
            "removed": [dataset_to_dict(item) for item in diff.datasets_removed],
            "changed": [
                {
                    "name": item.name,
                    "fields": list(item.fields),
                    "before": dataset_to_dict(item.before),
                    "after": dataset_to_dict(item.after),
                }
                for item in diff.datasets_changed
            ],
        },
        "features": {
            "added": [feature_to_dict(item) for item in diff.features_added],
            "removed": [feature_to_dict(item) for item in diff.features_removed],
            "changed": [
                {
                    "feature": item.feature,
                    "fields": list(item.fields),
                    "before": feature_to_dict(item.before),
                    "after": feature_to_dict(item.after),
                }
                for item in diff.features_changed
            ],
        },
        "params": [
            {"name": item.name, "before": item.before, "after": item.after}
            for item in diff.params_changed
        ],
        "code_version": None
        if diff.code_version is None
        else {"before": diff.code_version.before, "after": diff.code_version.after},
        "metrics": [
            {"name": item.name, "before": _number(item.before), "after": _number(item.after)}
            for item in diff.metrics_changed
        ],
    }
