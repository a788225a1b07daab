"""Pushgateway pushes (`/push/metrics/job/<job>{/<label>/<value>}`): the text format and OpenMetrics,
through push's validation and storing, read back with /query."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ingest.helpers import CURL, read, send, stored, values

# The Pushgateway README (github.com/prometheus/pushgateway, README.md, "Command line"):
#     echo "some_metric 3.14" | curl --data-binary @- http://pushgateway.example.org:9091/metrics/job/some_job
README_SINGLE = "some_metric 3.14\n"
# ... and "Push something more complex into the group identified by {job="some_job",instance="some_instance"}":
#     cat <<EOF | curl --data-binary @- http://pushgateway.example.org:9091/metrics/job/some_job/instance/some_instance
README_COMPLEX = """\
# TYPE some_metric counter
some_metric{label="val1"} 42
# TYPE another_metric gauge
# HELP another_metric Just an example.
another_metric 2398.283
"""
# The Prometheus exposition formats page (prometheus.io/docs/instrumenting/exposition_formats/, "Text format
# example"; the histogram and summary part as quoted in outlyerapp/metrics-reader doc/prometheus_format.md).
EXPOSITION_EXAMPLE = """\
# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A histogram, which has a complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="0.2"} 100392
http_request_duration_seconds_bucket{le="0.5"} 129389
http_request_duration_seconds_bucket{le="1"} 133988
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# Finally a summary, which has a complex representation, too:
# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"""


def test_the_readme_single_sample_is_stored_with_the_job_label(runtime):
    status, body, _ = send(runtime, "/metrics/job/some_job", README_SINGLE)
    assert status == 201 and body["stored"] == 1
    assert values(runtime, "some_metric") == [({"job": "some_job"}, 3.14)]


def test_the_readme_complex_push_keeps_types_labels_and_the_grouping_key(runtime):
    status, body, _ = send(runtime, "/metrics/job/some_job/instance/some_instance", README_COMPLEX)
    assert status == 201 and body["stored"] == 2
    group = {"job": "some_job", "instance": "some_instance"}
    # A counter is stored under its `_total` name, as prometheus_client reads both formats.
    assert values(runtime, "some_metric_total") == [({**group, "label": "val1"}, 42)]
    assert values(runtime, "another_metric") == [(group, 2398.283)]


def test_the_exposition_example_gives_every_bucket_sum_count_and_quantile_a_series(runtime):
    status, body, _ = send(runtime, "/metrics/job/api", EXPOSITION_EXAMPLE, content_type="text/plain; version=0.0.4")
    assert status == 201 and body["stored"] == 2 + 8 + 7
    buckets = {p["labels"]["le"]: p["value"] for p in read(runtime, "http_request_duration_seconds_bucket")}
    assert buckets == {"0.05": 24054, "0.1": 33444, "0.2": 100392, "0.5": 129389, "1": 133988, "+Inf": 144320}
    assert values(runtime, "http_request_duration_seconds_sum") == [({"job": "api"}, 53423)]
    assert values(runtime, "http_request_duration_seconds_count") == [({"job": "api"}, 144320)]
    quantiles = {p["labels"]["quantile"]: p["value"] for p in read(runtime, "rpc_duration_seconds")}
    assert quantiles == {"0.01": 3102, "0.05": 3272, "0.5": 4773, "0.9": 9001, "0.99": 76656}
    assert values(runtime, "rpc_duration_seconds_sum") == [({"job": "api"}, 1.7560473e+07)]
    assert values(runtime, "rpc_duration_seconds_count") == [({"job": "api"}, 2693)]


def test_a_sample_timestamp_in_milliseconds_is_the_points_time(runtime):
    send(runtime, "/metrics/job/api", EXPOSITION_EXAMPLE)
    [point] = read(runtime, "http_requests_total", code="200")
    assert point["timestamp"] == datetime.fromtimestamp(1395066363, timezone.utc).isoformat()
    assert point["value"] == 1027


@pytest.mark.parametrize("path, group", [
    ("/metrics/job@base64/YmFja3Vw/instance/x", {"job": "backup", "instance": "x"}),
    # The README's URL section examples:
    ("/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA", {"job": "directory_cleaner", "path": "/var/tmp"}),
    ("/metrics/job/example/first_label@base64/=/second_label/foobar",
     {"job": "example", "first_label": "", "second_label": "foobar"}),
    ("/metrics/job/titan/name@base64/zqDPgc6_zrzOt864zrXPjc-C", {"job": "titan", "name": "Προμηθεύς"}),
    ("/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82",
     {"job": "titan", "name": "Προμηθεύς"}),
    ("/push/metrics/job/batch/instance/x", {"job": "batch", "instance": "x"}),  # deployed behind /push
])
def test_the_pushgateway_path_grammar_gives_the_grouping_labels(runtime, path, group):
    status, _, _ = send(runtime, path, 'some_metric{foo="bar"} 3.14\n')
    assert status == 201
    assert values(runtime, "some_metric") == [({**group, "foo": "bar"}, 3.14)]


def test_path_labels_overwrite_the_same_labels_in_the_body(runtime):
    send(runtime, "/metrics/job/some_job", 'name{job="foo",x="y"} 42\n')
    assert values(runtime, "name") == [({"job": "some_job", "x": "y"}, 42)]


def test_put_is_a_push_too(runtime):
    status, _, _ = send(runtime, "/metrics/job/j", "a 1\n", method="PUT")
    assert status == 201 and values(runtime, "a") == [({"job": "j"}, 1)]


def test_openmetrics_is_read_with_its_own_parser_and_second_timestamps(runtime):
    body = ('# TYPE jobs counter\n# HELP jobs Jobs run.\njobs_total{kind="nightly"} 7 1765000000.250\n'
            '# TYPE temp_celsius gauge\n# UNIT temp_celsius celsius\ntemp_celsius 21.5\n# EOF\n')
    status, answer, _ = send(runtime, "/metrics/job/j", body, content_type="application/openmetrics-text; version=1.0.0")
    assert status == 201 and answer["stored"] == 2
    [point] = read(runtime, "jobs_total")
    assert point["timestamp"] == "2025-12-06T05:46:40.250000+00:00" and point["value"] == 7
    assert values(runtime, "temp_celsius") == [({"job": "j"}, 21.5)]


def test_an_openmetrics_exemplar_is_refused_naming_its_line_not_dropped(runtime, collection):
    body = ('# TYPE req counter\nreq_total 1\n# TYPE lat histogram\n'
            'lat_bucket{le="1"} 3 # {trace_id="abc"} 0.5\nlat_bucket{le="+Inf"} 3\nlat_count 3\nlat_sum 1\n# EOF\n')
    status, answer, _ = send(runtime, "/metrics/job/j", body, content_type="application/openmetrics-text")
    assert status == 400 and answer["error"].startswith("line 4: exemplars are not stored")
    assert stored(collection) == 0


def test_openmetrics_without_its_eof_is_refused(runtime, collection):
    status, answer, _ = send(runtime, "/metrics/job/j", "a 1\n", content_type="application/openmetrics-text")
    assert status == 400 and "OpenMetrics" in answer["error"] and stored(collection) == 0


@pytest.mark.parametrize("body, line, says", [
    ("a 1\nb 2\nc{x=1} 3\n", 3, "not valid Prometheus text format"),
    ("# TYPE a gauge\na 1\n# TYPE\n", 3, "not valid"),
    ("a 1\nb two\n", 2, "not valid"),
    ("a 1\n\n_private 2\n", 3, "'name' must start with a letter"),
    ("a 1\nb NaN\n", 2, "finite"),
    ("a 1\nb +Inf\n", 2, "finite"),
    ('a 1\nb{"a.b"="x"} 2\n', 2, "contain '.'"),
    ("a 1\nb 2 4102444800000\n", 2, "in the future"),
    ("a 1\nb 2 99999999999999999\n", 2, "out of range"),
])
def test_a_bad_line_is_a_400_naming_it_and_nothing_is_written(runtime, collection, body, line, says):
    status, answer, _ = send(runtime, "/metrics/job/j", body)
    assert status == 400, answer
    assert answer["error"].startswith(f"line {line}: ") and says in answer["error"]
    assert stored(collection) == 0


@pytest.mark.parametrize("path, says", [
    ("/metrics/job", "has no value"),
    ("/metrics/job/j/instance", "'instance' has no value"),
    ("/metrics/job@base64/=", "job name must not be empty"),
    ("/metrics/job/j/in-stance/x", "not a label name"),
    ("/metrics/job/j/job/k", "given twice"),
    ("/metrics/job/j/path@base64/!!", "not URL-safe base64"),
])
def test_a_bad_path_is_a_400_and_nothing_is_written(runtime, collection, path, says):
    status, answer, _ = send(runtime, path, "a 1\n")
    assert status == 400 and says in answer["error"] and answer["field"] == "path"
    assert stored(collection) == 0


def test_an_empty_push_is_refused(runtime):
    status, answer, _ = send(runtime, "/metrics/job/j", "# HELP a nothing\n")
    assert status == 400 and answer["error"] == "body has no samples"


@pytest.mark.parametrize("content_type", [None, CURL, "application/octet-stream", "text/plain",
                                          "text/plain; version=0.0.4; charset=utf-8"])
def test_the_text_format_is_read_with_or_without_its_content_type(runtime, content_type):
    status, _, _ = send(runtime, "/metrics/job/j", "a 1\n", content_type=content_type)
    assert status == 201


@pytest.mark.parametrize("content_type", ["application/json", "text/plain; version=1.0.0",
                                          "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
                                          "encoding=delimited"])
def test_another_content_type_is_415(runtime, content_type):
    status, answer, _ = send(runtime, "/metrics/job/j", "a 1\n", content_type=content_type)
    assert status == 415 and "text/plain; version=0.0.4" in answer["error"]


def test_a_gzipped_body_is_415_not_a_confusing_400(runtime):
    status, answer, _ = send(runtime, "/metrics/job/j", b"\x1f\x8b", headers={"Content-Encoding": "gzip"})
    assert status == 415 and "uncompressed" in answer["error"]


def test_a_body_over_the_limit_is_413(make_settings, collection):
    from metricwatch.runtime import build_runtime
    from metricwatch.store import MongoMetricStore

    runtime = build_runtime(make_settings(MAX_BODY_BYTES="64"), store=MongoMetricStore(collection))
    status, _, _ = send(runtime, "/metrics/job/j", "a 1\n" * 40)
    assert status == 413 and stored(collection) == 0


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_other_methods_are_405_with_the_paths_allow(runtime, method):
    status, _, headers = send(runtime, "/metrics/job/j", "", method=method)
    assert status == 405 and headers["Allow"] == "POST, PUT"


def test_an_unknown_path_is_404(runtime):
    status, answer, _ = send(runtime, "/metrics/nojob/x", "a 1\n")
    assert status == 404 and "/push/metrics/job/<job>" in answer["error"]


def test_a_retry_with_the_same_idempotency_key_stores_once(runtime, collection):
    key = {"Idempotency-Key": "pgw-retry-1"}
    first = send(runtime, "/metrics/job/j", "a 1\nb 2\n", headers=key)
    again = send(runtime, "/metrics/job/j", "a 1\nb 2\n", headers=key)
    assert first[0] == again[0] == 201 and again[1] == first[1]
    assert again[2]["Idempotent-Replayed"] == "true" and stored(collection) == 2
    other_group = send(runtime, "/metrics/job/k", "a 1\nb 2\n", headers=key)
    assert other_group[0] == 409 and stored(collection) == 2
