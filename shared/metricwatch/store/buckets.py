"""Downsampling on the server: one `$group` per series and time bucket, so a week of points
comes back as a few hundred rows rather than being read into Python.

A bucket starts at a multiple of `step` since the Unix epoch, whatever the
range asked for. So a chart that refreshes, or a range that slides by a
minute, gets the same buckets as before and does not shimmer. The bucket's
start is plain date arithmetic (`time - (time - epoch) mod step`), which every
MongoDB since 4.0 evaluates, at any step in milliseconds. `$dateTrunc` (5.0+)
would tie the step to calendar units and a 2000-01-01 reference.

Per bucket: mean, min and max of the values, how many points, how many were
anomalous (-1) and the peak score, and the band: mean expected, lowest lower,
highest upper. A bucket is anomalous when any of its points was.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from metricwatch.store.query import META_FIELD, TIME_FIELD, points_query
from metricwatch.timeutil import as_utc

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Steps a chart reads well at: a `max_points` request is rounded up to the next of these.
NICE_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
                86400, 2 * 86400, 7 * 86400, 30 * 86400, 365 * 86400)


@dataclass(frozen=True)
class Bucket:
    time: datetime  # the bucket's start
    mean: float
    min: float
    max: float
    count: int
    anomalies: int  # points of the bucket whose verdict was -1
    score: float | None  # the peak anomaly score; None when no point had a verdict
    expected: float | None
    lower: float | None
    upper: float | None

    @property
    def anomaly(self) -> int | None:
        """-1 if any point was anomalous, 1 if all scored points were normal, None if none was scored."""
        return -1 if self.anomalies else (None if self.score is None else 1)

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time.isoformat(), "mean": self.mean, "min": self.min, "max": self.max,
                "count": self.count, "anomaly": self.anomaly, "anomalies": self.anomalies, "score": self.score,
                "expected": self.expected, "lower": self.lower, "upper": self.upper}


@dataclass(frozen=True)
class SeriesBuckets:
    labels: dict[str, str]
    buckets: list[Bucket]


@dataclass(frozen=True)
class BucketsPage:
    """A downsampled answer: per series, its buckets of `step`; `truncated` when rows were left out."""

    series: list[SeriesBuckets]
    step: timedelta
    truncated: bool


def bucket_start(time: datetime, step: timedelta) -> datetime:
    """The start of the bucket `time` falls in: what the pipeline's `$group` key computes on the server."""
    return time - (time - EPOCH) % step


def bucket_count(start: datetime, end: datetime, step: timedelta) -> int:
    """How many epoch-aligned buckets [start, end) touches (a range of n steps can touch n + 1)."""
    last = end - timedelta(microseconds=1)
    return (bucket_start(last, step) - bucket_start(start, step)) // step + 1 if end > start else 0


def choose_step(start: datetime, end: datetime, max_points: int) -> timedelta:
    """The smallest nice step that cuts [start, end) into at most `max_points` epoch-aligned buckets."""
    for seconds in NICE_STEPS_S:
        if bucket_count(start, end, timedelta(seconds=seconds)) <= max_points:
            return timedelta(seconds=seconds)
    days = math.ceil((end - start).total_seconds() / 86400 / max(max_points - 1, 1))
    while bucket_count(start, end, timedelta(days=days)) > max_points:
        days += 1
    return timedelta(days=days)


def buckets_pipeline(name: str, labels: dict[str, str], start: datetime, end: datetime, step: timedelta,
                     anomalies_only: bool, limit: int) -> list[dict[str, Any]]:
    """What is sent to the server. `limit` + 1 rows at most: one more says the answer was cut."""
    step_ms = int(step.total_seconds() * 1000)
    match = points_query(name, labels, start, end, None, anomalies_only)
    bucket_start = {"$subtract": [f"${TIME_FIELD}", {"$mod": [{"$subtract": [f"${TIME_FIELD}", EPOCH]}, step_ms]}]}
    is_anomaly = {"$cond": [{"$eq": ["$anomaly", -1]}, 1, 0]}
    return [
        {"$match": match},
        {"$group": {"_id": {"series": f"${META_FIELD}.series", "time": bucket_start},
                    "mean": {"$avg": "$value"}, "min": {"$min": "$value"}, "max": {"$max": "$value"},
                    "count": {"$sum": 1}, "anomalies": {"$sum": is_anomaly},
                    "score": {"$max": "$anomaly_score"}, "expected": {"$avg": "$expected"},
                    "lower": {"$min": "$lower"}, "upper": {"$max": "$upper"}}},
        {"$sort": {"_id.series": 1, "_id.time": 1}},
        {"$limit": limit + 1},
    ]


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def from_rows(rows: list[dict[str, Any]]) -> list[SeriesBuckets]:
    """Rows sorted by series then time, grouped back into one `SeriesBuckets` per series."""
    out: list[SeriesBuckets] = []
    last_key = None
    for row in rows:
        key = row["_id"]["series"]
        if key != last_key:
            out.append(SeriesBuckets(labels=json.loads(key)[1], buckets=[]))
            last_key = key
        out[-1].buckets.append(Bucket(
            time=as_utc(row["_id"]["time"]), mean=float(row["mean"]), min=float(row["min"]),
            max=float(row["max"]), count=int(row["count"]), anomalies=int(row["anomalies"]),
            score=_number(row.get("score")), expected=_number(row.get("expected")),
            lower=_number(row.get("lower")), upper=_number(row.get("upper"))))
    return out
