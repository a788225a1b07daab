"""POST /push, as a caller sees it: what is accepted, what is refused and why, and what is stored."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from conftest import call, request
from metricwatch.api.push import push
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore


def stored(collection):
    return list(collection.find({}, {"_id": 0}))


def test_a_point_is_stored_with_its_series_identity(runtime, collection):
    status, body = call(push, runtime, json_body={"name": "cpu", "value": 0.5, "labels": {"host": "a"},
                                                  "timestamp": "2026-11-20T10:00:00+01:00"})
    assert status == 201 and body["stored"] == 1
    [doc] = stored(collection)
    assert doc["meta"] == {"name": "cpu", "labels": {"host": "a"}, "series": '["cpu",{"host":"a"}]'}
    assert doc["value"] == 0.5
    assert doc["time"] == datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def test_zero_is_a_value(runtime, collection):
    status, body = call(push, runtime, json_body={"name": "errors", "value": 0})
    assert status == 201
    assert stored(collection)[0]["value"] == 0.0
    assert body["points"][0]["value"] == 0.0


def test_timestamp_defaults_to_now_in_utc_and_naive_means_utc(runtime, collection):
    before = datetime.now(timezone.utc)
    call(push, runtime, json_body=[{"name": "a", "value": 1}, {"name": "a", "value": 2,
                                                               "timestamp": "2026-01-01T00:00:00"}])
    docs = stored(collection)
    assert docs[0]["time"] >= before.replace(microsecond=0)
    assert docs[1]["time"] == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_epoch_seconds_are_accepted(runtime, collection):
    epoch = int(datetime.now(timezone.utc).timestamp()) - 3600
    call(push, runtime, json_body={"name": "a", "value": 1, "timestamp": epoch})
    assert stored(collection)[0]["time"] == datetime.fromtimestamp(epoch, timezone.utc)


def test_a_batch_is_stored_in_one_go(runtime, collection):
    batch = [{"name": "q", "value": i, "labels": {"k": str(i % 3)}} for i in range(100)]
    status, body = call(push, runtime, json_body=batch)
    assert status == 201 and body["stored"] == 100 and len(stored(collection)) == 100


def test_points_of_unwatched_metrics_get_no_verdict(runtime, collection):
    call(push, runtime, json_body={"name": "unwatched", "value": 3})
    assert "anomaly" not in stored(collection)[0]


BAD_BODIES = [
    ("name missing", {"value": 1}, "'name' is required"),
    ("value missing", {"name": "a"}, "'value' is required"),
    ("name not a string", {"name": 5, "value": 1}, "'name' must be a string"),
    ("name empty", {"name": "", "value": 1}, "'name' must start with a letter"),
    ("name with a space", {"name": "a b", "value": 1}, "'name' must start with a letter"),
    ("name too long", {"name": "a" * 129, "value": 1}, "at most 128"),
    ("name with a dollar", {"name": "$where", "value": 1}, "'name' must start with a letter"),
    ("name ending in a newline", {"name": "abc\n", "value": 1}, "'name' must start with a letter"),
    ("value a string", {"name": "a", "value": "1"}, "'value' must be a number, not str"),
    ("value a boolean", {"name": "a", "value": True}, "'value' must be a number, not bool"),
    ("value null", {"name": "a", "value": None}, "'value' must be a number, not NoneType"),
    ("value a list", {"name": "a", "value": [1]}, "'value' must be a number, not list"),
    ("value too large", {"name": "a", "value": 10**400}, "finite"),
    ("labels not an object", {"name": "a", "value": 1, "labels": ["x"]}, "'labels' must be an object"),
    ("label value a number", {"name": "a", "value": 1, "labels": {"k": 1}}, "string value, not int"),
    ("label key with a dollar", {"name": "a", "value": 1, "labels": {"$gt": "x"}}, "must not start with '$'"),
    ("label key with a dot", {"name": "a", "value": 1, "labels": {"a.b": "x"}}, "contain '.'"),
    ("label key with NUL", {"name": "a", "value": 1, "labels": {"a\x00": "x"}}, "NUL"),
    ("label value a lone surrogate", {"name": "a", "value": 1, "labels": {"k": "\ud800"}}, "not valid Unicode"),
    ("label key a lone surrogate", {"name": "a", "value": 1, "labels": {"\udfff": "v"}}, "not valid Unicode"),
    ("label key empty", {"name": "a", "value": 1, "labels": {"": "x"}}, "1 to 128"),
    ("label value too long", {"name": "a", "value": 1, "labels": {"k": "x" * 1025}}, "at most 1024"),
    ("too many labels", {"name": "a", "value": 1, "labels": {f"k{i}": "v" for i in range(33)}}, "at most 32"),
    ("timestamp not ISO", {"name": "a", "value": 1, "timestamp": "yesterday"}, "is not ISO 8601"),
    ("timestamp ending in a NUL", {"name": "a", "value": 1, "timestamp": "2026-12-06T12:00:00\u0000"},
     "holds characters no ISO 8601 time has"),
    ("timestamp with a non-ASCII digit", {"name": "a", "value": 1, "timestamp": "2026-12-06T12:00:0\u0661"},
     "holds characters no ISO 8601 time has"),
    ("timestamp in milliseconds", {"name": "a", "value": 1, "timestamp": 1_700_000_000_000}, "milliseconds"),
    ("timestamp negative", {"name": "a", "value": 1, "timestamp": -5}, "must not be negative (before 1970)"),
    ("timestamp an integer past float's range", {"name": "a", "value": 1, "timestamp": 10**400}, "out of range"),
    ("timestamp far future", {"name": "a", "value": 1, "timestamp": "2999-01-01T00:00:00Z"}, "in the future"),
    ("timestamp an object", {"name": "a", "value": 1, "timestamp": {"t": 1}}, "ISO 8601 string or epoch"),
    ("timestamp past year 9999", {"name": "a", "value": 1, "timestamp": "9999-12-31T23:59:59-05:00"}, "out of range"),
    ("timestamp before 1970", {"name": "a", "value": 1, "timestamp": "1969-12-31T23:59:59Z"}, "before 1970"),
    ("timestamp year one", {"name": "a", "value": 1, "timestamp": "0001-01-01T00:00:00+01:00"}, "out of range"),
    ("unknown field", {"name": "a", "value": 1, "lables": {}}, "unknown field(s) 'lables'"),
    ("body a string", "hello", "body must be a point object or a list"),
    ("body a number", 42, "body must be a point object or a list"),
    ("empty batch", [], "batch is empty"),
    ("batch item not an object", [{"name": "a", "value": 1}, 7], "point 1: a point must be a JSON object"),
    ("a lone surrogate in the second point", [{"name": "a", "value": 1}, {"name": "a", "value": 2, "labels": {"a": "\ud800"}}],
     "point 1: label 'a' is not valid Unicode"),
]


@pytest.mark.parametrize("why, body, says", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(runtime, collection, why, body, says):
    status, answer = call(push, runtime, json_body=body)
    assert status == 400, answer
    assert says in answer["error"]
    assert stored(collection) == []


@pytest.mark.parametrize("why, raw, says", [
    ("malformed JSON", b'{"name": "a", "value": ', "not valid JSON"),
    ("NaN literal", b'{"name": "a", "value": NaN}', "NaN is not a JSON number"),
    ("Infinity literal", b'{"name": "a", "value": -Infinity}', "Infinity is not a JSON number"),
    ("not UTF-8", b'{"name": "\xff", "value": 1}', "UTF-8"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("a number of 5,000 digits", b'{"name": "a", "value": ' + b"9" * 5000 + b"}", "too many digits"),
])
def test_bodies_that_are_not_json_are_refused(runtime, collection, why, raw, says):
    status, answer = call(push, runtime, data=raw, content_type="application/json")
    assert status == 400 and says in answer["error"]
    assert stored(collection) == []


def test_a_batch_with_one_bad_point_stores_nothing_and_names_the_point(runtime, collection):
    batch = [{"name": "a", "value": i} for i in range(10)]
    batch[7]["value"] = "oops"
    status, answer = call(push, runtime, json_body=batch)
    assert status == 400
    assert answer["index"] == 7 and answer["field"] == "value"
    assert answer["error"].startswith("point 7:")
    assert stored(collection) == []


def test_a_batch_larger_than_allowed_is_refused(make_settings, collection):
    runtime = build_runtime(make_settings(MAX_BATCH_POINTS="5"), store=MongoMetricStore(collection))
    status, answer = call(push, runtime, json_body=[{"name": "a", "value": 1}] * 6)
    assert status == 400 and "at most 5" in answer["error"]


def test_an_oversized_body_is_413(make_settings, collection):
    runtime = build_runtime(make_settings(MAX_BODY_BYTES="100"), store=MongoMetricStore(collection))
    status, answer = call(push, runtime, json_body=[{"name": "a", "value": 1}] * 20)
    assert status == 413 and "at most 100" in answer["error"]
    assert stored(collection) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_415(runtime, collection, content_type):
    status, answer = call(push, runtime, data=b'{"name": "a", "value": 1}', content_type=content_type)
    assert status == 415 and "application/json" in answer["error"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405(runtime, method):
    body, status, headers = push(request(method), runtime=runtime)
    assert status == 405 and headers["Allow"] == "POST"
    assert "not allowed" in json.loads(body)["error"]


def test_a_point_older_than_the_retention_is_refused(make_settings, collection):
    runtime = build_runtime(make_settings(METRICS_RETENTION_DAYS="30"), store=MongoMetricStore(collection))
    old = (datetime.now(timezone.utc) - timedelta(days=31)).isoformat()
    status, answer = call(push, runtime, json_body={"name": "a", "value": 1, "timestamp": old})
    assert status == 400 and "older than the retention of 30 days" in answer["error"]
    assert stored(collection) == []


def test_with_retention_off_old_points_are_accepted(make_settings, collection):
    runtime = build_runtime(make_settings(METRICS_RETENTION_DAYS="0"), store=MongoMetricStore(collection))
    status, _ = call(push, runtime, json_body={"name": "a", "value": 1, "timestamp": "2000-01-01T00:00:00Z"})
    assert status == 201


def test_a_deployment_that_requires_tokens_refuses_to_serve_without_any(make_settings):
    from metricwatch.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        make_settings(REQUIRE_PUSH_TOKENS="true", PUSH_TOKENS=" , ")
    assert "PUSH_TOKENS is empty but REQUIRE_PUSH_TOKENS=true" in err.value.message


class TestTokens:
    @pytest.fixture
    def guarded(self, make_settings, collection):
        return build_runtime(make_settings(PUSH_TOKENS="s3cret,other"), store=MongoMetricStore(collection))

    @pytest.mark.parametrize("headers, says", [
        ({}, "missing"),
        ({"Authorization": "Bearer wrong"}, "invalid token"),
        ({"Authorization": "Basic s3cret"}, "missing"),
    ])
    def test_a_missing_or_wrong_token_is_401(self, guarded, collection, headers, says):
        status, answer = call(push, guarded, json_body={"name": "a", "value": 1}, headers=headers)
        assert status == 401 and says in answer["error"]
        assert stored(collection) == []

    def test_any_configured_token_is_accepted(self, guarded, collection):
        status, _ = call(push, guarded, json_body={"name": "a", "value": 1},
                         headers={"Authorization": "Bearer other"})
        assert status == 201


    def test_a_deployed_function_checks_the_token_before_it_touches_mongodb(self, make_settings, monkeypatch):
        """Without a token the caller gets 401, never the database's own error text (bad auth, host names)."""
        import metricwatch.runtime as process
        from metricwatch.errors import StoreError

        def database_refuses():
            raise StoreError("MongoDB error: bad auth : authentication failed for cluster0.example.net")

        monkeypatch.setattr(process, "get_settings", lambda: make_settings(PUSH_TOKENS="s3cret"))
        monkeypatch.setattr(process, "get_runtime", database_refuses)
        body, status, _ = push(request(json_body={"name": "a", "value": 1}))
        assert status == 401 and "cluster0" not in body
        body, status, _ = push(request(json_body={"name": "a", "value": 1}, headers={"Authorization": "Bearer s3cret"}))
        assert status == 500 and "bad auth" in body


def test_an_unreachable_database_is_503_and_says_so(make_settings):
    from pymongo import MongoClient

    dead = MongoClient("mongodb://127.0.0.1:9", serverSelectionTimeoutMS=200).db.metrics
    runtime = build_runtime(make_settings(), store=MongoMetricStore(dead))
    status, answer = call(push, runtime, json_body={"name": "a", "value": 1})
    assert status == 503 and "unreachable" in answer["error"]


def test_timestamps_just_inside_the_skew_are_accepted(runtime, collection):
    soon = (datetime.now(timezone.utc) + timedelta(seconds=60)).isoformat()
    status, _ = call(push, runtime, json_body={"name": "a", "value": 1, "timestamp": soon})
    assert status == 201
