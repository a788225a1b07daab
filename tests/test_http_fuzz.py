"""Every HTTP function that takes input, fuzzed: whatever body, query string, path or headers
arrive, the answer is JSON (or the dashboard's page) with a status under 500.

Functions whose work is to call the outside world (collectors: a 502 when their source is
down; notify: receivers) are left to their own tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ["push", "query", "alerts", "feedback", "dashboard", "grafana", "train"]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TEXT = st.one_of(st.text(max_size=40), st.sampled_from([
    "", "cpu", "latency", "9" * 5000, "2026-12-06T12:00:00\u0000", "1e400", "-1", "{", "[]", "null",
    "host=a", "host=~(", "a" * 300, "\ud800", "5m", "0s", "1000000000d", "only", "true", "%00", "../../etc"]))
NUMBER = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=False))
JSON = st.recursive(st.one_of(st.none(), st.booleans(), NUMBER, TEXT),
                    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=5)),
                    max_leaves=25)
# A query string is bytes on the wire: no lone surrogates (werkzeug could not even encode one).
QTEXT = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
                  TEXT.filter(lambda t: "\ud800" not in t))
KEYS = st.sampled_from(["metric", "labels", "start", "end", "limit", "cursor", "step", "max_points", "anomalies",
                        "list", "status", "all", "kind", "x"])
PATHS = st.sampled_from(["/", "/x", "/silences", "/silences/abc", "/incidents", "/api/series", "/api/overview",
                         "/api/feedback", "/api/feedback/abc", "/assets/app.js", "/assets/../main.py", "/query",
                         "/search", "/annotations", "/tag-values", "/metrics/job/x", "/feedback/abc",
                         "/metrics/job/x/instance/y", "/metrics/job@base64/=", "/metrics/job/x/a@base64/%%",
                         "/push/metrics/job/x", "/api/v2/write", "/push/api/v2/write", "/v1/metrics",
                         "/push/v1/metrics", "/shard", "/train/shard", "/shard/x"])
# Bodies in the senders' formats push reads (text format, OpenMetrics, line protocol), good and bad.
SENDER_BODIES = st.one_of(st.binary(max_size=64), st.sampled_from([
    b"a 1\n", b'a{b="c"} 1 1395066363000\n', b"# TYPE a histogram\na_bucket{le=\"+Inf\"} 1\n",
    b'a_total 1 # {x="y"} 1\n# EOF\n', b"m,t=x v=1i,w=2 1\n", b'm s="x"\n', b"m v=1 -1\n", b"\xff\n",
    b"a 1 9" + b"9" * 40 + b"\n"]))
HEADERS = st.dictionaries(st.sampled_from(["Authorization", "Idempotency-Key", "X-CloudScheduler-ScheduleTime",
                                           "Content-Type"]), st.text(alphabet=st.characters(min_codepoint=32,
                                                                                            max_codepoint=126),
                                                                     max_size=40), max_size=3)


def entry(function: str):
    """The shared package's endpoint the function's main.py hands the request to (it takes a runtime)."""
    from metricwatch.api import alerts, dashboard, feedback, grafana, push, query, train

    return {"push": push.push, "query": query.query, "alerts": alerts.alerts, "feedback": feedback.feedback,
            "dashboard": dashboard.dashboard, "grafana": grafana.grafana, "train": train.train}[function]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_main_hands_the_request_to_the_shared_endpoint(function):
    source = (ROOT / "functions" / function / "main.py").read_text()
    assert f"from metricwatch.api.{function} import {entry(function).__name__}" in source


@pytest.mark.parametrize("function", FUNCTIONS)
@FUZZ
@given(method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]), path=PATHS, query=st.lists(st.tuples(KEYS, QTEXT),
       max_size=4), headers=HEADERS, body=st.one_of(st.none(), JSON, SENDER_BODIES))
def test_no_request_gets_a_5xx(runtime, function, method, path, query, headers, body):
    if function == "train" and not query:
        query = [("x", "1")]  # a valid request would train; an unknown parameter is refused before
    data, content_type = (None, None) if body is None else (
        (body, "application/octet-stream") if isinstance(body, bytes) else (json.dumps(body), "application/json"))
    headers = dict(headers)
    if content_type and "Content-Type" not in headers:
        headers["Content-Type"] = content_type
    environ = EnvironBuilder(method=method, path=path, query_string=query, data=data, headers=headers).get_environ()
    text, status, answer_headers = entry(function)(Request(environ), runtime=runtime)
    assert status < 500, (function, method, path, query, headers, body, text[:300])


SHARD_KEYS = st.sampled_from(["run", "shard", "of", "series", "scheduled", "metric", "labels", "name", "x"])
SHARD_BODY = st.recursive(st.one_of(st.none(), st.booleans(), NUMBER, TEXT),
                          lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                  st.dictionaries(SHARD_KEYS, inner, max_size=5)), max_leaves=25)


@FUZZ
@given(body=st.one_of(SHARD_BODY, SENDER_BODIES), headers=HEADERS)
def test_no_shard_body_gets_a_5xx(runtime, body, headers):
    """The shard endpoint Cloud Tasks calls: whatever the body, a 4xx naming what is wrong, or the shard's answer."""
    data, content_type = (body, "application/octet-stream") if isinstance(body, bytes) else (json.dumps(body),
                                                                                              "application/json")
    headers = {"Content-Type": content_type, **headers}
    environ = EnvironBuilder(method="POST", path="/shard", data=data, headers=headers).get_environ()
    text, status, _ = entry("train")(Request(environ), runtime=runtime)
    assert status < 500, (body, headers, text[:300])
