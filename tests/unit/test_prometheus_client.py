"""The Prometheus HTTP client under injected faults: every failure is a SourceError, no secret leaks."""

from __future__ import annotations

import gzip
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import respx

from govtui.config import PrometheusConfig
from govtui.errors import SourceError
from govtui.sources.prometheus import PrometheusClient

URL = "http://prom.test"
TOKEN = "s3cr3t-token-value-0123456789"


def _vector(*items: tuple[dict[str, str], str], warnings: list[str] | None = None) -> dict:
    body: dict = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": labels, "value": [1700000000.0, value]} for labels, value in items
            ],
        },
    }
    if warnings:
        body["warnings"] = warnings
    return body


@contextmanager
def _mock() -> Iterator[respx.MockRouter]:
    """A respx router whose recorded calls stay readable after the block."""
    router = respx.MockRouter(base_url=URL, assert_all_called=False)
    router.start()
    try:
        yield router
    finally:
        router.stop(clear=False, reset=False)


class _Sleeps:
    """Records backoff delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def _client(sleeps: _Sleeps | None = None, **overrides: object) -> PrometheusClient:
    settings: dict = {"url": URL, "retries": 2, "timeout": "2s"}
    settings.update(overrides)
    return PrometheusClient(PrometheusConfig(**settings), sleep=sleeps or _Sleeps())


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("GOVTUI_TEST_TOKEN", TOKEN)
    return {"auth": {"bearer_token_env": "GOVTUI_TEST_TOKEN"}}


async def test_vector_values_and_special_floats() -> None:
    with _mock() as router:
        router.get("/api/v1/query").respond(
            json=_vector(({"model": "a"}, "1.5"), ({"model": "b"}, "NaN"), ({"model": "c"}, "+Inf"))
        )
        async with _client() as client:
            result = await client.query("up", at=1700000000)
    values = {s.labels["model"]: s.value for s in result.samples}
    assert values["a"] == 1.5
    assert math.isnan(values["b"])
    assert values["c"] == math.inf
    assert router.calls.last.request.url.params["time"] == "1700000000.000"


async def test_gzip_is_requested_and_decoded() -> None:
    payload = gzip.compress(json.dumps(_vector(({"model": "a"}, "2"))).encode())
    with _mock() as router:
        router.get("/api/v1/query").respond(
            content=payload,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        async with _client() as client:
            result = await client.query("up")
    assert "gzip" in router.calls.last.request.headers["accept-encoding"]
    assert result.samples[0].value == 2.0


async def test_long_queries_are_posted_form_encoded() -> None:
    with _mock() as router:
        get = router.get("/api/v1/query").respond(json=_vector())
        post = router.post("/api/v1/query").respond(json=_vector())
        async with _client(post_threshold=100) as client:
            await client.query("up")
            await client.query("sum(" + "x + " * 100 + "x)")
    assert get.call_count == 1 and post.call_count == 1
    request = post.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"query=sum" in request.content


async def test_partial_response_and_warnings_are_passed_up() -> None:
    with _mock() as router:
        router.get("/api/v1/query").respond(
            json=_vector(warnings=["No StoreAPIs matched for this query"])
        )
        async with _client(partial_response=True) as client:
            result = await client.query("up")
    assert router.calls.last.request.url.params["partial_response"] == "true"
    assert result.warnings == ["prometheus: No StoreAPIs matched for this query"]


async def test_error_envelope_becomes_actionable_message() -> None:
    body = {
        "status": "error",
        "errorType": "bad_data",
        "error": 'invalid parameter "query": 1:5: parse error: unexpected identifier',
    }
    with _mock() as router:
        route = router.get("/api/v1/query").respond(400, json=body)
        async with _client() as client:
            with pytest.raises(SourceError) as caught:
                await client.query("sum(rate(foo[5m])) by (model) " + "x" * 200)
    message = str(caught.value)
    assert message.startswith("prometheus: bad_data: invalid parameter")
    assert "in query sum(rate(foo[5m])) by (model) xxx" in message
    assert len(message) < 300
    assert route.call_count == 1  # 4xx is not retried


async def test_5xx_is_retried_with_backoff_then_succeeds() -> None:
    sleeps = _Sleeps()
    with _mock() as router:
        route = router.get("/api/v1/query").mock(
            side_effect=[
                httpx.Response(503, text="overloaded"),
                httpx.Response(200, json=_vector()),
            ]
        )
        async with _client(sleeps) as client:
            await client.query("up")
    assert route.call_count == 2
    assert len(sleeps.delays) == 1 and 0.1 <= sleeps.delays[0] <= 0.2


async def test_retries_are_bounded_and_429_honours_retry_after() -> None:
    sleeps = _Sleeps()
    with _mock() as router:
        route = router.get("/api/v1/query").respond(429, headers={"Retry-After": "3"})
        async with _client(sleeps, retries=3) as client:
            with pytest.raises(SourceError) as caught:
                await client.query("up")
    assert route.call_count == 4
    assert sleeps.delays == [3.0, 3.0, 3.0]
    assert caught.value.retryable
    assert "HTTP 429" in str(caught.value) and "after 4 attempts" in str(caught.value)


async def test_backoff_grows_exponentially_with_jitter() -> None:
    sleeps = _Sleeps()
    with _mock() as router:
        router.get("/api/v1/query").mock(side_effect=httpx.ConnectError("refused"))
        async with _client(sleeps, retries=4) as client:
            with pytest.raises(SourceError) as caught:
                await client.query("up")
    ceilings = [0.2, 0.4, 0.8, 1.6]
    assert len(sleeps.delays) == 4
    for delay, ceiling in zip(sleeps.delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert "cannot reach http://prom.test" in str(caught.value)


async def test_timeout_is_a_source_error() -> None:
    with _mock() as router:
        router.get("/api/v1/query").mock(side_effect=httpx.ReadTimeout("slow"))
        async with _client(retries=0) as client:
            with pytest.raises(SourceError, match="timed out after 2s"):
                await client.query("up")


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (
            b'{"status":"success","data":{"resultType":"vector","result":[{"met',
            "application/json",
            "truncated",
        ),
        (b"<html><body>Sign in</body></html>", "text/html", "content type text/html"),
        (b"", "application/json", "empty response body"),
        (
            b'{"status":"success","data":{"resultType":"vector","result":{}}}',
            "application/json",
            "not a list",
        ),
        (
            b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}}',
            "application/json",
            "not a [time, value] pair",
        ),
        (
            b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}',
            "application/json",
            "unexpected response shape",
        ),
        (
            b'{"status":"success","data":{"resultType":"matrix","result":[]}}',
            "application/json",
            "range vector",
        ),
        (b'{"status":"success"}', "application/json", "no success status with data"),
        (b"[1, 2]", "application/json", "not a JSON object"),
        (
            b'{"status":"success","data":{"resultType":"string","result":[1,"x"]}}',
            "application/json",
            "unexpected result type",
        ),
    ],
)
async def test_broken_bodies_are_source_errors(
    body: bytes, content_type: str, expected: str
) -> None:
    with _mock() as router:
        router.get("/api/v1/query").respond(content=body, headers={"Content-Type": content_type})
        async with _client() as client:
            with pytest.raises(SourceError) as caught:
                await client.query("up")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_empty_result_is_empty() -> None:
    with _mock() as router:
        router.get("/api/v1/query").respond(json=_vector())
        async with _client() as client:
            result = await client.query("up")
    assert result.samples == []


async def test_huge_result_parses_and_size_limit_refuses() -> None:
    items = [
        ({"model": f"m{i}", "feature": f"f{i % 20}", "le": str(i % 10)}, str(i))
        for i in range(50_000)
    ]
    with _mock() as router:
        router.get("/api/v1/query").respond(json=_vector(*items))
        async with _client() as client:
            result = await client.query("up")
        assert len(result.samples) == 50_000
        small = PrometheusClient(PrometheusConfig(url=URL), max_response_bytes=1024 * 1024)
        async with small:
            with pytest.raises(SourceError, match="larger than 1 MiB"):
                await small.query("up")


async def test_range_query_and_alerts_and_buildinfo() -> None:
    matrix = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [{"metric": {"model": "a"}, "values": [[1.0, "1"], [2.0, "-Inf"]]}],
        },
    }
    alerts = {
        "status": "success",
        "data": {"alerts": [{"labels": {"alertname": "X"}, "state": "firing"}]},
    }
    build = {"status": "success", "data": {"version": "2.42.0", "revision": "abc"}}
    with _mock() as router:
        router.get("/api/v1/query_range").respond(json=matrix)
        router.get("/api/v1/alerts").respond(json=alerts)
        router.get("/api/v1/status/buildinfo").respond(json=build)
        async with _client() as client:
            series = await client.query_range("up", 0, 10, 5)
            assert series.series[0].values == [1.0, -math.inf]
            params = router.calls[0].request.url.params
            assert (params["start"], params["end"], params["step"]) == ("0.000", "10.000", "5")
            assert (await client.alerts())[0]["state"] == "firing"
            assert (await client.buildinfo())["version"] == "2.42.0"


async def test_auth_headers_and_tenant(token_env: dict) -> None:
    with _mock() as router:
        router.get("/api/v1/query").respond(json=_vector())
        async with _client(
            headers={"X-Scope-OrgID": "team-a", "THANOS-TENANT": "team-a"}, **token_env
        ) as client:
            await client.query("up")
    headers = router.calls.last.request.headers
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["x-scope-orgid"] == "team-a" and headers["thanos-tenant"] == "team-a"


async def test_basic_auth_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("hunter2-password\n")
    auth = {"basic": {"username": "ops", "password_file": str(secret)}}
    with _mock() as router:
        router.get("/api/v1/query").respond(401, text="no")
        async with _client(auth=auth) as client:
            with pytest.raises(SourceError) as caught:
                await client.query("up")
    assert router.calls.last.request.headers["authorization"].startswith("Basic ")
    assert "HTTP 401" in str(caught.value) and "auth" in str(caught.value)
    assert "hunter2" not in str(caught.value)


async def test_token_file_is_read_at_request_time(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("first-token")
    with _mock() as router:
        router.get("/api/v1/query").respond(json=_vector())
        async with _client(auth={"bearer_token_file": str(token_file)}) as client:
            await client.query("up")
            token_file.write_text("rotated-token")
            await client.query("up")
    assert [c.request.headers["authorization"] for c in router.calls] == [
        "Bearer first-token",
        "Bearer rotated-token",
    ]


async def test_missing_secret_sources_name_the_variable_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVTUI_ABSENT_TOKEN", raising=False)
    with _mock():
        async with _client(auth={"bearer_token_env": "GOVTUI_ABSENT_TOKEN"}) as client:
            with pytest.raises(SourceError, match="environment variable GOVTUI_ABSENT_TOKEN"):
                await client.query("up")
        missing = tmp_path / "nope"
        async with _client(auth={"bearer_token_file": str(missing)}) as client:
            with pytest.raises(SourceError, match=f"bearer token file {missing} not found"):
                await client.query("up")


def test_tls_settings(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"tls\.ca_file .*ca\.pem not found"):
        _client(tls={"ca_file": str(tmp_path / "ca.pem")})
    insecure = _client(tls={"insecure_skip_verify": True})
    assert insecure._http._client._transport._pool._ssl_context.verify_mode.name == "CERT_NONE"  # type: ignore[attr-defined]
    secure = _client()
    assert secure._http._client._transport._pool._ssl_context.verify_mode.name == "CERT_REQUIRED"  # type: ignore[attr-defined]


async def test_token_never_leaks_in_any_failure(
    token_env: dict, caplog: pytest.LogCaptureFixture
) -> None:
    """A hostile or buggy proxy echoing the credentials must not put them on screen."""
    caplog.set_level(logging.DEBUG)
    echo = f"Authorization: Bearer {TOKEN}"
    faults = [
        httpx.Response(401, text=echo),
        httpx.Response(403, json={"status": "error", "errorType": "auth", "error": echo}),
        httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": echo}),
        httpx.Response(502, text=echo),
        httpx.Response(200, text=echo),
        httpx.Response(
            200, text='{"status":"success","data":{"resultType":"vector","result":[{"' + TOKEN
        ),
        httpx.Response(
            200, json={"status": "success", "data": {"resultType": TOKEN, "result": []}}
        ),
        httpx.ConnectError(f"connect failed for {echo}"),
        httpx.ReadTimeout(echo),
    ]
    config = {"url": f"http://ops:{TOKEN}@prom.test", "retries": 0, **token_env}
    for fault in faults:
        with _mock() as router:
            route = router.get("/api/v1/query")
            if isinstance(fault, Exception):
                route.mock(side_effect=fault)
            else:
                route.mock(return_value=fault)
            client = PrometheusClient(PrometheusConfig(**config), sleep=_Sleeps())
            async with client:
                with pytest.raises(SourceError) as caught:
                    await client.query("up")
            shown = [str(caught.value), repr(caught.value), repr(client), caught.value.message]
            for text in shown:
                assert TOKEN not in text, (fault, text)
            assert caught.value.__cause__ is None or TOKEN not in str(caught.value.__cause__)
    assert TOKEN not in caplog.text
