"""Whatever arrives at any route, the answer is JSON with a status under 500: garbage is the caller's to fix."""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from grafana import documented
from grafana.conftest import send, window
from metricwatch.api.grafana import ROUTES

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ROUTE = st.sampled_from(sorted(ROUTES))
TEXT = st.one_of(st.text(max_size=30), st.sampled_from([
    "cpu", "mem", "cpu{host=\"a\"}", "{", "}", "=~", "(", "label_values(", "label_values(cpu, host)",
    "host=~(", "2026-11-20T12:00:00Z", "now-6h", "", "*", "\\", "\"", "value", "max", "=|", "<"]))
NUMBER = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False))
LEAF = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
JSON = st.recursive(LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(TEXT, inner, max_size=4)), max_leaves=20)


def documented_with_our_range(route):
    body = copy.deepcopy(documented.EVERY_ROUTE[route])
    if "range" in body:
        body["range"] = window(0, 60)
    return body


def paths(body, prefix=()):
    """Every place in a JSON value a mutation can go: (path, value)."""
    yield prefix, body
    children = body.items() if isinstance(body, dict) else enumerate(body) if isinstance(body, list) else ()
    for key, value in children:
        yield from paths(value, prefix + (key,))


def replaced(body, where, value):
    if not where:
        return value
    out = copy.deepcopy(body)
    node = out
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    return out


def assert_answered(status, answer):
    assert status < 500, answer
    if status >= 400:
        assert isinstance(answer, dict) and isinstance(answer.get("error"), str), answer


@FUZZ
@given(route=ROUTE, body=JSON, prefix=st.booleans())
def test_any_json_body_at_any_route_is_answered_under_500(filled, route, body, prefix):
    assert_answered(*send(filled, f"{'/grafana' if prefix else ''}/{route}", body))


@FUZZ
@given(route=ROUTE, data=st.data())
def test_a_documented_body_with_any_one_part_replaced_by_garbage_is_answered_under_500(filled, route, data):
    body = documented_with_our_range(route)
    if route == "query":
        body["targets"] = [{"target": "cpu", "refId": "A", "payload": {"labels": ["host=a"], "fields": ["value"]}}]
    if route == "annotations":
        body["annotation"]["query"] = 'cpu{host="a"}'
    where, _ = data.draw(st.sampled_from(list(paths(body))))
    assert_answered(*send(filled, f"/{route}", replaced(body, where, data.draw(JSON))))


@FUZZ
@given(route=ROUTE, raw=st.binary(max_size=200), content_type=st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded", "application/vnd.api+json", None]))
def test_any_bytes_with_any_content_type_are_answered_under_500(filled, route, raw, content_type):
    assert_answered(*send(filled, f"/{route}", data=raw, content_type=content_type))


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
       path=st.lists(st.sampled_from(["grafana", "query", "metrics", "", "x", "%00", ".."]), max_size=3))
def test_any_method_at_any_path_is_answered_under_500(filled, method, path):
    assert_answered(*send(filled, "/" + "/".join(path), method=method))


@FUZZ
@given(labels=JSON, filters=JSON, fields=JSON, interval=JSON, points=JSON)
def test_any_payload_labels_fields_and_filters_in_a_query_are_answered_under_500(filled, labels, filters, fields,
                                                                                  interval, points):
    body = {**documented.QUERY, "range": window(0, 60), "intervalMs": interval, "maxDataPoints": points,
            "adhocFilters": filters, "targets": [{"target": "cpu", "payload": {"labels": labels, "fields": fields}}]}
    assert_answered(*send(filled, "/query", body))


def test_deeply_nested_and_huge_bodies_are_refused_not_crashed_on(filled):
    deep = "[" * 100_000 + "]" * 100_000
    assert_answered(*send(filled, "/query", data=deep, content_type="application/json"))
    huge = json.dumps({"targets": [{"target": "cpu" * 1_000_000}]})
    status, body = send(filled, "/query", data=huge, content_type="application/json")
    assert status == 413 and body["error"]


@FUZZ
@given(start=st.datetimes(), end=st.datetimes(), points=st.one_of(st.none(), st.integers(1, 10**15)),
       interval=st.one_of(st.none(), st.floats(0, 3.15e12)), route=st.sampled_from(["query", "annotations"]))
def test_any_range_budget_and_interval_are_answered_under_500(filled, start, end, points, interval, route):
    rng = {"from": start.isoformat() + "Z", "to": end.isoformat() + "Z"}
    body = {"range": rng, "maxDataPoints": points, "intervalMs": interval, "annotation": {"query": "cpu"},
            "targets": [{"target": "cpu", "payload": {"fields": ["value", "score", "upper"]}}]}
    status, answer = send(filled, f"/{route}", body)
    assert_answered(status, answer)
    if status == 200 and route == "query" and points:
        assert all(len(e["datapoints"]) <= points for e in answer)
