"""Times `evaluate_fleet` on a large synthetic fleet and prints the figures as one JSON line.

Fleet: MODELS models x FEATURES features x BINS bins (a quarter of the features categorical),
outcomes for ATTRIBUTES protected attributes x GROUPS groups in both windows, and requests and
latency counts for the 7 burn-rate windows plus the 30d SLO period. Run:
`python benchmarks/bench_analysis.py [--models N] [--repeat N] [--profile]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govtui.analysis.evaluate import evaluate_fleet
from govtui.analysis.frames import Signals
from govtui.config import Config

TARGET_SECONDS = 0.2
HOURLY_PER_FEATURE = 2000
DRIFTING_EVERY = 10
UNFAIR_EVERY = 10
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")
WINDOW_MINUTES = np.array([5, 30, 60, 120, 360, 1440, 4320, 43200], dtype=np.float64)


def build_signals(
    models: int = 1000,
    features: int = 20,
    bins: int = 10,
    attributes: int = 3,
    groups: int = 4,
    seed: int = 0,
) -> Signals:
    """A seeded synthetic fleet in the tidy frames sources produce (string columns, blocks)."""
    rng = np.random.default_rng(seed)
    names = np.array([f"model-{index:04d}" for index in range(models)], dtype=object)

    # requests / latency: one row per (model, window), counts growing with the window.
    rate = rng.uniform(1, 50, size=models)
    total = np.rint(np.outer(rate, WINDOW_MINUTES * 60)).ravel()
    error_ratio = np.repeat(
        rng.choice([0.0002, 0.0008, 0.02], p=[0.9, 0.07, 0.03], size=models), len(WINDOWS)
    )
    errors = rng.binomial(total.astype(np.int64), error_ratio).astype(np.float64)
    slow = rng.binomial(total.astype(np.int64), np.repeat(rng.uniform(0, 0.006, models), 8))
    model_rows = np.repeat(names, len(WINDOWS))
    window_rows = np.tile(np.array(WINDOWS, dtype=object), models)
    requests = pd.DataFrame(
        {"model": model_rows, "window": window_rows, "total": total, "errors": errors}
    )
    latency = pd.DataFrame(
        {"model": model_rows, "window": window_rows, "total": total, "fast": total - slow}
    )

    # feature_bins: numeric bins with shared bounds, categorical features with named levels.
    feature_names = np.array([f"feature_{index:02d}" for index in range(features)], dtype=object)
    categorical = np.arange(features) % 4 == 3
    bounds = np.array([f"{value:g}" for value in np.linspace(0.1, 0.9, bins - 1)] + ["+Inf"])
    levels = np.array([f"level_{index}" for index in range(bins)], dtype=object)
    per_model = features * bins
    feature_rows = np.tile(np.repeat(feature_names, bins), models)
    kind_rows = np.tile(np.repeat(np.where(categorical, "categorical", "numeric"), bins), models)
    bin_rows = np.tile(
        np.concatenate([levels if categorical[index] else bounds for index in range(features)]),
        models,
    ).astype(object)
    # Reference: a day of traffic; current: an hour. One model in DRIFTING_EVERY drifts.
    shape = rng.dirichlet(np.full(bins, 2.0), size=models * features)
    drifted = rng.dirichlet(np.full(bins, 2.0), size=models * features)
    drifting = np.repeat(np.arange(models) % DRIFTING_EVERY == 0, features)
    current_shape = np.where(drifting[:, None], drifted, shape)
    reference = rng.poisson(24 * HOURLY_PER_FEATURE * shape).ravel().astype(np.float64)
    current = rng.poisson(HOURLY_PER_FEATURE * current_shape).ravel().astype(np.float64)
    feature_bins = pd.DataFrame(
        {
            "model": np.repeat(names, per_model),
            "feature": feature_rows,
            "kind": kind_rows.astype(object),
            "bin": bin_rows,
            "reference": reference,
            "current": current,
        }
    )

    # outcomes: every (window, attribute, group, prediction, label) cell of every model.
    cells = pd.MultiIndex.from_product(
        [
            ["current", "reference"],
            [f"attribute_{index}" for index in range(attributes)],
            [f"group_{index}" for index in range(groups)],
            [0, 1],
            [0.0, 1.0, np.nan],
        ],
        names=["window", "attribute", "group", "prediction", "label"],
    ).to_frame(index=False)
    repeated = cells.iloc[np.tile(np.arange(len(cells)), models)].reset_index(drop=True)
    repeated.insert(0, "model", np.repeat(names, len(cells)))
    # Positive predictions of the first group are rarer on one model in UNFAIR_EVERY.
    unfair = np.repeat(np.arange(models) % UNFAIR_EVERY == 0, len(cells))
    first_group = np.tile((cells["group"] == "group_0").to_numpy(), models)
    positive = np.tile((cells["prediction"] == 1).to_numpy(), models)
    expected = np.where(positive, 400.0, 800.0) * np.where(
        unfair & first_group & positive, 0.5, 1.0
    )
    repeated["count"] = rng.poisson(expected).astype(np.int64)
    outcomes = repeated.astype({"window": object, "attribute": object, "group": object})

    return Signals(
        models=[str(name) for name in names],
        requests=requests,
        latency=latency,
        feature_bins=feature_bins,
        outcomes=outcomes,
    )


def main(argv: list[str] | None = None) -> int:
    """Build the fleet, time evaluate_fleet, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = parser.parse_args(argv)

    signals = build_signals(models=args.models, features=args.features, bins=args.bins)
    config = Config()
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    report = evaluate_fleet(signals, config, at)  # warm-up (imports, caches)
    timings, cpu_timings = [], []
    for _ in range(args.repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        report = evaluate_fleet(signals, config, at)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(evaluate_fleet, signals, config, at)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    statuses: dict[str, int] = {}
    for model in report.models:
        statuses[model.status] = statuses.get(model.status, 0) + 1
    result = {
        "benchmark": "analysis",
        "models": args.models,
        "features_per_model": args.features,
        "bins_per_feature": args.bins,
        "attributes": 3,
        "groups_per_attribute": 4,
        "windows": len(WINDOWS),
        "rows": {
            "requests": len(signals.requests) if signals.requests is not None else 0,
            "latency": len(signals.latency) if signals.latency is not None else 0,
            "feature_bins": len(signals.feature_bins) if signals.feature_bins is not None else 0,
            "outcomes": len(signals.outcomes) if signals.outcomes is not None else 0,
        },
        "runs": args.repeat,
        "seconds_best": round(min(timings), 4),
        "seconds_median": round(statistics.median(timings), 4),
        "cpu_seconds_best": round(min(cpu_timings), 4),
        "cpu_seconds_median": round(statistics.median(cpu_timings), 4),
        "target_seconds": TARGET_SECONDS,
        "under_target": min(timings) < TARGET_SECONDS,
        "statuses": dict(sorted(statuses.items())),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
