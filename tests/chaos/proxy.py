"""A fault-injecting HTTP proxy on loopback, between govtui and one real backend.

Each client connection carries one request: the proxy reads it, forwards it upstream with
`Connection: close`, reads the whole response, and then (while faults are on, for a seeded
random share of requests) delays it, drops the connection, resets it, truncates the response,
garbles bytes of it, or answers itself with 500/502/429 and a broken or non-JSON body. With
faults off it forwards faithfully, so the same proxy shows recovery. It runs its own event loop
in a daemon thread, so synchronous tests (subprocesses) and async ones (Pilot) can both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

FAULTS = ("delay", "drop", "reset", "truncate", "garble", "error")
ERROR_BODIES = (
    b'{"status":"error","errorType":"internal","error":"chaos',  # truncated JSON
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": 7}]}}',
    b"\x00\xff\xfe garbage \x81",
    b"",
    b'{"error_code": "INTERNAL_ERROR", "message": ',
    b"[1, 2, 3]",
)
HEADER_END = b"\r\n\r\n"
MAX_REQUEST_BYTES = 8 * 1024 * 1024


@dataclass
class ChaosSettings:
    """How much chaos: the share of requests faulted and the longest delay."""

    fault_rate: float = 0.5
    max_delay: float = 1.5
    faults: tuple[str, ...] = FAULTS


@dataclass
class ProxyStats:
    """What the proxy did, by outcome ("pass" or a fault name)."""

    counts: Counter[str] = field(default_factory=Counter)
    upstream_errors: int = 0

    @property
    def faulted(self) -> int:
        return sum(count for name, count in self.counts.items() if name != "pass")


class ChaosProxy:
    """`ChaosProxy(upstream_port).start()`; `.url`; `.faults_on()` / `.faults_off()`; `.stop()`."""

    def __init__(
        self,
        upstream_port: int,
        *,
        upstream_host: str = "127.0.0.1",
        seed: int = 0,
        settings: ChaosSettings | None = None,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.settings = settings or ChaosSettings()
        self.random = random.Random(seed)
        self.stats = ProxyStats()
        self.chaos = False
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def faults_on(self) -> None:
        self.chaos = True

    def faults_off(self) -> None:
        self.chaos = False

    def start(self) -> ChaosProxy:
        """Listen on a free loopback port in a background thread."""
        self._thread = threading.Thread(target=self._run, name="chaos-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the chaos proxy did not start")
        return self

    def stop(self) -> None:
        """Stop listening and end the thread."""
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = int(self._server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            with contextlib.suppress(Exception):
                loop.run_until_complete(self._server.wait_closed())
            for task in asyncio.all_tasks(loop):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    def _choose(self) -> str:
        with self._lock:
            if not self.chaos or self.random.random() >= self.settings.fault_rate:
                return "pass"
            return self.random.choice(self.settings.faults)

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.stats.counts[outcome] += 1

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            fault = self._choose()
            self._count(fault)
            if fault == "drop":
                return
            if fault == "reset":
                _reset(writer)
                return
            if fault == "error":
                writer.write(self._error_response())
                await writer.drain()
                return
            response = await self._forward(request)
            if response is None:
                return  # upstream down: the client sees the connection close
            if fault == "delay":
                with self._lock:
                    delay = self.random.uniform(0, self.settings.max_delay)
                await asyncio.sleep(delay)
            elif fault == "truncate":
                with self._lock:
                    cut = self.random.randrange(0, max(1, len(response)))
                response = response[:cut]
            elif fault == "garble":
                response = self._garble(response)
            writer.write(response)
            await writer.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _forward(self, request: bytes) -> bytes | None:
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream), timeout=5
            )
        except (OSError, TimeoutError):
            with self._lock:
                self.stats.upstream_errors += 1
            return None
        try:
            upstream_writer.write(request)
            await upstream_writer.drain()
            return await asyncio.wait_for(upstream_reader.read(-1), timeout=60)
        except (OSError, TimeoutError):
            with self._lock:
                self.stats.upstream_errors += 1
            return None
        finally:
            with contextlib.suppress(Exception):
                upstream_writer.close()

    def _error_response(self) -> bytes:
        with self._lock:
            status = self.random.choice((500, 502, 429, 503))
            body = self.random.choice(ERROR_BODIES)
            content_type = self.random.choice(("application/json", "text/html", ""))
            retry_after = self.random.choice(("", "1", "-3", "soon"))
        reasons = {500: "Internal Server Error", 502: "Bad Gateway", 429: "Too Many Requests"}
        head = f"HTTP/1.1 {status} {reasons.get(status, 'Service Unavailable')}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        if retry_after:
            head += f"Retry-After: {retry_after}\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return head.encode("ascii") + body

    def _garble(self, response: bytes) -> bytes:
        """Flip a few random bytes, mostly in the body (sometimes in the head)."""
        data = bytearray(response)
        if not data:
            return bytes(data)
        start = response.find(HEADER_END)
        with self._lock:
            in_head = self.random.random() < 0.2 or start < 0
            low = 0 if in_head else start + len(HEADER_END)
            if low >= len(data):
                low = 0
            for _ in range(self.random.randint(1, 8)):
                index = self.random.randrange(low, len(data))
                data[index] ^= self.random.randint(1, 255)
        return bytes(data)


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 request with `Connection: close` put in; None when the client sent none."""
    try:
        head = await reader.readuntil(HEADER_END)
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise ValueError("request head too large") from None
    lines = head[: -len(HEADER_END)].split(b"\r\n")
    kept = [lines[0]]
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lowered = name.strip().lower()
        if lowered == b"connection":
            continue
        if lowered == b"content-length":
            length = int(value.strip() or b"0")
            if length > MAX_REQUEST_BYTES:
                raise ValueError("request body too large")
        if lowered == b"transfer-encoding":
            raise ValueError("chunked request bodies are not proxied")
        kept.append(line)
    kept.append(b"Connection: close")
    body = await reader.readexactly(length) if length else b""
    return b"\r\n".join(kept) + HEADER_END + body


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
