"""The metric store on a MongoDB time-series collection (pymongo).

Schema, one document per point (see the README's "Storage schema"):

    {"time": <UTC datetime>,
     "meta": {"name": "cpu", "labels": {"host": "a"}, "series": "[\"cpu\",{\"host\":\"a\"}]"},
     "value": 0.93,
     "anomaly": -1, "anomaly_score": 0.97, "model": "...", "expected": .., "lower": .., "upper": ..,
     "reason": "jump"}

`meta` holds only the series identity, which never changes for a series, so
MongoDB buckets stay whole; the verdict and score are measurements.
`meta.series` is the canonical series key (`metricwatch.series.series_id`):
filtering on it matches a label set exactly, whatever order labels came in.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator, Sequence

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, ConnectionFailure, PyMongoError

from metricwatch.errors import StoreError, StoreUnavailable
from metricwatch.series import canonical_labels, series_id
from metricwatch.store.base import PointsPage, SeriesData, StoredPoint, Window
from metricwatch.store.buckets import BucketsPage, buckets_pipeline, from_rows
from metricwatch.store.query import META_FIELD, TIME_FIELD, from_document, points_query
from metricwatch.timeutil import as_utc

log = logging.getLogger(__name__)
SERIES_INDEX = [(f"{META_FIELD}.series", ASCENDING), (TIME_FIELD, ASCENDING)]
NAME_INDEX = [(f"{META_FIELD}.name", ASCENDING), (TIME_FIELD, ASCENDING)]


@contextmanager
def unavailable_as_503() -> Iterator[None]:
    """Connection trouble is `StoreUnavailable` (503: retry later); a refusal is `StoreError` (500).

    Only a connection failure is worth retrying blindly. A partly refused batch
    says how many points were written, since a retry would write those again.
    """
    try:
        yield
    except ConnectionFailure as exc:
        raise StoreUnavailable(f"MongoDB is unreachable: {type(exc).__name__}") from None
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if not errors:  # every point was written, but not as durably as the write concern asks
            raise StoreError(f"MongoDB wrote the {exc.details.get('nInserted', 0)} point(s) but could not confirm "
                             "the write concern; they may not survive a failover", written=exc.details.get("nInserted", 0),
                             refused=[]) from None
        first = errors[0]
        raise StoreError(f"MongoDB refused {len(errors)} point(s) of the batch and wrote "
                         f"{exc.details.get('nInserted', 0)}; first refused index {first.get('index')}: "
                         f"{first.get('errmsg', exc)}", written=exc.details.get("nInserted", 0),
                         refused=[e.get("index") for e in errors]) from None
    except PyMongoError as exc:  # its text may name hosts, users or auth details: logged, not answered
        incident = uuid.uuid4().hex[:12]
        log.error("MongoDB refused the operation (incident %s): %s", incident, exc)
        code = getattr(exc, "code", None)
        name = (getattr(exc, "details", None) or {}).get("codeName")
        what = ", ".join(str(p) for p in (type(exc).__name__, name, code and f"code {code}") if p)
        raise StoreError(f"MongoDB refused the operation ({what}); the function's log has the details "
                         f"(incident {incident})", incident=incident) from None


def to_document(stored: StoredPoint) -> dict[str, Any]:
    p = stored.point
    doc: dict[str, Any] = {
        TIME_FIELD: p.timestamp,
        META_FIELD: {"name": p.name, "labels": canonical_labels(p.labels), "series": p.series},
        "value": p.value,
    }
    if stored.verdict:
        doc.update(stored.verdict)
    return doc


def epoch_seconds(dt: datetime) -> float:
    """pymongo hands back naive UTC datetimes unless the client is tz-aware; accept both."""
    return as_utc(dt).timestamp()


def _series_data(docs: Iterable[dict[str, Any]]) -> SeriesData:
    import numpy as np  # only training and scoring read arrays; query, dashboard and Grafana ship no numpy

    rows = [(epoch_seconds(d[TIME_FIELD]), d["value"]) for d in docs]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 2)
    return SeriesData(timestamps=arr[:, 0].copy(), values=arr[:, 1].copy())


def windows_query(bounds: Iterable[tuple[str, datetime, datetime]]) -> dict[str, Any]:
    """One filter for many (series key, since, until) ranges: an `$in` per distinct (since, until).

    The points of a batch mostly share a time (a collector's run, or "now"),
    so this is usually one `$in` on the (meta.series, time) index.
    """
    groups: dict[tuple[datetime, datetime], list[str]] = {}
    for key, since, until in bounds:
        keys = groups.setdefault((since, until), [])
        if key not in keys:
            keys.append(key)
    clauses = [{f"{META_FIELD}.series": {"$in": keys}, TIME_FIELD: {"$gte": since, "$lte": until}}
               for (since, until), keys in groups.items()]
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


class MongoMetricStore:
    """Reads and writes points in one collection; creating it is `ensure_timeseries_collection`'s job."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def insert(self, points: Iterable[StoredPoint]) -> int:
        docs = [to_document(p) for p in points]
        if not docs:
            return 0
        with unavailable_as_503():
            return len(self.collection.insert_many(docs, ordered=False).inserted_ids)

    def label_sets(self, name: str, since: datetime) -> list[dict[str, str]]:
        query = {f"{META_FIELD}.name": name, TIME_FIELD: {"$gte": since}}
        with unavailable_as_503():
            keys = self.collection.distinct(f"{META_FIELD}.series", query)
        return [json.loads(k)[1] for k in sorted(keys)]

    def series_points(self, name: str, labels: dict[str, str], start: datetime, end: datetime) -> SeriesData:
        query = {f"{META_FIELD}.series": series_id(name, labels), TIME_FIELD: {"$gte": start, "$lt": end}}
        with unavailable_as_503():
            cursor = self.collection.find(query, {"_id": 0, TIME_FIELD: 1, "value": 1})
            return _series_data(cursor.sort([(TIME_FIELD, ASCENDING), ("_id", ASCENDING)]))

    def last_points(self, name: str, labels: dict[str, str], n: int, until: datetime) -> SeriesData:
        if n <= 0:
            return _series_data([])
        query = {f"{META_FIELD}.series": series_id(name, labels), TIME_FIELD: {"$lte": until}}
        with unavailable_as_503():
            cursor = self.collection.find(query, {"_id": 0, TIME_FIELD: 1, "value": 1})
            docs = list(cursor.sort([(TIME_FIELD, DESCENDING), ("_id", DESCENDING)]).limit(n))
        return _series_data(reversed(docs))

    def last_points_many(self, windows: Sequence[Window]) -> list[SeriesData]:
        """One `find` over every window's [since, until]; a window it leaves short is read on its own.

        Sorted by (time, _id) as `last_points` is, so ties come in the same
        (insertion) order, and each window keeps its last `n` rows. A window
        with fewer than `n` rows in its range (a gap, a new series, no hint)
        cannot tell whether older points exist: `last_points` answers it.
        """
        out: list[SeriesData | None] = [None] * len(windows)
        keys = [series_id(w.name, w.labels) for w in windows]
        hinted = [i for i, w in enumerate(windows) if w.n > 0 and w.since is not None]
        for i, w in enumerate(windows):
            if w.n <= 0:
                out[i] = _series_data([])
        if hinted:
            query = windows_query((keys[i], windows[i].since, windows[i].until) for i in hinted)
            with unavailable_as_503():
                cursor = self.collection.find(query, {"_id": 0, TIME_FIELD: 1, "value": 1, f"{META_FIELD}.series": 1})
                docs = list(cursor.sort([(TIME_FIELD, ASCENDING), ("_id", ASCENDING)]))
            by_key: dict[str, list[dict[str, Any]]] = {}
            for d in docs:
                by_key.setdefault(d[META_FIELD]["series"], []).append(d)
            for i in hinted:
                w = windows[i]
                since, until = as_utc(w.since), as_utc(w.until)  # type: ignore[arg-type]
                rows = [d for d in by_key.get(keys[i], ()) if since <= as_utc(d[TIME_FIELD]) <= until]
                if len(rows) >= w.n:
                    out[i] = _series_data(rows[len(rows) - w.n:])
        for i, w in enumerate(windows):
            if out[i] is None:
                out[i] = self.last_points(w.name, w.labels, w.n, until=w.until)
        return out  # type: ignore[return-value]

    def latest_point(self, name: str, labels: dict[str, str], until: datetime) -> StoredPoint | None:
        query = {f"{META_FIELD}.series": series_id(name, labels), TIME_FIELD: {"$lte": until}}
        with unavailable_as_503():
            docs = list(self.collection.find(query).sort([(TIME_FIELD, DESCENDING), ("_id", DESCENDING)]).limit(1))
        return from_document(docs[0]) if docs else None

    def existing_series_at(self, series: Iterable[str], timestamp: datetime) -> set[str]:
        keys = list(series)
        if not keys:
            return set()
        query = {f"{META_FIELD}.series": {"$in": keys}, TIME_FIELD: timestamp}
        with unavailable_as_503():
            return set(self.collection.distinct(f"{META_FIELD}.series", query))

    def find_points(self, name: str, labels: dict[str, str], start: datetime | None, end: datetime | None,
                    limit: int, after: tuple[datetime, str] | None = None, anomalies_only: bool = False) -> PointsPage:
        query = points_query(name, labels, start, end, after, anomalies_only)
        with unavailable_as_503():
            cursor = self.collection.find(query).sort([(TIME_FIELD, ASCENDING), ("_id", ASCENDING)])
            docs = list(cursor.limit(limit + 1))  # one more than asked says whether a next page exists
        page, more = docs[:limit], len(docs) > limit
        last = (page[-1][TIME_FIELD], str(page[-1]["_id"])) if more else None
        return PointsPage(points=[from_document(d) for d in page], after=last)

    def buckets(self, name: str, labels: dict[str, str], start: datetime, end: datetime, step: timedelta,
                limit: int, anomalies_only: bool = False) -> BucketsPage:
        pipeline = buckets_pipeline(name, labels, start, end, step, anomalies_only, limit)
        with unavailable_as_503():
            rows = list(self.collection.aggregate(pipeline, allowDiskUse=True))  # many series x buckets: spill
        return BucketsPage(series=from_rows(rows[:limit]), step=step, truncated=len(rows) > limit)

    def time_range(self, name: str, labels: dict[str, str], anomalies_only: bool = False
                   ) -> tuple[datetime, datetime] | None:
        """Two index walks on (meta.name, time), one from each end, rather than a scan of the metric."""
        query = points_query(name, labels, None, None, None, anomalies_only)
        with unavailable_as_503():
            ends = [next(iter(self.collection.find(query, {TIME_FIELD: 1}).sort(TIME_FIELD, order).limit(1)), None)
                    for order in (ASCENDING, DESCENDING)]
        if ends[0] is None or ends[1] is None:
            return None
        return as_utc(ends[0][TIME_FIELD]), as_utc(ends[1][TIME_FIELD])

    def metrics(self) -> dict[str, list[dict[str, str]]]:
        with unavailable_as_503():
            keys = self.collection.distinct(f"{META_FIELD}.series")
        out: dict[str, list[dict[str, str]]] = {}
        for name, labels in (json.loads(k) for k in sorted(keys)):  # series keys sort by name, then labels
            out.setdefault(name, []).append(labels)
        return out

    def last_seen(self, name: str, since: datetime) -> dict[str, tuple[dict[str, str], datetime]]:
        """Each series of `name` with a point at or after `since`: its labels and its latest time.

        `$group` runs on the server, so only one row per series comes back.
        """
        pipeline = [{"$match": {f"{META_FIELD}.name": name, TIME_FIELD: {"$gte": since}}},
                    {"$group": {"_id": f"${META_FIELD}.series", "labels": {"$first": f"${META_FIELD}.labels"},
                                "last": {"$max": f"${TIME_FIELD}"}}}]
        with unavailable_as_503():
            return {row["_id"]: (row["labels"], as_utc(row["last"])) for row in self.collection.aggregate(pipeline)}
