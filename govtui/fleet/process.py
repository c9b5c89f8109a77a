"""Entry point of the Collector process: serve the console over one pipe until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from govtui.fleet import wire
from govtui.fleet.requests import CollectorFailed, Shutdown

if TYPE_CHECKING:
    from govtui.fleet.client import CollectorSpec

COLLECTOR_NICENESS = 5


def collector_main(spec: CollectorSpec, connection: Connection) -> None:
    """Run the Collector; report an unexpected failure to the console instead of dying silently."""
    # Ctrl+C belongs to the console, which stops the Collector itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # On a small bastion the console's first frame and keystrokes come before fetching.
    with contextlib.suppress(OSError):
        os.nice(COLLECTOR_NICENESS)
    logging.basicConfig(level=os.environ.get("GOVTUI_COLLECTOR_LOG", "WARNING").upper())
    try:
        asyncio.run(_serve(spec, connection))
    except Exception as exc:
        failure = CollectorFailed(
            f"{type(exc).__name__}: {exc}", tuple(traceback.format_exception(exc))
        )
        with contextlib.suppress(OSError, ValueError):
            connection.send_bytes(wire.dumps(failure))
        sys.exit(1)
    finally:
        with contextlib.suppress(OSError):
            connection.close()


async def _serve(spec: CollectorSpec, connection: Connection) -> None:
    from govtui.fleet.collector import Collector

    def emit(message: object) -> None:
        try:
            for frame in wire.encode(message):
                connection.send_bytes(frame)
        except (OSError, ValueError):
            collector.handle(Shutdown())  # the console is gone

    collector = Collector(spec, emit)
    loop = asyncio.get_running_loop()

    def on_readable() -> None:
        try:
            request = wire.loads(connection.recv_bytes())
        except (EOFError, OSError, ValueError):
            loop.remove_reader(connection.fileno())
            collector.handle(Shutdown())
            return
        collector.handle(request)

    loop.add_reader(connection.fileno(), on_readable)
    try:
        await collector.serve()
    finally:
        with contextlib.suppress(OSError, ValueError):
            loop.remove_reader(connection.fileno())
