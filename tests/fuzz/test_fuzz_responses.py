"""Fuzz the parsing of backend responses: Prometheus's API (client and signal assembly) and
MLflow's REST API. Any status, any body, any JSON shape: a result or a GovtuiError."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import example, given
from hypothesis import strategies as st

from govtui.analysis.evaluate import evaluate_fleet
from govtui.config import LoadedConfig, PrometheusConfig, RegistryConfig
from govtui.demo.config import demo_config
from govtui.sources.prometheus import PrometheusClient
from govtui.sources.registry.mlflow import MlflowRegistry
from govtui.sources.signals import WINDOW_LABEL, PrometheusSignalSource
from tests.fuzz.support import FUZZ, dumps, json_values, maybe, only_govtui_errors

AT = datetime(2026, 1, 15, 12, tzinfo=UTC)
STATUSES = st.sampled_from([200, 200, 200, 204, 301, 400, 401, 404, 422, 429, 500, 502, 503])

# ---------------------------------------------------------------- Prometheus

label_values = st.sampled_from(
    [
        "m1",
        "m2",
        "current",
        "reference",
        "5m",
        "30d",
        "1h",
        "0.5",
        "+Inf",
        "inf",
        "NaN",
        "x",
        "feature_a",
        "sex",
        "female",
        "0",
        "1",
        "true",
        "",
    ]
) | st.text(max_size=6)
label_names = st.sampled_from(
    [
        "model",
        WINDOW_LABEL,
        "le",
        "feature",
        "category",
        "attribute",
        "group",
        "prediction",
        "label",
        "code",
        "version",
        "alertname",
        "severity",
    ]
)
metric = st.dictionaries(label_names, label_values, max_size=6)
sample_value = st.sampled_from(["1", "0", "12.5", "NaN", "+Inf", "-Inf", "-3", "1e400", "x"])
timestamp = st.one_of(st.integers(0, 2**33), st.floats(allow_nan=True), st.text(max_size=3))
vector_item = st.fixed_dictionaries(
    {
        "metric": maybe(metric),
        "value": maybe(st.tuples(maybe(timestamp), maybe(sample_value)).map(list)),
    }
)
matrix_item = st.fixed_dictionaries(
    {
        "metric": maybe(metric),
        "values": maybe(
            st.lists(st.tuples(maybe(timestamp), maybe(sample_value)).map(list), max_size=4)
        ),
    }
)
prometheus_data = st.one_of(
    st.fixed_dictionaries(
        {"resultType": st.just("vector"), "result": maybe(st.lists(maybe(vector_item), max_size=6))}
    ),
    st.fixed_dictionaries(
        {"resultType": st.just("matrix"), "result": maybe(st.lists(maybe(matrix_item), max_size=4))}
    ),
    st.fixed_dictionaries(
        {
            "resultType": st.sampled_from(["scalar", "string"]),
            "result": maybe(st.tuples(timestamp, sample_value).map(list)),
        }
    ),
    st.fixed_dictionaries(
        {
            "alerts": maybe(
                st.lists(
                    maybe(
                        st.dictionaries(
                            st.sampled_from(
                                ["labels", "annotations", "state", "activeAt", "value"]
                            ),
                            json_values | metric,
                            max_size=5,
                        )
                    ),
                    max_size=3,
                )
            )
        }
    ),
    json_values,
)
prometheus_envelope = st.one_of(
    st.fixed_dictionaries(
        {"status": maybe(st.sampled_from(["success", "error"])), "data": prometheus_data},
        optional={
            "warnings": maybe(st.lists(st.text(max_size=10), max_size=2)),
            "errorType": maybe(st.sampled_from(["bad_data", "timeout", "execution"])),
            "error": maybe(st.text(max_size=20)),
        },
    ),
    json_values,
)
bodies = st.one_of(
    prometheus_envelope.map(dumps),
    st.binary(max_size=60),
    prometheus_envelope.map(dumps).map(lambda data: data[: len(data) // 2]),
)


def _prometheus_client(responses: list[tuple[int, bytes, str]]) -> PrometheusClient:
    index = {"next": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        status, body, content_type = responses[index["next"] % len(responses)]
        index["next"] += 1
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    return PrometheusClient(
        PrometheusConfig(url="http://prometheus.test", retries=0),
        transport=httpx.MockTransport(handler),
    )


responses = st.lists(
    st.tuples(STATUSES, bodies, st.sampled_from(["application/json", "text/html", ""])),
    min_size=1,
    max_size=4,
)


@FUZZ
@given(responses)
@example(
    [
        (
            200,
            b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]},"warnings":"w"}',
            "application/json",
        )
    ]
)
@example(
    [
        (
            200,
            b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}}',
            "",
        )
    ]
)
def test_prometheus_client_calls(replies: list[tuple[int, bytes, str]]) -> None:
    async def run() -> None:
        async with _prometheus_client(replies) as client:
            for call in (
                lambda: client.query("up", AT),
                lambda: client.query_range("up", 0, 3600, 60),
                client.alerts,
                client.buildinfo,
            ):
                try:
                    await call()
                except Exception as error:  # only a GovtuiError may get here
                    only_govtui_errors(lambda error=error: _reraise(error))

    asyncio.run(run())


def _reraise(error: BaseException) -> None:
    raise error


plausible_vectors = st.lists(
    st.fixed_dictionaries(
        {"metric": metric, "value": st.tuples(st.just(1768478400), sample_value).map(list)}
    ),
    max_size=12,
)


@FUZZ
@given(
    st.lists(
        st.one_of(
            plausible_vectors.map(
                lambda result: (
                    200,
                    dumps(
                        {"status": "success", "data": {"resultType": "vector", "result": result}}
                    ),
                )
            ),
            st.tuples(STATUSES, bodies),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_prometheus_signal_source_assembles_or_fails_cleanly(
    replies: list[tuple[int, bytes]],
) -> None:
    """Every query answered from the list (a range query gets a matrix built from the same
    labels): the tidy frames come out and analyse (as `govtui check` does), or a GovtuiError
    does."""
    loaded = demo_config()
    prometheus = PrometheusConfig(url="http://prometheus.test", retries=0)
    sources = loaded.config.sources.model_copy(update={"prometheus": prometheus})
    config = loaded.config.model_copy(update={"sources": sources})
    index = {"next": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = replies[index["next"] % len(replies)]
        index["next"] += 1
        if request.url.path.endswith("query_range") and b'"vector"' in body:
            body = (
                body.replace(b'"vector"', b'"matrix"')
                .replace(b'"value": [', b'"values": [[')
                .replace(b'"]}', b'"]]}')
            )
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    async def run() -> Any:
        client = PrometheusClient(prometheus, transport=httpx.MockTransport(handler))
        async with PrometheusSignalSource(
            LoadedConfig(config=config, path=loaded.path), client=client
        ) as source:
            try:
                return await source.fetch(AT)
            finally:
                await client.aclose()

    signals = only_govtui_errors(lambda: asyncio.run(run()))
    if not isinstance(signals, Exception):  # what `govtui check` does next
        only_govtui_errors(lambda: evaluate_fleet(signals, config, AT, None))


# ---------------------------------------------------------------- MLflow

mlflow_version = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(st.sampled_from(["m", "other"])),
        "version": maybe(st.sampled_from(["1", "2", "3", "x", ""])),
        "status": maybe(
            st.sampled_from(["READY", "PENDING_REGISTRATION", "FAILED_REGISTRATION", "?"])
        ),
        "run_id": maybe(st.sampled_from(["r1", "", "../x"])),
        "aliases": maybe(
            st.lists(st.sampled_from(["champion", "challenger", "bad alias"]), max_size=2)
        ),
        "tags": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "key": maybe(
                            st.sampled_from(["govtui.gate", "govtui.column_lineage", "k"])
                        ),
                        "value": maybe(st.text(max_size=12) | st.just('{"fields": {}}')),
                    }
                ),
                max_size=3,
            )
        ),
        "creation_timestamp": maybe(st.integers(-(2**40), 2**45)),
        "current_stage": maybe(st.sampled_from(["Production", "None", "Archived"])),
        "description": maybe(st.text(max_size=10)),
    },
)
mlflow_model = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(st.sampled_from(["m", "other", ""])),
        "aliases": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "alias": maybe(st.sampled_from(["champion", "x"])),
                        "version": maybe(st.sampled_from(["1", "2", "9"])),
                    }
                ),
                max_size=3,
            )
        ),
        "tags": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "key": maybe(st.just("govtui.alias_history")),
                        "value": maybe(
                            st.sampled_from(
                                [
                                    "[]",
                                    "[{}]",
                                    '[{"alias":"champion","from_version":"1","to_version":"2","time":"2026-01-01T00:00:00Z"}]',
                                    "{",
                                    "null",
                                ]
                            )
                        ),
                    }
                ),
                max_size=2,
            )
        ),
        "latest_versions": maybe(st.lists(mlflow_version, max_size=2)),
    },
)
mlflow_run = st.fixed_dictionaries(
    {},
    optional={
        "info": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "run_id": maybe(st.just("r1")),
                    "experiment_id": maybe(st.just("1")),
                    "start_time": maybe(st.integers(0, 2**45)),
                },
            )
        ),
        "data": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "params": maybe(
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "key": maybe(st.text(max_size=5)),
                                    "value": maybe(st.text(max_size=5)),
                                }
                            ),
                            max_size=2,
                        )
                    ),
                    "tags": maybe(
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "key": maybe(
                                        st.sampled_from(
                                            ["mlflow.source.git.commit", "govtui.column_lineage"]
                                        )
                                    ),
                                    "value": maybe(st.text(max_size=8)),
                                }
                            ),
                            max_size=2,
                        )
                    ),
                    "metrics": maybe(
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "key": maybe(st.text(max_size=5)),
                                    "value": maybe(st.floats(allow_nan=False)),
                                }
                            ),
                            max_size=2,
                        )
                    ),
                },
            )
        ),
        "inputs": maybe(
            st.fixed_dictionaries(
                {
                    "dataset_inputs": maybe(
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "dataset": maybe(
                                        st.fixed_dictionaries(
                                            {},
                                            optional={
                                                "name": maybe(st.text(max_size=5)),
                                                "digest": maybe(st.text(max_size=8)),
                                                "source": maybe(st.text(max_size=8)),
                                                "schema": maybe(st.text(max_size=12)),
                                            },
                                        )
                                    ),
                                    "tags": maybe(st.lists(json_values, max_size=1)),
                                }
                            ),
                            max_size=2,
                        )
                    )
                }
            )
        ),
    },
)
mlflow_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "registered_models": maybe(st.lists(mlflow_model, max_size=3)),
            "next_page_token": maybe(st.sampled_from(["", "t2"])),
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "model_versions": maybe(st.lists(mlflow_version, max_size=3)),
            "next_page_token": maybe(st.sampled_from(["", "t2"])),
        },
    ),
    st.fixed_dictionaries({"registered_model": maybe(mlflow_model)}),
    st.fixed_dictionaries({"model_version": maybe(mlflow_version)}),
    st.fixed_dictionaries({"run": maybe(mlflow_run)}),
    st.fixed_dictionaries(
        {
            "error_code": maybe(
                st.sampled_from(
                    ["RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "INTERNAL_ERROR"]
                )
            ),
            "message": maybe(st.text(max_size=20)),
        }
    ),
    json_values,
).map(dumps)
mlflow_replies = st.lists(
    st.tuples(
        STATUSES,
        st.one_of(
            mlflow_bodies,
            mlflow_bodies,
            st.binary(max_size=40),
            mlflow_bodies.map(lambda data: data[: len(data) // 2]),
        ),
    ),
    min_size=1,
    max_size=8,
)


@FUZZ
@given(mlflow_replies)
@example([(200, b'{"registered_models": [{"name": "m"}], "next_page_token": "t2"}')])
@example([(404, b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}')])
def test_mlflow_registry_reads(replies: list[tuple[int, bytes]]) -> None:
    index = {"next": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = replies[index["next"] % len(replies)]
        index["next"] += 1
        if index["next"] > 40:  # a paging loop that never ends is a bug too; stop feeding it
            return httpx.Response(200, content=b'{"registered_models": [], "model_versions": []}')
        return httpx.Response(status, content=body, headers={"Content-Type": "application/json"})

    registry = (
        MlflowRegistry(
            RegistryConfig(kind="mlflow", url="http://mlflow.test", retries=0),
            transport=httpx.MockTransport(handler),
            sleep=lambda _seconds: None,
        )
        if _accepts_sleep()
        else MlflowRegistry(
            RegistryConfig(kind="mlflow", url="http://mlflow.test", retries=0),
            transport=httpx.MockTransport(handler),
        )
    )
    with registry:
        for call in (
            registry.list_models,
            lambda: registry.list_versions("m"),
            lambda: registry.get_version("m", "1"),
            lambda: registry.get_alias("m"),
            lambda: registry.alias_history("m"),
            lambda: registry.lineage("m", "1"),
        ):
            only_govtui_errors(call)


def _accepts_sleep() -> bool:
    import inspect

    return "sleep" in inspect.signature(MlflowRegistry.__init__).parameters
