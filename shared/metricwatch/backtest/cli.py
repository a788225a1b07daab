"""`python -m metricwatch.backtest`: the command-line entry point (thin: parse, build, run).

  csv     replay every CSV under --data, write NAB-layout results under --out
  stored  replay one stored series (metric + labels); write a PNG and/or a CSV
  plot    replay one CSV and write a PNG (label windows from a NAB windows file)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from metricwatch.backtest.replay import DAY, ReplayConfig
from metricwatch.detection.declared import DIRECTIONS, KINDS, Declared
from metricwatch.detection.models import create_model
from metricwatch.errors import InvalidInput, MetricwatchError
from metricwatch.timeutil import parse_utc


def _config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> ReplayConfig:
    model = args.model
    if not model:
        from metricwatch.config import load_settings

        model = load_settings().default_model
    try:
        params = json.loads(args.params)
    except ValueError as exc:
        parser.error(f"--params must be train_params as a JSON object: {exc}")
    if not isinstance(params, dict):
        parser.error(f"--params must be a JSON object, not {type(params).__name__}")
    create_model(model, params)  # an unknown model or a bad parameter is refused here, naming it
    try:
        declared = Declared(args.timezone, args.direction, args.kind)
    except ValueError as exc:
        parser.error(f"--timezone: {exc}")
    return ReplayConfig(model, params, args.train_days * DAY, args.retrain_hours * 3600.0, declared=declared)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="", help="model name (default: the DEFAULT_MODEL setting)")
    parser.add_argument("--params", default="{}", help="train_params as JSON")
    parser.add_argument("--train-days", type=float, default=7.0, help="train_interval in days (default 7)")
    parser.add_argument("--retrain-hours", type=float, default=24.0, help="retrain cadence in hours (default 24)")
    parser.add_argument("--timezone", default="UTC", help="the metric's timezone, an IANA name (default UTC)")
    parser.add_argument("--direction", default="both", choices=DIRECTIONS, help="the metric's direction (default both)")
    parser.add_argument("--kind", default="gauge", choices=KINDS, help="the metric's kind (default gauge)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metricwatch.backtest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    csv = sub.add_parser("csv", help="backtest every CSV under a directory")
    csv.add_argument("--data", required=True)
    csv.add_argument("--out", required=True)
    csv.add_argument("--jobs", type=int, default=2)
    stored = sub.add_parser("stored", help="backtest a series stored in MongoDB")
    stored.add_argument("--metric", required=True)
    stored.add_argument("--label", action="append", default=[], help="k=v, repeatable")
    stored.add_argument("--start", help="ISO 8601 (default: all history)")
    stored.add_argument("--end", help="ISO 8601 (default: now)")
    stored.add_argument("--windows", help="JSON list of [start, end] label windows to shade, or a NAB windows file")
    stored.add_argument("--key", help="the series' key in a NAB windows file")
    stored.add_argument("--png")
    stored.add_argument("--out", help="write the NAB-layout results CSV here")
    plot = sub.add_parser("plot", help="backtest one CSV and plot it")
    plot.add_argument("--csv", required=True)
    plot.add_argument("--png", required=True)
    plot.add_argument("--windows", help="JSON list of windows, or a NAB combined_windows.json")
    plot.add_argument("--key", help="the file's key in a NAB windows file, e.g. realKnownCause/nyc_taxi.csv")
    for p in (csv, stored, plot):
        _common(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(args, parser)
    except MetricwatchError as exc:  # a bad model, train_params or setting: one line, no traceback
        print(f"backtest: {exc.message}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from metricwatch.backtest import commands

    config = _config(args, parser)
    if args.command == "csv":
        if not Path(args.data).is_dir():
            parser.error(f"--data {args.data}: no such directory")
        return commands.run_csv(args.data, args.out, config, args.jobs)
    try:
        windows = commands.read_windows(args.windows, args.key) if args.windows else []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        parser.error(f"--windows {args.windows}: {type(exc).__name__}: {exc}")
    if args.command == "plot":
        return commands.run_plot(args.csv, args.png, config, windows)
    bad = [item for item in args.label if "=" not in item]
    if bad:
        parser.error(f"--label {bad[0]!r}: give labels as k=v")
    labels = dict(item.split("=", 1) for item in args.label)
    try:
        start = parse_utc(args.start, "start") if args.start else None
        end = parse_utc(args.end, "end") if args.end else None
    except InvalidInput as exc:
        print(f"backtest: {exc.message}", file=sys.stderr)
        return 2
    try:
        return commands.run_stored(args.metric, labels, start, end, config, args.png, args.out, windows)
    except LookupError as exc:
        print(f"backtest: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
