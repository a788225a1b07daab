"""Push-path benchmark: the handler's time for one point and for a batch, with a trained model.

In-process (no HTTP server), mongomock as the store and a file model store,
as the core issue specifies; prints its figures. Beside ours it times the
original app's per-point path (load the joblib file from disk, build a
one-row frame, sklearn `predict`) so the ratio is visible.

    .venv/bin/python benchmarks/bench_push.py [--models sklearn_iforest,robust_zscore]
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
from metricwatch.store import MongoMetricStore  # noqa: E402

HISTORY = 7 * 24 * 12  # 7 days of 5-minute points


def make_request(body: object) -> Request:
    return Request(EnvironBuilder(method="POST", json=body).get_environ())


def trained_runtime(model: str, workdir: Path):
    watch = workdir / f"{model}.json"
    watch.write_text(json.dumps([{"name": "bench", "model": model}]))
    settings = load_settings({"MODEL_STORE_URL": f"file://{workdir / model}", "DETECTION_METRICS_PATH": str(watch),
                              "MODEL_REFRESH_SECONDS": "60"}, dotenv=None)
    store = MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.m)
    runtime = build_runtime(settings, store=store)  # plays the trainer's instance
    now = datetime.now(timezone.utc)
    rng = np.random.default_rng(0)
    history = [{"name": "bench", "value": float(100 + 5 * rng.standard_normal()),
                "timestamp": (now - timedelta(minutes=5 * (HISTORY - i))).isoformat()} for i in range(HISTORY)]
    for i in range(0, HISTORY, 1000):
        push(make_request(history[i:i + 1000]), runtime=runtime)
    summary = runtime.detector.train()
    assert summary.models, summary.to_dict()
    return build_runtime(settings, store=store)  # a push instance, cold until the warm-up


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


def time_calls(runtime, bodies: list[object]) -> list[float]:
    requests = [make_request(b) for b in bodies]
    out = []
    for req in requests:
        t0 = time.perf_counter()
        body, status, _ = push(req, runtime=runtime)
        out.append((time.perf_counter() - t0) * 1e3)
        assert status == 201 and "anomaly" in json.loads(body)["points"][0], body[:300]
    return out


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


def point(i: int) -> dict:
    return {"name": "bench", "value": 100.0 + (i % 7)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="sklearn_iforest,robust_zscore,robust_seasonal")
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    print(f"# push benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"Python {platform.python_version()}, in-process handler, mongomock store, file model store")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        singles: dict[str, float] = {}
        for model in args.models.split(","):
            runtime = trained_runtime(model, workdir)
            time_calls(runtime, [point(i) for i in range(20)])  # warm up: model now cached
            single = time_calls(runtime, [point(i) for i in range(args.single)])
            runtime.detector.store = timed = TimedStore(runtime.detector.store)
            batch = time_calls(runtime, [[point(i) for i in range(1000)] for _ in range(args.batches)])
            runtime.detector.store = timed.store
            singles[model] = statistics.median(single)
            print(summarise(f"{model}: warm push, 1 point", single))
            print(summarise(f"{model}: warm push, batch of 1000 points", batch, per=1000))
            print(summarise(f"{model}:   of which the store's insert_many (mongomock)", timed.insert_ms, per=1000))
            print(f"{'':<52} model downloads+unpickles in all: {runtime.detector.cache.loads} (warm-up)")
            context = context_read_ms(runtime)
            if runtime.detector.cache.get(runtime.detector.object_name(runtime.detector.catalog["bench"], {})).context_points:
                print(summarise(f"{model}: of which the context read (store)", context))
        orig = original_style(workdir, None, 100)
        print(summarise("original-style per point (load+frame+predict)", orig))
        for model, ours in singles.items():
            print(f"ratio original-style / ours, 1 point, {model}: {statistics.median(orig) / ours:.1f}x")


if __name__ == "__main__":
    main()
