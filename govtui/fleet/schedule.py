"""When each signal kind is fetched next: its refresh interval, with exponential backoff on failure.

Polling reschedules after each run (never a fixed-rate timer), so a slow source is never asked
twice at once and a failing one is asked less and less often until it answers again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# A failing source is retried at most this many intervals apart (and never more than 5 minutes):
# the backend is asked half as often while it fails, and once it is back the panels recover
# within two refresh intervals (tests/chaos).
MAX_BACKOFF_INTERVALS = 2
MAX_BACKOFF_SECONDS = 300.0


@dataclass
class Schedule:
    """The polling state of one signal kind (times are `time.monotonic()` seconds)."""

    kind: str
    interval: float
    next_due: float = 0.0
    failures: int = 0
    last_attempt: float | None = None
    last_success: float | None = None
    last_error: str | None = None

    def due(self, now: float) -> bool:
        """Whether this kind should be fetched now."""
        return now >= self.next_due

    def succeeded(self, now: float) -> None:
        """A fetch worked: forget the failures and wait one interval."""
        self.failures = 0
        self.last_attempt = now
        self.last_success = now
        self.last_error = None
        self.next_due = now + self.interval

    def failed(self, now: float, message: str) -> None:
        """A fetch failed: keep the last good data and back off exponentially."""
        self.failures += 1
        self.last_attempt = now
        self.last_error = message
        self.next_due = now + self.backoff()

    def backoff(self) -> float:
        """Seconds until the next attempt after `failures` failures in a row."""
        cap = max(self.interval, min(self.interval * MAX_BACKOFF_INTERVALS, MAX_BACKOFF_SECONDS))
        return min(self.interval * 2.0**self.failures, cap)

    def hold(self) -> None:
        """Never due again until `force()` (replay: the data at a fixed time does not change)."""
        self.next_due = math.inf

    def force(self) -> None:
        """Due at once (the operator pressed `r`, or the evaluation time changed)."""
        self.next_due = 0.0

    def age(self, now: float) -> float | None:
        """Seconds since the last good fetch, None when there never was one."""
        return None if self.last_success is None else max(0.0, now - self.last_success)

    @property
    def failing(self) -> bool:
        """Whether the latest attempt failed."""
        return self.last_error is not None
