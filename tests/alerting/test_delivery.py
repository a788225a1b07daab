"""Delivery to a real HTTP receiver on loopback: payloads, grouping, repeat, silences, failures, no-data."""

from __future__ import annotations

import time
from typing import Any

from alerting.conftest import notifier, scored, track

FAST = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}


def webhook_rules(route: dict[str, Any] | None = None, **receiver: Any) -> dict[str, Any]:
    return {"receivers": [{"name": "hook", "kind": "webhook", "url": "${HOOK_URL}", **receiver}],
            "route": {"receiver": "hook", **FAST, **(route or {})}}


def test_alert_webhook_url_alone_gets_every_incident_as_alertmanagers_webhook_payload(alerting, receiver, clock):
    runtime = alerting(ALERT_WEBHOOK_URL=receiver.url + "/hook")
    track(runtime, scored(0, -1, value=1000, region="eu"))
    run = notifier(runtime, clock, external_url="https://mw.example")
    assert run.run()["sent"] == 0  # the committed route's group_wait (30 s) has not passed
    clock.advance(seconds=30)
    assert run.run()["sent"] == 1
    [(path, payload)] = receiver.received
    assert path == "/hook"
    assert set(payload) >= {"version", "groupKey", "status", "receiver", "groupLabels", "commonLabels",
                            "commonAnnotations", "externalURL", "alerts"}
    assert payload["version"] == "4" and payload["status"] == "firing" and payload["receiver"] == "default"
    assert payload["groupLabels"] == {"alertname": "MetricAnomaly", "metric": "latency"}
    [alert] = payload["alerts"]
    assert alert["labels"] == {"alertname": "MetricAnomaly", "metric": "latency", "region": "eu"}
    assert set(alert) == {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
    assert alert["startsAt"] == "2026-11-20T10:00:00.000Z" and alert["endsAt"] == "0001-01-01T00:00:00Z"
    notes = alert["annotations"]
    assert notes["value"] == "1,000" and notes["expected"] == "100" and notes["lower"] == "90" and notes["upper"] == "110"
    assert notes["model"] == "robust_zscore" and float(notes["score"]) > 0.9
    assert notes["summary"] == "latency{region=eu} 1,000 is above its expected 90–110 since 10:00 UTC"
    assert alert["generatorURL"] == "https://mw.example/dashboard?metric=latency&labels=region%3Deu"


def test_a_resolved_incident_is_sent_resolved_with_its_end(alerting, receiver, clock):
    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    track(runtime, scored(0, -1))
    run = notifier(runtime, clock)
    clock.advance(seconds=30)
    run.run()
    track(runtime, scored(1, 1), scored(2, 1), scored(3, 1))
    assert run.run()["sent"] == 0  # group_interval (5 min) since the firing notice
    clock.advance(minutes=5)
    assert run.run()["sent"] == 1
    firing, resolved = receiver.bodies
    assert firing["status"] == "firing" and resolved["status"] == "resolved"
    assert resolved["alerts"][0]["status"] == "resolved"
    assert resolved["alerts"][0]["endsAt"] == "2026-11-20T10:03:00.000Z"
    clock.advance(hours=5)
    assert run.run()["sent"] == 0  # a resolved group is not repeated


def test_a_thousand_series_going_anomalous_at_once_are_one_notification_per_group(alerting, receiver, clock):
    runtime = alerting(webhook_rules({"group_by": ["metric"]}), HOOK_URL=receiver.url)
    track(runtime, *[scored(0, -1, host=f"h{i}") for i in range(1000)],
          *[scored(0, -1, name="errors", host=f"h{i}") for i in range(10)])
    clock.advance(seconds=30)
    assert notifier(runtime, clock).run()["sent"] == 2
    sizes = sorted(len(b["alerts"]) for b in receiver.bodies)
    assert sizes == [10, 1000]


def test_while_nothing_changes_a_firing_group_is_repeated_every_repeat_interval(alerting, receiver, clock):
    runtime = alerting(webhook_rules({"repeat_interval": "1h"}), HOOK_URL=receiver.url)
    track(runtime, scored(0, -1))
    run = notifier(runtime, clock)
    clock.advance(seconds=30)
    run.run()
    clock.advance(minutes=59)
    assert run.run()["sent"] == 0
    clock.advance(minutes=1)
    assert run.run()["sent"] == 1 and len(receiver.bodies) == 2


def test_a_new_alert_in_a_group_waits_for_group_interval_then_goes_with_the_others(alerting, receiver, clock):
    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    run = notifier(runtime, clock)
    track(runtime, scored(0, -1, host="a"))
    clock.advance(seconds=30)
    run.run()
    track(runtime, scored(1, -1, host="b"))
    clock.advance(minutes=4)
    assert run.run()["sent"] == 0
    clock.advance(minutes=1)
    assert run.run()["sent"] == 1
    assert sorted(a["labels"]["host"] for a in receiver.bodies[-1]["alerts"]) == ["a", "b"]


def test_a_silenced_incident_is_recorded_but_not_sent_and_expiring_the_silence_sends_it(alerting, receiver, clock):
    from metricwatch.alerting.silences import Silences, parse_silence

    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    book = Silences(runtime.alerts)
    silence = book.create(parse_silence({"matchers": ['region="eu"'], "endsAt": "2026-11-20T12:00:00Z",
                                         "createdBy": "ana", "comment": "migration"}, clock.now))
    track(runtime, scored(0, -1, region="eu"), scored(0, -1, region="us"))
    clock.advance(seconds=30)
    assert notifier(runtime, clock).run()["muted"] == 1
    assert [a["labels"]["region"] for a in receiver.bodies[0]["alerts"]] == ["us"]
    assert runtime.alerts.incidents.count_documents({"status": "firing"}) == 2
    book.expire(silence.id, clock.now)
    clock.advance(minutes=5)
    notifier(runtime, clock).run()
    assert sorted(a["labels"]["region"] for a in receiver.bodies[-1]["alerts"]) == ["eu", "us"]


def test_a_maintenance_window_mutes_while_open_in_its_time_zone(alerting, receiver, clock):
    rules = webhook_rules()
    # 11:00 in Berlin is 10:00 UTC in November: the window is open at T0 and for an hour.
    rules["maintenance_windows"] = [{"name": "deploys", "cron": "0 11 * * *", "duration": "1h",
                                     "time_zone": "Europe/Berlin", "matchers": ["metric=latency"]}]
    runtime = alerting(rules, HOOK_URL=receiver.url)
    track(runtime, scored(0, -1))
    clock.advance(seconds=30)
    assert notifier(runtime, clock).run()["muted"] == 1 and receiver.bodies == []
    clock.advance(hours=1)
    assert notifier(runtime, clock).run()["sent"] == 1


def test_a_receiver_that_is_down_loses_nothing_and_gets_it_once_it_is_back(alerting, receiver, clock):
    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    receiver.stop()
    track(runtime, scored(0, -1))
    clock.advance(seconds=30)
    first = notifier(runtime, clock).run()
    assert first["sent"] == 0 and len(first["failed"]) == 1 and first["failed"][0]["receiver"] == "hook"
    receiver.start()
    clock.advance(seconds=5)
    assert notifier(runtime, clock).run()["sent"] == 0  # backing off: the retry is due 10 s after the failure
    clock.advance(seconds=5)
    assert notifier(runtime, clock).run()["sent"] == 1
    clock.advance(minutes=1)
    assert notifier(runtime, clock).run()["sent"] == 0
    assert len(receiver.bodies) == 1


def test_a_receiver_answering_500_is_retried_with_backoff_until_it_takes_it(alerting, receiver, clock):
    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    receiver.answer(500)
    track(runtime, scored(0, -1))
    clock.advance(seconds=30)
    for wait in (0, 10, 20):  # 10 s, then twice as long
        clock.advance(seconds=wait)
        assert notifier(runtime, clock).run()["failed"]
    assert receiver.attempts == 3
    receiver.answer(200)
    clock.advance(seconds=40)
    assert notifier(runtime, clock).run()["sent"] == 1 and len(receiver.bodies) == 1


def test_a_run_finishes_inside_its_deadline_with_a_thousand_pending_and_a_receiver_that_never_answers(
        alerting, receiver, clock):
    runtime = alerting(webhook_rules({"group_by": ["..."]}), HOOK_URL=receiver.url)
    receiver.hang(30)
    track(runtime, *[scored(0, -1, host=f"h{i}") for i in range(1000)])
    clock.advance(seconds=30)
    queued = notifier(runtime, clock, timeout_seconds=1.0, deadline_seconds=600).run()
    assert queued["queued"] == 1000 and queued["deferred"] == 999  # one timeout, then the receiver is skipped
    clock.advance(minutes=10)
    started = time.monotonic()
    summary = notifier(runtime, clock, timeout_seconds=1.0, deadline_seconds=3.0).run()
    assert time.monotonic() - started < 3.0
    assert summary["sent"] == 0 and len(summary["failed"]) == 1 and summary["deferred"] == 999
    assert runtime.alerts.outbox.count_documents({"state": "pending"}) == 1000


def test_planning_stops_at_the_deadline_and_the_next_run_plans_the_rest(alerting, receiver, clock):
    runtime = alerting(webhook_rules({"group_by": ["..."]}), HOOK_URL=receiver.url)
    track(runtime, *[scored(0, -1, host=f"h{i}") for i in range(500)])
    clock.advance(seconds=30)
    first = notifier(runtime, clock, deadline_seconds=0.0).run()
    assert first["queued"] == 0 and first["planned_later"] == 500
    assert notifier(runtime, clock, deadline_seconds=600).run()["sent"] == 500


def test_a_retried_run_sends_nothing_twice(alerting, receiver, clock):
    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    track(runtime, scored(0, -1, host="a"), scored(0, -1, host="b"))
    clock.advance(seconds=30)
    notifier(runtime, clock).run()
    notifier(runtime, clock).run()  # Cloud Scheduler's retry of the same minute
    assert len(receiver.bodies) == 1


class FailsOnce:
    """A collection whose next bulk_write raises, as if the function died after the outbox insert."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.failed = inner, False

    def __getattr__(self, name: str) -> Any:
        if name == "bulk_write" and not self.failed:
            self.failed = True
            raise RuntimeError("instance killed")
        return getattr(self.inner, name)


def test_a_run_killed_between_queueing_and_recording_queues_the_same_key_again(alerting, receiver, clock):
    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    track(runtime, scored(0, -1))
    clock.advance(seconds=30)
    runtime.alerts.incidents = FailsOnce(runtime.alerts.incidents)
    try:
        notifier(runtime, clock).run()
    except RuntimeError:
        pass
    assert runtime.alerts.outbox.count_documents({}) == 1 and receiver.bodies == []
    notifier(runtime, clock).run()
    assert runtime.alerts.outbox.count_documents({}) == 1 and len(receiver.bodies) == 1


def test_a_notification_older_than_the_maximum_age_is_dropped_with_an_error_naming_it(alerting, receiver, clock, caplog):
    from datetime import timedelta

    runtime = alerting(webhook_rules(), HOOK_URL=receiver.url)
    receiver.stop()
    track(runtime, scored(0, -1))
    clock.advance(seconds=30)
    notifier(runtime, clock).run()
    [note] = runtime.alerts.outbox.find()
    clock.advance(hours=2)
    assert notifier(runtime, clock, max_age=timedelta(hours=1)).run()["dropped"] == 1
    assert any(note["_id"] in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_slack_gets_text_and_blocks(alerting, receiver, clock):
    rules = {"receivers": [{"name": "chat", "kind": "slack", "url": "${SLACK_WEBHOOK_URL}"}],
             "route": {"receiver": "chat", "group_wait": "0s"}}
    runtime = alerting(rules, SLACK_WEBHOOK_URL=receiver.url)
    track(runtime, scored(0, -1, value=1000, region="eu"))
    notifier(runtime, clock).run()
    [message] = receiver.bodies
    assert message["text"].startswith(":red_circle: FIRING: MetricAnomaly (1 firing, 0 resolved)")
    assert "latency{region=eu} 1,000 is above its expected 90–110" in message["blocks"][1]["text"]["text"]


def test_alertmanager_gets_its_v2_alerts_re_sent_every_run_and_ended_on_resolution(alerting, receiver, clock):
    rules = {"receivers": [{"name": "am", "kind": "alertmanager", "url": "${AM_URL}"}], "route": {"receiver": "am"}}
    runtime = alerting(rules, AM_URL=receiver.url)
    track(runtime, scored(0, -1))
    notifier(runtime, clock).run()
    clock.advance(minutes=1)
    notifier(runtime, clock).run()
    track(runtime, scored(1, 1), scored(2, 1), scored(3, 1))
    clock.advance(minutes=1)
    notifier(runtime, clock).run()
    assert [path for path, _ in receiver.received] == ["/api/v2/alerts"] * 3
    first, again, resolved = receiver.bodies
    assert set(first[0]) == {"labels", "annotations", "startsAt", "endsAt"}
    assert first[0]["endsAt"] == "2026-11-20T10:04:00.000Z"  # now + 4 resends: Alertmanager ends it if we stop
    assert again[0]["endsAt"] == "2026-11-20T10:05:00.000Z"
    assert resolved[0]["endsAt"] == "2026-11-20T10:03:00.000Z"


def test_routes_send_matching_alerts_to_their_receiver_and_continue_sends_them_on(alerting, receiver, clock):
    rules = {"receivers": [{"name": "eu", "kind": "webhook", "url": "${HOOK_URL}"},
                           {"name": "all", "kind": "webhook", "url": "${HOOK_URL}"}],
             "route": {"receiver": "all", "group_wait": "0s"},
             "routes": [{"matchers": ["region=~eu.*"], "receiver": "eu", "continue": True},
                        {"matchers": ["region!=ap"], "receiver": "all"}]}
    runtime = alerting(rules, HOOK_URL=receiver.url)
    track(runtime, scored(0, -1, region="eu-west"), scored(0, -1, region="us"))
    notifier(runtime, clock).run()
    got = sorted((b["receiver"], tuple(sorted(a["labels"]["region"] for a in b["alerts"]))) for b in receiver.bodies)
    assert got == [("all", ("eu-west", "us")), ("eu", ("eu-west",))]


def test_under_make_runs_defaults_the_log_receiver_prints_each_notification(alerting, clock, caplog):
    runtime = alerting({"route": {"group_wait": "0s"}})
    track(runtime, scored(0, -1, value=1000, region="eu"))
    with caplog.at_level("WARNING", logger="metricwatch.alerts"):
        assert notifier(runtime, clock).run()["sent"] == 1
    assert any("ALERT FIRING" in r.getMessage() and "latency{region=eu} 1,000" in r.getMessage() for r in caplog.records)


def test_a_silent_series_opens_a_no_data_incident_resolved_when_data_returns(tmp_path, make_settings, collection,
                                                                              receiver, clock):
    import json

    from metricwatch.alerting.tracker import IncidentTracker
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    watch = tmp_path / "watch.json"
    watch.write_text(json.dumps([{"name": "latency", "absent_after": {"minutes": 10}}]))
    rules = tmp_path / "alerting.json"
    rules.write_text(json.dumps(webhook_rules({"group_wait": "0s", "group_interval": "0s"})))
    runtime = build_runtime(make_settings(DETECTION_METRICS_PATH=str(watch), ALERTING_PATH=str(rules)),
                            store=MongoMetricStore(collection), environ={"HOOK_URL": receiver.url})
    object.__setattr__(runtime, "incidents", IncidentTracker(runtime.alerts, runtime.rules, clock))
    track(runtime, scored(0, 1, region="eu"), scored(0, 1, region="us"))
    clock.advance(minutes=5)
    track(runtime, scored(5, 1, region="us"))
    clock.advance(minutes=6)  # eu silent for 11 minutes, us for 6
    summary = notifier(runtime, clock).run()
    assert summary["no_data"] == {"opened": 1, "resolved": 0} and summary["sent"] == 1
    [alert] = receiver.bodies[0]["alerts"]
    assert alert["labels"]["alertname"] == "MetricNoData" and alert["labels"]["region"] == "eu"
    assert alert["annotations"]["summary"] == "latency{region=eu} has sent no data since 10:00 UTC (absent_after 10m)"
    assert notifier(runtime, clock).run()["no_data"]["opened"] == 0  # one incident per silence
    assert track(runtime, scored(12, 1, region="eu"))["resolved"] == 1
    clock.advance(seconds=1)
    notifier(runtime, clock).run()
    assert receiver.bodies[-1]["status"] == "resolved"
