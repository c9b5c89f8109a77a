"""Async client for the Prometheus HTTP API (also Thanos, Mimir, Cortex, VictoriaMetrics).

Every failure becomes a SourceError a person can act on: the API's error envelope
(`errorType`, `error`) with the start of the query, HTTP statuses with a hint, broken or
truncated JSON, unexpected shapes. Thanos partial-response `warnings` are returned with the
results so the console can show them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from govtui.config import PrometheusConfig
from govtui.errors import SourceError
from govtui.sources.http import HttpClient, HttpResponse, HttpSource

SOURCE = "prometheus"
QUERY_EXCERPT_CHARS = 80


@dataclass(frozen=True, slots=True)
class Sample:
    """One element of an instant vector: its labels, value and sample time (unix seconds)."""

    labels: dict[str, str]
    value: float
    timestamp: float


@dataclass(frozen=True, slots=True)
class RangeSeries:
    """One series of a range query: labels and aligned timestamps/values."""

    labels: dict[str, str]
    timestamps: list[float]
    values: list[float]


@dataclass(frozen=True)
class QueryResult:
    """An instant query's samples and the warnings the server attached (partial responses)."""

    samples: list[Sample]
    warnings: list[str] = field(default_factory=list)
    result_type: str = "vector"


@dataclass(frozen=True)
class RangeResult:
    """A range query's series and the warnings the server attached."""

    series: list[RangeSeries]
    warnings: list[str] = field(default_factory=list)


def query_excerpt(promql: str) -> str:
    """The start of a query on one line, for error messages."""
    flat = " ".join(promql.split())
    return flat if len(flat) <= QUERY_EXCERPT_CHARS else flat[:QUERY_EXCERPT_CHARS] + "..."


def parse_sample_value(raw: Any) -> float:
    """A sample value string ("1.5", "NaN", "+Inf", "-Inf") as a float; ValueError otherwise."""
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise ValueError(f"sample value {raw!r} is not a string")
    return float(raw)


def _unix(moment: datetime | float | int) -> str:
    seconds = moment.timestamp() if isinstance(moment, datetime) else float(moment)
    if not math.isfinite(seconds):
        raise ValueError("time must be finite")
    return f"{seconds:.3f}"


class _PrometheusHttp(HttpSource):
    """HttpSource that reads Prometheus's error envelope out of error statuses."""

    def status_error(self, response: HttpResponse, what: str) -> SourceError:
        try:
            data = json.loads(response.body)
        except (ValueError, UnicodeDecodeError):
            data = None
        error = _api_error(data, what)
        if error is None:
            return super().status_error(response, what)
        retryable = response.status >= 500 or response.status == 429
        return self.error(error, retryable=retryable)


def _api_error(data: Any, what: str) -> str | None:
    """The message of an API error envelope (`status: error`), None for anything else."""
    if not isinstance(data, dict) or data.get("status") != "error":
        return None
    error_type = str(data.get("errorType") or "error")
    error = " ".join(str(data.get("error") or "no detail given").split())
    return f"{error_type}: {error} in {what}"


class PrometheusClient(HttpClient[PrometheusConfig]):
    """Instant and range queries, alerts and build info over the Prometheus HTTP API."""

    SOURCE = SOURCE
    HTTP_CLASS = _PrometheusHttp

    @property
    def display_url(self) -> str:
        """The base URL without credentials, for status lines."""
        return self._http.display_url

    async def query(self, promql: str, at: datetime | float | None = None) -> QueryResult:
        """Evaluate an instant query at `at` (server time when None)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = _unix(at)
        what = f"query {query_excerpt(promql)}"
        data, warnings = await self._api("/api/v1/query", params, what)
        samples, result_type = self._parse_instant(data, what)
        return QueryResult(samples, warnings=warnings, result_type=result_type)

    async def query_range(
        self,
        promql: str,
        start: datetime | float,
        end: datetime | float,
        step_seconds: float,
    ) -> RangeResult:
        """Evaluate a range query from `start` to `end` every `step_seconds`."""
        params = {
            "query": promql,
            "start": _unix(start),
            "end": _unix(end),
            "step": f"{float(step_seconds):g}",
        }
        what = f"range query {query_excerpt(promql)}"
        data, warnings = await self._api("/api/v1/query_range", params, what)
        return RangeResult(self._parse_matrix(data, what), warnings=warnings)

    async def alerts(self) -> list[dict[str, Any]]:
        """The alerts Prometheus's rule manager holds (pending and firing)."""
        data, _warnings = await self._api("/api/v1/alerts", None, "alerts", method="GET")
        alerts = data.get("alerts") if isinstance(data, dict) else None
        if not isinstance(alerts, list):
            raise self._http.error("unexpected response shape on alerts: no `alerts` list")
        return [alert for alert in alerts if isinstance(alert, dict)]

    async def buildinfo(self) -> dict[str, str]:
        """Server build info (version, revision); also a cheap reachability probe."""
        data, _warnings = await self._api(
            "/api/v1/status/buildinfo", None, "build info", method="GET"
        )
        if not isinstance(data, dict):
            raise self._http.error("unexpected response shape on build info")
        return {str(key): str(value) for key, value in data.items()}

    async def _api(
        self,
        path: str,
        params: Mapping[str, str] | None,
        what: str,
        *,
        method: str | None = None,
    ) -> tuple[Any, list[str]]:
        """Call an API endpoint and unwrap the `{status, data, warnings}` envelope."""
        params = dict(params or {})
        if self.config.partial_response is not None and path.startswith("/api/v1/query"):
            params["partial_response"] = "true" if self.config.partial_response else "false"
        if method is None:
            long_query = len(urlencode(params)) > self.config.post_threshold
            method = "POST" if long_query else "GET"
        if method == "POST":
            body = await self._http.request_json("POST", path, form=params, what=what)
        else:
            body = await self._http.request_json("GET", path, params=params or None, what=what)
        if not isinstance(body, dict):
            raise self._http.error(f"unexpected response shape on {what}: not a JSON object")
        error = _api_error(body, what)
        if error is not None:
            raise self._http.error(error)
        if body.get("status") != "success" or "data" not in body:
            raise self._http.error(
                f"unexpected response shape on {what}: no success status with data"
            )
        raw_warnings = body.get("warnings") or []
        if not isinstance(raw_warnings, list):
            raw_warnings = [raw_warnings]
        warnings = [self._http.redact(f"{SOURCE}: {warning}") for warning in raw_warnings]
        return body["data"], warnings

    def _parse_instant(self, data: Any, what: str) -> tuple[list[Sample], str]:
        if not isinstance(data, dict) or "result" not in data:
            raise self._http.error(f"unexpected response shape on {what}: no data.result")
        result_type = data.get("resultType")
        result = data["result"]
        try:
            if result_type == "vector":
                if not isinstance(result, list):
                    raise ValueError("vector result is not a list")
                memo: dict[str, str] = {}
                return [_vector_sample(item, memo) for item in result], "vector"
            if result_type == "scalar":
                timestamp, value = _point(result)
                return [Sample({}, value, timestamp)], "scalar"
        except (ValueError, TypeError, KeyError) as exc:
            raise self._http.error(f"unexpected response shape on {what}: {exc}") from None
        if result_type == "matrix":
            raise self._http.error(
                f"{what} returned a range vector; instant queries must return an instant vector"
            )
        raise self._http.error(f"unexpected result type {result_type!r} on {what}")

    def _parse_matrix(self, data: Any, what: str) -> list[RangeSeries]:
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise self._http.error(f"unexpected response shape on {what}: no matrix result")
        result = data.get("result")
        try:
            if not isinstance(result, list):
                raise ValueError("matrix result is not a list")
            series = []
            memo: dict[str, str] = {}
            for item in result:
                labels = _labels(item, memo)
                points = item.get("values") or []
                if not isinstance(points, list):
                    raise ValueError("`values` is not a list")
                pairs = [_point(point) for point in points]
                series.append(
                    RangeSeries(labels, [pair[0] for pair in pairs], [pair[1] for pair in pairs])
                )
            return series
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self._http.error(f"unexpected response shape on {what}: {exc}") from None


def _labels(item: Any, memo: dict[str, str]) -> dict[str, str]:
    """The element's label dict itself (fresh from the JSON parser), every value one shared
    string per distinct value (`memo`): a 1000-model response repeats each model name hundreds
    of times, and the Collector holds every sample of a refresh at once (benchmarks/)."""
    if not isinstance(item, dict):
        raise ValueError("a result element is not an object")
    metric = item.get("metric", {})
    if not isinstance(metric, dict):
        raise ValueError("`metric` is not an object")
    for key, value in metric.items():  # JSON object keys are always strings
        text = value if type(value) is str else str(value)
        metric[key] = memo.setdefault(text, text)
    return metric


def _point(point: Any) -> tuple[float, float]:
    if type(point) is list and len(point) == 2:  # the usual [1768478400.0, "12.5"], quickly
        timestamp, raw = point
        if type(raw) is str and type(timestamp) in (int, float):
            return float(timestamp), float(raw)
    if not isinstance(point, list) or len(point) != 2:
        raise ValueError(f"sample {str(point)[:40]} is not a [time, value] pair")
    timestamp = point[0]
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        raise ValueError(f"sample time {timestamp!r} is not a number")
    return float(timestamp), parse_sample_value(point[1])


def _vector_sample(item: Any, memo: dict[str, str]) -> Sample:
    labels = _labels(item, memo)
    if "value" not in item:
        if "histogram" in item:
            raise ValueError("native histograms are not supported; query classic buckets")
        raise ValueError("a vector element has no `value`")
    timestamp, value = _point(item["value"])
    return Sample(labels, value, timestamp)
