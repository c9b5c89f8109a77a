"""`govtui rules`: write the burn-rate recording and alerting rules for Prometheus-compatible rulers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from govtui.errors import EXIT_OK, UsageError

EPILOG = """\
The rules use the metric convention (prefix from sources.prometheus.metric_prefix) and the
same alert table as `govtui check`. Load the file with `rule_files:` (Prometheus), `--rule-file`
(Thanos Ruler) or `mimirtool rules load` (Mimir).

examples:
  govtui rules --config govtui.yaml --output /etc/prometheus/rules/govtui.yaml
  govtui rules --config govtui.yaml --for-page 2m | promtool check rules /dev/stdin
"""


def register(subparsers: Any) -> None:
    """Add the `rules` subcommand."""
    parser = subparsers.add_parser(
        "rules",
        help="write Prometheus recording and burn-rate alerting rules for every SLO",
        description="Generate recording rules (error ratio per window) and multiwindow "
        "burn-rate alerting rules for every SLO of the config, labelled with model, slo, "
        "severity and runbook key.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=argparse.SUPPRESS,
        help="config file (else $GOVTUI_CONFIG, ./govtui.yaml, the XDG config dir)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="rules for the built-in demo config instead"
    )
    parser.add_argument("--output", metavar="FILE", help="write atomically to FILE (else stdout)")
    for severity in ("page", "ticket", "budget"):
        parser.add_argument(
            f"--for-{severity}",
            metavar="DURATION",
            help=f"`for:` duration of the {severity} alert (default: fire at once)",
        )
    parser.set_defaults(func=run_rules)


def run_rules(args: argparse.Namespace) -> int:
    """Render the rules and write them to --output or stdout."""
    from govtui.analysis.rules import render_rules
    from govtui.cli.common import load_config_from_args, write_atomic
    from govtui.timeutil import parse_duration

    if args.demo:
        from govtui.demo.config import demo_config

        loaded = demo_config()
        source = "the demo config"
    else:
        loaded_or_none = load_config_from_args(args)
        if loaded_or_none is None:
            raise UsageError(
                "rules: no config found (--config FILE, $GOVTUI_CONFIG, ./govtui.yaml or the "
                "XDG config dir); or --demo for the demo config"
            )
        loaded = loaded_or_none
        source = str(loaded.path) if loaded.path is not None else "the config"
    alert_for: dict[str, str] = {}
    for severity in ("page", "ticket", "budget"):
        value = getattr(args, f"for_{severity}", None)
        if value:
            try:
                parse_duration(value)
            except ValueError as exc:
                raise UsageError(f"rules: --for-{severity}: {exc}") from None
            alert_for[severity] = value
    text = render_rules(loaded.config, source=source, alert_for=alert_for)
    if args.output:
        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return EXIT_OK
