"""The console end of the Collector pipe: a reader thread that turns pipe messages into app messages.

Reading happens in a Textual thread worker so unpickling a large snapshot never stalls the
event loop; the worker only posts messages (thread-safe), the app applies them on its loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from textual.worker import get_current_worker

from govtui.ui.messages import CollectorGone, CollectorMessage

if TYPE_CHECKING:
    from textual.app import App

    from govtui.fleet.requests import Request

POLL_SECONDS = 0.25


class CollectorLink(Protocol):
    """What the console needs from the Collector: send requests, receive messages, close."""

    def send(self, request: Request) -> bool:
        """Send a request; False when the Collector is gone."""
        ...

    def receive(self, timeout: float = POLL_SECONDS) -> object | None:
        """The next message or None; EOFError once the pipe is closed."""
        ...

    def close(self, timeout: float = 3.0) -> None:
        """Stop the Collector."""
        ...

    @property
    def exitcode(self) -> int | None:
        """The Collector's exit code once it has stopped."""
        ...


def read_forever(app: App[Any], link: CollectorLink) -> None:
    """Worker body: post every message from the pipe to the app until cancelled or closed."""
    worker = get_current_worker()
    while not worker.is_cancelled:
        try:
            payload = link.receive(POLL_SECONDS)
        except EOFError:
            if not worker.is_cancelled:
                code = link.exitcode
                reason = f"exited with code {code}" if code is not None else "pipe closed"
                app.post_message(CollectorGone(reason))
            return
        except Exception as exc:  # a message that cannot be decoded is dropped, not fatal
            app.call_from_thread(
                app.notify,
                f"dropped an unreadable message from the Collector: {type(exc).__name__}",
                severity="warning",
                markup=False,
            )
            continue
        if payload is not None:
            app.post_message(CollectorMessage(payload))
