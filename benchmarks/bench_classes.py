"""`make bench-classes`: a labelled corpus of incident classes, in NAB's layout, and how the default finds them.

    PYTHONPATH=shared .venv/bin/python benchmarks/bench_classes.py [--out build/classes] [--seed 17] [--reps 2]

Writes `<out>/corpus/data/<kind>/<kind>__<class>__<magnitude>__<k>.csv`
(`timestamp,value`), `<out>/corpus/labels/combined_windows.json` and
`<out>/corpus/config/profiles.json` (NAB's three profiles), from one fixed
seed, so `make backtest DATA=<out>/corpus/data OUT=...` and the NAB scorer read
it as they read NAB. Then it replays every file as `make backtest` does (the
default model, as it ships: daily retraining on the previous 7 days, no
look-ahead, the default `timezone`, `direction` and `kind`) and prints, per
incident class and magnitude, the share of label windows in which the
deployed verdict (-1) fired, the median delay from the incident's start to
that first alarm, and the false alarms per series-week (a -1 outside every
window and the 24 hours after it, counted after the first training week);
then the NAB scorer's three scores of the corpus.

Series kinds (21 days of 5-minute data from 2024-03-18 00:00 UTC, so the
European DST change of 2024-03-31 and the Easter holidays of 29 March and
1 April fall in the judged two weeks):
- `requests_low` / `requests_high`: Poisson request counts per 5 minutes at
  about 4 and about 1,500, with a daily wave and a quieter weekend;
- `latency`: a log-normal latency with a heavy (Pareto) tail of slow rows;
- `error_ratio`: errors / requests, both counts, a few errors per interval;
- `cpu`: a percentage with a daily wave and autocorrelated noise;
- `memory`: a slowly wandering percentage that drops at each restart;
- `business`: orders per 5 minutes on the Europe/Berlin clock (a lunch and an
  evening peak, a busier weekend, Good Friday and Easter Monday quieter),
  across the spring-forward change;
- `irregular`: a CPU gauge sampled every 1 to 9 minutes at random, with gaps.

Incident classes, each at magnitudes small / medium / large: `outage` (to 0
for 20 / 45 / 90 minutes), `partial_drop` (to 70 / 50 / 25 % for 90
minutes), `spike` and `dip` (5 / 8 / 15 noise sigmas, 1 row), `shift_up` and
`shift_down` (2 / 4 / 8 sigmas, lasting; a latency's by
factors of e^(0.25 k)), `variance_burst` (noise x2 / x3 / x5
for 2 hours), `stuck` (the value frozen for 1 / 3 / 6 hours),
`error_rate_rise` (the error probability x2 / x4 / x10 for 2 hours),
`shape_change` (the daily pattern moves 2 / 4 / 6 hours later from one day
on), `drift` (a ramp of 3 / 6 / 12 sigmas over 12 hours, lasting). A window
is the incident from its start to an hour after its end (2 hours for a lasting
shift, the first changed day for a shape change).
It is a check of behaviour by class: not a corpus to tune the default on.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.backtest.nab_corpus import corpus_rows, load_profiles  # noqa: E402
from metricwatch.backtest.nab_scorer import sweep  # noqa: E402
from metricwatch.backtest.progress import Progress  # noqa: E402
from metricwatch.backtest.replay import DAY, ReplayConfig  # noqa: E402
from metricwatch.backtest.runner import backtest_dir, result_path  # noqa: E402

HOUR = 3600.0
STEP = 300.0
DAYS = 21
TRAIN_DAYS = 7
START = datetime(2024, 3, 18, tzinfo=timezone.utc).timestamp()
BERLIN = ZoneInfo("Europe/Berlin")
HOLIDAYS = ("2024-03-29", "2024-04-01")  # Good Friday, Easter Monday: quieter business days
MAGNITUDES = ("small", "medium", "large")
AFTERMATH = 24 * HOUR  # alarms this soon after a window are the incident's, not false alarms
PROFILES = {"standard": (1.0, 1.0, 0.11), "reward_low_FP_rate": (1.0, 1.0, 0.22),
            "reward_low_FN_rate": (1.0, 2.0, 0.11)}  # tp, fn, fp weights, as NAB's config/profiles.json

CLASSES = {  # kind -> the incident classes it gets
    "requests_low": ("outage", "partial_drop", "spike", "shift_up"),
    "requests_high": ("outage", "partial_drop", "spike", "dip", "shift_up", "shift_down", "variance_burst",
                      "stuck", "shape_change"),
    "latency": ("spike", "dip", "shift_up", "shift_down", "variance_burst", "stuck"),
    "error_ratio": ("error_rate_rise", "spike"),
    "cpu": ("spike", "dip", "shift_up", "shift_down", "variance_burst", "stuck", "drift"),
    "memory": ("dip", "shift_up", "stuck", "drift"),
    "business": ("outage", "partial_drop", "spike", "dip", "variance_burst", "stuck", "shape_change"),
    "irregular": ("spike", "shift_up", "variance_burst", "stuck"),
}
CLEAN = 4  # series per kind with no incident: false alarms only


def _hours(ts: np.ndarray, tz: ZoneInfo | None = None) -> np.ndarray:
    """Hour of the day (float) on the UTC clock, or on `tz`'s."""
    if tz is None:
        return (ts % DAY) / HOUR
    return np.array([(lambda d: d.hour + d.minute / 60.0)(datetime.fromtimestamp(t, tz)) for t in ts])


def _weekday(ts: np.ndarray, tz: ZoneInfo | None = None) -> np.ndarray:
    if tz is None:
        return ((ts // DAY + 3) % 7).astype(int)  # Monday 0
    return np.array([datetime.fromtimestamp(t, tz).weekday() for t in ts])


def _wave(hours: np.ndarray, peak: float, width: float = 4.0) -> np.ndarray:
    """A daily bump around `peak` o'clock, 0 far from it, 1 at it."""
    d = (hours - peak + 12.0) % 24.0 - 12.0
    return np.exp(-0.5 * (d / width) ** 2)


class Base:
    """A kind's normal behaviour: `mean(ts, shift_hours)` and `draw(mean)`, so incidents act on either."""

    def __init__(self, kind: str, rng: np.random.Generator, ts: np.ndarray) -> None:
        self.kind, self.rng, self.ts = kind, rng, ts
        self.tz = BERLIN if kind == "business" else None
        self.level = {"requests_low": rng.uniform(2.5, 6.0), "requests_high": rng.uniform(800, 2500),
                      "latency": rng.uniform(80, 250), "error_ratio": rng.uniform(0.005, 0.02),
                      "cpu": rng.uniform(25, 55), "memory": rng.uniform(40, 70),
                      "business": rng.uniform(20, 80), "irregular": rng.uniform(25, 55)}[kind]
        self.peak = rng.uniform(12, 17)
        self.amp = rng.uniform(0.3, 0.7)
        self.sd = rng.uniform(1.5, 4.0)  # gauges' noise, percentage points
        self.requests = rng.uniform(30, 150)  # error_ratio: requests per interval at the level

    def mean(self, shift: np.ndarray | float = 0.0) -> np.ndarray:
        """The expected value of every row, with the daily pattern moved `shift` hours later."""
        ts, kind = self.ts, self.kind
        hours = _hours(ts, self.tz) - shift
        weekend = _weekday(ts, self.tz) >= 5
        if kind in ("requests_low", "requests_high"):
            return self.level * (1 - self.amp + 2 * self.amp * _wave(hours, self.peak)) * np.where(weekend, 0.7, 1.0)
        if kind == "latency":
            return self.level * (1 + 0.25 * _wave(hours, self.peak))
        if kind == "error_ratio":
            return np.full(len(ts), self.level)
        if kind in ("cpu", "irregular"):
            return self.level + 15 * self.amp * _wave(hours, self.peak) - 5 * weekend
        if kind == "memory":
            return np.full(len(ts), self.level)
        if kind == "business":
            day = np.array([datetime.fromtimestamp(t, BERLIN).strftime("%Y-%m-%d") for t in ts])
            holiday = np.isin(day, HOLIDAYS)
            shape = 0.15 + _wave(hours, 12.5, 1.5) + 1.3 * _wave(hours, 20.0, 2.0)
            return self.level * shape * np.where(weekend, 1.25, 1.0) * np.where(holiday, 0.6, 1.0)
        raise ValueError(kind)

    def noise_sd(self, mean: np.ndarray) -> np.ndarray:
        """The noise standard deviation of each row, as the sigma incidents are sized in."""
        if self.kind in ("requests_low", "requests_high", "business"):
            return np.sqrt(np.maximum(mean, 1.0))
        if self.kind == "latency":
            return 0.3 * mean
        if self.kind == "error_ratio":
            return np.sqrt(mean * (1 - mean) / self.requests)
        if self.kind == "memory":
            return np.full(len(mean), 0.8)
        return np.full(len(mean), self.sd)

    def draw(self, mean: np.ndarray, burst: np.ndarray | None = None, p_factor: np.ndarray | None = None) -> np.ndarray:
        """Values around `mean`; `burst` multiplies the noise per row, `p_factor` the error probability."""
        rng, n = self.rng, len(mean)
        burst = np.ones(n) if burst is None else burst
        if self.kind in ("requests_low", "requests_high", "business"):
            x = rng.poisson(np.maximum(mean, 0.0)).astype(float)
            return np.maximum(mean + (x - mean) * burst, 0.0).round()
        if self.kind == "latency":
            body = mean * np.exp(rng.normal(0, 0.25, n) * burst)
            slow = rng.random(n) < 0.01  # the heavy tail: 1 % of rows from a Pareto, up to 10x slower
            return np.where(slow, body * np.minimum(1 + rng.pareto(2.5, n), 10.0), body).round(1)
        if self.kind == "error_ratio":
            requests = rng.poisson(self.requests * (0.6 + 0.8 * _wave(_hours(self.ts), self.peak))) + 1
            p = np.clip(mean * (np.ones(n) if p_factor is None else p_factor), 0, 1)
            return (rng.binomial(requests, p) / requests).round(5)
        if self.kind == "memory":  # a slow walk that restarts every 2-4 days
            walk = np.cumsum(rng.normal(0.002, 0.05, n))
            restarts = np.cumsum(rng.random(n) < STEP / (3 * DAY))
            first = np.r_[0, np.flatnonzero(np.diff(restarts)) + 1]  # each run's first row
            walk -= walk[first][restarts - restarts[0]]
            return np.clip(mean + walk + rng.normal(0, 0.8, n) * burst, 0, 100).round(2)
        ar = np.zeros(n)  # cpu: AR(1) noise
        shocks = rng.normal(0, self.sd * np.sqrt(1 - 0.6 ** 2), n) * burst
        for i in range(1, n):
            ar[i] = 0.6 * ar[i - 1] + shocks[i]
        return np.clip(mean + ar, 0, 100).round(2)


def make_series(kind: str, klass: str, magnitude: str, rng: np.random.Generator):
    """(timestamps, values, [(start, end)] label windows in epoch seconds) for one series."""
    if kind == "irregular":
        gaps = rng.uniform(60, 540, int(DAYS * DAY / 60))
        ts = np.round(START + np.cumsum(gaps))  # whole seconds, as the CSV writes them and the windows are judged
        ts = ts[ts < START + DAYS * DAY]
        for _ in range(3):  # a few gaps of 1-6 hours
            at = rng.uniform(START + DAY, START + DAYS * DAY - DAY)
            ts = ts[(ts < at) | (ts > at + rng.uniform(1, 6) * HOUR)]
    else:
        ts = START + STEP * np.arange(int(DAYS * DAY / STEP))
    base = Base(kind, rng, ts)
    n, m = len(ts), MAGNITUDES.index(magnitude) if magnitude in MAGNITUDES else 0
    if klass == "none":
        return ts, base.draw(base.mean()), []
    start_t = rng.uniform(START + (TRAIN_DAYS + 1) * DAY, START + (DAYS - 1.5) * DAY)
    start = int(np.searchsorted(ts, start_t))
    t0 = ts[start]

    def rows(hours: float) -> np.ndarray:
        return (ts >= t0) & (ts < t0 + hours * HOUR)

    mean = base.mean()
    sd = base.noise_sd(mean)
    sigma = float(sd[start])
    sign = 1.0
    end_t = t0
    if klass == "shape_change":
        shift = np.where(ts >= t0, (2.0, 4.0, 6.0)[m], 0.0)
        return ts, base.draw(base.mean(shift)), [(t0, t0 + DAY)]
    if klass == "variance_burst":
        burst = np.where(rows(2), (2.0, 3.0, 5.0)[m], 1.0)
        return ts, base.draw(mean, burst=burst), [(t0, t0 + 3 * HOUR)]
    if klass == "error_rate_rise":
        factor = np.where(rows(2), (2.0, 4.0, 10.0)[m], 1.0)
        return ts, base.draw(mean, p_factor=factor), [(t0, t0 + 3 * HOUR)]
    if klass in ("shift_up", "shift_down"):
        sign = 1.0 if klass == "shift_up" else -1.0
        k = sign * (2.0, 4.0, 8.0)[m]
        if kind == "latency":  # a latency moves by factors: its noise is log-normal (sigma 0.25)
            mean = mean * np.where(ts >= t0, np.exp(0.25 * k), 1.0)
        else:
            mean = mean + k * np.where(ts >= t0, sd, 0.0)
        end_t = t0 + 2 * HOUR
    elif klass == "drift":
        ramp = np.clip((ts - t0) / (12 * HOUR), 0, 1) * (3.0, 6.0, 12.0)[m] * sigma
        mean = mean + np.where(ts >= t0, ramp, 0.0)
        end_t = t0 + 12 * HOUR
    elif klass == "partial_drop":
        mean = np.where(rows(1.5), mean * (0.7, 0.5, 0.25)[m], mean)
        end_t = t0 + 1.5 * HOUR
    x = base.draw(mean)
    if klass in ("spike", "dip"):
        size = (5.0, 8.0, 15.0)[m] * sigma * (1.0 if klass == "spike" else -1.0)
        x[start] = max(x[start] + size, 0.0)
        if kind == "error_ratio":
            x[start] = min(x[start], 1.0)
    elif klass == "outage":
        hours = (20, 45, 90)[m] / 60.0
        x[rows(hours)] = 0.0
        end_t = t0 + hours * HOUR
    elif klass == "stuck":
        hours = (1.0, 3.0, 6.0)[m]
        x[rows(hours)] = x[start - 1]
        end_t = t0 + hours * HOUR
    return ts, x, [(t0, end_t + HOUR)]


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def generate(root: Path, seed: int, reps: int, kinds: tuple[str, ...] = tuple(CLASSES)) -> list[dict]:
    """Write the corpus under `root`; returns one record per file (name, kind, class, magnitude, windows).

    Each file's series comes from (seed, kind, class, magnitude, k) alone, so a subset of `kinds` writes
    the same files as the whole corpus.
    """
    records, windows = [], {}
    jobs = [(kind, "none", "-", k) for kind in kinds for k in range(CLEAN)]
    jobs += [(kind, klass, mag, k) for kind in kinds for klass in CLASSES[kind] for mag in MAGNITUDES
             for k in range(reps)]
    for kind, klass, mag, k in jobs:
        key = [list(CLASSES).index(kind), (("none",) + CLASSES[kind]).index(klass), (("-",) + MAGNITUDES).index(mag)]
        rng = np.random.default_rng([seed, *key, k])
        ts, x, spans = make_series(kind, klass, mag, rng)
        name = f"{kind}/{kind}__{klass}__{mag}__{k}.csv"
        path = root / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["timestamp", "value"])
            out.writerows((_stamp(t), f"{v:g}") for t, v in zip(ts, x))
        windows[name] = [[_stamp(a) + ".000000", _stamp(b) + ".000000"] for a, b in spans]
        records.append({"name": name, "kind": kind, "class": klass, "magnitude": mag, "windows": spans})
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "labels" / "combined_windows.json").write_text(json.dumps(windows, indent=1))
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "profiles.json").write_text(json.dumps(
        {p: {"CostMatrix": {"tpWeight": tp, "fnWeight": fn, "fpWeight": fp, "tnWeight": 1.0}}
         for p, (tp, fn, fp) in PROFILES.items()}, indent=1))
    return records


def _verdicts(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(timestamps, anomaly) of a NAB-layout results file."""
    with path.open() as f:
        rows = list(csv.DictReader(f))
    ts = np.array([datetime.strptime(r["timestamp"][:19], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=timezone.utc).timestamp() for r in rows])
    return ts, np.array([int(r["anomaly"]) for r in rows])


def judge(record: dict, ts: np.ndarray, anomaly: np.ndarray) -> dict:
    """Found, delay (minutes) and false alarms of one file's verdicts."""
    fired = ts[(anomaly == -1) & (ts >= START + TRAIN_DAYS * DAY)]
    found, delay, excused = [], [], np.zeros(len(fired), bool)
    for a, b in record["windows"]:
        inside = fired[(fired >= a) & (fired <= b)]
        found.append(bool(len(inside)))
        delay.append((inside[0] - a) / 60.0 if len(inside) else np.nan)
        excused |= (fired >= a) & (fired <= b + AFTERMATH)
    span = (ts[-1] - (START + TRAIN_DAYS * DAY) - sum(min(b + AFTERMATH, ts[-1]) - a for a, b in record["windows"]))
    return {**record, "found": found, "delay": delay, "false_alarms": int((~excused).sum()),
            "weeks": max(span, 0.0) / (7 * DAY)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="build/classes")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--reps", type=int, default=2, help="series per kind, class and magnitude")
    parser.add_argument("--model", default="", help="default: the DEFAULT_MODEL setting")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    model = args.model
    if not model:
        from metricwatch.config import load_settings

        model = load_settings().default_model
    started = time.perf_counter()
    root = Path(args.out) / "corpus"
    records = generate(root, args.seed, args.reps)
    config = ReplayConfig(model, {}, TRAIN_DAYS * DAY, DAY)
    names = [r["name"] for r in records]
    progress = Progress(len(names), out=open(os.devnull, "w"))
    results = backtest_dir(root / "data", Path(args.out) / "results", config, jobs=args.jobs, files=names,
                           progress=progress)
    judged = [judge(r, *_verdicts(result_path(Path(args.out) / "results", model, r["name"]))) for r in records]
    points = sum(res.points for res in results)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"bench-classes: {len(names)} series ({points:,} points) from seed {args.seed}, {model} as it ships "
          f"(daily retraining on {TRAIN_DAYS} days, default timezone/direction/kind); {stamp}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.jobs} jobs\n")
    print("| class | magnitude | windows found | median delay (min) | false alarms per series-week |")
    print("|---|---|---|---|---|")
    classes = ["none"] + sorted({r["class"] for r in records} - {"none"})
    for klass in classes:
        for mag in (["-"] if klass == "none" else MAGNITUDES):
            cell = [j for j in judged if j["class"] == klass and j["magnitude"] == mag]
            found = [f for j in cell for f in j["found"]]
            delays = [d for j in cell for d in j["delay"] if np.isfinite(d)]
            rate = sum(j["false_alarms"] for j in cell) / max(sum(j["weeks"] for j in cell), 1e-9)
            share = "-" if klass == "none" else f"{100 * np.mean(found):.0f}% ({sum(found)}/{len(found)})"
            print(f"| {klass} | {mag} | {share} | {np.median(delays) if delays else float('nan'):.0f} | {rate:.2f} |")
    print("\n| kind | windows found | false alarms per series-week |")
    print("|---|---|---|")
    for kind in CLASSES:
        cell = [j for j in judged if j["kind"] == kind]
        found = [f for j in cell for f in j["found"]]
        rate = sum(j["false_alarms"] for j in cell) / max(sum(j["weeks"] for j in cell), 1e-9)
        print(f"| {kind} | {100 * np.mean(found):.0f}% ({sum(found)}/{len(found)}) | {rate:.2f} |")
    _, _, rows = corpus_rows(root, names)
    profiles = load_profiles(root)
    scores = [res.scores for res in results]
    cells = " | ".join(f"{sweep(rows, scores, p).score:.1f}" for p in profiles)
    print("\n| NAB scorer on this corpus | standard | reward_low_FP_rate | reward_low_FN_rate |")
    print(f"|---|---|---|---|\n| {model} | {cells} |")
    print(f"\n({time.perf_counter() - started:.0f} s; corpus {root}, results {Path(args.out) / 'results'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
