"""The data source as Grafana's connection test, metric pickers, variables and ad hoc filters see it."""

from __future__ import annotations

import pytest

from grafana import documented
from grafana.conftest import send
from metricwatch.grafana.bodies import FIELDS


@pytest.mark.parametrize("path", ["/", "/grafana", "/grafana/"])
def test_the_connection_test_is_a_200_at_the_base_url_with_or_without_the_function_name(filled, path):
    status, body = send(filled, path, method="GET")
    assert status == 200 and body == {"status": "ok", "datasource": "metricwatch", "metrics": 2}


def test_with_push_tokens_set_every_route_needs_the_bearer_token_and_the_connection_test_says_so(make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    guarded = build_runtime(make_settings(PUSH_TOKENS="s3cret"), store=MongoMetricStore(collection))
    assert send(guarded, "/", method="GET")[0] == 401
    assert send(guarded, "/", method="GET", headers={"Authorization": "Bearer wrong"})[0] == 401
    assert send(guarded, "/", method="GET", headers={"Authorization": "Bearer s3cret"})[0] == 200
    for route, body in documented.EVERY_ROUTE.items():
        status, answer = send(guarded, f"/{route}", body)
        assert status == 401 and "Bearer" in answer["error"], route


@pytest.mark.parametrize("body", [documented.METRICS_EMPTY, documented.METRICS, None])
def test_metrics_lists_every_metric_with_the_payload_inputs_of_the_query_builder(filled, body):
    """The JSON plugin's documented requests (and an empty POST) all answer the full list."""
    status, metrics = send(filled, "/grafana/metrics", body)
    assert status == 200 and [m["value"] for m in metrics] == ["cpu", "mem"]
    for metric in metrics:
        assert metric["label"] == metric["value"]
        assert [p["name"] for p in metric["payloads"]] == ["labels", "fields", "aggregate", "as"]
        assert all(p["type"] in ("select", "multi-select", "input", "textarea") for p in metric["payloads"])
    fields = next(p for p in metrics[0]["payloads"] if p["name"] == "fields")
    assert [o["value"] for o in fields["options"]] == list(FIELDS)


def test_metric_payload_options_answers_the_options_of_a_select_payload_and_refuses_other_names(filled):
    status, options = send(filled, "/metric-payload-options", {**documented.METRIC_PAYLOAD_OPTIONS, "name": "aggregate"})
    assert status == 200 and [o["value"] for o in options] == ["mean", "min", "max"]
    assert all(set(o) == {"label", "value"} for o in options)
    assert [o["value"] for o in send(filled, "/metric-payload-options", {"name": "as"})[1]] == ["series", "annotations"]
    assert [o["value"] for o in send(filled, "/metric-payload-options", {"name": "fields"})[1]] == list(FIELDS)
    status, body = send(filled, "/metric-payload-options", documented.METRIC_PAYLOAD_OPTIONS)
    assert status == 400 and body["field"] == "name"


@pytest.mark.parametrize("path", ["/search", "/grafana/search"])
def test_search_answers_the_metric_names_containing_the_typed_text_as_a_list_of_strings(filled, path):
    assert send(filled, path, {"target": ""}) == (200, ["cpu", "mem"])
    assert send(filled, path, {"type": "timeseries", "target": "CP"}) == (200, ["cpu"])
    assert send(filled, path, documented.SEARCH) == (200, [])
    assert send(filled, path, documented.SEARCH_PANEL) == (200, [])
    assert send(filled, path) == (200, ["cpu", "mem"])


@pytest.mark.parametrize("query, found", [
    ("*", ["cpu", "mem"]),
    ("metrics()", ["cpu", "mem"]),
    ("label_names()", ["core", "dc", "host", "region"]),
    ('label_names(cpu{region="eu-west"})', ["host", "region"]),
    ("label_values(host)", ["a", "b", "c"]),
    ("label_values(cpu, host)", ["a", "b", "c"]),
    ('label_values(cpu{dc="x", core!="1"}, host)', ["a", "b"]),
    ("label_values(nothing, host)", []),
    ("label_values(cpu, nothing)", []),
])
def test_search_and_variable_answer_metric_names_label_names_and_label_values_for_template_variables(
        filled, query, found):
    assert send(filled, "/search", {"target": query}) == (200, found)
    assert send(filled, "/variable", {**documented.VARIABLE, "payload": {"target": query}}) == \
        (200, [{"__text": v, "__value": v} for v in found])
    assert send(filled, "/variable", {"payload": query})[1] == [{"__text": v, "__value": v} for v in found]


def test_the_documented_variable_request_answers_the_documented_shape(filled):
    status, values = send(filled, "/variable", documented.VARIABLE)
    assert status == 200 and values == []  # "systems" names no metric of ours


def test_a_malformed_variable_query_is_a_400_naming_the_field(filled):
    for query in ("label_values(cpu{host=, host)", "label_values()", "label_values(cpu{dc=\"x\"})", "metrics(cpu)"):
        status, body = send(filled, "/search", {"target": query})
        assert status == 400 and body["field"] == "target", (query, body)


def test_tag_keys_and_values_serve_the_label_names_and_values_of_every_series(filled):
    assert send(filled, "/tag-keys", documented.TAG_KEYS) == (200, [
        {"type": "string", "text": "core"}, {"type": "string", "text": "dc"},
        {"type": "string", "text": "host"}, {"type": "string", "text": "region"}])
    assert send(filled, "/tag-values", {"key": "host"}) == (200, [{"text": "a"}, {"text": "b"}, {"text": "c"}])
    assert send(filled, "/tag-values", documented.TAG_VALUES) == (200, [])  # no label City here
    status, body = send(filled, "/tag-values", {})
    assert status == 400 and body["field"] == "key"


def test_an_empty_store_answers_empty_lists_everywhere(runtime):
    for route in ("metrics", "search", "tag-keys"):
        assert send(runtime, f"/{route}", {}) == (200, [])
    assert send(runtime, "/", method="GET")[1]["metrics"] == 0


@pytest.mark.parametrize("path, method, status", [
    ("/query", "GET", 405), ("/", "POST", 405), ("/metrics", "DELETE", 405),
    ("/nope", "POST", 404), ("/query/extra", "POST", 404), ("/grafana/grafana/query", "POST", 404),
])
def test_wrong_methods_and_paths_are_refused_with_a_json_error(filled, path, method, status):
    answer_status, body = send(filled, path, {} if method == "POST" else None, method=method)
    assert answer_status == status and body["error"]


def test_a_body_that_is_not_json_is_refused_with_415_and_malformed_json_with_400(filled):
    assert send(filled, "/query", data="range=1", content_type="application/x-www-form-urlencoded")[0] == 415
    status, body = send(filled, "/query", data="{nope", content_type="application/json")
    assert status == 400 and body["field"] == "body"
    assert send(filled, "/query", [1, 2])[1]["field"] == "body"
