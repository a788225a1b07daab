"""Recall and false alarms by kind of anomaly, on synthetic metrics with known labels.

    PYTHONPATH=shared .venv/bin/python benchmarks/bench_shapes.py [--series 48] [--model M] [--params JSON] [--days 7]

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
found if an alarm fires from its start up to and including an hour (or
two rows) after it ends (a drift "ends" when its 6-hour ramp does); any other alarm, outside
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
from typing import NamedTuple

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


def base_series(seed: int, step: float, span_days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Timestamps, values, the noise standard deviation of each row, and whether the values are counts.

    Drawn from (seed, step) only, so every kind of incident is put into the
    same series; the noise is `NOISES[seed % 3]` and the weekend step is on
    for seeds with `seed // 3` odd: each noise has it on exactly half its series.
    """
    rng = np.random.default_rng([seed, int(step)])
    n = int(span_days * DAY / step)
    ts = 1.7e9 - 1.7e9 % DAY + step * np.arange(n)
    weekend = ((ts // DAY + 3) % 7 >= 5) * float(seed // 3 % 2)  # Saturdays and Sundays
    noise = NOISES[seed % len(NOISES)]
    if noise == "poisson":  # counts: the noise grows with the level
        wave = 1 + rng.uniform(0.2, 0.6) * np.sin(2 * np.pi * ts / DAY + rng.uniform(0, 6))
        lam = rng.uniform(20, 200) * wave * (1 - 0.3 * weekend)
        return ts, rng.poisson(lam).astype(float), np.sqrt(lam), True
    sigma = rng.uniform(1, 5)
    x = 100 + rng.uniform(2, 10) * sigma * np.sin(2 * np.pi * ts / DAY + rng.uniform(0, 6)) - 3 * sigma * weekend
    shocks = rng.normal(size=n) if noise == "gaussian" else rng.standard_t(3, n) / np.sqrt(3)
    return ts, x + sigma * shocks, np.full(n, sigma), False


def inject(rng: np.random.Generator, kind: str, x: np.ndarray, noise_sd: np.ndarray, step: float) -> Incident:
    """Put one incident of `kind` into x (in place), sized in the noise sigmas at its start."""
    per_hour = max(int(HOUR / step), 1)
    start = int(rng.integers(len(x) - int(10 * DAY / step), len(x) - int(DAY / step)))
    sigma = float(noise_sd[start])
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
    if kind == "drift":  # to 8-12 sigmas over 6 hours (the first row already moves), and stays there
        rows = 6 * per_hour
        ramp = sign * rng.uniform(8, 12) * sigma * np.arange(1, rows + 1) / rows
        x[start:start + rows] += ramp
        x[start + rows:] += ramp[-1]
        return Incident(kind, start, 6)
    if kind == "outage":
        x[start:start + per_hour] = 0.0
        return Incident(kind, start, 1)
    return Incident("none", len(x), 0)


KINDS = ("none", "spike", "dip", "level_shift", "plateau", "variance_burst", "stuck", "drift", "outage")


class Outcome(NamedTuple):
    kind: str
    sampling: str
    noise: str
    found: bool
    false_alarms: int
    weeks: float  # the time false alarms were counted in
    delay: float  # hours from the incident's start to its first alarm, NaN if not found


def one(job: tuple[str, str, int, str, dict, float]) -> Outcome:
    """Replay one series with one incident and judge its alarms."""
    kind, sampling, seed, model, params, days = job
    step = STEPS[sampling]
    ts, x, noise_sd, counts = base_series(seed, step, days + JUDGED_DAYS)
    incident = inject(np.random.default_rng([seed, int(step), KINDS.index(kind)]), kind, x, noise_sd, step)
    if counts:
        np.maximum(x, 0.0, out=x)  # a count is never negative
    judged_from = ts[0] + np.ceil(days) * DAY  # once a full training window exists
    fired = np.flatnonzero(replay(ts, x, ReplayConfig(model, params, days * DAY, DAY)).anomaly == -1)
    fired = fired[ts[fired] >= judged_from]
    since = (ts[fired] - ts[min(incident.start, len(ts) - 1)]) / HOUR
    deadline = incident.hours + max(1.0, 2 * step / HOUR)  # up to an hour, or two rows, after it ends
    during = (fired >= incident.start) & (since <= deadline)
    aftermath = (fired >= incident.start) & (since <= deadline + 24)
    excluded = min(deadline + 24, (ts[-1] - ts[incident.start]) / HOUR) if incident.start < len(ts) else 0.0
    weeks = ((ts[-1] - judged_from) / HOUR - excluded) / (7 * 24)
    delay = float(since[during][0]) if during.any() else float("nan")
    return Outcome(kind, sampling, NOISES[seed % len(NOISES)], bool(during.any()), int((~aftermath).sum()), weeks, delay)


def cell_line(kind: str, sampling: str, cell: list[Outcome]) -> str:
    """One table row: recall per noise, median delay of the found ones, false alarms per series-week."""
    found = [r for r in cell if r.found]
    per_noise = ", ".join(f"{n} {sum(r.found for r in cell if r.noise == n)}/{sum(r.noise == n for r in cell)}" for n in NOISES)
    recall = "-" if kind == "none" else f"{100 * len(found) / len(cell):.0f}% ({per_noise})"
    delay = f"{np.median([r.delay for r in found]):.1f}" if found else "-"
    rate = sum(r.false_alarms for r in cell) / sum(r.weeks for r in cell)
    alarms = ", ".join(f"{n} {sum(r.false_alarms for r in cell if r.noise == n)}" for n in NOISES)
    return f"| {kind} | {sampling} | {recall} | {delay} | {rate:.2f} ({alarms}) |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=48, help="series per kind and sampling (a multiple of 6)")
    parser.add_argument("--model", default="robust_seasonal")
    parser.add_argument("--params", default="{}", help="train_params as JSON")
    parser.add_argument("--days", type=float, default=7.0, help="training window in days")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if args.series < 6 or args.series % 6:
        parser.error("--series must be a positive multiple of 6 (3 noises, with and without a weekend step)")
    params = json.loads(args.params)
    started = time.perf_counter()
    jobs = [(k, s, seed, args.model, params, args.days) for k in KINDS for s in STEPS for seed in range(args.series)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs, chunksize=4))
    print(f"{args.model} {json.dumps(params)}: {args.series} series per cell (the same series in every row), "
          f"{args.days + JUDGED_DAYS:g} days each, trained daily on {args.days:g} days, judged on the last {JUDGED_DAYS}")
    print("| incident | sampling | found | median delay (h) | false alarms per series-week (alarms) |")
    print("|---|---|---|---|---|")
    for kind in KINDS:
        for sampling in STEPS:
            print(cell_line(kind, sampling, [r for r in results if r.kind == kind and r.sampling == sampling]))
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
