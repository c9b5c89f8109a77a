"""Fuzz the CSV signal reader and the file registry parser with any text and near-valid input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from govtui.analysis.frames import FRAME_COLUMNS, OPTIONAL_COLUMNS, Signals
from govtui.sources.files import SIGNAL_FILES, read_signals_dir
from govtui.sources.registry.file import RegistryDocument, parse_registry
from tests.fuzz.support import FUZZ, json_values, only_govtui_errors

SAMPLES = Path(__file__).parents[2] / "sample_configs"
SAMPLE_CSV = {
    name: (SAMPLES / "signals" / f"{name}.csv").read_text()
    for name in ("requests", "latency", "feature_bins", "outcomes")
}
SAMPLE_REGISTRY = (SAMPLES / "registry.yaml").read_text()

cells = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "-1",
            "NaN",
            "inf",
            "+Inf",
            "1e309",
            "0.5",
            "x",
            "5m",
            "30d",
            "current",
            "reference",
            "numeric",
            "categorical",
            "2026-01-15T12:00:00Z",
            "1768478400",
            " 7 ",
            "1,5",
            '"',
            "true",
        ]
    ),
    st.text(max_size=8),
)


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, length, replacement in edits:
        at = position % (len(text) + 1)
        text = text[:at] + replacement + text[at + length :]
    return text


@st.composite
def signal_csv(draw: st.DrawFn) -> tuple[str, str]:
    """(frame name, CSV text): the frame's columns (some dropped, renamed or extra) and rows
    of plausible and implausible cells."""
    name = draw(st.sampled_from(sorted(SIGNAL_FILES)))
    columns = list(FRAME_COLUMNS[name]) + list(OPTIONAL_COLUMNS.get(name, ()))
    columns = draw(st.permutations(columns))
    columns = columns[: draw(st.integers(len(columns) - 2, len(columns)))]
    if draw(st.booleans()):
        columns.append(draw(st.text(min_size=1, max_size=6)))
    rows = draw(st.lists(st.lists(cells, min_size=len(columns), max_size=len(columns)), max_size=8))
    if rows and draw(st.booleans()):
        rows[-1] = rows[-1][:-1]  # a ragged row
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return name, buffer.getvalue()


def _read(tmp_path_factory, files: dict[str, bytes]) -> Signals | Exception:  # type: ignore[no-untyped-def]
    directory = tmp_path_factory.mktemp("signals")
    for name, data in files.items():
        (directory / SIGNAL_FILES[name]).write_bytes(data)
    return only_govtui_errors(lambda: read_signals_dir(directory))


@FUZZ
@given(st.lists(signal_csv(), min_size=1, max_size=3))
def test_csv_signals_of_any_shape(tmp_path_factory, tables: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    _read(tmp_path_factory, {name: text.encode() for name, text in tables})


@FUZZ
@given(
    st.sampled_from(sorted(SAMPLE_CSV)),
    st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 6), st.text(max_size=5)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_sample_csv(tmp_path_factory, name: str, edits: list[tuple[int, int, str]]) -> None:  # type: ignore[no-untyped-def]
    _read(tmp_path_factory, {name: _mutate(SAMPLE_CSV[name], edits).encode()})


@FUZZ
@given(st.sampled_from(sorted(SIGNAL_FILES)), st.binary(max_size=200))
@example("requests", b"\xef\xbb\xbf")
@example("requests", b"model,window,total,errors\n\x00,5m,1,0\n")
def test_csv_bytes(tmp_path_factory, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
    _read(tmp_path_factory, {name: data})


# ---------------------------------------------------------------- the file registry

registry_keys = st.sampled_from(
    [
        "models",
        "runs",
        "datasets",
        "versions",
        "aliases",
        "alias_history",
        "name",
        "version",
        "status",
        "run_id",
        "tags",
        "created",
        "description",
        "features",
        "source_columns",
        "transformation",
        "digest",
        "source",
        "schema",
        "params",
        "code_version",
        "metrics",
        "from_version",
        "to_version",
        "time",
        "actor",
        "reason",
        "alias",
        "metadata",
    ]
)
registry_documents = st.recursive(
    st.dictionaries(registry_keys, json_values, max_size=4),
    lambda children: st.dictionaries(
        registry_keys | st.text(max_size=6), children | st.lists(children, max_size=3), max_size=4
    ),
    max_leaves=12,
)


@FUZZ
@given(st.text(max_size=300))
@example("{")
@example("models: {a: {versions: [{version: 1, status: READY}]}}")
def test_registry_any_text(text: str) -> None:
    result = only_govtui_errors(lambda: parse_registry(text, "fuzz-registry.yaml"))
    assert isinstance(result, RegistryDocument) or "fuzz-registry.yaml" in str(result)


@FUZZ
@given(registry_documents, st.booleans())
def test_registry_shaped_documents(document: dict[str, object], as_json: bool) -> None:
    import json

    text = json.dumps(document) if as_json else yaml.safe_dump(document, allow_unicode=True)
    only_govtui_errors(lambda: parse_registry(text, "fuzz-registry.yaml"))


@FUZZ
@given(
    st.lists(
        st.tuples(st.integers(0, 20_000), st.integers(0, 8), st.text(max_size=6)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_sample_registry(edits: list[tuple[int, int, str]]) -> None:
    only_govtui_errors(
        lambda: parse_registry(_mutate(SAMPLE_REGISTRY, edits), "fuzz-registry.yaml")
    )
