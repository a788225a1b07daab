"""Reading points back: the filter a query page sends, and a document turned back into a point.

Pages are ordered by (time, _id) so that a page boundary inside a run of
points sharing one timestamp loses nothing: the next page starts strictly
after the last (time, _id) returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from metricwatch.errors import InvalidInput
from metricwatch.points import Point
from metricwatch.store.base import StoredPoint
from metricwatch.timeutil import as_utc

TIME_FIELD, META_FIELD = "time", "meta"  # the collection's timeField and metaField
POINT_FIELDS = {"_id", TIME_FIELD, META_FIELD, "value"}


def _after(after: tuple[datetime, str]) -> dict[str, Any]:
    time, raw_id = after
    try:
        oid = ObjectId(raw_id)
    except (InvalidId, TypeError):
        raise InvalidInput("'cursor' does not come from a previous page", field="cursor") from None
    return {"$or": [{TIME_FIELD: {"$gt": time}}, {TIME_FIELD: time, "_id": {"$gt": oid}}]}


def points_query(name: str, labels: dict[str, str], start: datetime | None, end: datetime | None,
                 after: tuple[datetime, str] | None, anomalies_only: bool = False) -> dict[str, Any]:
    """Points of metric `name` whose labels include `labels`, in [start, end), after `after`;
    with `anomalies_only`, only those whose verdict was -1."""
    query: dict[str, Any] = {f"{META_FIELD}.name": name}
    query.update({f"{META_FIELD}.labels.{k}": v for k, v in labels.items()})
    if anomalies_only:
        query["anomaly"] = -1
    window = {op: t for op, t in (("$gte", start), ("$lt", end)) if t is not None}
    if window:
        query[TIME_FIELD] = window
    return {"$and": [query, _after(after)]} if after else query


def from_document(doc: dict[str, Any]) -> StoredPoint:
    """The inverse of `mongo.to_document`: measurements other than the value are the verdict."""
    meta = doc[META_FIELD]
    point = Point(name=meta["name"], value=float(doc["value"]), timestamp=as_utc(doc[TIME_FIELD]),
                  labels=dict(meta.get("labels") or {}))
    verdict = {k: v for k, v in doc.items() if k not in POINT_FIELDS}
    return StoredPoint(point=point, verdict=verdict or None)
