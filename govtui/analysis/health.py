"""Health of a model from its checks, and how a check's age turns it stale or unknown."""

from __future__ import annotations

import math
from collections.abc import Mapping

from govtui.analysis.policy import STALE_AFTER_REFRESHES
from govtui.analysis.policy import model_status as _model_status
from govtui.analysis.results import STATUS_RANK, Status


def model_status(checks: Mapping[str, str]) -> Status:
    """Worst of a model's check statuses, ranked crit > warn > unknown > ok (unknown if none)."""
    return _model_status(checks)


def effective_status(
    status: str | None,
    age_seconds: float | None,
    refresh_seconds: float,
    stale_after_factor: float,
) -> tuple[Status, bool]:
    """A check's status as of now, and whether it is stale (it missed a refresh).

    Never computed (no status or no age) is unknown. A result older than
    `stale_after_factor` x the refresh interval no longer says anything about now: unknown,
    and stale. Younger than that it keeps its status; it is stale once older than
    STALE_AFTER_REFRESHES intervals, so the console can show its age.
    """
    if status is None or age_seconds is None or math.isnan(age_seconds):
        return "unknown", False
    if status not in STATUS_RANK:
        raise ValueError(f"unknown status {status!r}")
    age = max(age_seconds, 0.0)
    refresh = max(refresh_seconds, 0.0)
    if age > stale_after_factor * refresh:
        return "unknown", True
    stale = age > STALE_AFTER_REFRESHES * refresh
    return status, stale  # type: ignore[return-value]
