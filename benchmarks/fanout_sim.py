"""What `bench_trainer.py --fan-out` stands on: a metric store and a bucket of many series, with latency.

There is no MongoDB or GCS here, and fitting 100,000 models would take hours, so:
- `SimulatedStore` lists `series` label sets of one metric and serves every history read one
  7-day, 1-minute array, after delays that stand for Atlas (`read_s` a read; a `distinct` costs
  one round trip plus `distinct_s_per_series` of server scan and transfer a series);
- `SimulatedBucket` holds the model objects in memory and lists them in pages of 1,000, each
  page after `page_s`, as GCS's `list_blobs` does; a save waits `save_s`;
- the per-series fitting CPU is measured on a sample of real fits (`measure_series`), and the
  sharded run at scale trains each series with `NoFit` (no model fitted, the listing, sharding,
  dispatch, body parsing and per-shard bucket listing all real).
The delays are assumptions (printed with the figures), not measurements of Atlas or GCS.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from metricwatch.store.base import SeriesData

MINUTES = 7 * 24 * 60  # 7 days at 1 minute
PAGE = 1000  # GCS list_blobs' page size


def week_of_minutes(now: datetime, seed: int = 0) -> SeriesData:
    rng = np.random.default_rng(seed)
    minutes = np.arange(MINUTES)
    values = 100 + 20 * np.sin(2 * np.pi * minutes / 1440) + 5 * rng.standard_normal(MINUTES)
    start = now.timestamp() - 60.0 * MINUTES
    return SeriesData(timestamps=start + 60.0 * minutes, values=values)


class SimulatedStore:
    """`label_sets` and `series_points` of a store holding `series` series of one metric."""

    def __init__(self, name: str, series: int, now: datetime, read_s: float, distinct_s_per_series: float,
                 samples: int = 4) -> None:
        self.name, self.series, self.read_s, self.distinct_s_per_series = name, series, read_s, distinct_s_per_series
        self.data = [week_of_minutes(now, seed) for seed in range(samples)]
        self.reads = 0

    def label_sets(self, name: str, since: datetime) -> list[dict[str, str]]:
        time.sleep(self.read_s + self.series * self.distinct_s_per_series)
        width = len(str(self.series - 1))
        return [{"service": f"svc-{k:0{width}d}"} for k in range(self.series)] if name == self.name else []

    def series_points(self, name: str, labels: dict[str, str], start: datetime, end: datetime) -> SeriesData:
        self.reads += 1
        time.sleep(self.read_s)
        return self.data[hash(labels["service"]) % len(self.data)]


class SimulatedBucket:
    """A model store in memory whose listing costs `page_s` a page of 1,000 objects."""

    url = "memory://bench"

    def __init__(self, page_s: float, save_s: float, written: datetime | None = None, names: list[str] = ()) -> None:
        self.page_s, self.save_s = page_s, save_s
        self.objects: dict[str, datetime] = {n: written for n in names} if written else {}
        self.listings = 0
        self._lock = threading.Lock()

    def save(self, name: str, data: bytes) -> None:
        time.sleep(self.save_s)
        with self._lock:
            self.objects[name] = datetime.now(timezone.utc)

    def version(self, name: str) -> str | None:
        return None

    def load(self, name: str) -> tuple[bytes, str] | None:
        return None

    def names(self) -> list[str]:
        return sorted(self.objects)

    def updated(self) -> dict[str, datetime]:
        with self._lock:
            snapshot = dict(self.objects)
            self.listings += 1
        time.sleep(self.page_s * max(1, math.ceil(len(snapshot) / PAGE)))
        return snapshot


class NoFit:
    """Stands in for `Detector._train_series` at scale: notes the series, fits nothing, writes nothing."""

    def __init__(self) -> None:
        self.trained: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self._lock = threading.Lock()

    def __call__(self, watched: Any, labels: dict[str, str], summary: Any) -> None:
        with self._lock:
            self.trained.append((watched.name, tuple(labels.items())))


def yesterday(now: datetime) -> datetime:
    return now - timedelta(days=1)
