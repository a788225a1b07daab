"""POST /annotations (SimpleJSON's): a metric's anomalies and incidents over a range, as annotations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerting.conftest import T0, scored, track
from grafana import documented
from grafana.conftest import iso, ms, put, send, window
from grafana.conftest import scored as verdict
from metricwatch.grafana.reads import MAX_INCIDENTS

FIELDS = {"time", "timeEnd", "isRegion", "title", "text", "tags", "annotation"}


def annotations(runtime, query, rng=None):
    body = {**documented.ANNOTATIONS, "range": rng or window(0, 60),
            "annotation": {**documented.ANNOTATIONS["annotation"], "query": query}}
    return send(runtime, "/annotations", body)


def test_an_anomalous_point_is_an_annotation_with_grafanas_documented_fields(filled):
    status, answer = annotations(filled, "cpu")
    assert status == 200 and len(answer) == 1
    (item,) = answer
    assert set(item) == FIELDS and item["annotation"] == {**documented.ANNOTATIONS["annotation"], "query": "cpu"}
    assert item["title"] == 'cpu{dc="x", host="a"}: anomaly'
    assert item["tags"] == ["anomaly", "cpu", "dc=x", "host=a"]
    assert item["text"] == "1 anomalous point: value 500, expected 100, band 90 to 110, peak score 0.97"
    assert item["time"] == ms(10) < item["timeEnd"] <= ms(10) + 60_000 and item["isRegion"] is True


def test_anomalies_in_adjacent_buckets_are_one_region_and_a_lone_one_is_a_region_of_one_bucket(runtime):
    anomalous = {30, 40, 50, 60, 70, 300}
    for s in range(0, 600, 10):  # a point every 10s; two hours at 500 buckets is a step of 15s
        put(runtime, s / 60, 500 + s if s in anomalous else 100, verdict=verdict(-1 if s in anomalous else 1, 0.9),
            host="a")
    _, answer = annotations(runtime, "cpu", window(0, 120))
    assert [(a["time"], a["timeEnd"]) for a in answer] == [(ms(0.5), ms(0.5) + 45_000), (ms(5), ms(5) + 15_000)]
    assert answer[0]["text"] == "5 anomalous points: value 530 to 570, expected 100, band 90 to 110, peak score 0.9"
    assert answer[1]["text"].startswith("1 anomalous point: value 800,")


def test_the_query_is_a_metric_with_optional_matchers_and_a_metric_we_do_not_have_answers_nothing(filled):
    assert len(annotations(filled, 'cpu{host="a"}')[1]) == 1
    assert annotations(filled, 'cpu{host="b"}') == (200, [])
    assert annotations(filled, "cpu{core=~\".+\"}") == (200, [])
    assert annotations(filled, "nothing") == (200, [])


@pytest.mark.parametrize("query", ["#deploy", "", "cpu{host=", "cpu{host=~\"(\"}", 'cpu{"a"}'])
def test_an_annotation_query_that_is_not_a_selector_is_a_400_naming_it(filled, query):
    status, body = annotations(filled, query)
    assert status == 400 and body["field"] == "annotation.query", body


def test_the_documented_request_is_refused_because_its_query_names_no_metric(filled):
    status, body = send(filled, "/annotations", documented.ANNOTATIONS)  # "query": "#deploy"
    assert status == 400 and body["field"] == "annotation.query"


def test_incidents_are_regions_from_the_first_anomaly_to_the_point_that_resolved_them(runtime):
    """The committed alerting.json fires on one anomalous point and resolves after three normal ones."""
    track(runtime, scored(0, -1, name="cpu", host="a"), scored(1, -1, name="cpu", host="b", score=0.5))
    track(runtime, *(scored(m, 1, name="cpu", host="a") for m in (2, 3, 4)))
    rng = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=1)).isoformat()}
    _, answer = annotations(runtime, "cpu", rng)
    incidents = [a for a in answer if "incident" in a["tags"]]
    first_ms = int(T0.timestamp() * 1000)
    resolved, firing = incidents
    assert resolved["title"] == 'cpu{host="a"}: anomaly incident, resolved'
    assert (resolved["time"], resolved["timeEnd"]) == (first_ms, first_ms + 4 * 60_000)
    assert resolved["tags"] == ["incident", "resolved", "cpu", "host=a"]
    assert "peak score 0.99, value 100 (expected 100, band 90 to 110), model robust_zscore" in resolved["text"]
    assert firing["title"] == 'cpu{host="b"}: anomaly incident, firing'
    assert firing["timeEnd"] == first_ms + 3_600_000  # still open: to the end of the range asked for
    assert [a["title"] for a in answer if "incident" not in a["tags"]] == ['cpu{host="a"}: anomaly', 'cpu{host="b"}: anomaly']
    _, only_b = annotations(runtime, 'cpu{host!="a"}', rng)
    assert [a["title"] for a in only_b] == ['cpu{host="b"}: anomaly', 'cpu{host="b"}: anomaly incident, firing']


def test_incidents_outside_the_range_are_not_shown(runtime):
    track(runtime, scored(0, -1, name="cpu", host="a"), *(scored(m, 1, name="cpu", host="a") for m in (1, 2, 3)))
    later = {"from": (T0 + timedelta(minutes=30)).isoformat(), "to": (T0 + timedelta(hours=1)).isoformat()}
    assert annotations(runtime, "cpu", later) == (200, [])


def test_more_incidents_than_we_show_at_once_is_a_400_asking_for_a_shorter_range(runtime, monkeypatch):
    import metricwatch.grafana.reads as reads

    monkeypatch.setattr(reads, "MAX_INCIDENTS", 2)
    for host in "abc":
        track(runtime, scored(0, -1, name="cpu", host=host))
    rng = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=1)).isoformat()}
    status, body = annotations(runtime, "cpu", rng)
    assert status == 400 and body["field"] == "range" and "shorten" in body["error"]
    assert MAX_INCIDENTS == 500


def test_the_incident_cap_counts_only_the_incidents_the_matchers_keep(runtime, monkeypatch):
    """A narrow regex on a metric with many incidents elsewhere is not refused for those others."""
    import metricwatch.grafana.reads as reads

    monkeypatch.setattr(reads, "MAX_INCIDENTS", 2)
    monkeypatch.setattr(reads, "INCIDENTS_READ", 20)
    for host in "abc":
        track(runtime, scored(0, -1, name="cpu", host=host))
    rng = {"from": T0.isoformat(), "to": (T0 + timedelta(hours=1)).isoformat()}
    status, body = annotations(runtime, 'cpu{host=~"a"}', rng)
    assert status == 200 and [a["title"] for a in body if "incident" in a["tags"]] == ['cpu{host="a"}: anomaly incident, firing']


def test_a_range_with_no_data_answers_no_annotations(filled):
    assert annotations(filled, "cpu", {"from": iso(-600), "to": iso(-60)}) == (200, [])


@pytest.mark.parametrize("change, field", [
    ({"annotation": None}, "annotation"),
    ({"annotation": {"name": "x"}}, "annotation.query"),
    ({"annotation": {"query": 5}}, "annotation.query"),
    ({"range": None}, "range"),
    ({"range": {"from": iso(10), "to": iso(0)}}, "range.from"),
])
def test_a_bad_annotation_request_is_a_400_naming_the_field(filled, change, field):
    status, body = send(filled, "/annotations", {**documented.ANNOTATIONS, "range": window(0, 60),
                                                 "annotation": {"query": "cpu"}, **change})
    assert status == 400 and body["field"] == field, body


def test_the_json_plugin_asks_for_annotations_through_query_and_gets_them_as_one_table(filled):
    """From 0.3 on, its annotation editor is a query row: payload `as: annotations` answers a table whose
    columns are the fields Grafana reads annotations from (time, timeEnd, title, text, tags)."""
    body = {**documented.QUERY, "range": window(0, 60), "adhocFilters": [],
            "targets": [{"target": "cpu", "refId": "Anno", "payload": {"labels": ["host=a"], "as": "annotations"}},
                        {"target": "nothing", "refId": "B", "payload": {"as": "annotations"}}]}
    status, (table, empty) = send(filled, "/query", body)
    assert status == 200 and table["type"] == "table" and table["refId"] == "Anno"
    assert [c["text"] for c in table["columns"]] == ["time", "timeEnd", "title", "text", "tags"]
    assert table["rows"] == [[a["time"], a["timeEnd"], a["title"], a["text"], ",".join(a["tags"])]
                             for a in annotations(filled, 'cpu{host="a"}')[1]]
    assert len(table["rows"]) == 1 and table["rows"][0][4] == "anomaly,cpu,dc=x,host=a"
    assert empty == {"type": "table", "columns": table["columns"], "rows": [], "refId": "B"}
    status, bad = send(filled, "/query", {**body, "targets": [{"target": "cpu", "payload": {"as": "table"}}]})
    assert status == 400 and bad["field"] == "targets[0].payload.as"
