"""Recall and false alarms by kind of anomaly, on synthetic metrics with known labels.

    PYTHONPATH=shared .venv/bin/python benchmarks/bench_shapes.py [--series 24] [--model M] [--params JSON] [--days 7]

NAB is one corpus with its own habits; this asks the question a user asks of
each incident shape the default model claims to handle: of the spikes, dips,
level shifts, plateaus, variance bursts, stuck values, slow drifts and
outages put into an otherwise ordinary series, how many raise an alarm soon
enough, and how many alarms does a series with no incident raise?

Every series is `--days` + 14 days of 5-minute or hourly data: a level, a daily wave, a
quieter weekend on half of them, and one of three kinds of noise (Gaussian,
heavy-tailed Student t with 3 degrees of freedom, Poisson counts). Each gets
one incident of one kind, placed at a random time in its last 10 days, sized
in noise standard deviations. It is replayed as `make backtest` replays data
(daily retraining on the preceding `--days`, no look-ahead). An incident is
found if an alarm fires from its start to an hour (or two rows) after it
ends (a drift "ends" when its 6-hour ramp does); any other alarm, outside
the incident and the day after it, is a false alarm. The series come from
fixed seeds, so the figures are reproducible. It is a check of behaviour,
not a benchmark to tune on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.backtest.replay import DAY, ReplayConfig, replay  # noqa: E402

HOUR = 3600.0
JUDGED_DAYS = 14  # after the first full training window
NOISES = ("gaussian", "student_t3", "poisson")
STEPS = {"5min": 300.0, "hourly": HOUR}


@dataclass(frozen=True)
class Incident:
    """An incident from row `start`, lasting `hours` (0 for a single row or a step)."""

    kind: str
    start: int
    hours: float


def base_series(rng: np.random.Generator, step: float, noise: str, span_days: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Timestamps, values and the noise standard deviation of an ordinary metric."""
    n = int(span_days * DAY / step)
    ts = 1.7e9 - 1.7e9 % DAY + step * np.arange(n)
    weekend = ((ts // DAY + 3) % 7 >= 5) * (rng.random() < 0.5)  # Saturdays and Sundays, on half the series
    if noise == "poisson":  # counts: the noise grows with the level
        mean = rng.uniform(20, 200)
        wave = 1 + rng.uniform(0.2, 0.6) * np.sin(2 * np.pi * ts / DAY + rng.uniform(0, 6))
        return ts, rng.poisson(mean * wave * (1 - 0.3 * weekend)).astype(float), float(np.sqrt(mean))
    sigma = rng.uniform(1, 5)
    x = 100 + rng.uniform(2, 10) * sigma * np.sin(2 * np.pi * ts / DAY + rng.uniform(0, 6)) - 3 * sigma * weekend
    shocks = rng.normal(size=n) if noise == "gaussian" else rng.standard_t(3, n) / np.sqrt(3)
    return ts, x + sigma * shocks, sigma


def inject(rng: np.random.Generator, kind: str, x: np.ndarray, sigma: float, step: float) -> Incident:
    """Put one incident of `kind` into x (in place), sized in noise sigmas."""
    per_hour = max(int(HOUR / step), 1)
    start = int(rng.integers(len(x) - int(10 * DAY / step), len(x) - int(DAY / step)))
    sign = rng.choice([-1.0, 1.0])
    if kind in ("spike", "dip"):
        x[start] += (1.0 if kind == "spike" else -1.0) * rng.uniform(6, 10) * sigma
        return Incident(kind, start, 0)
    if kind == "level_shift":
        x[start:] += sign * rng.uniform(4, 8) * sigma
        return Incident(kind, start, 0)
    if kind == "plateau":
        x[start:start + 2 * per_hour] += sign * rng.uniform(4, 8) * sigma
        return Incident(kind, start, 2)
    if kind == "variance_burst":
        x[start:start + 2 * per_hour] += rng.normal(0, 4 * sigma, 2 * per_hour)
        return Incident(kind, start, 2)
    if kind == "stuck":
        x[start:start + 6 * per_hour] = x[start - 1]
        return Incident(kind, start, 6)
    if kind == "drift":  # to 8-12 sigmas over 6 hours, and stays there
        ramp = sign * np.linspace(0, rng.uniform(8, 12) * sigma, 6 * per_hour)
        x[start:start + len(ramp)] += ramp
        x[start + len(ramp):] += ramp[-1]
        return Incident(kind, start, 6)
    if kind == "outage":
        x[start:start + per_hour] = 0.0
        return Incident(kind, start, 1)
    return Incident("none", len(x), 0)


KINDS = ("none", "spike", "dip", "level_shift", "plateau", "variance_burst", "stuck", "drift", "outage")


def one(job: tuple[str, str, int, str, dict, float]) -> tuple[str, str, str, bool, int, float]:
    """Replay one series: (kind, sampling, noise, found, false alarms, delay in hours or nan)."""
    kind, sampling, seed, model, params, days = job
    step = STEPS[sampling]
    rng = np.random.default_rng([seed, KINDS.index(kind), int(step)])
    noise = NOISES[seed % len(NOISES)]
    ts, x, sigma = base_series(rng, step, noise, days + JUDGED_DAYS)
    incident = inject(rng, kind, x, sigma, step)
    fired = np.flatnonzero(replay(ts, x, ReplayConfig(model, params, days * DAY, DAY)).anomaly == -1)
    fired = fired[ts[fired] >= ts[0] + days * DAY]  # judged once a full training window exists
    since = (ts[fired] - ts[min(incident.start, len(ts) - 1)]) / HOUR if len(fired) else np.empty(0)
    deadline = incident.hours + max(1.0, 2 * step / HOUR)  # an hour, or two rows, after it ends
    during = (fired >= incident.start) & (since < deadline)
    aftermath = (fired >= incident.start) & (since < deadline + 24)
    delay = float(since[during][0]) if during.any() else float("nan")
    return kind, sampling, noise, bool(during.any()), int((~aftermath).sum()), delay


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=24, help="series per kind and sampling (a multiple of 3)")
    parser.add_argument("--model", default="robust_seasonal")
    parser.add_argument("--params", default="{}", help="train_params as JSON")
    parser.add_argument("--days", type=float, default=7.0, help="training window in days")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    params = json.loads(args.params)
    started = time.perf_counter()
    jobs = [(k, s, seed, args.model, params, args.days) for k in KINDS for s in STEPS for seed in range(args.series)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs, chunksize=4))
    scored_days = JUDGED_DAYS
    print(f"{args.model} {json.dumps(params)}: {args.series} series per cell, {args.days + scored_days:g} days each, "
          f"trained daily on {args.days:g} days, judged on the last {scored_days:g}")
    print("| incident | sampling | found | median delay (h) | false alarms per series-week |")
    print("|---|---|---|---|---|")
    for kind in KINDS:
        for sampling in STEPS:
            cell = [r for r in results if r[0] == kind and r[1] == sampling]
            found = np.mean([r[3] for r in cell])
            delays = [r[5] for r in cell if r[3]]
            fa = sum(r[4] for r in cell) / (len(cell) * scored_days / 7)
            by_noise = ", ".join(f"{n} {sum(r[4] for r in cell if r[2] == n)}" for n in NOISES)
            recall = "-" if kind == "none" else f"{100 * found:.0f}% (" + ", ".join(
                f"{n} {sum(r[3] for r in cell if r[2] == n)}/{sum(r[2] == n for r in cell)}" for n in NOISES) + ")"
            delay = f"{np.median(delays):.1f}" if delays else "-"
            print(f"| {kind} | {sampling} | {recall} | {delay} | {fa:.2f} ({by_noise}) |")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
