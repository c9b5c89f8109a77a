"""`govtui check`: evaluate the fleet once, headless, and gate CI/CD on the verdict."""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govtui.cli.common import (
    add_config_and_at,
    at_from_args,
    config_path_from_args,
    load_config_from_args,
    write_atomic,
)
from govtui.errors import SourceError, UsageError

if TYPE_CHECKING:
    from govtui.analysis.frames import Signals
    from govtui.analysis.policy import FailOn
    from govtui.analysis.results import FleetReport
    from govtui.config import Config, LoadedConfig
    from govtui.sources.registry.base import ModelRegistry

# Kept here rather than imported so registering the command stays cheap at startup.
FORMATS = ("text", "json", "junit")
FAIL_ON_CHOICES = ("crit", "warn", "unknown")

EPILOG = """\
exit codes: 0 nothing fails at the --fail-on level; 1 a model fails (a model none of whose
checks could be computed fails at every level); 2 usage, config or source error;
130 interrupted.

--candidate MODEL:VERSION vets a version before promotion from the registry alone (complete
lineage, gate.required_tags, its run's accuracy and parity metrics against the policy): exit 0
passed, 1 failed, 2 unknown model or version; --record writes the verdict to the version tag
govtui.gate (audited; exit 3 in read-only mode, 4 when the write fails).

examples:
  govtui check --demo --at 2026-01-15T12:00:00Z
  govtui check --signals ./signals --format junit --output govtui-junit.xml
  govtui check --config govtui.yaml --model fraud-scorer --fail-on warn --format json
  govtui check --config govtui.yaml --candidate fraud-scorer:5 --record
"""


def register(subparsers: Any) -> None:
    """Add the `check` subcommand."""
    parser = subparsers.add_parser(
        "check",
        help="evaluate the fleet once and exit non-zero when a model fails (CI/CD gate)",
        description="Evaluate SLOs, drift, fairness and quality for every model once, print the "
        "verdict and exit with the gate's code.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_and_at(parser)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--demo", action="store_true", help="evaluate the built-in simulated fleet (explicit only)"
    )
    source.add_argument(
        "--signals",
        metavar="DIR",
        help="read CSV signals (requests.csv, latency.csv, feature_bins.csv, outcomes.csv)",
    )
    parser.add_argument(
        "--model",
        metavar="NAME",
        action="append",
        default=[],
        help="only this model (repeatable)",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--output", metavar="FILE", help="write the report to FILE atomically (else stdout)"
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        default=None,
        help="lowest status that fails the gate (default: policy.fail_on, else crit)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="with --output, print nothing but errors",
    )
    from govtui.cli.candidate import add_candidate_arguments

    add_candidate_arguments(parser)
    parser.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Evaluate, render, write, and return 0 (pass) or 1 (a model fails)."""
    from govtui.cli.candidate import run_candidate, wants_candidate

    if wants_candidate(args):
        return run_candidate(args)
    at = at_from_args(args)
    signals, loaded, versions = _gather(args, at)
    config = loaded.config
    signals = _select_models(signals, config, args.model)

    from govtui.analysis.evaluate import evaluate_fleet
    from govtui.cli.report_format import exit_code, render

    report = evaluate_fleet(signals, config, at, versions)
    report = _only_models(report, args.model)
    fail_on: FailOn = args.fail_on or config.policy.fail_on
    text = render(report, args.format, fail_on)
    if args.output:
        write_atomic(Path(args.output), text)
        if not args.quiet:
            summary = text if args.format == "text" else render(report, "text", fail_on)
            sys.stdout.write(summary)
    else:
        sys.stdout.write(text)
    sys.stdout.flush()
    return exit_code(report, fail_on)


def _gather(
    args: argparse.Namespace, at: datetime
) -> tuple[Signals, LoadedConfig, Mapping[str, str | None] | None]:
    """Signals, the config to judge them by, and model versions, from the chosen source."""
    if args.demo:
        return _from_demo(args, at)
    if args.signals:
        loaded = _config_or_default(args)
        from govtui.sources.files import read_signals_dir

        signals = read_signals_dir(Path(args.signals).expanduser())
        return signals, loaded, _registry_versions(loaded, signals.models)
    loaded_or_none = load_config_from_args(args)
    if loaded_or_none is None:
        raise UsageError(
            "check: no config found (--config, $GOVTUI_CONFIG, ./govtui.yaml or the XDG config "
            "dir); give --config FILE, --signals DIR, or --demo to evaluate the simulated fleet"
        )
    return _from_config(loaded_or_none, at)


def _config_or_default(args: argparse.Namespace) -> LoadedConfig:
    """The discovered config, or the built-in defaults (thresholds only) when there is none."""
    from govtui.config import Config, LoadedConfig

    loaded = load_config_from_args(args)
    return loaded if loaded is not None else LoadedConfig(config=Config())


def _from_demo(
    args: argparse.Namespace, at: datetime
) -> tuple[Signals, LoadedConfig, Mapping[str, str | None] | None]:
    """The simulated fleet, judged by the demo config unless --config is given explicitly."""
    from govtui.config import load_config, state_dir
    from govtui.demo.config import demo_config
    from govtui.demo.fleet import DemoFleet
    from govtui.demo.registry import ensure_demo_registry

    explicit = config_path_from_args(args)
    loaded = load_config(explicit) if explicit is not None else demo_config()
    registry = ensure_demo_registry(state_dir(), at=at)
    fleet = DemoFleet(registry)
    signals = fleet.signals(at, loaded.config)
    # The version that served at `at` per the alias history, so a replay names the right one.
    return signals, loaded, fleet.versions(at)


def _from_config(
    loaded: LoadedConfig, at: datetime
) -> tuple[Signals, LoadedConfig, Mapping[str, str | None] | None]:
    """Signals from the configured sources: a CSV directory, else Prometheus."""
    sources = loaded.config.sources
    if sources.signals_dir is not None:
        from govtui.sources.files import read_signals_dir

        signals = read_signals_dir(loaded.resolve(sources.signals_dir))
        return signals, loaded, _registry_versions(loaded, signals.models)
    if sources.prometheus is not None:
        signals = _prometheus_signals(loaded, at)
        return signals, loaded, _registry_versions(loaded, signals.models)
    where = str(loaded.path) if loaded.path is not None else "the config"
    raise UsageError(
        f"check: {where} configures no signal source "
        "(set sources.signals_dir or sources.prometheus)"
    )


# What a gate needs from Prometheus; hourly plot series are left out.
CHECK_SIGNAL_KINDS = ("requests", "latency", "feature_bins", "outcomes", "freshness")


def _prometheus_signals(loaded: LoadedConfig, at: datetime) -> Signals:
    """Fetch the tidy frames from Prometheus (or a compatible engine) at `at`."""
    try:
        module = importlib.import_module("govtui.sources.signals")
    except ModuleNotFoundError as exc:
        if exc.name != "govtui.sources.signals":
            raise
        raise UsageError(
            "check: reading signals from Prometheus is not available in this build; "
            "use --signals DIR or sources.signals_dir"
        ) from None

    import asyncio

    async def fetch() -> Signals:
        async with module.PrometheusSignalSource(loaded) as source:
            signals: Signals = await source.fetch(at, kinds=CHECK_SIGNAL_KINDS)
            return signals

    signals = asyncio.run(fetch())
    if signals.failed:
        # A gate must not judge a fleet it could only partly read (models or checks would be
        # missing or unknown and could pass): a failed query is a source error, exit 2.
        kinds = ", ".join(sorted(signals.failed))
        first = str(next(iter(signals.failed.values()))).removeprefix("prometheus: ")
        raise SourceError("prometheus", f"could not fetch {kinds}: {first}")
    return signals


def _champions(registry: ModelRegistry, models: list[str], config: Config) -> dict[str, str | None]:
    """The version behind each model's serving alias; None for a model the registry lacks."""
    alias = config.sources.registry.alias
    aliases = {entry.name: entry.aliases.get(alias) for entry in registry.list_models()}
    return {model: aliases.get(model) for model in models}


def _registry_versions(loaded: LoadedConfig, models: list[str]) -> Mapping[str, str | None] | None:
    """Versions from a configured file registry; other registries report no version here."""
    registry_config = loaded.config.sources.registry
    if registry_config.kind != "file" or registry_config.path is None:
        return None
    path = loaded.resolve(registry_config.path)
    if not path.is_file():
        raise SourceError("registry", f"{path}: file registry not found")
    from govtui.sources.registry.file import FileRegistry

    return _champions(FileRegistry(path), models, loaded.config)


def _select_models(signals: Signals, config: Config, names: list[str]) -> Signals:
    """Restrict the signals to the --model names, refusing names the source does not know."""
    if not names:
        return signals
    known = set(signals.models)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, signals.models, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UsageError(f"check: --model {name!r}: no such model in the signals{hint}")
        if not config.models.selects(name):
            raise UsageError(f"check: --model {name!r}: excluded by the config's models section")
    wanted = list(dict.fromkeys(names))
    return dataclasses.replace(signals, models=[m for m in signals.models if m in set(wanted)])


def _only_models(report: FleetReport, names: list[str]) -> FleetReport:
    """Drop any model the --model filter did not ask for and recompute the fleet status."""
    if not names:
        return report
    from govtui.analysis.results import worst

    wanted = set(names)
    models = [model for model in report.models if model.model in wanted]
    return dataclasses.replace(
        report, models=models, status=worst([model.status for model in models])
    )
