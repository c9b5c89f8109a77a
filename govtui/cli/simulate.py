"""`govtui simulate`: the demo fleet as Prometheus data (OpenMetrics backfill, live exporter)."""

from __future__ import annotations

import argparse
import math
import sys
import threading
from pathlib import Path
from typing import Any

from govtui.errors import EXIT_OK, UsageError

EPILOG = """\
examples:
  govtui simulate backfill --out fleet.om --hours 744 --end 2026-01-15T12:00:00Z
  promtool tsdb create-blocks-from openmetrics fleet.om ./data
  govtui simulate serve --port 9105
"""


def register(subparsers: Any) -> None:
    """Add `simulate backfill` and `simulate serve`."""
    parser = subparsers.add_parser(
        "simulate",
        help="the demo fleet as Prometheus data: OpenMetrics backfill or a live exporter",
        description="Feed a real Prometheus with the simulated fleet.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="simulate_command", metavar="ACTION")
    backfill = actions.add_parser(
        "backfill",
        help="write OpenMetrics history for `promtool tsdb create-blocks-from openmetrics`",
        description="Write the fleet's cumulative counters as OpenMetrics text: every 5 minutes "
        "over the last 26 h, hourly over 8 days, every 6 h before, plus a sample at "
        "the start of every window the demo config evaluates at --end.",
    )
    backfill.add_argument("--out", metavar="FILE", required=True, help="OpenMetrics file to write")
    _add_fleet_options(backfill)
    backfill.add_argument(
        "--hours", type=float, default=31 * 24, help="history to write (default 744 = 31 days)"
    )
    backfill.add_argument(
        "--end", metavar="TIME", help="last sample time, RFC 3339 or unix seconds (default now)"
    )
    backfill.set_defaults(func=run_backfill)
    serve = actions.add_parser(
        "serve",
        help="expose the live fleet on /metrics (prometheus_client)",
        description="Serve the fleet's metrics as they are at each scrape, until interrupted.",
    )
    serve.add_argument("--port", type=int, required=True, help="TCP port (0 picks a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    _add_fleet_options(serve)
    serve.set_defaults(func=run_serve)
    parser.set_defaults(func=_missing_action(parser))


def _add_fleet_options(parser: argparse.ArgumentParser) -> None:
    """The simulated fleet's size and seed, the same for every action."""
    parser.add_argument("--models", type=int, default=12, help="fleet size (default 12)")
    parser.add_argument("--seed", type=int, default=7, help="fleet seed (default 7)")


def _missing_action(parser: argparse.ArgumentParser) -> Any:
    def run(_args: argparse.Namespace) -> int:
        raise UsageError("simulate: give an action: backfill or serve (see --help)")

    return run


def _fleet(models: int, seed: int, at: Any) -> Any:
    if models < 1:
        raise UsageError("simulate: --models must be at least 1")
    from govtui.config import state_dir
    from govtui.demo.fleet import DemoFleet
    from govtui.demo.registry import ensure_demo_registry

    registry = ensure_demo_registry(state_dir(), models=models, seed=seed, at=at)
    return DemoFleet(registry, models=models, seed=seed)


def run_backfill(args: argparse.Namespace) -> int:
    """Write the OpenMetrics backfill."""
    from govtui.cli.common import parse_at
    from govtui.demo.config import demo_config
    from govtui.demo.openmetrics import (
        FINEST_STEP,
        FleetSampler,
        backfill,
        help_for,
        window_edges,
    )

    if args.hours <= 0:
        raise UsageError("simulate backfill: --hours must be positive")
    end = parse_at(args.end)
    out = Path(args.out).expanduser()
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise UsageError(f"{out}: cannot write: directory {out.parent} does not exist")
    fleet = _fleet(args.models, args.seed, end)
    last = math.floor(end.timestamp() / FINEST_STEP) * FINEST_STEP
    edges = window_edges(demo_config().config, last)
    summary = backfill(
        FleetSampler(fleet),
        out,
        end=last,
        hours=args.hours,
        edges=edges,
        help_texts=help_for("ml_"),
    )
    print(
        f"wrote {summary.samples} samples of {summary.series} series at {summary.times} times "
        f"({summary.start:.0f}..{summary.end:.0f}) to {summary.path}"
    )
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    """Serve the live fleet until interrupted."""
    from govtui.demo.exporter import serve
    from govtui.demo.openmetrics import FleetSampler

    if not 0 <= args.port <= 65535:
        raise UsageError("simulate serve: --port must be 0..65535")
    fleet = _fleet(args.models, args.seed, None)
    try:
        server = serve(FleetSampler(fleet), port=args.port, host=args.host)
    except OSError as exc:
        raise UsageError(
            f"simulate serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    print(f"serving {len(fleet.model_names)} models at {server.url} (Ctrl-C stops)", flush=True)
    sys.stdout.flush()
    try:
        threading.Event().wait()
    finally:
        server.stop()
    return EXIT_OK
