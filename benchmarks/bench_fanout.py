"""The fan-out half of `make bench-trainer`: 10,000 and 100,000 series of 7 days at 1 minute.

1. The per-series time is measured on a sample of real fits (the default model, TRAIN_WORKERS
   threads, this process pinned to one CPU like the trainer's one vCPU), with the history read
   and model save delayed as `fanout_sim` says; 100,000 real fits would take hours.
2. Each case runs the real sharding code end to end: the listing (a `distinct` and a bucket
   listing, both delayed), `plan` with the measured per-series time, `cut`, the in-process
   dispatcher (every shard through its JSON body and `parse_shard`), and `train_shard` on each
   (its own bucket listing, stalest first, TrainingRun), all shards at once as parallel
   instances would; only the fit itself is left out (`NoFit`), and every series must come out
   trained exactly once.
3. The fan-out time for N instances is then: the run's listing and dispatch as measured, plus the
   slowest shard: its measured overhead and its series times the measured per-series time, with
   the queue's retries when a shard's work is longer than TRAIN_DEADLINE_SECONDS.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from fanout_sim import MINUTES, NoFit, SimulatedBucket, SimulatedStore, yesterday
from metricwatch.config import SETTINGS
from metricwatch.detection.catalog import WatchedMetric
from metricwatch.detection.detector import Detector
from metricwatch.detection.dispatch.inline import InlineDispatcher
from metricwatch.detection.fanout import Sharding, train_run, train_shard
from metricwatch.detection.shards import FILL, plan, series_bytes
from metricwatch.modelstore.cache import ModelCache
from metricwatch.series import model_object_name

DEFAULT = {s.env: s.default for s in SETTINGS}
DEADLINE = float(DEFAULT["TRAIN_DEADLINE_SECONDS"])
WORKERS = int(DEFAULT["TRAIN_WORKERS"])
RUN_SECONDS = 1800  # one scheduled run: the trainer's timeout, and the 30 minutes
BACKOFFS = (60, 120, 240, 480, 600, 600, 600, 600, 600)  # infra/tasks.tf: min 60 s, doubling 3 times, max 600 s
CREATE_AT_ONCE = 8  # dispatch/cloudtasks.py
DISPATCHES_PER_SECOND = 10  # infra/tasks.tf rate_limits


@dataclass(frozen=True)
class Latency:
    read_s: float
    save_s: float
    distinct_s_per_series: float
    page_s: float
    create_s: float

    def __str__(self) -> str:
        return (f"history read {self.read_s * 1e3:g} ms, model save {self.save_s * 1e3:g} ms, distinct one read + "
                f"{self.distinct_s_per_series * 1e6:g} us a series, bucket listing {self.page_s * 1e3:g} ms a page "
                f"of 1,000, create_task {self.create_s * 1e3:g} ms ({CREATE_AT_ONCE} in flight)")


def _catalog() -> dict[str, WatchedMetric]:
    return {"requests": WatchedMetric("requests", DEFAULT["DEFAULT_MODEL"], {}, timedelta(days=7))}


def _detector(store: SimulatedStore, bucket: SimulatedBucket, now: datetime) -> Detector:
    return Detector(_catalog(), store, bucket, ModelCache(bucket, 0), clock=lambda: now)  # type: ignore[arg-type]


def measure_series(sample: int, latency: Latency, now: datetime) -> tuple[float, float]:
    """(wall, CPU) seconds a series: `sample` real fits and saves, TRAIN_WORKERS at once, on one CPU."""
    detector = _detector(SimulatedStore("requests", sample, now, latency.read_s, 0.0),
                         SimulatedBucket(latency.page_s, latency.save_s), now)
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        detector.train(workers=WORKERS)  # warm-up: imports, first allocations
        wall, cpu = time.perf_counter(), time.process_time()
        summary = detector.train(workers=WORKERS)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        os.sched_setaffinity(0, cpus)
    if len(summary.models) != sample:
        raise SystemExit(f"the sample trained {len(summary.models)} of {sample} series: {summary.to_dict()}")
    return wall / sample, cpu / sample


@dataclass
class Sharded:
    series: int
    shards: int
    size: int
    coordinator_s: float  # the run's listing, bucket listing, plan and cut, before its first shard
    shard_overhead_s: float  # the slowest shard without its fits: bucket listing, parsing, queueing
    trained_once: bool
    series_bytes: int  # the longest series in a shard's body
    forced: bool  # the plan trains it in one instance: cut into more shards anyway, to run that code


def run_sharded(series: int, per_series_s: float, latency: Latency, now: datetime, force: int) -> Sharded:
    """The real sharding code over `series` series, fits left out, shards all at once.

    A run that fits one instance would not be cut: it is cut into `force` shards anyway (as if each
    series took longer), so the sharding and dispatch code still runs at that scale.
    """
    listed = SimulatedStore("requests", series, now, 0, 0).label_sets("requests", now)
    names = [model_object_name("requests", DEFAULT["DEFAULT_MODEL"], labels) for labels in listed]
    store = SimulatedStore("requests", series, now, latency.read_s, latency.distinct_s_per_series)
    detector = _detector(store, SimulatedBucket(latency.page_s, latency.save_s, yesterday(now), names), now)
    nofit = NoFit()
    detector._train_series = nofit  # type: ignore[method-assign]  # the fit is what the sample measured
    shard_walls: list[float] = []
    dispatched_at: list[float] = []

    def instance(shard):  # what one train instance does with a task: its own deadline
        started = time.perf_counter()
        done = train_shard(detector, shard, DEADLINE, WORKERS)
        shard_walls.append(time.perf_counter() - started)
        return done

    dispatcher = InlineDispatcher(instance, concurrency=10**6)  # every shard at once, as parallel instances
    dispatch = dispatcher.dispatch
    dispatcher.dispatch = lambda shards: dispatched_at.append(time.perf_counter()) or dispatch(shards)  # type: ignore
    forced = plan(series, per_series_s, DEADLINE, int(DEFAULT["TRAIN_MAX_SHARDS"])).shards == 1
    planned_s = DEADLINE * FILL * (force - 0.5) / series if forced else per_series_s
    started = time.perf_counter()
    summary = train_run(detector, Sharding(dispatcher, planned_s, DEADLINE, int(DEFAULT["TRAIN_MAX_SHARDS"])),
                        None, now, WORKERS, detector.timer())
    fan_out = summary.fan_out or {"shards": 1, "shard_size": series}
    expected = {("requests", (("service", labels["service"]),)) for labels in listed}
    once = len(nofit.trained) == len(set(nofit.trained)) == series and set(nofit.trained) == expected
    coordinator = (dispatched_at[0] if dispatched_at else time.perf_counter()) - started
    longest = max(series_bytes(("requests", labels)) for labels in listed)
    return Sharded(series, fan_out["shards"], fan_out["shard_size"], coordinator, max(shard_walls, default=0.0), once,
                   longest, forced)


def shard_seconds(size: int, per_series_s: float, overhead_s: float) -> float:
    """One shard from its first attempt to its end: attempts of TRAIN_DEADLINE_SECONDS, the queue's backoffs between."""
    work = size * per_series_s
    attempts = max(1, math.ceil(work / DEADLINE))
    return work + attempts * overhead_s + sum(BACKOFFS[:attempts - 1])


def fan_out_seconds(run: Sharded, instances: int, per_series_s: float, latency: Latency) -> tuple[int, int, float]:
    """(shards, size, seconds) of the run with at most `instances` instances (TRAIN_MAX_SHARDS).

    Shards past the instances (a body-size cut can make more) wait for a free one: in waves.
    """
    if instances == 1:
        return 1, run.series, run.coordinator_s + shard_seconds(run.series, per_series_s, run.shard_overhead_s)
    chosen = plan(run.series, per_series_s, DEADLINE, instances, run.series_bytes)
    if chosen.shards == 1:
        return 1, run.series, run.coordinator_s + shard_seconds(run.series, per_series_s, run.shard_overhead_s)
    queued = max(math.ceil(chosen.shards / CREATE_AT_ONCE) * latency.create_s, chosen.shards / DISPATCHES_PER_SECOND)
    waves = math.ceil(chosen.shards / instances)
    return chosen.shards, chosen.size, run.coordinator_s + queued + waves * shard_seconds(
        chosen.size, per_series_s, run.shard_overhead_s)


def report(cases: list[int], sample: int, latency: Latency, force: int = 4,
           emit: Callable[[str], None] = print) -> None:
    now = datetime.now(timezone.utc)
    emit(f"\n## Fan-out: {', '.join(f'{n:,}' for n in cases)} series of 7 days at 1 minute ({MINUTES:,} points), "
         f"{DEFAULT['DEFAULT_MODEL']}, TRAIN_WORKERS={WORKERS}, TRAIN_DEADLINE_SECONDS={DEADLINE:g}")
    emit(f"assumed latencies (not measured: no Atlas or GCS here): {latency}")
    wall, cpu = measure_series(sample, latency, now)
    emit(f"per series, measured on a sample of {sample} real fits (not on every series), pinned to one CPU: "
         f"{cpu:.3f} s CPU, {wall:.3f} s wall with {WORKERS} workers (the setting TRAIN_SERIES_SECONDS is "
         f"{DEFAULT['TRAIN_SERIES_SECONDS']}; the plans below use the measured {wall:.3f})")
    runs = []
    for series in cases:
        started = time.perf_counter()
        run = run_sharded(series, wall, latency, now, force)
        runs.append(run)
        how = (f"fits one instance, so cut into {force} anyway (as if a series took {DEADLINE * FILL * (force - 0.5) / series:.2f} s)"
               if run.forced else "the plan's cut")
        emit(f"{series:,} series through the sharding code and the in-process dispatcher (fits left out; {how}): "
             f"{run.shards} shards of {run.size:,}, every series trained exactly once: "
             f"{'yes' if run.trained_once else 'NO'}; run's listing and cut {run.coordinator_s:.1f} s, slowest "
             f"shard's own overhead {run.shard_overhead_s:.1f} s (in {time.perf_counter() - started:.1f} s)")
    emit("\n| series | one instance | shards chosen x size | fan-out | within one 30-minute run |\n|---|---|---|---|---|")
    for run in runs:
        one = fan_out_seconds(run, 1, wall, latency)[2]
        shards, size, seconds = fan_out_seconds(run, int(DEFAULT["TRAIN_MAX_SHARDS"]), wall, latency)
        emit(f"| {run.series:,} | {one:,.0f} s | {shards} x {size:,} | {seconds:,.0f} s | "
             f"{'yes' if seconds <= RUN_SECONDS else 'no'} |")
    ns = [1, 2, 5, 10, 13, 20, 50, 100]
    emit("\nfan-out time with at most N instances (TRAIN_MAX_SHARDS=N; the code takes the fewest shards that fit):\n")
    emit("| series | " + " | ".join(f"N={n}" for n in ns) + " |\n|---|" + "---|" * len(ns))
    for run in runs:
        cells = []
        for n in ns:
            shards, _, seconds = fan_out_seconds(run, n, wall, latency)
            cells.append(f"{seconds:,.0f} s ({shards})" + ("" if seconds <= RUN_SECONDS else " *"))
        emit(f"| {run.series:,} | " + " | ".join(cells) + " |")
    emit("\n(shards used in brackets; * = longer than one 30-minute run: shards past the deadline stop and the queue's "
         "retries finish them, shards past N wait for an instance)")
    default_s = float(DEFAULT["TRAIN_SERIES_SECONDS"])
    emit(f"with the default TRAIN_SERIES_SECONDS={default_s:g} instead of the measured {wall:.3f}, the code would cut "
         + "; ".join(f"{run.series:,} series into {p.shards} x {p.size:,}" for run in runs
                     for p in [plan(run.series, default_s, DEADLINE, int(DEFAULT["TRAIN_MAX_SHARDS"]), run.series_bytes)]))
    for run in runs:
        shards, size, seconds = fan_out_seconds(run, int(DEFAULT["TRAIN_MAX_SHARDS"]), wall, latency)
        listing = run.coordinator_s + run.shard_overhead_s
        emit(f"{run.series:,} series: listing and sharding (the distinct, the bucket listed by the run and by its "
             f"slowest shard, bodies, queueing) {listing:.1f} s of the {seconds:,.0f} s fan-out "
             f"({100 * listing / seconds:.1f}%); the fits are the rest")
