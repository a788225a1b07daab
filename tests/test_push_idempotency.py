"""POST /push with an Idempotency-Key: a retry after a timeout stores its points once and gets the first answer.

Run on mongomock always and on a real MongoDB when MONGO_TEST_URL is set (the `store` fixture):
the unique `_id` and the TTL index are what a server must honour.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from conftest import request
from metricwatch.api.push import push
from metricwatch.errors import StoreUnavailable
from metricwatch.idempotency import COLLECTION

POINTS = [{"name": "latency", "value": 0, "timestamp": "2026-12-06T12:00:00Z"},
          {"name": "latency", "value": 7.5, "labels": {"host": "a"}, "timestamp": "2026-12-06T12:01:00Z"}]


@pytest.fixture
def collection(store):
    return store.collection


@pytest.fixture
def runtime(make_settings, store):
    from metricwatch.runtime import build_runtime

    return build_runtime(make_settings(), store=store)


def send(runtime, body=POINTS, key="b6f1c0de-retry-1", token=None):
    headers = {"Idempotency-Key": key} if key is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    text, status, answer_headers = push(request(json_body=body, headers=headers), runtime=runtime)
    return status, json.loads(text), answer_headers


def stored(collection):
    return collection.count_documents({})


def test_a_request_sent_twice_with_the_same_key_stores_its_points_once_and_answers_the_same(runtime, collection):
    first = send(runtime)
    again = send(runtime)
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2]["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first[2]
    assert stored(collection) == 2


def test_the_same_json_sent_with_other_spacing_or_key_order_is_the_same_request(runtime, collection):
    send(runtime)
    text = json.dumps([dict(reversed(list(p.items()))) for p in POINTS], indent=2)
    body, status, headers = push(request(data=text, content_type="application/json",
                                         headers={"Idempotency-Key": "b6f1c0de-retry-1"}), runtime=runtime)
    assert status == 201 and headers["Idempotent-Replayed"] == "true" and stored(collection) == 2


def test_without_a_key_a_resend_is_stored_again_as_before(runtime, collection):
    send(runtime, key=None)
    send(runtime, key=None)
    assert stored(collection) == 4


def test_another_key_is_another_request(runtime, collection):
    send(runtime, key="one")
    send(runtime, key="two")
    assert stored(collection) == 4


def test_the_same_key_with_a_different_body_is_a_409_and_writes_nothing(runtime, collection):
    send(runtime)
    status, body, _ = send(runtime, body=POINTS[:1])
    assert status == 409 and body["field"] == "Idempotency-Key" and "different request body" in body["error"]
    assert stored(collection) == 2


def test_a_key_still_being_processed_is_a_409_asking_to_retry(runtime, collection):
    keys = runtime.idempotency
    canonical = json.dumps(POINTS, sort_keys=True, separators=(",", ":")).encode()
    keys.claim("busy", "", canonical, datetime.now(timezone.utc), timedelta(hours=1))
    status, body, _ = send(runtime, key="busy")
    assert status == 409 and "still being processed" in body["error"]
    assert stored(collection) == 0


def test_a_claim_left_by_an_instance_that_died_is_taken_over_by_the_retry(runtime, collection):
    from metricwatch.idempotency import ABANDONED_AFTER

    canonical = json.dumps(POINTS, sort_keys=True, separators=(",", ":")).encode()
    long_ago = datetime.now(timezone.utc) - ABANDONED_AFTER - timedelta(seconds=1)
    runtime.idempotency.claim("crashed", "", canonical, long_ago, timedelta(hours=24))
    assert send(runtime, key="crashed")[0] == 201 and stored(collection) == 2


def test_bad_input_releases_the_key_so_the_corrected_request_can_use_it(runtime, collection):
    status, _, _ = send(runtime, body=[{"name": "latency", "value": "high"}], key="k")
    assert status == 400
    assert runtime.store.collection.database[COLLECTION].count_documents({}) == 0
    fixed = [{"name": "latency", "value": 3}]
    assert send(runtime, body=fixed, key="k")[0] == 201


def test_an_outage_releases_the_key_so_the_retry_stores_the_points(runtime, collection, monkeypatch):
    def down(points):
        raise StoreUnavailable("MongoDB is unreachable: ServerSelectionTimeoutError")

    monkeypatch.setattr(runtime.store, "insert", down)
    assert send(runtime)[0] == 503
    monkeypatch.undo()
    assert send(runtime)[0] == 201 and stored(collection) == 2


def test_keys_are_per_caller(make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    rt = build_runtime(make_settings(PUSH_TOKENS="alice,bob"), store=MongoMetricStore(collection))
    assert send(rt, token="alice")[0] == 201 and send(rt, token="bob")[0] == 201
    assert stored(collection) == 4


def test_a_key_past_its_window_is_a_new_request(make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    rt = build_runtime(make_settings(IDEMPOTENCY_WINDOW_SECONDS="1"), store=MongoMetricStore(collection))
    send(rt)
    rt.store.collection.database[COLLECTION].update_many({}, {"$set": {"expires_at": datetime(2000, 1, 1)}})
    assert "Idempotent-Replayed" not in send(rt)[2]
    assert stored(collection) == 4


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\tkey"])
def test_a_malformed_key_is_a_400_naming_the_header(runtime, collection, key):
    status, body, _ = send(runtime, key=key)
    assert status == 400 and body["field"] == "Idempotency-Key"
    assert stored(collection) == 0


def test_the_keys_expire_by_a_ttl_index(runtime):
    send(runtime)
    indexes = runtime.store.collection.database[COLLECTION].index_information()
    assert indexes["expires"]["expireAfterSeconds"] == 0 and indexes["expires"]["key"] == [("expires_at", 1)]
