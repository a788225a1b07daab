"""Metric storage: `open_store(settings)` gives the store the settings describe."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from metricwatch.config import Settings
from metricwatch.errors import ConfigError
from metricwatch.store.base import MetricStore, SeriesData, StoredPoint
from metricwatch.store.mongo import MongoMetricStore, unavailable_as_503
from metricwatch.store.timeseries import ensure_timeseries_collection

__all__ = ["MetricStore", "SeriesData", "StoredPoint", "MongoMetricStore", "open_store"]
log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _client(url: str, timeout_ms: int) -> Any:
    """One client per process: pymongo pools connections, and warm instances reuse it."""
    from pymongo import MongoClient

    return MongoClient(url, serverSelectionTimeoutMS=timeout_ms, socketTimeoutMS=timeout_ms,
                       connectTimeoutMS=timeout_ms, tz_aware=True, appname="metricwatch")


@lru_cache(maxsize=1)
def _memory_client() -> Any:
    try:
        import mongomock
    except ImportError:  # a deployed function: mongomock is a dev dependency only
        raise ConfigError("MONGO_URL is empty: set it to the MongoDB connection string "
                          "(an in-memory store is for local runs only)", variable="MONGO_URL") from None
    from metricwatch.store.memory import adapt_mongomock

    adapt_mongomock()
    return mongomock.MongoClient(tz_aware=True)


@lru_cache(maxsize=4)
def open_store(settings: Settings) -> MongoMetricStore:
    """A store on MONGO_URL, or an in-process one (data in memory only) when it is empty.

    Cached per process, so the collection is checked/created once per instance.
    """
    if not settings.mongo_url:
        # Local runs only: mongomock has no time-series collections, so a plain collection.
        db = _memory_client()[settings.mongo_db_name]
        return MongoMetricStore(db[settings.mongo_metrics_collection])
    with unavailable_as_503():  # a bad URL or a failed SRV lookup is named, not a traceback
        db = _client(settings.mongo_url, settings.mongo_timeout_ms)[settings.mongo_db_name]
    collection = ensure_timeseries_collection(db, settings.mongo_metrics_collection,
                                              settings.mongo_timeseries_granularity,
                                              settings.metrics_retention_days)
    return MongoMetricStore(collection)
