"""The interactive console: `govtui` (config, else the demo fleet) and `govtui demo`.

Imports stay lazy: the Collector process is started before Textual is imported, so it loads its
data while the console starts. It is forked from this still single-threaded process after the
modules both processes need are imported once (`SHARED_MODULES`), so it starts without an
interpreter start-up or a second pydantic import.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
from typing import TYPE_CHECKING, Any

from govtui.cli.common import config_path_from_args, load_config_from_args, parse_at
from govtui.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from govtui.config import LoadedConfig
    from govtui.fleet.client import CollectorClient, CollectorSpec
    from govtui.ui.settings import ConsoleSettings

NO_CONFIG_CONTEXT = "demo fleet (no config found)"
# Imported before the Collector is forked: both processes need them (none imports pandas).
SHARED_MODULES = ("asyncio", "govtui.config", "govtui.timeutil")
MAX_DEMO_MODELS = 5000

EPILOG = """\
keys: : command mode (:fleet :model NAME :alerts :audit :lineage NAME :theme NAME :at TIME
:live :q), / filter (regex, leading ! inverts), enter drill in, esc back, b runbook,
r refresh, p pause, y copy the view (OSC 52), ? help, ctrl+p command palette.

examples:
  govtui demo --models 200 --seed 3
  govtui demo --at 2026-01-15T12:00:00Z --theme monochrome --ascii
"""


def _positive_models(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_DEMO_MODELS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_DEMO_MODELS}")
    return value


def _add_console_options(parser: argparse.ArgumentParser) -> None:
    """The root's console options again, so `govtui demo --ascii` works as well as `govtui --ascii demo`."""
    suppress = argparse.SUPPRESS
    parser.add_argument("--config", metavar="FILE", default=suppress, help="judge by this config")
    parser.add_argument("--at", metavar="TIME", default=suppress, help="replay at this time")
    parser.add_argument("--theme", metavar="NAME", default=suppress, help="console theme")
    parser.add_argument("--ascii", action="store_true", default=suppress, help="ASCII only")
    parser.add_argument(
        "--read-only", action="store_true", default=suppress, help="refuse mutating actions"
    )


def register(subparsers: Any) -> None:
    """Add the `demo` subcommand (bare `govtui` runs the console through `run_console`)."""
    parser = subparsers.add_parser(
        "demo",
        help="run the console on the simulated fleet",
        description="Run the on-call console on the deterministic simulated fleet.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--models", type=_positive_models, default=12, help="fleet size (default 12)"
    )
    parser.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    parser.add_argument(
        "--prometheus",
        action="store_true",
        help="run a real Prometheus with backfilled history and the live exporter behind it",
    )
    _add_console_options(parser)
    parser.set_defaults(func=run_demo)


def run_console(args: argparse.Namespace) -> int:
    """Bare `govtui`: the configured sources, or the demo fleet when no config is found."""
    explicit = config_path_from_args(args)
    spec = _spec(args, config_path=explicit, discover=explicit is None)
    with _collector(spec) as client:
        loaded = load_config_from_args(args)
        if loaded is None:
            from govtui.demo.config import demo_config

            return _run_app(args, client, demo_config(), demo=True, context=NO_CONFIG_CONTEXT)
        return _run_app(args, client, loaded, demo=False, context=str(loaded.path or "config"))


def run_demo(args: argparse.Namespace) -> int:
    """`govtui demo`: the simulated fleet (judged by the demo config unless --config is given)."""
    if args.prometheus:
        return _run_prometheus_demo(args)
    explicit = config_path_from_args(args)
    spec = _spec(args, config_path=explicit, demo=True, models=args.models, seed=args.seed)
    with _collector(spec) as client:
        if explicit is not None:
            from govtui.config import load_config

            loaded = load_config(explicit)
        else:
            from govtui.demo.config import demo_config

            loaded = demo_config()
        context = f"demo fleet: {args.models} models, seed {args.seed}"
        return _run_app(
            args, client, loaded, demo=True, context=context, models=args.models, seed=args.seed
        )


def _run_prometheus_demo(args: argparse.Namespace) -> int:
    """`govtui demo --prometheus`: the console against a real, throw-away Prometheus."""
    try:
        stack = importlib.import_module("govtui.demo.prometheus_stack")
    except ModuleNotFoundError as exc:
        if exc.name != "govtui.demo.prometheus_stack":
            raise
        stack = None
    start = getattr(stack, "prometheus_demo", None)
    if start is None:
        raise UsageError("demo --prometheus: not available in this build")
    with (
        start(models=args.models, seed=args.seed) as loaded,
        _collector(_spec(args, loaded=loaded)) as client,
    ):
        return _run_app(args, client, loaded, demo=False, context="demo fleet behind Prometheus")


def _replay_at(args: argparse.Namespace) -> float | None:
    at_text = getattr(args, "at", None)
    return parse_at(at_text).timestamp() if at_text else None


def _spec(
    args: argparse.Namespace,
    *,
    loaded: LoadedConfig | None = None,
    config_path: Path | None = None,
    discover: bool = False,
    demo: bool = False,
    models: int = 12,
    seed: int = 7,
) -> CollectorSpec:
    """What the Collector needs; it loads the config itself, so it can start first."""
    from govtui.fleet.client import CollectorSpec

    return CollectorSpec(
        loaded=loaded,
        config_path=str(config_path) if config_path is not None else None,
        discover=discover,
        demo=demo,
        demo_models=models,
        demo_seed=seed,
        at=_replay_at(args),
        read_only=bool(getattr(args, "read_only", False)),
    )


@contextlib.contextmanager
def _collector(spec: CollectorSpec) -> Iterator[CollectorClient]:
    """The Collector process, started before Textual is imported, stopped on the way out."""
    from govtui.fleet.client import FORK_METHOD, START_METHOD, CollectorClient, fork_is_safe

    method = START_METHOD
    if fork_is_safe():
        for name in SHARED_MODULES:
            importlib.import_module(name)
        method = FORK_METHOD
    client = CollectorClient.start(spec, method=method)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _settings(
    args: argparse.Namespace,
    loaded: LoadedConfig,
    *,
    demo: bool,
    context: str,
    models: int,
    seed: int,
) -> ConsoleSettings:
    """Resolve theme, replay time, read-only, ASCII, keymap and the snapshot cache."""
    from govtui.config import state_dir
    from govtui.fleet.snapshot_cache import cache_key, cache_path
    from govtui.ui.settings import ConsoleSettings
    from govtui.ui.theme import choose_theme

    ui = loaded.config.ui
    return ConsoleSettings(
        loaded=loaded,
        context=context,
        theme=choose_theme(getattr(args, "theme", None), ui.theme),
        replay_at=_replay_at(args),
        read_only=bool(getattr(args, "read_only", False)) or ui.read_only,
        ascii_mode=bool(getattr(args, "ascii", False)) or ui.ascii,
        keymap=dict(ui.keymap),
        demo=demo,
        snapshot_cache=cache_path(
            state_dir(), cache_key(loaded, demo=demo, models=models, seed=seed)
        ),
    )


def _run_app(
    args: argparse.Namespace,
    client: CollectorClient,
    loaded: LoadedConfig,
    *,
    demo: bool,
    context: str,
    models: int = 12,
    seed: int = 7,
) -> int:
    """Check the settings, then run the console on the already running Collector."""
    settings = _settings(args, loaded, demo=demo, context=context, models=models, seed=seed)
    from govtui.ui.startup import check_settings

    check_settings(settings)
    from govtui.ui.app import GovtuiApp

    app = GovtuiApp(settings, client)
    app.run()
    return int(app.return_code or 0)
