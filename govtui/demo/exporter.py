"""The live demo fleet as a Prometheus exporter (prometheus_client), sampled at scrape time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from threading import Thread
from typing import Any

from prometheus_client.core import CollectorRegistry, Metric
from prometheus_client.registry import Collector

from govtui.demo.openmetrics import HELP_TEXTS, SampleSource, family_of

Clock = Callable[[], float]


class DemoCollector(Collector):
    """A custom collector yielding the fleet's cumulative samples at the time of each scrape."""

    def __init__(self, source: SampleSource, *, prefix: str = "ml_", clock: Clock = time.time):
        self.source = source
        self.prefix = prefix
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        samples = self.source.samples(self.clock())
        histogram_families = {
            name[: -len("_bucket")] for name, _labels, _value in samples if name.endswith("_bucket")
        }
        families: dict[str, Metric] = {}
        for name, labels, value in samples:
            family, kind = family_of(name, histogram_families)
            metric = families.get(family)
            if metric is None:
                short = family.removeprefix(self.prefix)
                documentation = HELP_TEXTS.get(short, f"Demo fleet metric {family}.")
                metric = families[family] = Metric(family, documentation, kind)
            metric.add_sample(name, dict(labels), float(value))
        yield from families.values()


@dataclass
class ExporterServer:
    """A running exporter: its URL, and stop() to shut it down."""

    url: str
    port: int
    server: Any
    thread: Thread

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(
    source: SampleSource, *, port: int = 0, host: str = "127.0.0.1", prefix: str = "ml_"
) -> ExporterServer:
    """Serve `/metrics` for the fleet on host:port (0 picks a free port) in a daemon thread."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(DemoCollector(source, prefix=prefix))
    server, thread = start_http_server(port, addr=host, registry=registry)
    bound = int(server.server_address[1])
    return ExporterServer(f"http://{host}:{bound}/metrics", bound, server, thread)
