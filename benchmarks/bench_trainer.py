"""Trainer benchmark: series trained per second by `TRAIN_WORKERS`, then the run fanned out over instances.

The models go to a real google-cloud-storage client writing to
gcp-storage-emulator over HTTP (started here), and the history comes from
mongomock behind a fixed delay per read that stands for the round trip and
transfer of a MongoDB Atlas query (`--read-ms`; there is no MongoDB server
here to measure it on). Every series is 7 days of 5-minute points trained
with the default model, as the nightly run does; prints its figures.

    .venv/bin/python benchmarks/bench_trainer.py [--series 32] [--read-ms 100] [--workers 1,2,4,8]
        [--fan-out 10000,100000] [--sample 32] [--save-ms 50] [--distinct-us 10] [--page-ms 100]

The second part (`bench_fanout.py`) simulates 10,000 and 100,000 series of 7 days at 1 minute:
the per-series time measured on a sample of real fits, the sharding and in-process dispatch
code run for real on every series (fits left out), and the fan-out time for N instances.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import mongomock
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gcs_emulator import gcs_emulator  # noqa: E402
from metricwatch.detection.catalog import WatchedMetric  # noqa: E402
from metricwatch.detection.detector import Detector  # noqa: E402
from metricwatch.modelstore.cache import ModelCache  # noqa: E402
from metricwatch.modelstore.gcs import GcsModelStore  # noqa: E402
from metricwatch.points import Point  # noqa: E402
from metricwatch.store import MongoMetricStore, StoredPoint  # noqa: E402

POINTS = 7 * 24 * 12  # 7 days of 5-minute points


class RemoteReads:
    """The metric store's answers, read once, then served after `delay` seconds, as a remote server answers.

    mongomock computes each read in Python under the GIL, which would time
    mongomock, not the trainer; a server computes it elsewhere.
    """

    def __init__(self, store: MongoMetricStore, delay: float) -> None:
        self.store, self.delay, self.answers = store, delay, {}

    def __getattr__(self, name: str):
        return getattr(self.store, name)

    def series_points(self, name, labels, *args):
        key = (name, tuple(sorted(labels.items())))
        if key not in self.answers:
            self.answers[key] = self.store.series_points(name, labels, *args)
        time.sleep(self.delay)
        return self.answers[key]


def seeded_store(series: int, now: datetime) -> MongoMetricStore:
    store = MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.metrics)
    rng = np.random.default_rng(0)
    minutes = np.arange(POINTS)
    wave = 20 * np.sin(2 * np.pi * minutes / 288)
    for k in range(series):
        values = 100 + wave + 5 * rng.standard_normal(POINTS)
        store.insert([StoredPoint(Point("requests", float(v), now - timedelta(minutes=5 * (POINTS - i)),
                                        {"service": f"svc-{k:03d}"})) for i, v in enumerate(values)])
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=32)
    parser.add_argument("--read-ms", type=float, default=100.0, help="delay added to each history read")
    parser.add_argument("--workers", default="1,2,4,8", help="the first table's rows; empty: no first table")
    parser.add_argument("--fan-out", default="10000,100000", help="series counts of the fan-out part; empty: none")
    parser.add_argument("--sample", type=int, default=32, help="real fits the per-series time is measured on")
    parser.add_argument("--save-ms", type=float, default=50.0, help="delay of a model save (fan-out part)")
    parser.add_argument("--distinct-us", type=float, default=10.0, help="distinct's cost a series (fan-out part)")
    parser.add_argument("--page-ms", type=float, default=100.0, help="a bucket listing page of 1,000 (fan-out part)")
    parser.add_argument("--create-ms", type=float, default=50.0, help="one Cloud Tasks create_task (fan-out part)")
    parser.add_argument("--force-shards", type=int, default=4,
                        help="shards a case that fits one instance is cut into anyway, to run the sharding code")
    args = parser.parse_args()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}", flush=True)
    if args.workers:
        workers_table(args)
    if args.fan_out:
        from bench_fanout import Latency, report

        report([int(n) for n in args.fan_out.split(",")], args.sample,
               Latency(args.read_ms / 1e3, args.save_ms / 1e3, args.distinct_us / 1e6, args.page_ms / 1e3,
                       args.create_ms / 1e3), args.force_shards, emit=lambda line: print(line, flush=True))
    return 0


def workers_table(args: argparse.Namespace) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    now = datetime.now(timezone.utc)
    print(f"seeding {args.series} series of {POINTS} points...", file=sys.stderr, flush=True)
    store = RemoteReads(seeded_store(args.series, now), args.read_ms / 1000.0)
    catalog = {"requests": WatchedMetric("requests", "robust_seasonal", {}, timedelta(days=7))}
    print(f"\n## TRAIN_WORKERS: {args.series} series x {POINTS} points, robust_seasonal; history reads delayed "
          f"{args.read_ms:g} ms; models to gcp-storage-emulator over HTTP\n")
    print("| TRAIN_WORKERS | seconds | series/s | speed-up over the first row |\n|---|---|---|---|")
    with gcs_emulator() as url:
        os.environ["STORAGE_EMULATOR_HOST"] = url
        client = storage.Client(project="bench", credentials=AnonymousCredentials())
        first = None
        warm_up = GcsModelStore("models", prefix="warm-up", client=client)
        Detector(catalog, store, warm_up, ModelCache(warm_up, 0), clock=lambda: now).train()  # reads each series once
        for workers in (int(w) for w in args.workers.split(",")):
            models = GcsModelStore("models", prefix=f"w{workers}", client=client)
            detector = Detector(catalog, store, models, ModelCache(models, 0), clock=lambda: now)
            started = time.perf_counter()
            summary = detector.train(workers=workers)
            seconds = time.perf_counter() - started
            if len(summary.models) != args.series:
                raise SystemExit(f"only {len(summary.models)} models written: {summary.to_dict()}")
            first = first or seconds
            print(f"| {workers} | {seconds:.2f} | {args.series / seconds:.1f} | {first / seconds:.1f}x |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
