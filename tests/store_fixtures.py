"""The `store` fixture and the `pt` helper shared by the store test modules (import them from here).

`store` is a MongoMetricStore on mongomock always and, when MONGO_TEST_URL is
set, also on a real MongoDB time-series collection created the way production
creates it, in a throwaway database. That collection has no TTL (retention 0):
the test data sits at the fixed T0, which a retention would expire once T0 is
older than the retention, possibly in the middle of a test.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import mongomock
import pytest

from metricwatch.points import Point
from metricwatch.store import MongoMetricStore, StoredPoint
from metricwatch.store.timeseries import ensure_timeseries_collection

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
LIVE_URL = os.environ.get("MONGO_TEST_URL", "")
NO_EXPIRY = 0  # retention days: 0 keeps points forever


def _live_store() -> Iterator[MongoMetricStore]:
    from pymongo import MongoClient

    client: Any = MongoClient(LIVE_URL, serverSelectionTimeoutMS=5000, tz_aware=True)
    db = client[f"metricwatch_test_{uuid.uuid4().hex[:8]}"]
    try:
        yield MongoMetricStore(ensure_timeseries_collection(db, "metrics", "seconds", NO_EXPIRY))
    finally:
        client.drop_database(db.name)
        client.close()


@pytest.fixture(params=[
    pytest.param("mongomock"),
    pytest.param("live", marks=pytest.mark.skipif(
        not LIVE_URL, reason="MONGO_TEST_URL is not set: the live MongoDB contract run needs a real server "
                             "(e.g. MONGO_TEST_URL=mongodb://localhost:27017)")),
])
def store(request: pytest.FixtureRequest) -> Iterator[MongoMetricStore]:
    if request.param == "mongomock":
        yield MongoMetricStore(mongomock.MongoClient(tz_aware=True).db.metrics)
    else:
        yield from _live_store()


def pt(minutes: float, value: float, name: str = "cpu", verdict: dict | None = None, **labels: str) -> StoredPoint:
    """A point of `name` at T0 + `minutes`, with these labels and optionally a verdict."""
    return StoredPoint(Point(name=name, value=value, timestamp=T0 + timedelta(minutes=minutes), labels=labels),
                       verdict=verdict)
