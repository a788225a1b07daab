"""The alerts function over HTTP: silences created, listed and expired; incidents listed; bad input is a 4xx."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest

from alerting.conftest import scored, track
from flask import Request
from werkzeug.test import EnvironBuilder

from conftest import call
from metricwatch.api.alerts import alerts
from metricwatch.api.notify import notify
from metricwatch.timeutil import utcnow

SILENCE = {"matchers": ['region="eu"', {"name": "metric", "value": "lat.*", "isRegex": True}],
           "endsAt": (utcnow() + timedelta(hours=2)).isoformat(), "createdBy": "ana", "comment": "eu migration"}


def at(path: str, method: str = "GET", *, json_body=None, data=None, content_type=None, headers=None, query=None):
    """A request to the alerts function at `path` (the local runner strips /alerts the same way)."""
    builder = EnvironBuilder(path=path, method=method, json=json_body, data=data, content_type=content_type,
                             headers=headers, query_string=query)
    return Request(builder.get_environ())


def send(runtime, path: str, method: str = "GET", **kwargs):
    body, status, _ = alerts(at(path, method, **kwargs), runtime=runtime)
    return status, json.loads(body)


def test_a_silence_is_created_listed_and_expired(alerting):
    runtime = alerting()
    status, made = send(runtime, "/silences", "POST", json_body=SILENCE)
    assert status == 201 and made["status"]["state"] == "active" and made["createdBy"] == "ana"
    assert made["matchers"][1] == {"name": "metric", "value": "lat.*", "isRegex": True, "isEqual": True}
    assert [s["id"] for s in send(runtime, "/silences")[1]["silences"]] == [made["silenceID"]]
    status, expired = send(runtime, f"/silences/{made['silenceID']}", "DELETE")
    assert status == 200 and expired["status"]["state"] == "expired"
    assert send(runtime, "/silences")[1]["silences"] == []
    assert len(send(runtime, "/silences", query={"all": "true"})[1]["silences"]) == 1


@pytest.mark.parametrize("change, field", [
    ({"matchers": []}, "matchers"),
    ({"matchers": ["region"]}, "matchers"),
    ({"matchers": ["region=~("]}, "matchers"),
    ({"endsAt": None}, "endsAt"),
    ({"endsAt": "2001-01-01T00:00:00Z"}, "endsAt"),
    ({"endsAt": "tomorrow"}, "endsAt"),
    ({"createdBy": ""}, "createdBy"),
    ({"comment": 5}, "comment"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_silence_is_a_400_naming_the_field(alerting, change, field):
    runtime = alerting()
    status, body = send(runtime, "/silences", "POST", json_body={**SILENCE, **change})
    assert status == 400 and body["field"] == field, body
    assert runtime.alerts.silences.count_documents({}) == 0


def test_expiring_a_silence_that_does_not_exist_is_404(alerting):
    assert send(alerting(), "/silences/nope", "DELETE")[0] == 404


def test_incidents_are_listed_newest_first_and_filtered_by_status(alerting):
    runtime = alerting()
    track(runtime, scored(0, -1, host="a"), scored(1, -1, host="b"))
    track(runtime, scored(2, 1, host="a"), scored(3, 1, host="a"), scored(4, 1, host="a"))
    firing = send(runtime, "/incidents")[1]["incidents"]
    assert [i["labels"]["host"] for i in firing] == ["b"]
    every = send(runtime, "/incidents", query={"status": "all"})[1]["incidents"]
    assert [(i["labels"]["host"], i["status"]) for i in every] == [("b", "firing"), ("a", "resolved")]
    assert every[1]["ends_at"] == "2026-11-20T10:04:00+00:00" and every[1]["peak"]["timestamp"].endswith("+00:00")
    assert send(runtime, "/incidents", query={"status": "open"})[0] == 400


def test_the_alerts_api_asks_for_the_push_token_when_tokens_are_configured(alerting, make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    runtime = build_runtime(make_settings(PUSH_TOKENS="t0k"), store=MongoMetricStore(collection))
    assert send(runtime, "/incidents")[0] == 401
    assert send(runtime, "/incidents", headers={"Authorization": "Bearer t0k"})[0] == 200


def test_notify_answers_200_when_nothing_is_left_and_refuses_parameters(alerting):
    runtime = alerting()
    assert call(notify, runtime)[0] == 200
    assert call(notify, runtime, query={"now": "1"})[0] == 400


def test_garbage_gets_a_4xx_never_a_500(alerting):
    runtime = alerting()
    rng = random.Random(7)
    pieces = ["", "{", "[]", "null", '"x"', "1e999", '{"matchers": [1]}', '{"matchers": ["a=b"], "endsAt": 1e30}',
              '{"matchers": [{"name": 1, "value": 2}]}', '{"matchers": ["a=b"], "endsAt": "2099-01-01", "createdBy": []}',
              "\x00\xff", '{"matchers": ["' + "a" * 5000 + '=b"]}']
    paths = ["/silences", "/silences/x/y", "/incidents", "/nope", "/", "/silences/" + "%" * 3]
    for _ in range(200):
        method = rng.choice(["GET", "POST", "DELETE", "PUT"])
        body = rng.choice(pieces)
        req = at(rng.choice(paths), method if method != "PUT" else "POST", data=body.encode("utf-8", "surrogateescape"),
                 content_type=rng.choice(["application/json", "text/plain"]),
                 query={rng.choice(["status", "limit", "all", "x"]): rng.choice(["firing", "-1", "9" * 50, ""])})
        status = alerts(req, runtime=runtime)[1]
        assert 200 <= status < 500, (req.path, method, body)
