"""Query benchmark: a 7-day, 1-minute series (10,080 points) asked for at 500 points.

In-process, through the /query handler, mongomock as the store: the time is
this process's work plus mongomock evaluating the aggregation in Python. Atlas
evaluates the same `$group` in C++ next to the data and sends ~340 rows instead
of 10,080 points. Also printed: the same range read raw, page by page, and the
round trips of each.

    .venv/bin/python benchmarks/bench_query.py
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import mongomock
import numpy as np
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.api.query import query  # noqa: E402
from metricwatch.config import load_settings  # noqa: E402
from metricwatch.points import Point  # noqa: E402
from metricwatch.runtime import build_runtime  # noqa: E402
from metricwatch.store import MongoMetricStore, StoredPoint  # noqa: E402
from bench_alerting import Counting  # noqa: E402

POINTS, MAX_POINTS, RUNS = 7 * 24 * 60, 500, 5
START = datetime(2026, 11, 23, tzinfo=timezone.utc)


def week(store: MongoMetricStore) -> None:
    rng = np.random.default_rng(7)
    minutes = np.arange(POINTS)
    values = 100 + 20 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 3, POINTS)
    docs = []
    for m, v in zip(minutes, values):
        spike = m == 5000
        verdict = {"anomaly": -1 if spike else 1, "anomaly_score": 0.99 if spike else 0.2, "model": "robust_seasonal",
                   "expected": 100.0, "lower": 90.0, "upper": 110.0}
        docs.append(StoredPoint(Point("latency", 400.0 if spike else float(v), START + timedelta(minutes=int(m)),
                                      {"region": "eu"}), verdict))
    store.insert(docs)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(RUNS):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def get(runtime: Any, **args: str) -> dict[str, Any]:
    body, status, _ = query(Request(EnvironBuilder(method="GET", query_string=args).get_environ()), runtime=runtime)
    assert status == 200, body
    return json.loads(body)


def read_raw(runtime: Any) -> int:
    args, n = {"metric": "latency", "labels": "region=eu"}, 0
    while True:
        page = get(runtime, **args)
        n += page["count"]
        if not page["next"]:
            return n
        args["cursor"] = page["next"]


def main() -> None:
    counting = Counting(mongomock.MongoClient(tz_aware=True).db.metrics)
    store = MongoMetricStore(counting)
    week(store)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"MODEL_STORE_URL": f"file://{tmp}"}, dotenv=None)
        runtime = build_runtime(settings, store=store)
        end = (START + timedelta(days=7)).isoformat()
        counting.calls = 0
        seconds, body = timed(lambda: get(runtime, metric="latency", labels="region=eu", start=START.isoformat(),
                                          end=end, max_points=str(MAX_POINTS)))
        down_trips, counting.calls = counting.calls / RUNS, 0
        raw_seconds, n = timed(lambda: read_raw(runtime))
        raw_trips = counting.calls / RUNS
        counting.calls = 0
        open_seconds, _ = timed(lambda: get(runtime, metric="latency", max_points=str(MAX_POINTS)))
        open_trips = counting.calls / RUNS
        answer = store.buckets  # our own share: the store's answer replayed, the rest as served
        rows = answer("latency", {"region": "eu"}, START, START + timedelta(days=7), timedelta(minutes=30), 50000)
        store.buckets = lambda *a, **k: rows  # type: ignore[method-assign]
        own_seconds, _ = timed(lambda: get(runtime, metric="latency", labels="region=eu", start=START.isoformat(),
                                           end=end, max_points=str(MAX_POINTS)))
    buckets = body["series"][0]["buckets"]
    flagged = [b["time"] for b in buckets if b["anomaly"] == -1]
    print(f"query benchmark ({platform.python_implementation()} {platform.python_version()}, mongomock store, "
          f"median of {RUNS} runs)")
    print(f"  7-day 1-minute series, {POINTS:,} points, max_points={MAX_POINTS}: {seconds * 1000:.0f} ms, "
          f"{len(buckets)} buckets of {body['step']}, {down_trips:.0f} round trip(s), anomaly in bucket {flagged}")
    print(f"  the same without start/end (range closed on the data): {open_seconds * 1000:.0f} ms, "
          f"{open_trips:.0f} round trips")
    print(f"  of which outside the store (parsing, answer, JSON): {own_seconds * 1000:.1f} ms")
    print(f"  the same range read raw: {n:,} points in {raw_trips:.0f} pages/round trips, {raw_seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
