"""Where feedback is kept: a regular collection beside the metrics, indexed by series.

Feedback is few documents per series, read by the trainer once per series
and per run, so one index on (series, start) serves it and the listing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from pymongo import ASCENDING

from metricwatch.detection.marks import Mark
from metricwatch.errors import NotFound
from metricwatch.feedback.records import Feedback
from metricwatch.series import series_id
from metricwatch.store.mongo import MongoMetricStore, unavailable_as_503
from metricwatch.timeutil import as_utc

COLLECTION = "feedback"
MOST_PER_SERIES = 10_000  # what one training reads at most (a series marked more often is a script at work)


def _from_doc(doc: Mapping[str, Any]) -> Feedback:
    return Feedback(doc["_id"], doc["metric"], dict(doc["labels"]), as_utc(doc["start"]), as_utc(doc["end"]),
                    doc["kind"], doc["comment"], doc["author"], as_utc(doc["created_at"]))


class FeedbackStore:
    def __init__(self, db: Any) -> None:
        self.collection = db[COLLECTION]

    def ensure_indexes(self) -> "FeedbackStore":
        with unavailable_as_503():
            self.collection.create_index([("series", ASCENDING), ("start", ASCENDING)], name="series_start")
            self.collection.create_index([("metric", ASCENDING), ("created_at", ASCENDING)], name="metric")
        return self

    def add(self, feedback: Feedback) -> Feedback:
        doc = {"_id": feedback.id, "series": feedback.series, **{k: v for k, v in vars(feedback).items() if k != "id"}}
        with unavailable_as_503():
            self.collection.insert_one(doc)
        return feedback

    def find(self, metric: str | None, labels: Mapping[str, str], limit: int) -> list[Feedback]:
        """Feedback of `metric` (or all) whose labels include `labels`, the newest range first."""
        query: dict[str, Any] = {} if metric is None else {"metric": metric}
        query.update({f"labels.{k}": v for k, v in labels.items()})
        with unavailable_as_503():
            return [_from_doc(d) for d in self.collection.find(query).sort("start", -1).limit(limit)]

    def overlapping(self, metric: str, labels: Mapping[str, str], start: datetime, end: datetime,
                    limit: int = MOST_PER_SERIES) -> list[Feedback]:
        """One series' feedback (its exact label set) overlapping [start, end), oldest first."""
        query = {"series": series_id(metric, dict(labels)), "start": {"$lt": end}, "end": {"$gt": start}}
        with unavailable_as_503():
            return [_from_doc(d) for d in self.collection.find(query).sort("start", 1).limit(limit)]

    def delete(self, feedback_id: str) -> Feedback:
        with unavailable_as_503():
            doc = self.collection.find_one_and_delete({"_id": feedback_id})
        if doc is None:
            raise NotFound(f"no feedback {feedback_id!r}", field="id")
        return _from_doc(doc)

    def marks(self, metric: str, labels: Mapping[str, str], since: datetime | None = None) -> list[Mark]:
        """One series' marks (its exact label set), as the trainer uses them."""
        query: dict[str, Any] = {"series": series_id(metric, dict(labels))}
        if since is not None:
            query["end"] = {"$gt": since}
        with unavailable_as_503():
            docs = self.collection.find(query, {"kind": 1, "start": 1, "end": 1}).limit(MOST_PER_SERIES)
            return [Mark(d["kind"], as_utc(d["start"]).timestamp(), as_utc(d["end"]).timestamp()) for d in docs]


def open_feedback_store(metrics: MongoMetricStore) -> FeedbackStore:
    """Feedback lives in the metrics' database (one connection string, one client)."""
    return FeedbackStore(metrics.collection.database).ensure_indexes()


class SeriesMarks:
    """The trainer's feedback source: opens the collection on first use, so a run without it costs nothing."""

    def __init__(self, metrics: MongoMetricStore) -> None:
        self.metrics = metrics
        self._store: FeedbackStore | None = None

    def __call__(self, metric: str, labels: Mapping[str, str]) -> list[Mark]:
        if self._store is None:
            self._store = open_feedback_store(self.metrics)
        return self._store.marks(metric, labels)
