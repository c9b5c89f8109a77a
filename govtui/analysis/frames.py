"""The tidy frames that sources hand to analysis (the design's data contracts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

REQUESTS_COLUMNS = ("model", "window", "total", "errors")
LATENCY_COLUMNS = ("model", "window", "total", "fast")
FEATURE_BINS_COLUMNS = ("model", "feature", "kind", "bin", "reference", "current")
OUTCOMES_COLUMNS = ("model", "window", "attribute", "group", "prediction", "label", "count")
SERIES_COLUMNS = ("model", "signal", "timestamp", "value")
FRESHNESS_COLUMNS = ("model", "signal", "last_seen")

# Optional columns a source may add: `coverage` (0..1) on requests/latency; `slo` on latency
# when several latency SLOs with different thresholds exist (rows without it apply to all).
OPTIONAL_COLUMNS = {"requests": ("coverage",), "latency": ("coverage", "slo")}

FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "requests": REQUESTS_COLUMNS,
    "latency": LATENCY_COLUMNS,
    "feature_bins": FEATURE_BINS_COLUMNS,
    "outcomes": OUTCOMES_COLUMNS,
    "series": SERIES_COLUMNS,
    "freshness": FRESHNESS_COLUMNS,
}


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the contract's columns."""
    return pd.DataFrame({column: pd.Series(dtype="object") for column in FRAME_COLUMNS[name]})


@dataclass
class Signals:
    """One evaluation's worth of input: a frame per signal kind, None when its source is absent.

    `models` lists every model the source knows (so a model missing from one frame is still
    reported, with that check unknown). `failed` names signal kinds whose source errored this
    round (message per kind), which analysis reports as `source_down`.
    """

    models: list[str]
    requests: pd.DataFrame | None = None
    latency: pd.DataFrame | None = None
    feature_bins: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None
    series: pd.DataFrame | None = None
    freshness: pd.DataFrame | None = None
    failed: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_frames(
        cls,
        models: list[str],
        frames: Mapping[str, pd.DataFrame | None],
        *,
        failed: dict[str, str] | None = None,
        warnings: list[str] | None = None,
    ) -> Signals:
        """Signals with a frame per signal kind, named as in FRAME_COLUMNS (a kind left out is None)."""
        return cls(
            models=models,
            requests=frames.get("requests"),
            latency=frames.get("latency"),
            feature_bins=frames.get("feature_bins"),
            outcomes=frames.get("outcomes"),
            series=frames.get("series"),
            freshness=frames.get("freshness"),
            failed=dict(failed) if failed else {},
            warnings=list(warnings) if warnings else [],
        )


def frame_models(frames: Mapping[str, pd.DataFrame | None]) -> set[str]:
    """Every model named in the `model` column of any of the frames."""
    return {
        str(model)
        for frame in frames.values()
        if frame is not None
        for model in frame["model"].unique()
    }
