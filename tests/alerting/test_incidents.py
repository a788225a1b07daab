"""Incidents from verdicts: when one opens, what it keeps, when it resolves, and what it costs a push."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerting.conftest import scored, track


def incidents(runtime) -> list[dict[str, Any]]:
    return list(runtime.alerts.incidents.find().sort("first_anomaly_at", 1))


def test_an_incident_opens_on_the_first_anomalous_point_by_default(alerting):
    runtime = alerting()
    assert track(runtime, scored(0, 1), scored(1, -1, value=1000, region="eu"))["opened"] == 1
    [incident] = incidents(runtime)
    assert incident["status"] == "firing" and incident["kind"] == "anomaly"
    assert incident["metric"] == "latency" and incident["labels"] == {"region": "eu"}
    assert incident["alert_labels"] == {"alertname": "MetricAnomaly", "metric": "latency", "region": "eu"}
    assert incident["peak"]["value"] == 1000 and incident["peak"]["upper"] == 110.0
    assert incident["peak"]["model"] == "robust_zscore" and incident["revision"] == 1


def test_the_peak_is_the_highest_scored_point_and_the_span_covers_every_anomalous_one(alerting):
    runtime = alerting()
    track(runtime, scored(1, -1, value=500, score=0.9), scored(2, -1, value=900, score=0.999),
          scored(3, -1, value=300, score=0.95))
    [incident] = incidents(runtime)
    assert incident["peak"]["value"] == 900
    assert (incident["last_anomaly_at"] - incident["first_anomaly_at"]).total_seconds() == 120


def test_it_resolves_after_three_consecutive_normal_points(alerting):
    runtime = alerting()
    track(runtime, scored(0, -1))
    assert track(runtime, scored(1, 1), scored(2, 1))["resolved"] == 0
    assert incidents(runtime)[0]["status"] == "firing"
    assert track(runtime, scored(3, 1))["resolved"] == 1
    [incident] = incidents(runtime)
    assert incident["status"] == "resolved" and "active" not in incident and incident["revision"] == 2
    assert incident["ends_at"] == scored(3, 1).point.timestamp


def test_an_anomaly_between_normal_points_restarts_the_count(alerting):
    runtime = alerting()
    track(runtime, scored(0, -1), scored(1, 1), scored(2, 1), scored(3, -1), scored(4, 1), scored(5, 1))
    assert [i["status"] for i in incidents(runtime)] == ["firing"]


def test_for_points_asks_for_consecutive_anomalies_first_like_prometheus_for(alerting):
    runtime = alerting({"routes": [{"matchers": ["metric=latency"], "for_points": 3, "resolve_after_points": 1}]})
    track(runtime, scored(0, -1), scored(1, -1), scored(2, 1))  # broken before 3: nothing was ever firing
    assert incidents(runtime) == []
    assert track(runtime, scored(3, -1), scored(4, -1))["opened"] == 0
    assert incidents(runtime)[0]["status"] == "pending"
    assert track(runtime, scored(5, -1))["opened"] == 1
    assert track(runtime, scored(6, 1))["resolved"] == 1


def test_after_a_resolution_a_new_anomaly_is_a_new_incident(alerting):
    runtime = alerting()
    track(runtime, scored(0, -1), scored(1, 1), scored(2, 1), scored(3, 1), scored(4, -1))
    first, second = incidents(runtime)
    assert first["status"] == "resolved" and second["status"] == "firing" and first["_id"] != second["_id"]


def test_each_series_has_its_own_incident(alerting):
    runtime = alerting()
    assert track(runtime, scored(0, -1, region="eu"), scored(0, -1, region="us"), scored(0, 1, region="ap"))["opened"] == 2
    assert sorted(i["labels"]["region"] for i in incidents(runtime)) == ["eu", "us"]


def test_points_without_a_verdict_neither_open_nor_resolve(alerting):
    from metricwatch.store import StoredPoint

    runtime = alerting()
    track(runtime, scored(0, -1))
    bare = [StoredPoint(scored(m, 1).point, None) for m in (1, 2, 3)]
    track(runtime, *bare)
    assert incidents(runtime)[0]["status"] == "firing"


class CountingCollection:
    """Counts the calls that reach MongoDB, each one round trip."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if callable(attr):
            def counted(*args: Any, **kwargs: Any) -> Any:
                self.calls.append(name)
                return attr(*args, **kwargs)
            return counted
        return attr


def test_a_batch_that_changes_no_incident_costs_one_round_trip_and_one_without_verdicts_none(alerting):
    runtime = alerting()
    counting = CountingCollection(runtime.alerts.incidents)
    runtime.alerts.incidents = counting
    track(runtime, *[scored(m, 1, host=str(h)) for m in range(5) for h in range(20)])
    assert counting.calls == ["find"]
    counting.calls.clear()
    from metricwatch.store import StoredPoint
    track(runtime, StoredPoint(scored(9, 1).point, None))
    assert counting.calls == []


def test_a_thousand_series_opening_at_once_are_one_insert(alerting):
    runtime = alerting()
    counting = CountingCollection(runtime.alerts.incidents)
    runtime.alerts.incidents = counting
    assert track(runtime, *[scored(0, -1, host=str(h)) for h in range(1000)])["opened"] == 1000
    assert counting.calls == ["find", "insert_many"]


def test_push_opens_incidents_in_the_same_request_and_says_so(alerting):
    from conftest import call, history
    from metricwatch.api.push import push
    from metricwatch.points import Point
    from metricwatch.store import StoredPoint
    from metricwatch.timeutil import utcnow

    runtime = alerting()
    now = utcnow().replace(microsecond=0)
    runtime.store.insert([StoredPoint(Point("latency", v, t)) for t, v in history(now - timedelta(days=1), 280)])
    assert runtime.detector.train("latency").to_dict()["models"]
    status, body = call(push, runtime, json_body={"name": "latency", "value": 100000, "timestamp": now.isoformat()})
    assert status == 201 and body["points"][0]["anomaly"] == -1, body
    assert body["incidents"]["opened"] == 1
    assert incidents(runtime)[0]["peak"]["value"] == 100000
