"""The Prometheus source against the real server: an auth proxy, request counts, escaping."""

from __future__ import annotations

import asyncio
import http.server
import logging
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from govtui.config import Config, LoadedConfig, ModelsConfig, PrometheusConfig, SourcesConfig
from govtui.errors import SourceError
from govtui.sources.prometheus import PrometheusClient
from govtui.sources.signals import PrometheusSignalSource
from govtui.timeutil import parse_instant

TOKEN = "integration-secret-token-5f1d9c"
TENANT = "team-ml"


class _Proxy(http.server.BaseHTTPRequestHandler):
    """Forwards to Prometheus only with the right bearer token and both tenant headers."""

    upstream = ""
    seen: ClassVar[list[dict[str, str]]] = []

    def _forward(self) -> None:
        headers = {key.lower(): value for key, value in self.headers.items()}
        type(self).seen.append(headers)
        allowed = (
            headers.get("authorization") == f"Bearer {TOKEN}"
            and headers.get("x-scope-orgid") == TENANT
            and headers.get("thanos-tenant") == TENANT
        )
        if not allowed:
            body = b"unauthorized: missing or wrong credentials"
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else None
        request = urllib.request.Request(self.upstream + self.path, data=data, method=self.command)
        if data is not None:
            request.add_header("Content-Type", self.headers.get("Content-Type", ""))
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _forward
    do_POST = _forward

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def _proxy(upstream: str) -> Iterator[str]:
    handler = type("Proxy", (_Proxy,), {"upstream": upstream, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    _proxy.seen = handler.seen  # type: ignore[attr-defined]


def test_auth_proxy_gets_token_and_tenant_and_token_never_shows(
    stack, govtui, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    with _proxy(stack.url) as url:
        block = (
            f"  prometheus:\n    url: {url}\n    timeout: 60s\n    retries: 0\n"
            "    auth:\n      bearer_token_env: GOVTUI_TEST_PROM_TOKEN\n"
            f"    headers:\n      X-Scope-OrgID: {TENANT}\n      THANOS-TENANT: {TENANT}\n"
        )
        config = stack.config_file("proxy.yaml", block)
        at = str(stack.at)
        good = govtui(
            ["check", "--config", str(config), "--at", at, "--format", "json"],
            stack.env(GOVTUI_TEST_PROM_TOKEN=TOKEN, GOVTUI_DEBUG="0"),
        )
        wrong = govtui(
            ["check", "--config", str(config), "--at", at],
            stack.env(GOVTUI_TEST_PROM_TOKEN=TOKEN + "-wrong"),
        )
        missing = govtui(["check", "--config", str(config), "--at", at], stack.env())
    seen = _proxy.seen  # type: ignore[attr-defined]
    assert good.returncode in (0, 1), good.stderr
    assert '"schema": "govtui.check/v1"' in good.stdout
    assert len(seen) >= 8
    authorised = [h for h in seen if h.get("authorization") == f"Bearer {TOKEN}"]
    assert authorised and all(
        h["x-scope-orgid"] == TENANT and h["thanos-tenant"] == TENANT for h in seen
    )
    assert wrong.returncode == 2 and "HTTP 401" in wrong.stderr and "auth" in wrong.stderr
    assert missing.returncode == 2
    assert "environment variable GOVTUI_TEST_PROM_TOKEN is not set" in missing.stderr
    for result in (good, wrong, missing):
        assert TOKEN not in result.stdout and TOKEN not in result.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert TOKEN not in caplog.text


def _source(
    url: str, models: ModelsConfig, transport: httpx.AsyncBaseTransport
) -> PrometheusSignalSource:
    config = Config(sources=SourcesConfig(prometheus=PrometheusConfig(url=url)), models=models)
    loaded = LoadedConfig(config=config)
    client = PrometheusClient(config.sources.prometheus, transport=transport)  # type: ignore[arg-type]
    return PrometheusSignalSource(loaded, client=client)


class _Counting(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)


def test_requests_per_refresh_do_not_grow_with_models(stack) -> None:  # type: ignore[no-untyped-def]
    real = [
        "fraud-scorer", "credit-limit", "search-ranker", "churn-predictor", "loan-approval",
        "eta-estimator", "demand-forecast", "ad-ctr", "support-router", "price-optimizer",
    ]  # fmt: skip
    at = parse_instant(stack.at)
    counts = {}
    for size in (10, 200):
        names = real + [f"model-{index:03d}" for index in range(size - len(real))]
        transport = _Counting()

        async def refresh(names: list[str] = names, transport: _Counting = transport):  # type: ignore[no-untyped-def]
            async with _source(stack.url, ModelsConfig(include=names), transport) as source:
                signals = await source.fetch(at)
                await source.client.aclose()
                return signals

        signals = asyncio.run(refresh())
        assert signals.failed == {}
        assert len(signals.models) == size
        counts[size] = transport.requests
    assert counts[10] == counts[200], counts
    assert counts[10] <= 16


def test_hostile_model_names_are_escaped(stack) -> None:  # type: ignore[no-untyped-def]
    names = ['we"ird', "back\\slash", "new\nline", "dots.and|pipes(x)*", "fraud-scorer"]
    at = parse_instant(stack.at)

    async def refresh():  # type: ignore[no-untyped-def]
        transport = httpx.AsyncHTTPTransport()
        async with _source(
            stack.url, ModelsConfig(include=names, exclude=['x"y']), transport
        ) as source:
            signals = await source.fetch(at)
            await source.client.aclose()
            return signals

    signals = asyncio.run(refresh())
    assert signals.failed == {}
    assert set(signals.requests["model"]) == {"fraud-scorer"}  # type: ignore[index]
    # A regex metacharacter in a listed name matches only itself, not `dotsXandYpipes`.
    assert "dots.and|pipes(x)*" in signals.models


def test_server_errors_are_actionable(stack) -> None:  # type: ignore[no-untyped-def]
    async def bad_query() -> None:
        async with PrometheusClient(PrometheusConfig(url=stack.url, retries=0)) as client:
            await client.query("sum(rate(ml_requests_total[5m]) by (model)")

    with pytest.raises(SourceError) as caught:
        asyncio.run(bad_query())
    assert str(caught.value).startswith("prometheus: bad_data: ")
    assert "in query sum(rate(ml_requests_total[5m]) by (model)" in str(caught.value)

    async def down() -> None:
        config = PrometheusConfig(url="http://127.0.0.1:9", retries=1, timeout="1s")
        async with PrometheusClient(config) as client:
            await client.buildinfo()

    with pytest.raises(SourceError, match=r"cannot reach http://127\.0\.0\.1:9"):
        asyncio.run(down())

    async def info() -> dict[str, str]:
        async with PrometheusClient(PrometheusConfig(url=stack.url)) as client:
            return await client.buildinfo()

    assert asyncio.run(info())["version"].startswith("2.")
