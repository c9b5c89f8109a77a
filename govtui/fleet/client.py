"""The console's handle on the Collector process: start it, send requests, receive messages.

The Collector is started with the 'spawn' method by default: the console runs threads
(Textual), and forking a threaded process can deadlock the child. The command line starts it
before any thread exists and asks for 'fork' (see `fork_is_safe`): the child then skips an
interpreter start and inherits the modules the parent has already imported. Nothing here
imports pandas.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING

from govtui.fleet import wire
from govtui.fleet.requests import Request, Shutdown

if TYPE_CHECKING:
    from govtui.analysis.results import ModelReport
    from govtui.config import LoadedConfig

START_METHOD = "spawn"
FORK_METHOD = "fork"


def fork_is_safe() -> bool:
    """Whether this process may fork the Collector: the platform can, and no thread runs yet."""
    return FORK_METHOD in multiprocessing.get_all_start_methods() and threading.active_count() == 1


@dataclass(frozen=True)
class CollectorSpec:
    """Everything the Collector process needs to build its sources (picklable).

    The config is either given (`loaded`) or found by the Collector itself: the file at
    `config_path`, else discovery when `discover` is set, else the demo config. Letting the
    Collector load it means it can be started before the console has imported anything.
    """

    loaded: LoadedConfig | None = None
    config_path: str | None = None
    discover: bool = False
    demo: bool = False
    demo_models: int = 12
    demo_seed: int = 7
    state_dir: str | None = None
    at: float | None = None
    focus: str | None = None
    read_only: bool = False  # `--read-only`; the Collector also honours ui/per-source read_only

    def resolve(self) -> tuple[LoadedConfig, bool]:
        """The config to run with, and whether the simulated fleet is the source."""
        if self.loaded is not None:
            return self.loaded, self.demo
        from govtui.config import load_config, load_discovered

        found: LoadedConfig | None = None
        if self.config_path is not None:
            found = load_config(Path(self.config_path))
        elif self.discover:
            found = load_discovered()
        if found is not None:
            return found, self.demo
        from govtui.demo.config import demo_config

        return demo_config(), True


def _forked_main(spec: CollectorSpec, connection: Connection, parent_end: Connection) -> None:
    """A forked child holds the console's end of the pipe too; close it, so the Collector sees
    the pipe close (and stops) when the console dies."""
    from govtui.fleet.process import collector_main

    parent_end.close()
    collector_main(spec, connection)


class CollectorClient:
    """The parent end of the pipe to a running Collector process."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self._process = process
        self._connection = connection
        self._send_lock = threading.Lock()
        self._closed = threading.Event()

    @classmethod
    def start(cls, spec: CollectorSpec, *, method: str = START_METHOD) -> CollectorClient:
        """Start the Collector process; it starts fetching at once.

        `method` is a multiprocessing start method; 'fork' only while `fork_is_safe()`.
        """
        from govtui.fleet.process import collector_main

        if method == FORK_METHOD and not fork_is_safe():
            method = START_METHOD
        context = multiprocessing.get_context(method)
        parent_end, child_end = context.Pipe(duplex=True)
        target, args = (
            (_forked_main, (spec, child_end, parent_end))
            if method == FORK_METHOD
            else (collector_main, (spec, child_end))
        )
        process = context.Process(  # type: ignore[attr-defined]
            target=target, args=args, name="govtui-collector", daemon=True
        )
        process.start()
        child_end.close()
        return cls(process, parent_end)

    @property
    def pid(self) -> int | None:
        """The Collector's process id."""
        return self._process.pid

    @property
    def exitcode(self) -> int | None:
        """The Collector's exit code, None while it runs."""
        return self._process.exitcode

    def send(self, request: Request) -> bool:
        """Send a request; False when the Collector is gone (the console shows that state)."""
        if self._closed.is_set():
            return False
        payload = wire.dumps(request)
        with self._send_lock:
            try:
                self._connection.send_bytes(payload)
            except (OSError, ValueError):
                return False
        return True

    def receive(self, timeout: float = 0.25) -> object | None:
        """The next message, or None if none came within `timeout`; EOFError once the pipe closed."""
        if self._closed.is_set():
            raise EOFError("collector connection closed")
        try:
            if not self._connection.poll(timeout):
                return None
            message = wire.loads(self._connection.recv_bytes())
            if isinstance(message, wire.SnapshotHead):
                models: list[ModelReport] = []
                for _ in range(message.parts):
                    time.sleep(0)  # between parts the console's event loop gets the GIL
                    part = wire.loads(self._connection.recv_bytes())
                    models.extend(part)  # type: ignore[arg-type]
                return message.assemble(models)
        except (OSError, ValueError) as exc:
            raise EOFError(str(exc)) from None
        return message

    def close(self, timeout: float = 3.0) -> None:
        """Ask the Collector to stop, then make sure it has."""
        if self._closed.is_set():
            return
        self.send(Shutdown())
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1.0)
        self._closed.set()
        with contextlib.suppress(OSError):
            self._connection.close()
