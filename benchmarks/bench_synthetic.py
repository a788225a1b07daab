"""Spike recall and false alarms on synthetic hourly series, by training window.

    PYTHONPATH=shared .venv/bin/python benchmarks/bench_synthetic.py [--series 60] [--days 7,14,28] [--model M]

NAB is mostly 5-minute data; many business metrics are hourly, where a week
of training holds only 168 points. This replays (as `make backtest` does:
daily retraining, no look-ahead) synthetic hourly series with a trend, a
daily wave, optionally a weekend step, Gaussian noise, and six spikes or
dips of 4-10 noise sigmas each, and prints, per training window, the share
of spikes flagged at each size and the alarms outside the spikes. The
series are generated from fixed seeds, so the figures are reproducible.
It is a check of behaviour, not a benchmark to tune on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.backtest.replay import DAY, ReplayConfig, replay  # noqa: E402

HOUR = 3600.0
ROWS = 1440  # 60 days
SCORED_FROM = 300  # spikes are placed after the first 12.5 days, once every window has trained


def series(seed: int, weekend: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Timestamps, values, spike rows and spike sizes (in noise sigmas)."""
    rng = np.random.default_rng(seed)
    ts = 1.7e9 - 1.7e9 % DAY + HOUR * np.arange(ROWS)
    amp, sigma, trend = rng.uniform(5, 50), rng.uniform(1, 5), rng.uniform(-0.02, 0.02)
    x = 200 + trend * np.arange(ROWS) + amp * np.sin(2 * np.pi * ts / DAY + rng.uniform(0, 6))
    x += rng.normal(0, sigma, ROWS)
    if weekend:  # quieter on Saturdays and Sundays (UTC; 1970-01-01 was a Thursday)
        x -= 0.3 * amp * ((ts // DAY + 3) % 7 >= 5)
    rows = rng.choice(np.arange(SCORED_FROM, ROWS), 6, replace=False)
    sizes = rng.uniform(4, 10, 6)
    x[rows] += rng.choice([-1, 1], 6) * sizes * sigma
    return ts, x, rows, sizes


def run(model: str, train_days: float, n_series: int, weekend: bool) -> str:
    found, total, false_alarms = np.zeros(7), np.zeros(7), 0
    for seed in range(n_series):
        ts, x, rows, sizes = series(seed, weekend)
        verdict = replay(ts, x, ReplayConfig(model, {}, train_days * DAY, DAY)).anomaly
        for row, size in zip(rows, sizes):
            total[int(size) - 4] += 1
            found[int(size) - 4] += verdict[row] == -1
        fired = np.flatnonzero(verdict[SCORED_FROM:] == -1) + SCORED_FROM
        false_alarms += int(np.isin(fired, rows, invert=True).sum())
    cells = " | ".join(f"{100 * f / max(t, 1):.0f}%" for f, t in zip(found[:6], total[:6]))
    return f"| {train_days:g} | {'yes' if weekend else 'no'} | {cells} | {false_alarms} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=60)
    parser.add_argument("--days", default="7,14,28", help="training windows to compare, in days")
    parser.add_argument("--model", default="robust_seasonal")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"{args.model}: {args.series} hourly series of {ROWS} rows per row of the table, 6 spikes each")
    print("| train days | weekend step | 4σ | 5σ | 6σ | 7σ | 8σ | 9σ | alarms outside spikes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for weekend in (False, True):
        for days in (float(d) for d in args.days.split(",")):
            print(run(args.model, days, args.series, weekend), flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
