"""Compare `train_params` variants of one model on NAB, with the diagnostics `bench-nab` leaves out.

    PYTHONPATH=shared .venv/bin/python benchmarks/nab_variant.py '{}' '{"tail_quantile": 0.8}' [--per-file] [--oracle]

Each JSON argument is one variant's `train_params`, replayed like `make bench-nab`
(daily retraining on 7 days, context only, one threshold per profile over the
corpus). Per variant it prints the three NAB scores and, at the standard
threshold, windows found / missed and false positives. `--per-file` lists the
files with a false positive or a miss. `--oracle` adds the standard score with
the best threshold chosen per file: an upper bound on what calibrating the
score across series could win, not a score anyone can claim.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.backtest.nab_corpus import corpus_rows, load_profiles  # noqa: E402
from metricwatch.backtest.nab_scorer import FileRows, Profile, evaluate, sweep  # noqa: E402
from metricwatch.backtest.progress import Progress  # noqa: E402
from metricwatch.backtest.replay import DAY, ReplayConfig  # noqa: E402
from metricwatch.backtest.runner import backtest_dir  # noqa: E402


def replay(nab: Path, names: list[str], model: str, params: dict, jobs: int,
           train_days: float = 7.0) -> list[np.ndarray]:
    """Every file's scores, replayed as the live system would score it."""
    quiet = Progress(len(names), out=open(os.devnull, "w"))
    config = ReplayConfig(model, params, train_days * DAY, DAY)
    return [r.scores for r in backtest_dir(nab / "data", None, config, jobs=jobs, files=names, progress=quiet)]


def per_file_oracle(rows: list[FileRows], scores: list[np.ndarray], profile: Profile) -> float:
    """The normalised score if every file had its own best threshold (the scorer allows only one)."""
    raw = sum(max(evaluate([f], [s], profile, t).raw for t in np.append(np.unique(s), np.inf))
              for f, s in zip(rows, scores))
    windows = sum(f.n_windows for f in rows)
    return 100.0 * (raw + profile.fn * windows) / ((profile.tp + profile.fn) * windows)


def report(label: str, names: list[str], rows: list[FileRows], scores: list[np.ndarray],
           profiles: list[Profile], args: argparse.Namespace) -> None:
    outcomes = [sweep(rows, scores, p) for p in profiles]
    std = outcomes[0]
    cells = " ".join(f"{p.name} {o.score:.1f}" for p, o in zip(profiles, outcomes))
    print(f"{label}: {cells} | standard: {std.tp} found, {std.fn} missed, {std.fp} FP", flush=True)
    if args.oracle:
        print(f"    per-file-threshold oracle (standard): {per_file_oracle(rows, scores, profiles[0]):.1f}")
    if args.per_file:
        for name, f, s in zip(names, rows, scores):
            e = evaluate([f], [s], profiles[0], std.threshold)
            if e.fp or e.fn:
                print(f"    {name:60s} found {e.tp} missed {e.fn} FP {e.fp}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="train_params as JSON, one per variant")
    parser.add_argument("--model", default="robust_seasonal")
    parser.add_argument("--nab", default=str(Path(__file__).resolve().parents[2] / "shared" / "nab"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--train-days", type=float, default=7.0, help="the train_interval replayed, in days")
    parser.add_argument("--per-file", action="store_true")
    parser.add_argument("--oracle", action="store_true")
    args = parser.parse_args()
    nab = Path(args.nab)
    names, _, rows = corpus_rows(nab)
    profiles = load_profiles(nab)
    for variant in args.variants:
        scores = replay(nab, names, args.model, json.loads(variant), args.jobs, args.train_days)
        report(variant, names, rows, scores, profiles, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
