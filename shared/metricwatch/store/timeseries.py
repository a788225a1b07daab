"""The server-only part of storage: creating the time-series collection.

This is the one place that asks MongoDB for features mongomock cannot
emulate (`timeseries=` options, `expireAfterSeconds` on a time-series
collection). Tests check exactly what it sends; the live suite
(`MONGO_TEST_URL`) runs it against a real server.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import CollectionInvalid

from metricwatch.store.mongo import META_FIELD, NAME_INDEX, SERIES_INDEX, TIME_FIELD, unavailable_as_503


def timeseries_options(granularity: str, retention_days: int) -> dict[str, Any]:
    """Keyword arguments for `Database.create_collection`."""
    options: dict[str, Any] = {
        "timeseries": {"timeField": TIME_FIELD, "metaField": META_FIELD, "granularity": granularity},
    }
    if retention_days > 0:
        options["expireAfterSeconds"] = retention_days * 86400
    return options


def ensure_timeseries_collection(db: Any, name: str, granularity: str, retention_days: int) -> Any:
    """Create the collection on first use (idempotent) with its series index; return it."""
    with unavailable_as_503():
        if name not in db.list_collection_names(filter={"name": name}):
            try:
                db.create_collection(name, **timeseries_options(granularity, retention_days))
            except CollectionInvalid:
                pass  # another instance created it between our check and our create
        collection = db[name]
        collection.create_index(SERIES_INDEX, name="series_time")
        collection.create_index(NAME_INDEX, name="name_time")  # listing, label sets, query by metric
    return collection
