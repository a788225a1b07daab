"""Push-path benchmark: the handler's time for one point and for a batch, with a trained model.

In-process (no HTTP server), mongomock as the store and a file model store,
as the core issue specifies; prints its figures. Beside ours it times the
original app's per-point path (load the joblib file from disk, build a
one-row frame, sklearn `predict`) so the ratio is visible.

    .venv/bin/python benchmarks/bench_push.py [--models sklearn_iforest,robust_zscore] [--series 1000]

It counts the store's round trips (calls on the MongoDB collections, the
metrics and their series heads: find, insert_many, bulk_write...) per push.
A warm instance that wrote a series last scores it from its window in memory
(detection/warm.py): bump the heads + insert. With PUSH_STATE_SERIES=0 (the
path before) each push reads its context as well. It times a batch of
`--series` points over as many series, each with its own (identical) model,
after the instance wrote their history (so it holds their windows): with the
series stacked into one scoring call (detection/models/robust_batch.py), then
each series scored by its own call, as before it.
mongomock evaluates every query by scanning the collection in Python, so the
time spent inside store calls is printed apart: on a server those are index
reads and writes, plus one network round trip each.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import joblib
import mongomock
import numpy as np
from flask import Request
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.api.push import push  # noqa: E402
from metricwatch.config import load_settings  # noqa: E402
from metricwatch.runtime import build_runtime  # noqa: E402
from metricwatch.points import Point  # noqa: E402
from metricwatch.store import MongoMetricStore, StoredPoint  # noqa: E402
from metricwatch.store.memory import adapt_mongomock  # noqa: E402

adapt_mongomock()  # mongomock's bulk_write under the pymongo we pin, as make run's in-memory store

HISTORY = 7 * 24 * 12  # 7 days of 5-minute points


def make_request(body: object) -> Request:
    return Request(EnvironBuilder(method="POST", json=body).get_environ())


def trained_runtime(model: str, workdir: Path, store=None, env: dict | None = None):
    watch = workdir / f"{model}.json"
    watch.write_text(json.dumps([{"name": "bench", "model": model}]))
    settings = load_settings({"MODEL_STORE_URL": f"file://{workdir / model}", "DETECTION_METRICS_PATH": str(watch),
                              "MODEL_REFRESH_SECONDS": "60", **(env or {})}, dotenv=None)
    store = store or MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.m)
    runtime = build_runtime(settings, store=store)  # plays the trainer's instance
    now = datetime.now(timezone.utc)
    rng = np.random.default_rng(0)
    # Stored as it was before this run (no series head): the push instance below is the only writer it sees.
    store.insert([StoredPoint(Point("bench", float(100 + 5 * rng.standard_normal()),
                                    now - timedelta(minutes=5 * (HISTORY - i)))) for i in range(HISTORY)])
    summary = runtime.detector.train()
    assert summary.models, summary.to_dict()
    return build_runtime(settings, store=store)  # a push instance, cold until the warm-up


READS = ("find", "find_one", "aggregate", "distinct", "count_documents")
WRITES = ("insert_many", "insert_one", "bulk_write", "update_one", "update_many", "delete_many")


class CountingCollection:
    """Wraps a MongoDB collection: each call of a query or write method is one round trip."""

    def __init__(self, collection, calls: list[str] | None = None, label: str = "") -> None:
        self.collection, self.calls, self.label = collection, [] if calls is None else calls, label
        self.ms = 0.0  # time inside those calls

    def __getattr__(self, name):
        attr = getattr(self.collection, name)
        if name in READS + WRITES:
            def counted(*args, **kwargs):
                self.calls.append(name + self.label)
                t0 = time.perf_counter()
                try:
                    return attr(*args, **kwargs)
                finally:
                    self.ms += (time.perf_counter() - t0) * 1e3
            return counted
        return attr


def count_heads(runtime, counting: CountingCollection) -> None:
    """Count the series heads' round trips with the metrics' (the heads collection sits beside it)."""
    heads = runtime.detector.warm.heads
    heads.collection = CountingCollection(heads.collection, counting.calls, " (heads)")


def time_stores(runtime) -> "StoreTimer":
    """Time every call on the metric store and on the heads, into one timer."""
    timer = StoreTimer(runtime.detector.store)
    runtime.detector.store = timer
    runtime.detector.warm.heads = StoreTimer(runtime.detector.warm.heads, timer)
    return timer


def untime_stores(runtime) -> None:
    runtime.detector.store = runtime.detector.store.store
    runtime.detector.warm.heads = runtime.detector.warm.heads.store


class StoreTimer:
    """Wraps a store: the time spent inside each of its calls (mongomock's own work, reads included).

    `into`: another timer to add the time to (the metric store's and the heads' in one figure).
    """

    def __init__(self, store, into: "StoreTimer | None" = None) -> None:
        self.store, self.ms, self.into = store, 0.0, into

    def __getattr__(self, name):
        attr = getattr(self.store, name)
        if not callable(attr):
            return attr

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                (self.into or self).ms += (time.perf_counter() - t0) * 1e3
        return timed


class TimedStore:
    """Wraps the store to time its insert: how much of a push is mongomock's own work."""

    def __init__(self, store) -> None:
        self.store, self.insert_ms = store, []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def insert(self, points):
        t0 = time.perf_counter()
        try:
            return self.store.insert(points)
        finally:
            self.insert_ms.append((time.perf_counter() - t0) * 1e3)


def time_calls(runtime, bodies: list[object], timer: "StoreTimer | None" = None) -> tuple[list[float], list[float]]:
    """Wall time of each push, and the time inside store calls of each (when `timer` times the stores)."""
    requests = [make_request(b) for b in bodies]
    out, inside = [], []
    for req in requests:
        if timer is not None:
            timer.ms = 0.0
        t0 = time.perf_counter()
        body, status, _ = push(req, runtime=runtime)
        out.append((time.perf_counter() - t0) * 1e3)
        inside.append(timer.ms if timer is not None else 0.0)
        assert status == 201 and "anomaly" in json.loads(body)["points"][0], body[:300]
    return out, inside


def context_read_ms(runtime, n: int = 10) -> list[float]:
    """The store read a model with context points costs per push (mongomock scans; a server uses the index)."""
    from metricwatch.detection.scoring import context_for
    from metricwatch.points import Point

    name = runtime.detector.object_name(runtime.detector.catalog["bench"], {})
    model = runtime.detector.cache.get(name)
    probe = Point("bench", 1.0, datetime.now(timezone.utc))
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        context_for(model, runtime.store, probe)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def many_series_runtime(workdir: Path, series: int):
    """`series` series of metric `many`, each with a copy of one trained robust_seasonal model, on collections that
    count round trips; the push instance wrote their history (context_points + 2 points, 5 minutes apart, in a
    few batches), so it holds every series' window, as an instance that served them does."""
    counting = CountingCollection(mongomock.MongoClient(tz_aware=True).db.m)
    store = MongoMetricStore(counting)
    model = "robust_seasonal"
    base = trained_runtime(model, workdir, store=MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.m))
    watched = base.detector.catalog["bench"]
    source = base.detector.object_name(watched, {})
    trained = base.detector.models.load(source)[0]
    context = base.detector.cache.get(source).context_points
    watch = workdir / "many.json"
    watch.write_text(json.dumps([{"name": "many", "model": model}]))
    settings = load_settings({"MODEL_STORE_URL": f"file://{workdir / 'many'}", "DETECTION_METRICS_PATH": str(watch),
                              "MODEL_REFRESH_SECONDS": "600"}, dotenv=None)
    runtime = build_runtime(settings, store=store)
    count_heads(runtime, counting)
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    rng = np.random.default_rng(1)
    for s in range(series):
        runtime.detector.models.save(runtime.detector.object_name(runtime.detector.catalog["many"], {"s": str(s)}),
                                     trained)
    ages = list(range(context + 1, -1, -1))  # in 5 minutes, oldest first
    rounds = 10
    for r in range(rounds):  # every series in each batch, in time order: the first is cold, the others warm
        block = ages[r * len(ages) // rounds:(r + 1) * len(ages) // rounds]
        runtime.detector.write([Point("many", float(100 + 5 * rng.standard_normal()), now - timedelta(minutes=5 * i),
                                      {"s": str(s)}) for s in range(series) for i in block])
    assert len(runtime.detector.warm.states) == series
    return runtime, counting, context


def many_point(s: int, rng: np.random.Generator) -> dict:
    """A new point of series `s`, drawn as its history was: a series pushed the same number again and again
    is stuck, and its incidents would be timed instead of the calm pushes most series get."""
    return {"name": "many", "labels": {"s": str(s)}, "value": float(100 + 5 * rng.standard_normal())}


ALERT_COLLECTIONS = ("incidents", "groups", "outbox", "silences")


def time_alerting(runtime) -> list[CountingCollection]:
    """Time the alerting collections' calls too, so that "outside the store" leaves out every mongomock call."""
    wrapped = []
    for name in ALERT_COLLECTIONS:
        collection = CountingCollection(getattr(runtime.alerts, name), label=f" ({name})")
        setattr(runtime.alerts, name, collection)
        wrapped.append(collection)
    return wrapped


def untime_alerting(runtime) -> None:
    for name in ALERT_COLLECTIONS:
        setattr(runtime.alerts, name, getattr(runtime.alerts, name).collection)


def one_call_per_series(on: bool):
    """With `on`, no series is stacked (`robust_batch.groups` finds none): every series its own `score` call,
    the path before the batch scorer; returns the function to put back."""
    from metricwatch.detection.models import robust_batch

    groups = robust_batch.groups
    if on:
        robust_batch.groups = lambda calls, least=2: []
    return lambda: setattr(robust_batch, "groups", groups)


def time_many(runtime, counting, series: int, batches: int, alone: bool = False):
    """Wall time, time inside store calls (metrics, heads, alerting), round trips and time in scoring
    (`Detector.score_with`) of each batch of one point per series; `alone`: every series its own score call."""
    timer, alerting, restore = time_stores(runtime), time_alerting(runtime), one_call_per_series(alone)
    score_with, scoring = runtime.detector.score_with, [0.0]

    def timed_scoring(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return score_with(*args, **kwargs)
        finally:
            scoring[0] += (time.perf_counter() - t0) * 1e3
    runtime.detector.score_with = timed_scoring
    wall, inside, trips, models = [], [], [], []
    rng = np.random.default_rng(2)
    try:
        for b in range(batches + 1):  # the first batch is a warm-up, not counted
            req = make_request([many_point(s, rng) for s in range(series)])
            timer.ms, scoring[0], before = 0.0, 0.0, len(counting.calls)
            for collection in alerting:
                collection.ms = 0.0
            t0 = time.perf_counter()
            body, status, _ = push(req, runtime=runtime)
            elapsed = (time.perf_counter() - t0) * 1e3
            out = json.loads(body)["points"]
            assert status == 201 and all("anomaly" in p for p in out), body[:300]
            if b:
                wall.append(elapsed)
                inside.append(timer.ms + sum(c.ms for c in alerting))
                models.append(scoring[0])
                trips.append(len(counting.calls) - before)
    finally:
        untime_stores(runtime)
        untime_alerting(runtime)
        restore()
        del runtime.detector.score_with
    return wall, inside, trips, models


_LAST = [datetime(2000, 1, 1, tzinfo=timezone.utc)]


def point(i: int) -> dict:
    """A point of `bench`, a millisecond after the one before at least: the store keeps milliseconds, and two
    pushes in one millisecond tie, which drops the instance's window (the next push reads)."""
    at = max(datetime.now(timezone.utc), _LAST[0] + timedelta(milliseconds=1))
    _LAST[0] = at
    return {"name": "bench", "value": 100.0 + (i % 7), "timestamp": at.isoformat()}


def original_style(workdir: Path, runtime, n: int) -> list[float]:
    """Per point: joblib.load from disk, a one-row feature frame, sklearn IsolationForest.predict."""
    from sklearn.ensemble import IsolationForest

    from metricwatch.detection.models.iforest import _features

    rng = np.random.default_rng(0)
    ts = time.time() - 300.0 * np.arange(HISTORY)[::-1]
    forest = IsolationForest(random_state=42).fit(_features(ts, 100 + 5 * rng.standard_normal(HISTORY)))
    path = workdir / "original.joblib"
    joblib.dump(forest, path)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        model = joblib.load(path)
        row = _features(np.array([time.time()]), np.array([100.0 + i % 7]))
        try:
            import pandas as pd  # the original built a DataFrame; use it when installed

            row = pd.DataFrame(row)
        except ImportError:
            pass
        model.predict(row)
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def summarise(label: str, ms: list[float], per: int = 1) -> str:
    med, p95 = statistics.median(ms), float(np.percentile(ms, 95))
    return f"{label:<52} median {med:8.3f} ms   p95 {p95:8.3f} ms   per point {med / per * 1e3:8.1f} µs"


def single_pushes(model: str, workdir: Path, n: int, env: dict | None = None):
    """A warm instance's pushes of 1 point: wall times, times inside store calls, round trips and their kinds."""
    counting = CountingCollection(mongomock.MongoClient(tz_aware=True).db.m)
    runtime = trained_runtime(model, workdir, store=MongoMetricStore(counting), env=env)
    count_heads(runtime, counting)
    time_calls(runtime, [point(i) for i in range(20)])  # warm up: model cached, window kept
    incidents = runtime.alerts.incidents = CountingCollection(runtime.alerts.incidents, label=" (incidents)")
    timer = time_stores(runtime)
    before = len(counting.calls)
    wall, inside = time_calls(runtime, [point(i) for i in range(n)], timer)
    untime_stores(runtime)
    calls = counting.calls[before:]
    kinds = ", ".join(sorted(set(incidents.calls))) or "none"
    tracked = (f"{len(incidents.calls) / n:.2f} ({kinds}), {incidents.ms / n:.3f} ms a push; "
               f"all collections {(len(calls) + len(incidents.calls)) / n:.2f}")
    return runtime, wall, inside, len(calls) / n, ", ".join(sorted(set(calls))), tracked


def print_single(label: str, wall: list[float], inside: list[float], trips: float, kinds: str, tracked: str) -> None:
    print(summarise(f"{label}: warm push, 1 point", wall) + f"   round trips {trips:.2f} ({kinds})")
    print(summarise("  of which inside store calls (mongomock)", inside))
    print(summarise("  the rest: the handler's own work", [w - i for w, i in zip(wall, inside)]))
    print(f"{'':<52} incident tracking (alerting, in the rest): round trips {tracked}")


def print_many(series: int, context: int, alone: bool, wall: list[float], inside: list[float], trips: list[int],
               models: list[float]) -> None:
    how = "each series its own score call (the path before)" if alone else "series stacked (robust_batch)"
    print(summarise(f"robust_seasonal: warm batch of {series} points over {series} series, {how}", wall, per=series)
          + f"   round trips {statistics.median(trips):.0f}")
    print(summarise(f"  of which inside store calls (mongomock: metrics, heads, alerting; {context + 2} pts/series)",
                    inside, per=series))
    print(summarise("  the rest, outside the store (wall minus every store call, each timed)",
                    [w - i for w, i in zip(wall, inside)], per=series))
    print(summarise(f"    of which scoring {series} series (Detector.score_with)", models, per=series))
    print(summarise("    and all else (parsing, windows, heads' claims, incidents, answer)",
                    [w - i - m for w, i, m in zip(wall, inside, models)], per=series))


class SlowBucket:
    """A model store whose every call waits `delay` seconds first: a bucket's round trip (no GCS here)."""

    def __init__(self, store, delay: float) -> None:
        self.store, self.delay = store, delay

    def version(self, name):
        time.sleep(self.delay)
        return self.store.version(name)

    def load(self, name):
        time.sleep(self.delay)
        return self.store.load(name)


def cold_fetch(workdir: Path, models: int, delay_ms: float) -> None:
    """A cold instance's first batch over `models` series: their models fetched one by one, then at once."""
    from metricwatch.modelstore.cache import FETCH_WORKERS, ModelCache, dumps
    from metricwatch.modelstore.local import FileModelStore

    store = FileModelStore(workdir / "cold-models")
    blob = dumps({"a model": 1})
    names = [f"requests_robust_seasonal_svc-{k}.joblib" for k in range(models)]
    for name in names:
        store.save(name, blob)
    for label, fetch in (("one by one (get)", lambda c: [c.get(n) for n in names]),
                         (f"at once (prefetch, {FETCH_WORKERS} at a time)", lambda c: c.prefetch(names))):
        cache = ModelCache(SlowBucket(store, delay_ms / 1000.0), refresh_seconds=600, max_entries=models)
        started = time.perf_counter()
        fetch(cache)
        print(f"cold instance, models of {models} series, bucket round trip {delay_ms:g} ms (injected), "
              f"{label}: {time.perf_counter() - started:.2f} s, {cache.loads} loads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="sklearn_iforest,robust_zscore,robust_seasonal")
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--series", type=int, default=1000, help="series of the many-series batch (0: skip it)")
    parser.add_argument("--series-batches", type=int, default=5)
    parser.add_argument("--cold-models", type=int, default=500, help="series of the cold instance's batch (0: skip)")
    parser.add_argument("--bucket-ms", type=float, default=20.0, help="delay injected into each bucket call")
    args = parser.parse_args()
    print(f"# push benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"Python {platform.python_version()}, in-process handler, mongomock store, file model store")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        singles: dict[str, float] = {}
        for model in args.models.split(","):
            runtime, single, inside, trips, kinds, tracked = single_pushes(model, workdir, args.single)
            singles[model] = statistics.median(single)
            print_single(model, single, inside, trips, kinds, tracked)
            runtime.detector.store = timed = TimedStore(runtime.detector.store)
            batch, _ = time_calls(runtime, [[point(i) for i in range(1000)] for _ in range(args.batches)])
            runtime.detector.store = timed.store
            print(summarise(f"{model}: warm push, batch of 1000 points", batch, per=1000))
            print(summarise(f"{model}:   of which the store's insert_many (mongomock)", timed.insert_ms, per=1000))
            print(f"{'':<52} model downloads+unpickles in all: {runtime.detector.cache.loads} (warm-up)")
            name = runtime.detector.object_name(runtime.detector.catalog["bench"], {})
            if runtime.detector.cache.get(name).context_points:
                _, single, inside, trips, kinds, tracked = single_pushes(model, workdir, args.single // 5,
                                                                         env={"PUSH_STATE_SERIES": "0"})
                print_single(f"{model}, no window (PUSH_STATE_SERIES=0)", single, inside, trips, kinds, tracked)
                print(summarise(f"{model}: of which the context read (store)", context_read_ms(runtime)))
        if args.series:
            runtime, counting, context = many_series_runtime(workdir, args.series)
            for alone in (False, True):
                print_many(args.series, context, alone, *time_many(runtime, counting, args.series,
                                                                   args.series_batches, alone))
        if args.cold_models:
            cold_fetch(workdir, args.cold_models, args.bucket_ms)
        orig = original_style(workdir, None, 100)
        print(summarise("original-style per point (load+frame+predict)", orig))
        for model, ours in singles.items():
            print(f"ratio original-style / ours, 1 point, {model}: {statistics.median(orig) / ours:.1f}x")


if __name__ == "__main__":
    main()
