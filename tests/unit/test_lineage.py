"""Lineage helpers: model references, OpenLineage columnLineage parsing, diffs and JSON shapes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.errors import EXIT_USAGE, GovtuiError, InputError, UsageError
from govtui.sources.registry.base import (
    ColumnLineage,
    Dataset,
    Lineage,
    TrainingRun,
)
from govtui.sources.registry.file import FileRegistry
from govtui.sources.registry.lineage import (
    LINEAGE_DIFF_FORMAT,
    LINEAGE_FORMAT,
    ModelRef,
    UnknownModelVersion,
    column_lineage_facet,
    diff_lineage,
    diff_to_dict,
    lineage_to_dict,
    parse_column_lineage,
    parse_model_ref,
    resolve_ref,
)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_configs" / "registry.yaml"
DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64

# An OpenLineage run event as an OpenLineage producer (e.g. a Spark job) writes it.
RUN_EVENT: dict[str, Any] = {
    "eventType": "COMPLETE",
    "eventTime": "2026-01-10T06:30:00Z",
    "run": {"runId": "0190a1b2-0000-7000-8000-000000000001"},
    "job": {"namespace": "training", "name": "fraud-scorer.features"},
    "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.20.0/integration/spark",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "inputs": [{"namespace": "s3://lake", "name": "transactions-2025-12"}],
    "outputs": [
        {
            "namespace": "s3://lake",
            "name": "fraud-features",
            "facets": {
                "schema": {"fields": [{"name": "amount"}, {"name": "card_age_days"}]},
                "columnLineage": {
                    "_producer": "https://github.com/OpenLineage/OpenLineage",
                    "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
                    "fields": {
                        "amount": {
                            "inputFields": [
                                {
                                    "namespace": "s3://lake",
                                    "name": "transactions-2025-12",
                                    "field": "amount",
                                    "transformations": [
                                        {
                                            "type": "DIRECT",
                                            "subtype": "IDENTITY",
                                            "description": "",
                                            "masking": False,
                                        }
                                    ],
                                }
                            ]
                        },
                        "card_age_days": {
                            "inputFields": [
                                {
                                    "namespace": "s3://lake",
                                    "name": "cards-2025-12",
                                    "field": "issued_at",
                                    "transformations": [
                                        {
                                            "type": "DIRECT",
                                            "subtype": "TRANSFORMATION",
                                            "description": "days from issued_at to ts",
                                        }
                                    ],
                                },
                                {
                                    "namespace": "s3://lake",
                                    "name": "transactions-2025-12",
                                    "field": "ts",
                                    "transformations": [
                                        {
                                            "type": "DIRECT",
                                            "subtype": "TRANSFORMATION",
                                            "description": "days from issued_at to ts",
                                        }
                                    ],
                                },
                            ],
                            "transformationDescription": "age of the card in days",
                            "transformationType": "",
                        },
                    },
                },
            },
        }
    ],
}

EXPECTED = (
    ColumnLineage("amount", ("transactions-2025-12.amount",), "DIRECT/IDENTITY"),
    ColumnLineage(
        "card_age_days",
        ("cards-2025-12.issued_at", "transactions-2025-12.ts"),
        "age of the card in days; DIRECT/TRANSFORMATION: days from issued_at to ts",
    ),
)


# ---------------------------------------------------------------------------------------------
# References


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fraud-scorer", ModelRef("fraud-scorer")),
        ("fraud-scorer@champion", ModelRef("fraud-scorer", alias="champion")),
        ("fraud-scorer:3", ModelRef("fraud-scorer", version="3")),
        ("team:fraud@scorer:1.10", ModelRef("team:fraud@scorer", version="1.10")),
        ("ns:model@challenger", ModelRef("ns:model", alias="challenger")),
        ("a b:2", ModelRef("a b", version="2")),
    ],
)
def test_parse_model_ref_splits_at_the_last_separator(text: str, expected: ModelRef) -> None:
    assert parse_model_ref(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["", ":3", "model:", "model@", "@alias", " model", "m\x1b:1"])
def test_parse_model_ref_refuses_bad_text(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_model_ref(text)
    assert caught.value.exit_code == EXIT_USAGE
    assert "\x1b" not in str(caught.value) and "\n" not in str(caught.value)


@given(
    model=st.text(min_size=1, max_size=20).filter(lambda s: s.isprintable() and s == s.strip()),
    suffix=st.one_of(
        st.none(),
        st.tuples(
            st.sampled_from(":@"),
            st.text(alphabet="abcdefghij0123456789._-", min_size=1, max_size=8),
        ),
    ),
)
@settings(deadline=None, max_examples=200)
def test_parse_model_ref_round_trips(model: str, suffix: tuple[str, str] | None) -> None:
    if suffix is None and (":" in model or "@" in model):
        model = model.replace(":", "_").replace("@", "_")  # a bare name has no separator
    text = model if suffix is None else model + suffix[0] + suffix[1]
    ref = parse_model_ref(text)
    assert str(ref) == text
    if suffix is not None:
        assert (ref.version if suffix[0] == ":" else ref.alias) == suffix[1]
        assert ref.model == model


def test_resolve_ref_against_the_file_registry() -> None:
    registry = FileRegistry(SAMPLE)
    assert resolve_ref(registry, ModelRef("fraud-scorer"), "champion").version == "3"
    assert resolve_ref(registry, ModelRef("fraud-scorer", version="5"), "champion").version == "5"
    found = resolve_ref(registry, ModelRef("fraud-scorer", alias="champion"), "other")
    assert found.version == "3"


@pytest.mark.parametrize(
    ("ref", "needle"),
    [
        (ModelRef("fraud-scorer", version="9"), "has no version '9'"),
        (ModelRef("fraud-scorer", alias="challenger"), "has no alias 'challenger'"),
        (ModelRef("fraud-scorer"), "has no alias 'shadow'"),
        (ModelRef("ghost", version="1"), "unknown model 'ghost'"),
    ],
)
def test_resolve_ref_unknown_is_exit_2(ref: ModelRef, needle: str) -> None:
    with pytest.raises(InputError, match=needle) as caught:
        resolve_ref(FileRegistry(SAMPLE), ref, "shadow")
    assert caught.value.exit_code == EXIT_USAGE


class _BareRegistry:
    """A registry whose lookups return None for an unknown model (as MLflow's does)."""

    def list_models(self) -> list[Any]:
        return []

    def get_version(self, model: str, version: str) -> None:
        return None

    def get_alias(self, model: str, alias: str = "champion") -> None:
        return None


def test_resolve_ref_names_an_unknown_model_when_lookups_just_miss() -> None:
    with pytest.raises(UnknownModelVersion, match="unknown model 'ghost'"):
        resolve_ref(_BareRegistry(), ModelRef("ghost", version="1"), "champion")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# OpenLineage parsing


def test_run_event_gives_features_with_sources_and_transformations() -> None:
    assert parse_column_lineage(RUN_EVENT, label="event") == EXPECTED


def test_accepts_text_bytes_facet_facets_dataset_and_lists() -> None:
    facet = RUN_EVENT["outputs"][0]["facets"]["columnLineage"]
    shapes: list[Any] = [
        json.dumps(RUN_EVENT),
        json.dumps(RUN_EVENT).encode(),
        facet,
        json.dumps(facet),
        {"columnLineage": facet},
        RUN_EVENT["outputs"][0],
        [RUN_EVENT],
    ]
    for shape in shapes:
        assert parse_column_lineage(shape, label="x") == EXPECTED


def test_json_lines_file_keeps_the_last_definition_of_a_feature(tmp_path: Path) -> None:
    start = json.loads(json.dumps(RUN_EVENT))
    start["eventType"] = "START"
    fields = start["outputs"][0]["facets"]["columnLineage"]["fields"]
    fields["amount"]["inputFields"][0]["name"] = "transactions-2025-11"
    no_facet = {"eventType": "RUNNING", "run": {"runId": "r"}, "outputs": [{"name": "x"}]}
    text = "\n".join(json.dumps(event) for event in (start, no_facet, RUN_EVENT)) + "\n\n"
    path = tmp_path / "lineage.jsonl"
    path.write_text(text)
    assert parse_column_lineage(path.read_text(), label=str(path)) == EXPECTED


def test_event_without_column_lineage_gives_no_features() -> None:
    event = {"eventType": "COMPLETE", "run": {"runId": "r"}, "outputs": []}
    assert parse_column_lineage(event, label="x") == ()
    assert parse_column_lineage({"fields": {}}, label="x") == ()


def test_namespace_stands_in_for_a_missing_dataset_name() -> None:
    facet = {"fields": {"f": {"inputFields": [{"namespace": "warehouse", "field": "c"}]}}}
    assert parse_column_lineage(facet, label="x")[0].source_columns == ("warehouse.c",)


def test_feature_without_inputs_is_kept_as_a_gap() -> None:
    [feature] = parse_column_lineage({"fields": {"orphan": {}}}, label="x")
    assert feature == ColumnLineage("orphan", ())


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("{not json", "tag govtui.column_lineage:1: (file): invalid JSON"),
        ('{"a": 1}\n{oops', "tag govtui.column_lineage:2: (file): invalid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ("[1]", ": [0]: expected an object, got a number"),
        ('"text"', "(top level): expected an object, got text"),
        ({"something": "else"}, "expected an OpenLineage columnLineage facet"),
        ({"fields": []}, ": fields: expected an object, got a list"),
        ({"fields": {"f": []}}, ": fields.f: expected an object"),
        ({"fields": {"f": {"inputFields": {}}}}, "fields.f.inputFields: expected a list"),
        (
            {"fields": {"f": {"inputFields": [{"name": "d", "field": 3}]}}},
            "fields.f.inputFields[0].field: expected text, got a number",
        ),
        (
            {"fields": {"f": {"inputFields": [{"name": "d"}]}}},
            "fields.f.inputFields[0].field: expected text, got null",
        ),
        (
            {"fields": {"f": {"inputFields": [{"field": "c"}]}}},
            "fields.f.inputFields[0].name: expected text, got null",
        ),
        (
            {"fields": {"f": {"inputFields": [{"name": "d", "field": ""}]}}},
            "fields.f.inputFields[0].field: must not be empty",
        ),
        (
            {
                "fields": {
                    "f": {"inputFields": [{"name": "d", "field": "c", "transformations": [1]}]}
                }
            },
            "fields.f.inputFields[0].transformations[0]: expected an object",
        ),
        ({"fields": {"bad\nname": {}}}, "fields.bad\\nname: a feature name must be"),
        ({"outputs": [{"facets": {"columnLineage": 5}}]}, "outputs[0].facets.columnLineage"),
        ({"eventType": "COMPLETE", "outputs": {}}, ": outputs: expected a list"),
    ],
)
def test_bad_input_is_one_line_naming_label_and_field(data: Any, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_column_lineage(data, label="tag govtui.column_lineage")
    message = str(caught.value)
    assert message.startswith("tag govtui.column_lineage")
    assert needle in message
    assert "\n" not in message
    assert caught.value.exit_code == EXIT_USAGE


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["fields", "inputFields", "name", "field", "outputs", "facets", "x"])
            | st.text(max_size=4),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
@settings(deadline=None, max_examples=300)
def test_any_json_gives_features_or_an_input_error(data: Any) -> None:
    try:
        features = parse_column_lineage(data, label="fuzz")
    except GovtuiError as exc:
        assert isinstance(exc, InputError)
        assert str(exc).startswith("fuzz") and "\n" not in str(exc)
        return
    assert all(isinstance(item, ColumnLineage) for item in features)


@given(st.text(max_size=40))
@settings(deadline=None, max_examples=200)
def test_any_text_gives_features_or_an_input_error(text: str) -> None:
    try:
        parse_column_lineage(text, label="fuzz")
    except InputError as exc:
        assert "\n" not in str(exc)


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcxyz_", min_size=1, max_size=6),
            st.lists(
                st.tuples(
                    st.text(alphabet="abc-.", min_size=1, max_size=6).filter(
                        lambda s: not s.endswith(".")
                    ),
                    st.text(alphabet="xyz_", min_size=1, max_size=4),
                ),
                max_size=3,
                unique=True,
            ),
            st.text(alphabet="abc ,", max_size=8).map(str.strip),
        ),
        max_size=4,
        unique_by=lambda item: item[0],
    )
)
@settings(deadline=None, max_examples=200)
def test_facet_round_trips(spec: list[tuple[str, list[tuple[str, str]], str]]) -> None:
    features = tuple(
        ColumnLineage(name, tuple(f"{d}.{c}" for d, c in columns), transformation)
        for name, columns, transformation in spec
    )
    assert parse_column_lineage(column_lineage_facet(features), label="x") == features
    text = json.dumps(column_lineage_facet(features))
    assert parse_column_lineage(text, label="x") == features


# ---------------------------------------------------------------------------------------------
# Diffs


def _lineage(
    version: str = "3",
    *,
    datasets: tuple[Dataset, ...] = (Dataset("tx", DIGEST_A, "s3://tx/1", ("amount", "ts")),),
    features: tuple[ColumnLineage, ...] = (ColumnLineage("amount", ("tx.amount",), "as is"),),
    params: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    code: str = "abc",
    run: bool = True,
) -> Lineage:
    return Lineage(
        model="fraud-scorer",
        version=version,
        deployment="fraud-scorer-prod",
        run=TrainingRun(
            f"run-{version}",
            params if params is not None else {"depth": "6"},
            metrics if metrics is not None else {"accuracy": 0.9},
            code,
        )
        if run
        else None,
        datasets=datasets,
        features=features,
    )


def test_same_inputs_in_another_run_is_an_empty_diff() -> None:
    diff = diff_lineage(_lineage("3"), _lineage("4"))
    assert diff.empty
    assert (diff.base_version, diff.other_version) == ("3", "4")
    assert diff_to_dict(diff)["empty"] is True


def test_every_kind_of_change_is_reported() -> None:
    base = _lineage(
        datasets=(
            Dataset("tx", DIGEST_A, "s3://tx/1", ("amount", "ts")),
            Dataset("cards", DIGEST_A, "s3://cards/1"),
        ),
        features=(
            ColumnLineage("amount", ("tx.amount",), "as is"),
            ColumnLineage("age", ("cards.issued",), "days"),
            ColumnLineage("hour", ("tx.ts",), "hour of day"),
        ),
        params={"depth": "6", "lr": "0.1"},
        metrics={"accuracy": 0.9, "auc": 0.8, "nan": math.nan},
    )
    other = _lineage(
        "5",
        datasets=(
            Dataset("tx", DIGEST_B, "s3://tx/2", ("amount", "ts", "merchant")),
            Dataset("merchants", DIGEST_B, "s3://m"),
        ),
        features=(
            ColumnLineage("amount", ("tx.amount",), "log1p"),
            ColumnLineage("hour", ("tx.ts", "tx.tz"), "hour of day"),
            ColumnLineage("merchant_risk", ("merchants.risk",), ""),
        ),
        params={"depth": "8", "n": "500"},
        metrics={"accuracy": 0.91, "nan": math.nan, "f1": 0.7},
        code="def",
    )
    diff = diff_lineage(base, other)
    assert not diff.empty
    assert [d.name for d in diff.datasets_added] == ["merchants"]
    assert [d.name for d in diff.datasets_removed] == ["cards"]
    [changed] = diff.datasets_changed
    assert changed.name == "tx" and changed.fields == ("digest", "source", "schema")
    assert [f.feature for f in diff.features_added] == ["merchant_risk"]
    assert [f.feature for f in diff.features_removed] == ["age"]
    assert [(f.feature, f.fields) for f in diff.features_changed] == [
        ("amount", ("transformation",)),
        ("hour", ("source_columns",)),
    ]
    assert [(p.name, p.before, p.after) for p in diff.params_changed] == [
        ("depth", "6", "8"),
        ("lr", "0.1", None),
        ("n", None, "500"),
    ]
    assert diff.code_version is not None
    assert (diff.code_version.before, diff.code_version.after) == ("abc", "def")
    assert [(m.name, m.before, m.after) for m in diff.metrics_changed] == [
        ("accuracy", 0.9, 0.91),
        ("auc", 0.8, None),
        ("f1", None, 0.7),
    ]  # NaN on both sides is no change
    assert diff.changed_features == {"merchant_risk", "age", "amount", "hour"}
    data = diff_to_dict(diff)
    assert data["format"] == LINEAGE_DIFF_FORMAT
    assert data["datasets"]["changed"][0]["fields"] == ["digest", "source", "schema"]
    assert data["code_version"] == {"before": "abc", "after": "def"}
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_diff_against_a_version_without_a_run() -> None:
    diff = diff_lineage(_lineage(), _lineage("6", run=False, datasets=(), features=()))
    assert diff.code_version is not None and diff.code_version.after is None
    assert [p.name for p in diff.params_changed] == ["depth"]
    assert [m.name for m in diff.metrics_changed] == ["accuracy"]
    assert [d.name for d in diff.datasets_removed] == ["tx"]
    assert [f.feature for f in diff.features_removed] == ["amount"]


@given(
    st.dictionaries(st.sampled_from("abcde"), st.sampled_from(["1", "2"]), max_size=5),
    st.dictionaries(st.sampled_from("abcde"), st.sampled_from(["1", "2"]), max_size=5),
    st.dictionaries(st.sampled_from("abcde"), st.floats(allow_nan=True), max_size=5),
    st.dictionaries(st.sampled_from("abcde"), st.floats(allow_nan=True), max_size=5),
)
@settings(deadline=None, max_examples=200)
def test_diff_is_empty_exactly_when_nothing_differs(
    params_a: dict[str, str],
    params_b: dict[str, str],
    metrics_a: dict[str, float],
    metrics_b: dict[str, float],
) -> None:
    a = _lineage(params=params_a, metrics=metrics_a)
    b = _lineage(params=params_b, metrics=metrics_b)
    diff = diff_lineage(a, b)
    same_metrics = metrics_a.keys() == metrics_b.keys() and all(
        metrics_a[k] == metrics_b[k] or (math.isnan(metrics_a[k]) and math.isnan(metrics_b[k]))
        for k in metrics_a
    )
    assert diff.empty == (params_a == params_b and same_metrics)
    assert diff_lineage(a, a).empty
    reverse = diff_lineage(b, a)
    assert [(p.name, p.after, p.before) for p in reverse.params_changed] == [
        (p.name, p.before, p.after) for p in diff.params_changed
    ]
    json.dumps(diff_to_dict(diff), allow_nan=False)


# ---------------------------------------------------------------------------------------------
# JSON


def test_lineage_to_dict_is_json_with_gaps_and_the_version() -> None:
    registry = FileRegistry(SAMPLE)
    version = registry.get_version("fraud-scorer", "3")
    assert version is not None
    data = lineage_to_dict(registry.lineage("fraud-scorer", "3"), version=version)
    assert data["format"] == LINEAGE_FORMAT
    assert data["complete"] is True and data["gaps"] == []
    assert data["run"]["code_version"].startswith("9a8b7c")
    assert data["datasets"][0]["digest"].startswith("sha256:")
    assert data["features"][1]["source_columns"] == [
        "cards-2025-12.issued_at",
        "transactions-2025-12.ts",
    ]
    assert data["model_version"]["aliases"] == ["champion"]
    assert data["model_version"]["gate"] == "passed"
    assert data["feature_source"] == "file registry: run"
    assert json.loads(json.dumps(data, allow_nan=False)) == data


def test_lineage_to_dict_marks_gaps_and_non_finite_metrics() -> None:
    lineage = _lineage(
        datasets=(Dataset("tx", ""),),
        features=(ColumnLineage("orphan", ()),),
        metrics={"accuracy": math.inf},
        code="",
    )
    data = lineage_to_dict(lineage)
    assert data["complete"] is False
    assert data["gaps"] == [
        "training run has no code version",
        "dataset tx has no digest",
        "feature orphan has no source column",
    ]
    assert data["run"]["metrics"] == {"accuracy": None}
    assert "model_version" not in data
    json.dumps(data, allow_nan=False)
