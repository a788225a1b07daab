"""Alerting benchmark: store round trips a push adds, and a 1,000-series outage end to end.

In-process, mongomock as the store (so times are this process's work, not
Atlas latency), a real HTTP receiver on loopback for delivery; prints its figures.

    .venv/bin/python benchmarks/bench_alerting.py
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import mongomock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

from metricwatch.alerting.notify import Notifier, NotifyOptions  # noqa: E402
from metricwatch.alerting.tracker import IncidentTracker  # noqa: E402
from metricwatch.config import load_settings  # noqa: E402
from metricwatch.points import Point  # noqa: E402
from metricwatch.runtime import build_runtime  # noqa: E402
from metricwatch.store import MongoMetricStore, StoredPoint  # noqa: E402
from metricwatch.store.memory import adapt_mongomock  # noqa: E402

SERIES = 1000


class Counting:
    """A collection proxy counting the calls that would each be one round trip to MongoDB."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return attr(*args, **kwargs)
        return counted


def receiver() -> tuple[ThreadingHTTPServer, list[Any]]:
    got: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def point(i: int, at: datetime, anomaly: int | None) -> StoredPoint:
    verdict = None if anomaly is None else {"anomaly": anomaly, "anomaly_score": 0.99 if anomaly < 0 else 0.1,
                                            "model": "robust_seasonal", "expected": 100.0, "lower": 90.0, "upper": 110.0}
    return StoredPoint(Point("latency", 1000.0 if anomaly == -1 else 100.0, at, {"host": f"h{i:04d}"}), verdict)


def round_trips(runtime: Any, batch: list[StoredPoint]) -> int:
    counting = Counting(runtime.alerts.incidents)
    runtime.alerts.incidents = counting
    runtime.incidents.track(batch)
    runtime.alerts.incidents = counting.inner
    return counting.calls


def main() -> None:
    adapt_mongomock()
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "alerting.json"
        rules.write_text(json.dumps({"receivers": [{"name": "hook", "kind": "webhook", "url": "${HOOK}"}],
                                     "route": {"receiver": "hook", "group_by": ["alertname", "metric"]}}))
        server, got = receiver()
        settings = load_settings({"MODEL_STORE_URL": f"file://{tmp}/models", "ALERTING_PATH": str(rules)}, dotenv=None)
        runtime = build_runtime(settings, store=MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.m),
                                environ={"HOOK": f"http://127.0.0.1:{server.server_port}/"})
        now = datetime.now(timezone.utc)
        clock = [now]
        object.__setattr__(runtime, "incidents", IncidentTracker(runtime.alerts, runtime.rules, lambda: clock[0]))
        print(f"# alerting benchmark, {now:%Y-%m-%d %H:%M} UTC, {platform.machine()}, Python {platform.python_version()}, "
              "in-process, mongomock store, loopback receiver")
        print(f"round trips to the incidents collection per push (batch of {SERIES} series):")
        print(f"  no verdicts (unwatched)          {round_trips(runtime, [point(i, now, None) for i in range(SERIES)])}")
        print(f"  all normal, no open incident     {round_trips(runtime, [point(i, now, 1) for i in range(SERIES)])}")
        started = time.perf_counter()
        trips = round_trips(runtime, [point(i, now + timedelta(minutes=1), -1) for i in range(SERIES)])
        opened = time.perf_counter() - started
        print(f"  all {SERIES} open an incident        {trips} ({opened * 1000:.0f} ms)")
        clock[0] = now + timedelta(seconds=31)
        notifier = Notifier(runtime.alerts, runtime.rules, {}, runtime.store, runtime.heads, runtime.environ,
                            NotifyOptions(deadline_seconds=45), lambda: clock[0])
        started = time.perf_counter()
        summary = notifier.run()
        took = time.perf_counter() - started
        alerts = sum(len(p["alerts"]) for p in got)
        print(f"{SERIES}-series outage of one metric, group_by [alertname, metric]:")
        print(f"  notify run: {summary['sent']} notification(s) sent carrying {alerts} alerts, "
              f"{took:.2f} s (queued {summary['queued']}, failed {len(summary['failed'])})")
        server.shutdown()


if __name__ == "__main__":
    main()
