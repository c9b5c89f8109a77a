"""MlflowRegistry under injected faults: MLflow errors, pagination, garbage, retries, read-only."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from govtui.config import AuthConfig, RegistryConfig
from govtui.errors import GovtuiError, ReadOnlyRefused, RegistryError, UsageError
from govtui.sources.registry.base import ALIAS_HISTORY_TAG, AliasMove
from govtui.sources.registry.mlflow import (
    ALIAS_HISTORY_LIMIT,
    TAG_VALUE_LIMIT,
    MlflowRegistry,
    dataset_source,
    dump_alias_history,
    parse_alias_history,
    schema_columns,
)

URL = "http://mlflow.test"
API = "/api/2.0/mlflow/"
TOKEN = "s3cr3t-mlflow-token-0123456789"


@contextmanager
def _mock() -> Iterator[respx.MockRouter]:
    """A respx router whose recorded calls stay readable after the block."""
    router = respx.MockRouter(base_url=URL + API, assert_all_called=False)
    router.start()
    try:
        yield router
    finally:
        router.stop(clear=False, reset=False)


class _Sleeps:
    """Records backoff delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _registry(**overrides: Any) -> tuple[MlflowRegistry, _Sleeps]:
    sleeps = _Sleeps()
    read_only = overrides.pop("read_only_ctor", False)
    transport = overrides.pop("transport", None)
    base_dir = overrides.pop("base_dir", None)
    settings_ = RegistryConfig(**{"kind": "mlflow", "url": URL, **overrides})
    registry = MlflowRegistry(
        settings_, sleep=sleeps, read_only=read_only, transport=transport, base_dir=base_dir
    )
    return registry, sleeps


def _error(code: str, message: str, status: int = 400) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "message": message})


def _version(version: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "credit",
        "version": version,
        "creation_timestamp": 1795864591648,
        "current_stage": "None",
        "status": "READY",
        "run_id": f"run{version}",
        **extra,
    }


def _model(aliases: dict[str, str] | None = None, tags: dict[str, str] | None = None) -> dict:
    return {
        "registered_model": {
            "name": "credit",
            "aliases": [{"alias": a, "version": v} for a, v in (aliases or {}).items()],
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
    }


# ---------------------------------------------------------------------------------------------
# MLflow's error JSON


def test_error_json_becomes_registry_error_with_code() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.post("model-versions/set-tag").mock(
            return_value=_error("INVALID_PARAMETER_VALUE", "'value' exceeds the maximum length")
        )
        with pytest.raises(RegistryError) as caught:
            registry.set_version_tag("credit", "1", "k", "v")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert caught.value.source == "mlflow"
    assert str(caught.value) == (
        "mlflow: 'value' exceeds the maximum length (INVALID_PARAMETER_VALUE) "
        "on POST model-versions/set-tag"
    )
    assert caught.value.exit_code == 2


def test_not_found_is_none_for_reads_and_an_error_for_lineage() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("model-versions/get").mock(
            return_value=_error("RESOURCE_DOES_NOT_EXIST", "Model Version not found", 404)
        )
        router.get("registered-models/alias").mock(
            return_value=_error("RESOURCE_DOES_NOT_EXIST", "Registered Model not found", 404)
        )
        router.get("runs/get").mock(
            return_value=_error("RESOURCE_DOES_NOT_EXIST", "Run not found", 404)
        )
        assert registry.get_version("credit", "9") is None
        assert registry.get_alias("credit", "champion") is None
        assert registry.get_run("nope") is None
        with pytest.raises(RegistryError) as caught:
            registry.lineage("credit", "9")
    assert caught.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert "no version '9'" in str(caught.value)


def test_unset_alias_is_none_but_other_invalid_parameters_raise() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("registered-models/alias").mock(
            return_value=_error("INVALID_PARAMETER_VALUE", "Registered model alias x not found.")
        )
        model = router.get("registered-models/get").mock(
            return_value=httpx.Response(200, json=_model({"champion": "3"}))
        )
        assert registry.get_alias("credit", "challenger") is None
        with pytest.raises(RegistryError):
            registry.get_alias("credit", "champion")  # set, yet the server refused: say so
    assert model.call_count == 2


def test_http_error_without_json_names_status_and_endpoint() -> None:
    registry, _ = _registry(retries=0)
    with _mock() as router:
        router.get("registered-models/search").mock(
            return_value=httpx.Response(502, text="<html>Bad Gateway</html>")
        )
        with pytest.raises(RegistryError) as caught:
            registry.list_models()
    message = str(caught.value)
    assert "HTTP 502 Bad Gateway on GET registered-models/search" in message
    assert caught.value.retryable
    assert "\n" not in message


# ---------------------------------------------------------------------------------------------
# Pagination


def test_versions_are_read_across_pages_with_aliases_from_the_model() -> None:
    registry, _ = _registry(page_size=2)
    pages = {
        None: {"model_versions": [_version("1"), _version("2")], "next_page_token": "p2"},
        "p2": {"model_versions": [_version("3"), _version("10")], "next_page_token": "p3"},
        "p3": {"model_versions": [_version("4")]},
    }

    def search(request: httpx.Request) -> httpx.Response:
        assert request.url.params["filter"] == "name='credit'"
        assert request.url.params["max_results"] == "2"
        return httpx.Response(200, json=pages[request.url.params.get("page_token")])

    with _mock() as router:
        router.get("registered-models/get").mock(
            return_value=httpx.Response(200, json=_model({"champion": "3", "canary": "10"}))
        )
        route = router.get("model-versions/search").mock(side_effect=search)
        versions = registry.list_versions("credit")
    assert route.call_count == 3
    assert [item.version for item in versions] == ["1", "2", "3", "4", "10"]
    assert {item.version: item.aliases for item in versions}["3"] == ("champion",)
    assert {item.version: item.aliases for item in versions}["10"] == ("canary",)


def test_models_are_read_across_pages() -> None:
    registry, _ = _registry(page_size=1)

    def search(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("page_token")
        if token is None:
            body = {"registered_models": [{"name": "a"}], "next_page_token": "t1"}
        else:
            body = {
                "registered_models": [
                    {"name": "b", "aliases": [{"alias": "champion", "version": "2"}]}
                ]
            }
        return httpx.Response(200, json=body)

    with _mock() as router:
        router.get("registered-models/search").mock(side_effect=search)
        models = registry.list_models()
    assert [(item.name, item.aliases) for item in models] == [("a", {}), ("b", {"champion": "2"})]


def test_a_repeated_page_token_is_an_error_not_a_loop() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("registered-models/search").mock(
            return_value=httpx.Response(
                200, json={"registered_models": [], "next_page_token": "same"}
            )
        )
        with pytest.raises(RegistryError, match="repeats the previous page"):
            registry.list_models()


def test_model_names_with_quotes_are_filtered_with_the_other_quote() -> None:
    registry, _ = _registry()
    seen: list[str] = []

    def search(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params["filter"])
        return httpx.Response(200, json={})

    with _mock() as router:
        router.get("model-versions/search").mock(side_effect=search)
        registry.list_versions_page("it's", aliases={})
        with pytest.raises(RegistryError, match="both quote characters"):
            registry.list_versions_page('it\'s "q"', aliases={})
    assert seen == ['name="it\'s"']


# ---------------------------------------------------------------------------------------------
# Garbage bodies


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<html>oops</html>", "text/html", "invalid JSON in response to GET model-versions/get"),
        (b'{"model_version": {"name": "cre', "application/json", "invalid JSON"),
        (b"", "application/json", "empty response body on GET model-versions/get"),
        (b"[1, 2]", "application/json", "is not a JSON object"),
        (b"\xff\xfe\x00", "application/json", "not UTF-8"),
        (b'{"model_version": []}', "application/json", "unexpected response to GET"),
        (b'{"model_version": {"name": "credit"}}', "application/json", "unexpected response"),
        (
            b'{"model_version": {"name": "c", "version": "1", "tags": "x"}}',
            "application/json",
            "unexpected response",
        ),
    ],
)
def test_garbage_bodies_are_registry_errors_naming_the_endpoint(
    body: bytes, content_type: str, expected: str
) -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("model-versions/get").mock(
            return_value=httpx.Response(200, content=body, headers={"content-type": content_type})
        )
        with pytest.raises(RegistryError) as caught:
            registry.get_version("credit", "1")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


@settings(deadline=None, max_examples=150)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "name",
                        "version",
                        "tags",
                        "status",
                        "current_stage",
                        "aliases",
                        "key",
                        "value",
                        "model_version",
                        "run_id",
                        "creation_timestamp",
                        "run",
                        "info",
                        "data",
                        "inputs",
                        "dataset_inputs",
                        "dataset",
                        "metrics",
                        "params",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_any_json_gives_a_result_or_a_registry_error(document: Any) -> None:
    _FUZZ_BODY[:] = [json.dumps(document).encode()]
    registry = _fuzz_registry()
    calls = (
        lambda: registry.get_version("m", "1"),
        lambda: registry.get_run("r"),
        lambda: registry.list_models(),
        lambda: registry.list_versions_page("m", aliases={}),
        lambda: registry.get_model("m"),
    )
    for call in calls:
        try:
            call()
        except GovtuiError as exc:
            assert isinstance(exc, RegistryError)
            assert "\n" not in str(exc)


_FUZZ_BODY: list[bytes] = [b"{}"]


@functools.cache
def _fuzz_registry() -> MlflowRegistry:
    """One registry for every fuzz example (building the TLS context each time is slow)."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=_FUZZ_BODY[0]))
    registry, _ = _registry(transport=transport, retries=0)
    return registry


# ---------------------------------------------------------------------------------------------
# Timeouts and retries


def test_reads_retry_timeouts_and_5xx_with_jittered_backoff() -> None:
    registry, sleeps = _registry(retries=3)
    with _mock() as router:
        route = router.get("model-versions/get").mock(
            side_effect=[
                httpx.ReadTimeout("slow"),
                httpx.Response(503),
                httpx.ConnectError("refused"),
                httpx.Response(200, json={"model_version": _version("1")}),
            ]
        )
        version = registry.get_version("credit", "1")
    assert version is not None
    assert route.call_count == 4
    assert len(sleeps.delays) == 3
    assert 0.1 <= sleeps.delays[0] <= 0.2  # half to full of the first step (0.2 s)
    assert 0.2 <= sleeps.delays[1] <= 0.4
    assert 0.4 <= sleeps.delays[2] <= 0.8


def test_exhausted_retries_say_how_many_attempts() -> None:
    registry, sleeps = _registry(retries=2, timeout="3s")
    with _mock() as router:
        router.get("registered-models/search").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(RegistryError) as caught:
            registry.list_models()
    assert "timed out after 3s on GET registered-models/search" in str(caught.value)
    assert "(after 3 attempts)" in str(caught.value)
    assert caught.value.retryable
    assert len(sleeps.delays) == 2


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    registry, sleeps = _registry(retries=1)
    with _mock() as router:
        router.get("registered-models/search").mock(
            side_effect=[
                httpx.Response(429, headers={"retry-after": "2"}),
                httpx.Response(200, json={}),
            ]
        )
        assert registry.list_models() == []
    assert sleeps.delays == [2.0]


def test_writes_are_not_retried_once_the_request_may_have_landed() -> None:
    registry, sleeps = _registry(retries=3)
    with _mock() as router:
        timeout = router.post("model-versions/set-tag").mock(side_effect=httpx.ReadTimeout("x"))
        with pytest.raises(RegistryError, match="may or may not have been applied"):
            registry.set_version_tag("credit", "1", "k", "v")
        unavailable = router.delete("registered-models/alias").mock(
            return_value=httpx.Response(503)
        )
        with pytest.raises(RegistryError, match="HTTP 503"):
            registry.delete_alias("credit", "x")
    assert timeout.call_count == 1
    assert unavailable.call_count == 1
    assert sleeps.delays == []


def test_writes_retry_when_the_connection_was_refused() -> None:
    registry, sleeps = _registry(retries=2)
    with _mock() as router:
        route = router.post("registered-models/set-tag").mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={})]
        )
        registry.set_model_tag("credit", "k", "v")
    assert route.call_count == 2
    assert len(sleeps.delays) == 1


# ---------------------------------------------------------------------------------------------
# Read-only


class _Recording(httpx.BaseTransport):
    """Counts every request; answers each with an empty JSON object."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json={})


@pytest.mark.parametrize("how", ["constructor", "settings"])
def test_read_only_refuses_every_write_before_any_request(how: str) -> None:
    transport = _Recording()
    if how == "constructor":
        registry, _ = _registry(transport=transport, read_only_ctor=True)
    else:
        registry, _ = _registry(transport=transport, read_only=True)
    writes = [
        lambda: registry.set_alias("credit", "champion", "2", reason="r"),
        lambda: registry.set_alias("credit", "bad alias!", "2"),
        lambda: registry.delete_alias("credit", "champion"),
        lambda: registry.set_version_tag("credit", "2", "govtui.gate", "passed"),
        lambda: registry.set_model_tag("credit", ALIAS_HISTORY_TAG, "[]"),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyRefused) as caught:
            write()
        assert caught.value.exit_code == 3
        assert str(caught.value).startswith("read-only mode: ")
    assert transport.requests == []


# ---------------------------------------------------------------------------------------------
# Secrets


def test_bearer_token_is_sent_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TEST_TOKEN", TOKEN)
    registry, _ = _registry(auth=AuthConfig(bearer_token_env="MLFLOW_TEST_TOKEN"), retries=0)
    with _mock() as router:
        route = router.get("registered-models/search").mock(
            return_value=_error("UNAUTHENTICATED", f"bad token Bearer {TOKEN}", 401)
        )
        with pytest.raises(RegistryError) as caught:
            registry.list_models()
        router.get("runs/get").mock(
            return_value=httpx.Response(500, text=f"proxy saw Authorization: Bearer {TOKEN}")
        )
        with pytest.raises(RegistryError) as raw:
            registry.get_run("r1")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    for error in (caught.value, raw.value):
        assert TOKEN not in str(error)
        assert TOKEN not in repr(error.args)
        assert "<redacted>" in str(error)
    assert caught.value.error_code == "UNAUTHENTICATED"
    assert TOKEN not in repr(registry)


def test_password_in_the_url_becomes_a_header_and_is_never_shown() -> None:
    registry, _ = _registry(url="http://ops:pa55word-xyz@mlflow.test", retries=0)
    assert "pa55word" not in repr(registry)
    with _mock() as router:
        route = router.get("registered-models/search").mock(
            side_effect=httpx.ConnectError("cannot connect to ops:pa55word-xyz@mlflow.test")
        )
        with pytest.raises(RegistryError) as caught:
            registry.list_models()
    assert route.calls.last.request.headers["authorization"].startswith("Basic ")
    assert "pa55word" not in str(caught.value)


def test_missing_token_env_is_a_registry_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TEST_TOKEN", raising=False)
    registry, _ = _registry(auth=AuthConfig(bearer_token_env="MLFLOW_TEST_TOKEN"))
    with pytest.raises(RegistryError, match="MLFLOW_TEST_TOKEN is not set"):
        registry.list_models()


# ---------------------------------------------------------------------------------------------
# Versions: status and legacy stages


@pytest.mark.parametrize(
    ("status", "stage", "expected", "legacy"),
    [
        ("READY", "None", "READY", None),
        ("PENDING_REGISTRATION", "None", "PENDING", None),
        ("FAILED_REGISTRATION", "Production", "FAILED", "Production"),
        ("READY", "Archived", "ARCHIVED", "Archived"),
        ("READY", "Staging", "READY", "Staging"),
        ("SOMETHING_NEW", None, "PENDING", None),
    ],
)
def test_status_and_legacy_stage(
    status: str, stage: str | None, expected: str, legacy: str | None
) -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("model-versions/get").mock(
            return_value=httpx.Response(
                200,
                json={
                    "model_version": _version(
                        "1", status=status, current_stage=stage, aliases=["b", "a"]
                    )
                },
            )
        )
        version = registry.get_version("credit", "1")
    assert version is not None
    assert (version.status, version.legacy_stage) == (expected, legacy)
    assert version.aliases == ("a", "b")
    assert version.created == "2026-11-28T11:16:31Z"


# ---------------------------------------------------------------------------------------------
# Alias moves and their history


def test_set_alias_moves_then_appends_to_the_history_tag() -> None:
    registry, _ = _registry()
    earlier = [
        {
            "alias": "champion",
            "from_version": None,
            "to_version": "3",
            "time": "2026-01-01T00:00:00Z",
        }
    ]
    with _mock() as router:
        router.get("registered-models/get").mock(
            return_value=httpx.Response(
                200,
                json=_model({"champion": "3"}, {ALIAS_HISTORY_TAG: json.dumps(earlier)}),
            )
        )
        move = router.post("registered-models/alias").mock(
            return_value=httpx.Response(200, json={})
        )
        tag = router.post("registered-models/set-tag").mock(
            return_value=httpx.Response(200, json={})
        )
        registry.set_alias(
            "credit", "champion", "2", actor="alice", reason="drift", at="2026-11-28T12:00:00+01:00"
        )
    assert json.loads(move.calls.last.request.content) == {
        "name": "credit",
        "alias": "champion",
        "version": "2",
    }
    body = json.loads(tag.calls.last.request.content)
    assert (body["name"], body["key"]) == ("credit", ALIAS_HISTORY_TAG)
    assert json.loads(body["value"]) == [
        {**earlier[0], "actor": "", "reason": ""},
        {
            "alias": "champion",
            "from_version": "3",
            "to_version": "2",
            "time": "2026-11-28T11:00:00Z",
            "actor": "alice",
            "reason": "drift",
        },
    ]
    # The move happens before the history is written.
    order = [call.request.url.path for call in router.calls]
    assert order.index(API + "registered-models/alias") < order.index(
        API + "registered-models/set-tag"
    )


def test_an_unreadable_history_refuses_the_move_before_it_happens() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("registered-models/get").mock(
            return_value=httpx.Response(200, json=_model({}, {ALIAS_HISTORY_TAG: "{not json"}))
        )
        move = router.post("registered-models/alias").mock(return_value=httpx.Response(200))
        with pytest.raises(RegistryError) as caught:
            registry.set_alias("credit", "champion", "2")
        with pytest.raises(RegistryError):
            registry.alias_history("credit")
    assert move.call_count == 0
    assert caught.value.error_code == "INVALID_ALIAS_HISTORY"
    assert "delete the tag" in str(caught.value)


def test_a_history_write_failure_after_the_move_says_the_alias_moved() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("registered-models/get").mock(
            return_value=httpx.Response(200, json=_model({"champion": "3"}))
        )
        router.post("registered-models/alias").mock(return_value=httpx.Response(200, json={}))
        router.post("registered-models/set-tag").mock(
            return_value=_error("PERMISSION_DENIED", "no", 403)
        )
        with pytest.raises(RegistryError) as caught:
            registry.set_alias("credit", "champion", "2")
    assert "now points at version 2" in str(caught.value)
    assert caught.value.error_code == "PERMISSION_DENIED"


@pytest.mark.parametrize("alias", ["", "has space", "dot.ted", "latest", "LATEST", "v3", "x" * 256])
def test_invalid_alias_names_are_refused_before_any_request(alias: str) -> None:
    transport = _Recording()
    registry, _ = _registry(transport=transport)
    with pytest.raises(UsageError):
        registry.set_alias("credit", alias, "2")
    assert transport.requests == []


def test_history_is_bounded_in_entries_and_size() -> None:
    moves = [
        AliasMove("champion", str(i), str(i + 1), "2026-01-01T00:00:00Z", "a", "r")
        for i in range(ALIAS_HISTORY_LIMIT + 50)
    ]
    kept = parse_alias_history(dump_alias_history(moves))
    assert len(kept) == ALIAS_HISTORY_LIMIT
    assert kept[-1] == moves[-1]
    assert kept[0] == moves[50]
    long = [AliasMove("champion", "1", "2", "2026-01-01T00:00:00Z", "a", "x" * 5000)] * 180
    text = dump_alias_history(long)
    assert len(text) <= TAG_VALUE_LIMIT
    assert all(len(move.reason) <= 500 for move in parse_alias_history(text))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{}", "expected a JSON list"),
        ("[1]", "entry 0 is not an object"),
        ('[{"alias": "a", "time": "t"}]', "entry 0 has no to_version"),
        ('[{"alias": "a", "to_version": "1", "time": "t", "from_version": 2}]', "non-text"),
        ("nope", "not JSON"),
    ],
)
def test_parse_alias_history_names_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_alias_history(text)


# ---------------------------------------------------------------------------------------------
# Runs, datasets and lineage


def _run_body(tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "run": {
            "info": {"run_id": "r1", "start_time": 1795864591901},
            "data": {
                "metrics": [
                    {"key": "accuracy", "value": 0.9},
                    {"key": "loss", "value": "NaN"},
                ],
                "params": [{"key": "lr", "value": "0.1"}],
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
            },
            "inputs": {
                "dataset_inputs": [
                    {
                        "dataset": {
                            "name": "train",
                            "digest": "05dc671c",
                            "source_type": "local",
                            "source": '{"uri": "s3://bucket/train.parquet"}',
                            "schema": json.dumps(
                                {"mlflow_colspec": [{"type": "double", "name": "income"}]}
                            ),
                        }
                    },
                    {"dataset": {"name": "nodigest", "digest": "", "source": "plain text"}},
                ]
            },
        }
    }


def test_run_params_metrics_code_version_and_datasets() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("runs/get").mock(
            return_value=httpx.Response(200, json=_run_body({"git_commit": "abc123"}))
        )
        run = registry.get_run("r1")
    assert run is not None
    assert run.run.params == {"lr": "0.1"}
    assert run.run.metrics["accuracy"] == 0.9
    assert run.run.code_version == "abc123"
    assert run.run.started == "2026-11-28T11:16:31Z"
    assert [(d.name, d.digest, d.source, d.schema) for d in run.datasets] == [
        ("train", "05dc671c", "s3://bucket/train.parquet", ("income",)),
        ("nodigest", "", "plain text", ()),
    ]


def test_lineage_with_an_unreadable_tag_is_a_gap_not_a_failure() -> None:
    registry, _ = _registry()
    with _mock() as router:
        router.get("model-versions/get").mock(
            return_value=httpx.Response(
                200,
                json={
                    "model_version": _version(
                        "1", tags=[{"key": "govtui.column_lineage", "value": "{broken"}]
                    )
                },
            )
        )
        router.get("registered-models/get").mock(return_value=httpx.Response(200, json=_model()))
        router.get("runs/get").mock(
            return_value=httpx.Response(200, json=_run_body({"mlflow.source.git.commit": "c0ffee"}))
        )
        lineage = registry.lineage("credit", "1")
    assert lineage.features == ()
    assert lineage.feature_source.startswith("tag govtui.column_lineage (unreadable: ")
    assert lineage.gaps == ("dataset nodigest has no digest", "no feature lineage")


def test_lineage_file_missing_is_a_gap(tmp_path: Path) -> None:
    registry, _ = _registry(lineage_file="absent.json", base_dir=tmp_path)
    with _mock() as router:
        router.get("model-versions/get").mock(
            return_value=httpx.Response(200, json={"model_version": _version("1", run_id="")})
        )
        router.get("registered-models/get").mock(return_value=httpx.Response(200, json=_model()))
        lineage = registry.lineage("credit", "1")
    assert lineage.run is None
    assert lineage.feature_source == f"file {tmp_path / 'absent.json'} (not found)"
    assert lineage.gaps == ("no training run", "no feature lineage")


def test_lineage_file_in_json_lines_prefers_the_version_output(tmp_path: Path) -> None:
    def event(name: str, feature: str) -> str:
        facet = {"fields": {feature: {"inputFields": [{"name": "src", "field": feature}]}}}
        return json.dumps(
            {
                "eventType": "COMPLETE",
                "outputs": [{"name": name, "facets": {"columnLineage": facet}}],
            }
        )

    (tmp_path / "ol.jsonl").write_text(
        "\n".join([event("credit", "wide"), event("models:/credit/1", "exact")]) + "\n",
        encoding="utf-8",
    )
    registry, _ = _registry(lineage_file=str(tmp_path / "ol.jsonl"))
    with _mock() as router:
        router.get("model-versions/get").mock(
            side_effect=lambda request: httpx.Response(
                200, json={"model_version": _version(request.url.params["version"], run_id="")}
            )
        )
        router.get("registered-models/get").mock(return_value=httpx.Response(200, json=_model()))
        exact = registry.lineage("credit", "1")
        wide = registry.lineage("credit", "2")
    assert [item.feature for item in exact.features] == ["exact"]
    assert [item.feature for item in wide.features] == ["wide"]
    assert exact.feature_source == f"file {tmp_path / 'ol.jsonl'}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"uri": "s3://b/k"}', "s3://b/k"),
        ('{"url": "https://h/x.csv"}', "https://h/x.csv"),
        ('{"table_name": "db.t"}', "db.t"),
        ('{"other": 1}', '{"other": 1}'),
        ("not json", "not json"),
        ("", ""),
    ],
)
def test_dataset_source_shows_the_uri(text: str, expected: str) -> None:
    assert dataset_source(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"mlflow_colspec": [{"name": "a"}, {"type": "x"}, {"name": "b"}]}', ("a", "b")),
        ('{"mlflow_tensorspec": {"features": "[]"}}', ()),
        ('[{"name": "a"}]', ("a",)),
        ("garbage", ()),
        ("", ()),
    ],
)
def test_schema_columns(text: str, expected: tuple[str, ...]) -> None:
    assert schema_columns(text) == expected
