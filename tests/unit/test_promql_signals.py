"""The Prometheus signal source against a synthetic API (respx): frames, request counts, faults."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from govtui.config import parse_config
from govtui.errors import SourceError
from govtui.sources.prometheus import PrometheusClient
from govtui.sources.signals import WINDOW_LABEL, PrometheusSignalSource

URL = "http://prom.test"
AT = datetime(2026, 1, 15, 12, tzinfo=UTC)
T = AT.timestamp()
TAG_RE = re.compile(rf'"{WINDOW_LABEL}", "([^"]+)"')


def _config(models: list[str] | None = None, extra: str = ""):  # type: ignore[no-untyped-def]
    include = f"models:\n  include: [{', '.join(models)}]\n" if models else ""
    return parse_config(
        f"sources:\n  prometheus:\n    url: {URL}\n    retries: 0\n{include}{extra}"
        "quality:\n  label_delay: 2h\n"
    )


def _source(config, **client):  # type: ignore[no-untyped-def]
    from govtui.config import LoadedConfig

    loaded = LoadedConfig(config=config)
    return PrometheusSignalSource(
        loaded, client=PrometheusClient(config.sources.prometheus, **client)
    )


def _sample(labels: dict[str, str], value: float | str, at: float = T) -> dict:
    return {"metric": labels, "value": [at, str(value)]}


class FakePrometheus:
    """Answers the convention's queries for `models`, counting requests."""

    def __init__(self, models: list[str]) -> None:
        self.models = models
        self.queries: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            params = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        else:
            params = dict(request.url.params)
        query = params["query"]
        self.queries.append(query)
        if request.url.path.endswith("query_range"):
            result = [
                {"metric": {"model": m}, "values": [[T - 3600, "0.5"], [T, "NaN"]]}
                for m in self.models
            ]
            return httpx.Response(
                200, json={"status": "success", "data": {"resultType": "matrix", "result": result}}
            )
        tags = TAG_RE.findall(query)
        result = []
        for model in self.models:
            for tag in tags:
                result.extend(self._samples(query, model, tag))
        if "timestamp(" in query and not tags:
            result = [_sample({"model": m}, T - 30) for m in self.models]
        body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        return httpx.Response(200, json=body)

    def _samples(self, query: str, model: str, tag: str) -> list[dict]:
        labels = {"model": model, WINDOW_LABEL: tag}
        if "min_over_time(timestamp" in query:
            return [_sample(labels, T - 10 * 86400)]  # 10 days of history
        if "max by (model) (timestamp" in query:
            return [] if model == "stale" else [_sample(labels, T - 5)]
        if "max_over_time(timestamp" in query:
            return [_sample(labels, T - 3600)]
        if "request_duration_seconds_bucket" in query:
            cumulative = {"0.1": 50, "0.25": 80, "0.50": 95, "1": 99, "+Inf": 100}
            return [_sample({**labels, "le": le}, value) for le, value in cumulative.items()]
        if "requests_total" in query:
            return [_sample(labels, 10 if "5.." in query else 1000)]
        if "feature_value_bucket" in query:
            scale = 2 if tag == "current" else 1
            return [
                _sample({**labels, "feature": "age", "le": le}, value * scale)
                for le, value in (("+Inf", 100), ("10", 30), ("20.0", 70))
            ]
        if "feature_category_total" in query:
            return [
                _sample({**labels, "feature": "country", "category": c}, v)
                for c, v in (("de", 5), ("fr", "NaN"))
            ]
        if "labeled_predictions_total" in query:
            return [
                _sample(
                    {**labels, "attribute": "sex", "group": "f", "prediction": p, "label": lab}, 10
                )
                for p in ("0", "1")
                for lab in ("0", "1")
            ]
        if "predictions_total" in query:
            return [
                _sample({**labels, "attribute": "sex", "group": "f", "prediction": p}, 50)
                for p in ("0", "1")
            ]
        return []


async def _fetch(served: list[str], **kwargs):  # type: ignore[no-untyped-def]
    fake = FakePrometheus(served)
    with respx.mock(base_url=URL) as router:
        router.route(path__regex=r"/api/v1/query.*").mock(side_effect=fake)
        source = _source(_config(**kwargs))
        async with source:
            signals = await source.fetch(AT)
    return signals, fake


async def test_frames_from_the_convention() -> None:
    signals, fake = await _fetch(["a", "stale"])
    assert signals.failed == {}
    assert signals.models == ["a", "stale"]
    requests = signals.requests
    row = requests[(requests["model"] == "a") & (requests["window"] == "5m")].iloc[0]
    assert (row["total"], row["errors"]) == (1000, 10)
    assert requests.set_index(["model", "window"]).loc[("a", "30d"), "coverage"] == pytest.approx(
        10 / 30, abs=0.01
    )
    assert requests.set_index(["model", "window"]).loc[("a", "1d"), "coverage"] == 1.0
    latency = signals.latency
    assert set(latency["fast"]) == {95} and set(latency["total"]) == {100}
    bins = signals.feature_bins
    age = bins[(bins["model"] == "a") & (bins["feature"] == "age")]
    assert list(age["bin"]) == ["10", "20.0", "+Inf"]
    assert list(age["reference"]) == [30, 40, 30] and list(age["current"]) == [60, 80, 60]
    country = bins[(bins["model"] == "a") & (bins["feature"] == "country")]
    assert list(country["bin"]) == ["de"] and set(country["kind"]) == {"categorical"}
    outcomes = signals.outcomes
    current = outcomes[(outcomes["model"] == "a") & (outcomes["window"] == "current")]
    unlabelled = current[current["label"].isna()]
    assert list(unlabelled["count"]) == [30, 30]  # 50 predicted - 20 labelled, per prediction
    assert outcomes["prediction"].dtype == "int64"
    fresh = signals.freshness.set_index(["model", "signal"])["last_seen"]
    assert fresh[("a", "requests")] == T - 5 and fresh[("stale", "requests")] == T - 3600
    assert set(signals.series["signal"]) == {"accuracy", "error_ratio", "request_rate"}
    assert any("NaN/Inf" in warning for warning in signals.warnings)
    # Labels still arriving: the labelled current window is shifted back by the delay.
    labelled = next(q for q in fake.queries if "labeled_predictions_total{model" in q)
    assert "offset 2h" in labelled and "offset 7d" in labelled


async def test_requests_per_refresh_do_not_grow_with_models() -> None:
    small, fake_small = await _fetch([f"m{i}" for i in range(10)])
    large, fake_large = await _fetch([f"m{i}" for i in range(200)])
    assert len(small.models) == 10 and len(large.models) == 200
    assert len(fake_small.queries) == len(fake_large.queries) <= 16


async def test_listed_models_are_selected_and_missing_ones_reported() -> None:
    signals, fake = await _fetch(["a"], models=["a", "b.c"])
    assert signals.models == ["a", "b.c"]
    assert all('model=~"a|b\\\\.c"' in q for q in fake.queries[:5])


async def test_latency_threshold_without_bucket_warns() -> None:
    extra = "slos:\n  - {name: latency, kind: latency, objective: 0.99, threshold_seconds: 0.3}\n"
    signals, _ = await _fetch(["a"], extra=extra)
    assert set(signals.latency["fast"]) == {80}
    assert any("no latency bucket at 0.3s; using le=0.25" in w for w in signals.warnings)


@pytest.mark.parametrize(
    "fault",
    [
        httpx.Response(
            400, json={"status": "error", "errorType": "bad_data", "error": "parse error"}
        ),
        httpx.Response(503, text="down"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, text='{"status":"success","data":{"resultType":"vector","result":[{'),
        httpx.Response(200, text="<html>login</html>"),
    ],
)
async def test_a_failing_query_fails_its_kind_only(fault: object) -> None:
    fake = FakePrometheus(["a"])

    def flaky(request: httpx.Request) -> httpx.Response:
        query = (
            request.url.params.get("query")
            or parse_qs(request.content.decode()).get("query", [""])[0]
        )
        if "feature_value_bucket" in query:
            if isinstance(fault, Exception):
                raise fault
            return fault  # type: ignore[return-value]
        return fake(request)

    with respx.mock(base_url=URL) as router:
        router.route(path__regex=r"/api/v1/query.*").mock(side_effect=flaky)
        async with _source(_config()) as source:
            signals = await source.fetch(AT)
    assert set(signals.failed) == {"feature_bins"}
    assert signals.feature_bins is None and signals.requests is not None
    assert signals.failed["feature_bins"].startswith("prometheus: ")


async def test_everything_down_raises_one_source_error() -> None:
    with respx.mock(base_url=URL) as router:
        router.route(path__regex=r"/api/v1/query.*").mock(side_effect=httpx.ConnectError("refused"))
        async with _source(_config()) as source:
            with pytest.raises(SourceError, match=r"cannot reach http://prom\.test"):
                await source.fetch(AT)


async def test_empty_store_gives_empty_frames() -> None:
    signals, _ = await _fetch([])
    assert signals.models == [] and signals.failed == {}
    assert len(signals.requests) == 0 and list(signals.requests.columns)[:4] == [
        "model",
        "window",
        "total",
        "errors",
    ]


async def test_query_overrides_and_bad_templates() -> None:
    extra = (
        "    queries:\n"
        '      requests_total: "sum by (model) (increase(http_total{job=\\"x\\",{matchers}}[{window}]{offset}))"\n'
    )
    config = parse_config(f"sources:\n  prometheus:\n    url: {URL}\n{extra}")
    fake = FakePrometheus(["a"])
    with respx.mock(base_url=URL) as router:
        router.route(path__regex=r"/api/v1/query.*").mock(side_effect=fake)
        async with _source(config) as source:
            await source.fetch(AT, kinds={"requests"})
    assert any('http_total{job="x",model!=""}[5m]' in q for q in fake.queries)
    from govtui.errors import ConfigError

    bad = parse_config(f'sources:\n  prometheus:\n    url: {URL}\n    queries:\n      nope: "x"\n')
    with pytest.raises(ConfigError, match="unknown query name"):
        _source(bad)
    assert math.isfinite(T)
