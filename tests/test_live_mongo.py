"""The whole push -> train -> push path against a real MongoDB (skipped without MONGO_TEST_URL).

mongomock cannot create time-series collections; this suite checks what only
a server can: the collection production creates really is a time-series
collection with the TTL and index we asked for, and push/train work on it.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import call, history

URL = os.environ.get("MONGO_TEST_URL", "")
pytestmark = [pytest.mark.live, pytest.mark.skipif(
    not URL, reason="MONGO_TEST_URL is not set: live MongoDB tests need a real server "
                    "(e.g. MONGO_TEST_URL=mongodb://localhost:27017)")]


@pytest.fixture
def live_runtime(make_settings):
    from pymongo import MongoClient

    from metricwatch.runtime import build_runtime

    db_name = f"metricwatch_live_{uuid.uuid4().hex[:8]}"
    runtime = build_runtime(make_settings(MONGO_URL=URL, MONGO_DB_NAME=db_name, METRICS_RETENTION_DAYS="30"))
    yield runtime
    MongoClient(URL).drop_database(db_name)


def test_production_creates_a_time_series_collection_with_ttl_and_index(live_runtime):
    db = live_runtime.store.collection.database
    [info] = db.command("listCollections", filter={"name": "metrics"})["cursor"]["firstBatch"]
    assert info["type"] == "timeseries"
    assert info["options"]["timeseries"]["timeField"] == "time"
    assert info["options"]["timeseries"]["metaField"] == "meta"
    assert info["options"]["expireAfterSeconds"] == 30 * 86400
    assert "series_time" in live_runtime.store.collection.index_information()


def test_a_longer_retention_and_a_coarser_granularity_reach_the_existing_collection(live_runtime):
    from metricwatch.store.timeseries import ensure_timeseries_collection

    db = live_runtime.store.collection.database
    ensure_timeseries_collection(db, "metrics", "hours", 90)
    [info] = db.command("listCollections", filter={"name": "metrics"})["cursor"]["firstBatch"]
    assert info["options"]["expireAfterSeconds"] == 90 * 86400
    assert info["options"]["timeseries"]["granularity"] == "hours"
    ensure_timeseries_collection(db, "metrics", "hours", 10)  # shorter: would delete points, not applied
    [info] = db.command("listCollections", filter={"name": "metrics"})["cursor"]["firstBatch"]
    assert info["options"]["expireAfterSeconds"] == 90 * 86400
    ensure_timeseries_collection(db, "metrics", "hours", 0)
    [info] = db.command("listCollections", filter={"name": "metrics"})["cursor"]["firstBatch"]
    assert "expireAfterSeconds" not in info["options"]


def test_push_train_push_on_a_real_server(live_runtime):
    from metricwatch.api.push import push
    from metricwatch.api.train import train

    now = datetime.now(timezone.utc)
    points = [{"name": "latency", "value": v, "timestamp": t.isoformat()}
              for t, v in history(now - timedelta(days=3), 600, step=timedelta(minutes=5))]
    assert call(push, live_runtime, json_body=points)[0] == 201
    status, summary = call(train, live_runtime)
    assert status == 200 and summary["models"], summary
    status, body = call(push, live_runtime, json_body=[{"name": "latency", "value": 100.0},
                                                       {"name": "latency", "value": 1e6}])
    assert [p["anomaly"] for p in body["points"]] == [1, -1]
    doc = live_runtime.store.collection.find_one({"value": 1e6})
    assert doc["anomaly"] == -1 and doc["meta"]["name"] == "latency"
