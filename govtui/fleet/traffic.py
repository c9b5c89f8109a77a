"""After a rollback: which version serves a model's traffic, polled until the new one has moved.

The share comes from the `version` label of the request counter (design metric convention):
`sum by (version) (rate(<prefix>requests_total{model="..."}[1m]))` over Prometheus; the demo
fleet serves its champion alone, so there the share follows the alias history. The watch polls
every few seconds until `actions.rollback.traffic_share` is reached or `watch_for` passes, and
never says "moved" on a share it could not read.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from govtui.analysis.promql import quote
from govtui.errors import GovtuiError, SourceError
from govtui.fleet.requests import TrafficReply
from govtui.timeutil import format_duration, parse_duration

if TYPE_CHECKING:
    from govtui.config import LoadedConfig
    from govtui.sources.prometheus import PrometheusClient

RATE_WINDOW = "1m"
POLL_SECONDS = 5.0
"""How often the watch asks for the shares (a 1m rate moves little faster than this)."""

Shares = dict[str, float]
FetchShares = Callable[[], Awaitable[Shares]]


def share_query(model: str, prefix: str = "ml_") -> str:
    """The PromQL for one model's request rate by version (the model name escaped)."""
    return f"sum by (version) (rate({prefix}requests_total{{model={quote(model)}}}[{RATE_WINDOW}]))"


def shares_from_rates(rates: dict[str, float]) -> Shares:
    """Request rates by version -> shares of the total (empty when nothing was served)."""
    finite = {
        version: rate for version, rate in rates.items() if math.isfinite(rate) and rate > 0.0
    }
    total = sum(finite.values())
    if total <= 0.0:
        return {}
    return {version: rate / total for version, rate in finite.items()}


async def prometheus_shares(
    client: PrometheusClient, model: str, *, prefix: str = "ml_", at: datetime | None = None
) -> Shares:
    """Shares by version from Prometheus (a series without a `version` label counts as "")."""
    result = await client.query(share_query(model, prefix), at)
    rates: dict[str, float] = {}
    for sample in result.samples:
        version = sample.labels.get("version", "")
        rates[version] = rates.get(version, 0.0) + sample.value
    return shares_from_rates(rates)


def demo_shares(demo_fleet: Any, model: str, at: datetime | None = None) -> Shares:
    """The simulated fleet serves its champion at `at` alone."""
    return dict(demo_fleet.traffic_shares(model, at or datetime.now(tz=UTC)))


async def version_shares(
    loaded: LoadedConfig,
    model: str,
    *,
    demo_fleet: Any | None = None,
    at: datetime | None = None,
    client: PrometheusClient | None = None,
) -> Shares:
    """Share of one model's requests per version now (or at `at`); {} when it served nothing.

    The demo fleet when one is given, else the configured Prometheus (a `client` is reused,
    otherwise one is opened and closed). SourceError when there is neither or it fails.
    """
    if demo_fleet is not None:
        return await asyncio.to_thread(demo_shares, demo_fleet, model, at)
    settings = loaded.config.sources.prometheus
    if settings is None:
        raise SourceError("traffic", "no Prometheus configured: cannot watch traffic by version")
    if client is not None:
        return await prometheus_shares(client, model, prefix=settings.metric_prefix, at=at)
    from govtui.sources.prometheus import PrometheusClient

    async with PrometheusClient(settings, base_dir=loaded.base_dir) as opened:
        return await prometheus_shares(opened, model, prefix=settings.metric_prefix, at=at)


@dataclass(frozen=True)
class WatchSettings:
    """When the watch stops: `threshold` share reached, or `watch_for` seconds passed."""

    threshold: float = 0.95
    watch_for: float = 600.0
    interval: float = POLL_SECONDS

    @classmethod
    def from_config(cls, loaded: LoadedConfig, *, interval: float = POLL_SECONDS) -> WatchSettings:
        """`actions.rollback.traffic_share` and `watch_for` from the config."""
        rollback = loaded.config.actions.rollback
        return cls(rollback.traffic_share, float(parse_duration(rollback.watch_for)), interval)


def version_label(version: str) -> str:
    """`v3` for a numbered version, the name itself otherwise."""
    return f"v{version}" if version.isdigit() else version


def traffic_text(target: str, share: float | None, done: bool, *, waited: float | None) -> str:
    """`traffic on v3: 97% — moved`, `... 40% — moving`, `... 0% after 10m — not moved`."""
    figure = "unknown" if share is None else f"{share * 100:.0f}%"
    label = version_label(target)
    if done:
        return f"traffic on {label}: {figure} \u2014 moved"
    if waited is not None:
        return f"traffic on {label}: {figure} after {format_duration(waited)} \u2014 not moved"
    return f"traffic on {label}: {figure} \u2014 moving"


def traffic_reply(
    model: str,
    target: str,
    shares: Shares | None,
    settings: WatchSettings,
    *,
    error: str | None = None,
    waited: float | None = None,
) -> TrafficReply:
    """One reply of the watch; `waited` set means the time is up (the final reply)."""
    from govtui.actions.traffic import traffic_shift

    if shares is None:
        text = f"traffic on {version_label(target)}: unknown ({error or 'no data'})"
        if waited is not None:
            text += f" after {format_duration(waited)} \u2014 not confirmed"
        return TrafficReply(model, target, None, False, text, final=waited is not None)
    shift = traffic_shift(shares, target, settings.threshold)
    text = traffic_text(target, shift.target_share, shift.done, waited=waited)
    return TrafficReply(
        model, target, shift.target_share, shift.done, text, final=shift.done or waited is not None
    )


async def watch_traffic(
    fetch: FetchShares,
    model: str,
    target: str,
    settings: WatchSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> AsyncIterator[TrafficReply]:
    """A TrafficReply per poll, the last one `final` (moved, or `watch_for` passed).

    A failed poll is reported (share unknown) and the watch goes on; the time limit still holds.
    """
    started = clock()
    while True:
        try:
            shares: Shares | None = await fetch()
            error = None
        except GovtuiError as exc:
            shares, error = None, str(exc)
        elapsed = clock() - started
        time_up = elapsed >= settings.watch_for
        reply = traffic_reply(
            model, target, shares, settings, error=error, waited=elapsed if time_up else None
        )
        if not reply.final and time_up:
            reply = TrafficReply(reply.model, reply.target, reply.share, False, reply.message, True)
        yield reply
        if reply.final:
            return
        await sleep(min(settings.interval, max(0.0, settings.watch_for - elapsed)))


def watch_until_moved(
    loaded: LoadedConfig,
    model: str,
    target: str,
    *,
    demo_fleet: Any | None = None,
    on_update: Callable[[TrafficReply], None] | None = None,
    settings: WatchSettings | None = None,
) -> TrafficReply:
    """Blocking watch for the CLI (`govtui rollback --watch`): the final reply.

    `on_update` sees every reply as it comes (to print progress).
    """
    chosen = settings or WatchSettings.from_config(loaded)

    async def run() -> TrafficReply:
        client = None
        if demo_fleet is None and loaded.config.sources.prometheus is not None:
            from govtui.sources.prometheus import PrometheusClient

            client = PrometheusClient(loaded.config.sources.prometheus, base_dir=loaded.base_dir)
        try:

            async def fetch() -> Shares:
                return await version_shares(loaded, model, demo_fleet=demo_fleet, client=client)

            last: TrafficReply | None = None
            async for reply in watch_traffic(fetch, model, target, chosen):
                last = reply
                if on_update is not None:
                    on_update(reply)
            assert last is not None  # the watch yields at least once
            return last
        finally:
            if client is not None:
                await client.aclose()

    return asyncio.run(run())
