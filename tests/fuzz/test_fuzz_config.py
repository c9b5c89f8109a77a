"""Fuzz the config loader: any text, YAML of any shape, and mutations of the shipped configs."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from govtui.config import Config, load_config, parse_config
from govtui.demo.config import demo_config
from tests.fuzz.support import FUZZ, json_values, only_govtui_errors

DEMO_TEXT = Path(str(demo_config().path)).read_text(encoding="utf-8")
SAMPLES = sorted((Path(__file__).parents[2] / "sample_configs").glob("*.yaml"))
SECTIONS = (
    "sources",
    "models",
    "slos",
    "drift",
    "fairness",
    "quality",
    "policy",
    "runbooks",
    "ui",
    "audit",
    "gate",
    "actions",
)

# Config-shaped documents: known section names with values of any shape.
config_documents = st.dictionaries(
    st.sampled_from(SECTIONS) | st.text(max_size=8),
    json_values
    | st.dictionaries(
        st.sampled_from(
            [
                "url",
                "timeout",
                "retries",
                "period",
                "objective",
                "window",
                "offset",
                "duration",
                "threshold_seconds",
                "kind",
                "name",
                "attributes",
                "refresh",
                "keymap",
                "path",
                "include",
                "regex",
                "overrides",
                "prometheus",
                "alertmanager",
                "registry",
                "auth",
            ]
        ),
        json_values,
        max_size=5,
    ),
    max_size=5,
)


def _mutate(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, length, replacement in edits:
        at = position % (len(text) + 1)
        text = text[:at] + replacement + text[at + length :]
    return text


@FUZZ
@given(st.text(max_size=300))
@example("a: [\n")
@example("!!python/object:os.system {}")  # once a multi-line message
@example("slos: [{kind: availability, objective: 2}]")
@example("drift: {current: {duration: 1x}}")
@example("\x00")
def test_any_text(text: str) -> None:
    result = only_govtui_errors(lambda: parse_config(text, "fuzz.yaml"))
    assert isinstance(result, Config) or "fuzz.yaml" in str(result)


@FUZZ
@given(config_documents)
@example({"\n": {}})  # a key with a newline once broke the one-line message
@example({"drift": {"current": {"duration": "1\nh"}}})
def test_config_shaped_yaml(document: dict[str, object]) -> None:
    text = yaml.safe_dump(document, allow_unicode=True)
    only_govtui_errors(lambda: parse_config(text, "fuzz.yaml"))


@FUZZ
@given(
    st.sampled_from([DEMO_TEXT, *(path.read_text(encoding="utf-8") for path in SAMPLES)]),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 8), st.text(max_size=6)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_shipped_configs(text: str, edits: list[tuple[int, int, str]]) -> None:
    only_govtui_errors(lambda: parse_config(_mutate(text, edits), "fuzz.yaml"))


@FUZZ
@given(st.binary(max_size=200))
@example(b"\xff\xfe\x00")
def test_file_bytes(tmp_path_factory, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("config") / "govtui.yaml"
    path.write_bytes(data)
    only_govtui_errors(lambda: load_config(path))
