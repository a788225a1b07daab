"""Where alerting keeps its state: four regular collections beside the metrics, with their indexes.

- `incidents`: one document per incident (see `incidents.py`);
- `alert_groups`: per Alertmanager group, what was last sent and when;
- `notifications`: the outbox, one document per notification, `_id` its stable key;
- `silences`: mutes by matchers, with author, comment and a time range.

Indexes are created once per process (`create_index` is idempotent, as the
metrics collection's are), so the first request of a new instance pays for it.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from metricwatch.store.mongo import MongoMetricStore, unavailable_as_503

INCIDENTS, GROUPS, OUTBOX, SILENCES = "incidents", "alert_groups", "notifications", "silences"


class AlertStore:
    def __init__(self, db: Any) -> None:
        self.incidents = db[INCIDENTS]
        self.groups = db[GROUPS]
        self.outbox = db[OUTBOX]
        self.silences = db[SILENCES]

    def ensure_indexes(self) -> "AlertStore":
        with unavailable_as_503():
            self.incidents.create_index("active", name="one_open_per_series", unique=True, sparse=True)
            self.incidents.create_index([("status", ASCENDING), ("updated_at", DESCENDING)], name="status")
            self.incidents.create_index([("fingerprint", ASCENDING), ("resolved_at", DESCENDING)], name="fingerprint")
            self.incidents.create_index([("metric", ASCENDING), ("first_anomaly_at", DESCENDING)], name="metric")
            self.groups.create_index("open", name="open", sparse=True)
            self.outbox.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="due")
            self.outbox.create_index("group_key", name="group")
            self.silences.create_index("ends_at", name="ends_at")
        return self


DUPLICATE_KEY = 11000


def insert_new(collection: Any, docs: list[dict[str, Any]]) -> int:
    """Insert in one round trip; a document whose key exists already stays as it is (another
    instance, or an earlier attempt of the same run, wrote it). Returns how many were new."""
    if not docs:
        return 0
    with unavailable_as_503():
        try:
            return len(collection.insert_many(docs, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return exc.details.get("nInserted", 0)


def open_alert_store(metrics: MongoMetricStore) -> AlertStore:
    """Alerting's collections live in the metrics' database (one connection string, one client)."""
    return AlertStore(metrics.collection.database).ensure_indexes()
