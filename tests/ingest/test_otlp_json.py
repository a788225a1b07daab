"""OTLP/HTTP JSON (`/push/v1/metrics`): gauges, sums, histograms and summaries as series, resource and
scope attributes as labels, through push's validation and storing."""

from __future__ import annotations

import copy
import json

import pytest

from ingest.helpers import read, send, stored, values

OTLP = "/v1/metrics"
JSON = "application/json"
# opentelemetry-proto's example request (github.com/open-telemetry/opentelemetry-proto, examples/metrics.json),
# as published there:
EXAMPLE = json.loads("""{
  "resourceMetrics": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
    "scopeMetrics": [{
      "scope": {"name": "my.library", "version": "1.0.0",
                "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]},
      "metrics": [
        {"name": "my.counter", "unit": "1", "description": "I`m a Counter",
         "sum": {"aggregationTemporality": 1, "isMonotonic": true,
                 "dataPoints": [{"asDouble": 5, "startTimeUnixNano": 1544712660300000000,
                                 "timeUnixNano": 1544712660300000000,
                                 "attributes": [{"key": "my.counter.attr", "value": {"stringValue": "some value"}}]}]}},
        {"name": "my.gauge", "unit": "1", "description": "I`m a Gauge",
         "gauge": {"dataPoints": [{"asDouble": 10, "timeUnixNano": 1544712660300000000,
                                   "attributes": [{"key": "my.gauge.attr", "value": {"stringValue": "some value"}}]}]}},
        {"name": "my.histogram", "unit": "1", "description": "I`m a Histogram",
         "histogram": {"aggregationTemporality": 1,
                       "dataPoints": [{"startTimeUnixNano": 1544712660300000000, "timeUnixNano": 1544712660300000000,
                                       "count": 3, "sum": 3, "bucketCounts": [1, 1, 1], "explicitBounds": [1],
                                       "min": 1, "max": 1,
                                       "attributes": [{"key": "my.histogram.attr",
                                                       "value": {"stringValue": "some value"}}]}]}}
      ]
    }]
  }]
}""")
SERVICE = {"service_name": "my.service", "my_scope_attribute": "some scope attribute"}
WHEN = "2018-12-13T14:51:00.300000+00:00"


def post(runtime, body, content_type=JSON, **kwargs):
    return send(runtime, OTLP, json.dumps(body) if not isinstance(body, (bytes, str)) else body,
                content_type=content_type, **kwargs)


def metric(**data):
    return {"resourceMetrics": [{"scopeMetrics": [{"metrics": [data]}]}]}


def test_the_specifications_example_is_stored_and_read_back(runtime):
    status, body, _ = post(runtime, EXAMPLE)
    assert status == 201 and body["stored"] == 4
    [counter] = read(runtime, "my.counter_total")  # a monotonic sum is a counter
    assert counter["labels"] == {**SERVICE, "my_counter_attr": "some value"}
    assert counter["value"] == 5 and counter["timestamp"] == WHEN
    assert values(runtime, "my.gauge") == [({**SERVICE, "my_gauge_attr": "some value"}, 10)]
    histogram = {**SERVICE, "my_histogram_attr": "some value"}
    assert values(runtime, "my.histogram_count") == [(histogram, 3)]
    assert values(runtime, "my.histogram_sum") == [(histogram, 3)]


def test_a_summary_gives_count_sum_and_a_series_per_quantile(runtime):
    body = metric(name="rpc.duration", summary={"dataPoints": [{
        "timeUnixNano": "1765000000000000000", "count": "2693", "sum": 17560473,
        "quantileValues": [{"quantile": 0.5, "value": 4773}, {"quantile": 0.99, "value": 76656}]}]})
    status, answer, _ = post(runtime, body)
    assert status == 201 and answer["stored"] == 4
    assert values(runtime, "rpc.duration_count") == [({}, 2693)]
    assert values(runtime, "rpc.duration_sum") == [({}, 17560473)]
    assert sorted(values(runtime, "rpc.duration"), key=lambda v: v[1]) == [
        ({"quantile": "0.5"}, 4773), ({"quantile": "0.99"}, 76656)]


def test_a_sum_that_is_not_monotonic_is_a_gauge_and_asint_is_a_value(runtime):
    body = metric(name="queue.depth", sum={"isMonotonic": False, "dataPoints": [{"asInt": "42"}]})
    assert post(runtime, body)[0] == 201
    assert values(runtime, "queue.depth") == [({}, 42)]


def test_a_histogram_without_sum_stores_only_its_count(runtime):
    body = metric(name="h", histogram={"dataPoints": [{"count": 4, "bucketCounts": [4], "timeUnixNano": 0}]})
    status, answer, _ = post(runtime, body)
    assert status == 201 and answer["stored"] == 1 and values(runtime, "h_count") == [({}, 4)]


def test_the_data_points_attributes_win_over_the_scopes_and_the_resources(runtime):
    body = copy.deepcopy(EXAMPLE)
    body["resourceMetrics"][0]["resource"]["attributes"].append({"key": "k", "value": {"intValue": "1"}})
    gauge = body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][1]["gauge"]["dataPoints"][0]
    gauge["attributes"] = [{"key": "k", "value": {"boolValue": True}},
                           {"key": "list", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}}]
    assert post(runtime, body)[0] == 201
    [(labels, _)] = values(runtime, "my.gauge")
    assert labels["k"] == "true" and labels["list"] == '{"values":[{"stringValue":"a"}]}'


def test_a_bad_data_point_is_a_400_naming_where_it_is_and_nothing_is_written(runtime, collection):
    body = copy.deepcopy(EXAMPLE)
    body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][1]["name"] = "my gauge"
    status, answer, _ = post(runtime, body)
    assert status == 400 and answer["index"] == 1
    assert answer["error"].startswith("point 1 (resourceMetrics[0].scopeMetrics[0].metrics[1].gauge.dataPoints[0]): "
                                      "'name' must start with a letter")
    assert stored(collection) == 0


@pytest.mark.parametrize("body, says", [
    ('{"resourceMetrics": [', "not a valid OTLP/HTTP JSON"),
    ('{"resourceMetrics": {"x": 1}}', "not a valid OTLP/HTTP JSON"),
    (json.dumps(metric(name="g", gauge={"dataPoints": [{"asDouble": "x"}]})), "not a valid OTLP/HTTP JSON"),
    (json.dumps(metric(name="g", gauge={"dataPoints": [{"timeUnixNano": 1}]})), "neither asDouble nor asInt"),
    (json.dumps(metric(name="g", gauge={"dataPoints": [{"asDouble": "Infinity"}]})), "finite"),
    (json.dumps(metric(name="g")), "has no data"),
    ('{"resourceMetrics": []}', "no data points"),
])
def test_a_body_that_is_not_an_otlp_request_is_a_400(runtime, collection, body, says):
    status, answer, _ = post(runtime, body)
    assert status == 400 and says in answer["error"] and stored(collection) == 0


def test_unknown_fields_are_ignored_as_otlp_asks(runtime):
    body = metric(name="g", gauge={"dataPoints": [{"asDouble": 1, "futureField": 2}]}, futureField={"x": 1})
    assert post(runtime, body)[0] == 201


def test_binary_protobuf_is_415_naming_json(runtime):
    status, answer, _ = post(runtime, b"\x0a\x00", content_type="application/x-protobuf")
    assert status == 415 and "OTLP/HTTP JSON" in answer["error"] and "application/json" in answer["error"]


def test_through_the_push_prefix_and_with_an_idempotency_key(runtime, collection):
    key = {"Idempotency-Key": "otel-retry-1"}
    first = send(runtime, "/push/v1/metrics", json.dumps(EXAMPLE), content_type=JSON, headers=key)
    again = send(runtime, "/push/v1/metrics", json.dumps(EXAMPLE), content_type=JSON, headers=key)
    assert first[0] == again[0] == 201 and again[2]["Idempotent-Replayed"] == "true" and stored(collection) == 4


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_only_post_exports(runtime, method):
    status, _, headers = post(runtime, EXAMPLE, method=method)
    assert status == 405 and headers["Allow"] == "POST"
