"""POST /query as a Grafana panel sends it: one downsampled series per matching series and field."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from grafana import documented
from grafana.conftest import ms, send, window
from metricwatch.runtime import build_runtime
from metricwatch.store import MongoMetricStore


def ask(runtime, *targets, **overrides):
    """The JSON plugin's documented /query body, with our targets and a range over our data."""
    body = {**documented.QUERY, "range": window(0, 60), "targets": list(targets), "adhocFilters": [], **overrides}
    return send(runtime, "/query", body)


def names(answer):
    return [entry["target"] for entry in answer]


def test_a_series_comes_back_as_grafana_documents_it_target_and_value_epoch_ms_pairs(filled):
    status, answer = ask(filled, {"target": "cpu", "refId": "A", "payload": {"labels": {"host": "b"}}})
    assert status == 200 and len(answer) == 1
    entry = answer[0]
    assert set(entry) == {"target", "datapoints", "refId"} and entry["refId"] == "A"
    assert entry["target"] == 'cpu{dc="x", host="b"}'
    assert all(len(p) == 2 and isinstance(p[0], float) and isinstance(p[1], int) for p in entry["datapoints"])
    assert entry["datapoints"][:2] == [[200.0, ms(0)], [201.0, ms(1)]] and len(entry["datapoints"]) == 30


def test_each_field_is_its_own_series_named_after_it_in_the_order_asked(filled):
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": {"host": "b"}, "fields": ["upper", "value", "lower"]}})
    assert names(answer) == ['cpu{dc="x", host="b"} upper', 'cpu{dc="x", host="b"}', 'cpu{dc="x", host="b"} lower']
    assert {p[0] for p in answer[0]["datapoints"]} == {110.0} and {p[0] for p in answer[2]["datapoints"]} == {90.0}


def test_a_bucket_without_a_value_for_the_field_is_left_out_rather_than_sent_as_null(filled):
    """The series was scored from minute 2 on: no expected value before, so no datapoint before."""
    _, (value, expected) = ask(filled, {"target": "cpu", "payload": {"labels": {"host": "b"}, "fields": "value, expected"}})
    assert value["datapoints"][0][1] == ms(0) and expected["datapoints"][0] == [100.0, ms(2)]
    assert len(expected["datapoints"]) == 28 and all(p[0] is not None for p in expected["datapoints"])
    _, (unscored,) = ask(filled, {"target": "mem", "payload": {"fields": ["expected"]}})
    assert unscored == {"target": "mem expected", "datapoints": []}


def test_score_and_anomalies_show_where_the_model_called_a_point_anomalous(filled):
    _, (score, anomalies) = ask(filled, {"target": "cpu", "payload": {"labels": 'host="a", core=""',
                                                                       "fields": ["score", "anomalies"]}})
    assert [p for p in score["datapoints"] if p[0] > 0.5] == [[0.97, ms(10)]]
    assert [p[1] for p in anomalies["datapoints"] if p[0]] == [ms(10)]


def test_interval_ms_is_a_lower_bound_on_the_step_and_a_datapoint_is_the_mean_of_its_bucket(filled):
    _, (entry,) = ask(filled, {"target": "cpu", "payload": {"labels": {"host": "b"}}}, intervalMs=300000)
    assert entry["datapoints"] == [[202.0, ms(0)], [207.0, ms(5)], [212.0, ms(10)], [217.0, ms(15)],
                                   [222.0, ms(20)], [227.0, ms(25)]]


@pytest.mark.parametrize("aggregate, first", [("mean", 202.0), ("min", 200.0), ("max", 204.0)])
def test_aggregate_picks_the_bucket_mean_min_or_max_and_names_the_series_after_it(filled, aggregate, first):
    _, (entry,) = ask(filled, {"target": "cpu", "payload": {"labels": {"host": "b"}, "aggregate": aggregate}},
                      intervalMs=300000)
    assert entry["datapoints"][0] == [first, ms(0)]
    assert entry["target"] == 'cpu{dc="x", host="b"}' + ("" if aggregate == "mean" else f" {aggregate}")


@pytest.mark.parametrize("max_points", [1, 2, 3, 7, 10, 29, 31, 550])
@pytest.mark.parametrize("start, end", [(0, 60), (0.5, 29.5), (-600, 600), (7, 8)])
def test_no_series_has_more_datapoints_than_max_data_points(filled, max_points, start, end):
    status, answer = ask(filled, {"target": "cpu"}, {"target": "mem"}, range=window(start, end),
                         maxDataPoints=max_points, intervalMs=1)
    assert status == 200 and len(answer) == 5
    assert all(1 <= len(e["datapoints"]) <= max_points for e in answer), [len(e["datapoints"]) for e in answer]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.floats(-120, 40), length=st.floats(0.01, 24 * 60), max_points=st.integers(1, 2000),
       interval=st.one_of(st.none(), st.integers(1, 3_600_000)))
def test_max_data_points_holds_for_any_range_budget_and_interval(filled, start, length, max_points, interval):
    extra = {} if interval is None else {"intervalMs": interval}
    status, answer = ask(filled, {"target": "cpu"}, range=window(start, start + length), maxDataPoints=max_points,
                         **extra)
    assert status == 200
    assert all(len(e["datapoints"]) <= max_points for e in answer)
    assert all(ms(start) - 365 * 86_400_000 <= t < ms(start + length) for e in answer for _, t in e["datapoints"])


def test_a_metric_we_do_not_have_answers_no_series_so_grafana_shows_no_data(filled):
    assert ask(filled, {"target": "nothing", "refId": "A"}, {"target": "mem", "refId": "B"})[1][0]["target"] == "mem"
    assert ask(filled, {"target": "nothing"}) == (200, [])
    assert ask(filled, {"target": "cpu", "payload": {"labels": {"host": "zz"}}}) == (200, [])


def test_the_documented_request_answers_no_series_for_metrics_we_do_not_have(filled):
    body = {**documented.QUERY, "targets": [{k: v for k, v in t.items() if k != "payload"} for t in documented.QUERY["targets"]]}
    assert send(filled, "/query", body) == (200, [])
    assert send(filled, "/query", documented.SIMPLE_QUERY) == (200, [])


def test_a_payload_key_we_do_not_know_is_a_400_naming_it(filled):
    status, body = send(filled, "/query", documented.QUERY)  # its payload is {"additional": "optional json"}
    assert status == 400 and body["field"] == "targets[0].payload.additional"
    assert "labels" in body["error"] and "fields" in body["error"]


@pytest.mark.parametrize("labels", [
    {"host": "a", "dc": "x"},
    ["host=a", "dc=x"],
    ['host="a"', {"name": "dc", "value": "x"}],
    'host="a", dc="x"',
    '{host="a",dc=x}',
])
def test_labels_are_an_object_matcher_strings_or_matcher_text_and_all_must_hold(filled, labels):
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": labels}})
    assert names(answer) == ['cpu{core="1", dc="x", host="a"}', 'cpu{dc="x", host="a"}']


def test_a_series_whose_labels_are_a_superset_of_another_is_matched_on_its_own_labels(filled):
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": {"host": "a", "core": ""}}})
    assert names(answer) == ['cpu{dc="x", host="a"}']  # an absent label matches "", as in Alertmanager
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": ["core=1"]}})
    assert names(answer) == ['cpu{core="1", dc="x", host="a"}']
    assert answer[0]["datapoints"][0] == [300.0, ms(0)]


@pytest.mark.parametrize("matcher, hosts", [
    ("host=~a|b", ["a", "a", "b"]),
    ('host!~"a|b"', ["c"]),
    ("host!=a", ["b", "c"]),
    ("region=~eu", []),  # anchored at both ends, as in Alertmanager and Prometheus
    ("region=~eu-.*", ["c"]),
    ('region=~"eu-\\w+"', ["c"]),
])
def test_regex_and_negative_matchers_follow_alertmanager(filled, matcher, hosts):
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": [matcher]}})
    assert sorted(n.split('host="')[1][0] for n in names(answer)) == hosts


def test_one_downsampled_read_per_target_whatever_the_matchers_and_none_when_nothing_matches(filled, monkeypatch):
    store, calls = filled.store, []
    real = store.buckets
    monkeypatch.setattr(store, "buckets", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": ["host=~a|b", "core!=1"]}},
                    {"target": "cpu", "payload": {"labels": ["host=~zz"]}}, {"target": "nothing"})
    assert names(answer) == ['cpu{dc="x", host="a"}', 'cpu{dc="x", host="b"}']
    assert calls == [{"dc": "x"}]  # what every matching series has in common, as the store's filter


@pytest.mark.parametrize("filters, expected", [
    ([{"key": "dc", "operator": "=", "value": "x"}], ["cpu/a", "cpu/a", "cpu/b"]),
    ([{"key": "host", "operator": "!=", "value": "a"}], ["cpu/b", "cpu/c", "mem/"]),
    ([{"key": "host", "operator": "=~", "value": "a|c"}, {"key": "core", "operator": "!~", "value": ".+"}],
     ["cpu/a", "cpu/c"]),
    ([{"key": "host", "operator": "=|", "value": "", "values": ["b", "c"]}], ["cpu/b", "cpu/c"]),
    ([{"key": "City", "operator": "=", "value": "Berlin"}], []),  # the documented filter: no such label here
])
def test_adhoc_filters_apply_to_every_target_on_top_of_its_labels(filled, filters, expected):
    _, answer = ask(filled, {"target": "cpu"}, {"target": "mem"}, adhocFilters=filters)
    assert sorted(n.split("{")[0] + "/" + (n.split('host="')[1][0] if "host" in n else "") for n in names(answer)) == expected


@pytest.mark.parametrize("operator", ["<", ">"])
def test_adhoc_filters_comparing_numbers_are_refused_with_400(filled, operator):
    status, body = ask(filled, {"target": "cpu"}, adhocFilters=[{"key": "host", "operator": operator, "value": "1"}])
    assert status == 400 and body["field"] == "adhocFilters[0].operator" and "labels are text" in body["error"]


def test_targets_keep_their_order_and_ref_ids_and_hidden_or_empty_rows_are_skipped(filled):
    _, answer = ask(filled, {"target": "mem", "refId": "B"}, {"target": "cpu", "refId": "C", "hide": True},
                    {"target": "", "refId": "D"}, {"target": "select metric", "refId": "E"},
                    {"target": "cpu", "refId": "A", "payload": {"labels": {"host": "c"}}})
    assert [(e["target"], e["refId"]) for e in answer] == [("mem", "B"), ('cpu{host="c", region="eu-west"}', "A")]


def test_a_payload_given_as_json_text_is_read_as_the_object(filled):
    _, answer = ask(filled, {"target": "cpu", "payload": '{"labels": {"host": "c"}, "fields": ["value"]}'})
    assert names(answer) == ['cpu{host="c", region="eu-west"}']


def test_a_legend_name_pasted_back_as_matcher_text_selects_that_series(filled):
    _, answer = ask(filled, {"target": "cpu", "payload": {"labels": {"host": "a", "core": "1"}}})
    pasted = names(answer)[0].removeprefix("cpu")
    assert names(ask(filled, {"target": "cpu", "payload": {"labels": pasted}})[1]) == [names(answer)[0]]


@pytest.mark.parametrize("change, field", [
    ({"range": None}, "range"),
    ({"range": {"from": "2026-11-20T12:00:00Z"}}, "range.to"),
    ({"range": {"from": "2026-11-20T13:00:00Z", "to": "2026-11-20T12:00:00Z"}}, "range.from"),
    ({"range": {"from": "yesterday", "to": "2026-11-20T12:00:00Z"}}, "range.from"),
    ({"range": {"from": 1795176000000, "to": 1795179600000}}, "range.from"),  # milliseconds
    ({"maxDataPoints": "lots"}, "maxDataPoints"),
    ({"maxDataPoints": 0}, "maxDataPoints"),
    ({"maxDataPoints": True}, "maxDataPoints"),
    ({"intervalMs": -5}, "intervalMs"),
    ({"intervalMs": 1e300}, "intervalMs"),
    ({"targets": {"target": "cpu"}}, "targets"),
    ({"targets": [{"target": "cpu"}] * 101}, "targets"),
    ({"targets": ["cpu"]}, "targets[0]"),
    ({"targets": [{"target": 5}]}, "targets[0].target"),
    ({"targets": [{"target": "cpu{host=\"a\"}"}]}, "targets[0].target"),
    ({"targets": [{"target": "cpu", "payload": [1]}]}, "targets[0].payload"),
    ({"targets": [{"target": "cpu", "payload": "{not json"}]}, "targets[0].payload"),
    ({"targets": [{"target": "cpu", "payload": {"fields": ["median"]}}]}, "targets[0].payload.fields"),
    ({"targets": [{"target": "cpu", "payload": {"fields": [1]}}]}, "targets[0].payload.fields"),
    ({"targets": [{"target": "cpu", "payload": {"aggregate": "median"}}]}, "targets[0].payload.aggregate"),
    ({"targets": [{"target": "cpu", "payload": {"labels": 5}}]}, "targets[0].payload.labels"),
    ({"targets": [{"target": "cpu", "payload": {"labels": {"host": 5}}}]}, "targets[0].payload.labels"),
    ({"targets": [{"target": "cpu", "payload": {"labels": ["host"]}}]}, "targets[0].payload.labels[0]"),
    ({"targets": [{"target": "cpu", "payload": {"labels": ["host=~("]}}]}, "targets[0].payload.labels[0]"),
    ({"targets": [{"target": "cpu", "payload": {"labels": 'host="a'}}]}, "targets[0].payload.labels"),
    ({"targets": [{"target": "cpu", "payload": {"labels": {"a.b": "x"}}}]}, "targets[0].payload.labels"),
    ({"adhocFilters": "host=a"}, "adhocFilters"),
    ({"adhocFilters": [{"key": "host", "operator": "==", "value": "a"}]}, "adhocFilters[0].operator"),
    ({"adhocFilters": [{"key": "host", "operator": "=", "value": 1}]}, "adhocFilters[0]"),
    ({"adhocFilters": [{"key": "host", "operator": "=", "value": "a", "condition": "OR"}]}, "adhocFilters[0].condition"),
])
def test_bad_input_is_a_400_naming_what_is_wrong(filled, change, field):
    body = {**documented.QUERY, "range": window(0, 60), "targets": [{"target": "cpu"}], "adhocFilters": [], **change}
    status, answer = send(filled, "/query", body)
    assert status == 400 and answer["field"] == field, answer


def test_more_buckets_than_query_max_buckets_is_a_400_naming_the_target(make_settings, collection, filled):
    small = build_runtime(make_settings(QUERY_MAX_BUCKETS="50"), store=MongoMetricStore(collection))
    status, body = ask(small, {"target": "mem"}, {"target": "cpu"}, maxDataPoints=1000)
    assert status == 400 and body["field"] == "targets[1]" and "QUERY_MAX_BUCKETS" in body["error"]
    assert ask(small, {"target": "cpu", "payload": {"labels": {"host": "b"}}})[0] == 200


@pytest.mark.parametrize("max_points", [1, 2, 1000])
@pytest.mark.parametrize("rng, series", [
    ({"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59.999Z"}, 5),
    ({"from": 0, "to": 253402300799}, 5),  # epoch seconds work too
    ({"from": "1969-01-01T00:00:00Z", "to": "1970-01-01T00:00:00Z"}, 0),  # no point is older than 1970
])
def test_the_widest_ranges_are_answered_within_max_data_points(filled, rng, series, max_points):
    status, answer = ask(filled, {"target": "cpu"}, {"target": "mem"}, range=rng, maxDataPoints=max_points,
                         intervalMs=3.15e12)
    assert status == 200 and len(answer) == series
    assert all(1 <= len(e["datapoints"]) <= max_points for e in answer)
