"""After a rollback: how much of a model's traffic the target version serves (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TrafficShift:
    """The target version's share of request rate, whether it has reached the threshold."""

    target_share: float | None  # None when no traffic was seen at all
    done: bool
    text: str


def traffic_shift(shares: Mapping[str, float], target: str, threshold: float) -> TrafficShift:
    """Share of traffic on `target` out of all versions' request rates (any non-negative unit)."""
    rates = {
        version: float(rate)
        for version, rate in shares.items()
        if rate is not None and math.isfinite(float(rate)) and float(rate) > 0
    }
    total = sum(rates.values())
    if total <= 0:
        return TrafficShift(None, False, f"no traffic seen yet (waiting for version {target})")
    share = rates.get(target, 0.0) / total
    done = share >= threshold
    others = ", ".join(
        f"{version} {rate / total:.0%}"
        for version, rate in sorted(rates.items(), key=lambda item: -item[1])
        if version != target
    )
    rest = f" (others: {others})" if others else ""
    verdict = "traffic moved" if done else f"moving, waiting for {threshold:.0%}"
    return TrafficShift(share, done, f"version {target} serves {share:.1%}{rest}: {verdict}")
