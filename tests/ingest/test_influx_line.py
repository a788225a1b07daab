"""Influx line protocol (`/push/api/v2/write?precision=...`): each field of a line is a point named
`<measurement>_<field>`, tagged with the line's tags, through push's validation and storing."""

from __future__ import annotations

import pytest

from ingest.helpers import read, send, stored, values

WRITE = "/api/v2/write"

# The line protocol tutorial (docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_tutorial/, "Syntax"):
TUTORIAL = "weather,location=us-midwest temperature=82 1465839830100400200\n"
# The reference's syntax example (docs.influxdata.com/influxdb/cloud-iox/reference/syntax/line-protocol/, "Example"):
REFERENCE = 'myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000\n'
# InfluxDB's tsdb README (github.com/influxdata/influxdb, tsdb/README.md), the key examples, with a field each:
TSDB_README = """\
# measurement and tags
cpu,host=serverA,region=us-west value=1.0
# tag value with spaces
cpu,host=server\\ A,region=us\\ west value=2.0
"""


def test_the_tutorial_line_is_stored_with_its_nanosecond_time(runtime):
    status, body, _ = send(runtime, WRITE, TUTORIAL, content_type="text/plain; charset=utf-8")
    assert status == 201 and body["stored"] == 1
    [point] = read(runtime, "weather_temperature")
    assert point["labels"] == {"location": "us-midwest"} and point["value"] == 82
    assert point["timestamp"] == "2016-06-13T17:43:50.100000+00:00"  # stored to the millisecond


def test_the_tsdb_readme_keys_become_labels_with_escaped_spaces_read_back(runtime):
    status, body, _ = send(runtime, WRITE, TSDB_README)
    assert status == 201 and body["stored"] == 2
    assert sorted(values(runtime, "cpu_value"), key=lambda v: v[1]) == [
        ({"host": "serverA", "region": "us-west"}, 1.0), ({"host": "server A", "region": "us west"}, 2.0)]


def test_the_references_string_field_is_refused_naming_its_line(runtime, collection):
    status, answer, _ = send(runtime, WRITE, "weather temperature=82\n" + REFERENCE)
    assert status == 400 and answer["error"].startswith("line 2: field 'fieldKey' is a string")
    assert stored(collection) == 0


def test_every_field_is_a_metric_and_numbers_and_booleans_are_values(runtime):
    body = "disk,host=a used=10i,free=12485903u,ratio=-1.5e-3,ok=true,broken=F\n"
    status, answer, _ = send(runtime, WRITE, body)
    assert status == 201 and answer["stored"] == 5
    got = {name: values(runtime, f"disk_{name}")[0][1] for name in ("used", "free", "ratio", "ok", "broken")}
    assert got == {"used": 10, "free": 12485903, "ratio": -0.0015, "ok": 1, "broken": 0}
    assert values(runtime, "disk_used")[0][0] == {"host": "a"}


@pytest.mark.parametrize("precision, stamp", [("ns", "1765000000123456789"), ("us", "1765000000123456"),
                                              ("ms", "1765000000123"), ("s", "1765000000")])
def test_precision_says_the_unit_of_the_timestamp(runtime, precision, stamp):
    status, _, _ = send(runtime, WRITE, f"m v=1 {stamp}\n", query_string={"precision": precision})
    assert status == 201
    millis = ".123000" if precision != "s" else ""
    assert read(runtime, "m_v")[0]["timestamp"] == f"2025-12-06T05:46:40{millis}+00:00"


def test_a_line_without_a_timestamp_is_stamped_now(runtime):
    from datetime import datetime, timezone

    before = datetime.now(timezone.utc).replace(microsecond=0)
    send(runtime, WRITE, "m v=1\n")
    assert datetime.fromisoformat(read(runtime, "m_v")[0]["timestamp"]) >= before


def test_telegrafs_org_and_bucket_are_accepted_and_ignored(runtime):
    status, _, _ = send(runtime, "/push/api/v2/write", "m v=1\n",
                        query_string={"org": "o", "bucket": "b", "precision": "s"})
    assert status == 201 and values(runtime, "m_v") == [({}, 1)]


@pytest.mark.parametrize("body, line, says", [
    ("m v=1\nm v=\n", 2, "not valid line protocol"),
    ("m v=1\n# a comment\ncpu\n", 3, "not valid line protocol"),  # tsdb README's "measurement only"
    ("m v=1\n\ncpu\\,01,host=serverA value=1\n", 3, "'name' must start with a letter"),  # a comma in the name
    ("m v=1\nmy\\ Measurement fieldKey=1\n", 2, "'name' must start with a letter"),
    ("m v=1\n1m v=2\n", 2, "'name' must start with a letter"),
    ("m,a.b=x v=1\n", 1, "contain '.'"),
    ("m v=1 -5\n", 1, "before 1970"),
    ("m v=1\nm v=1 4102444800000000000\n", 2, "in the future"),
    ("m v=1\nm v=1e400\n", 2, "not valid line protocol"),
])
def test_a_bad_line_is_a_400_naming_it_and_nothing_is_written(runtime, collection, body, line, says):
    status, answer, _ = send(runtime, WRITE, body)
    assert status == 400, answer
    assert answer["error"].startswith(f"line {line}: ") and says in answer["error"]
    assert stored(collection) == 0


@pytest.mark.parametrize("query, says", [({"precision": "h"}, "'precision' must be one of"),
                                         ({"db": "x"}, "unknown parameter")])
def test_a_bad_parameter_is_a_400(runtime, query, says):
    status, answer, _ = send(runtime, WRITE, "m v=1\n", query_string=query)
    assert status == 400 and says in answer["error"]


def test_a_body_of_comments_only_is_refused(runtime):
    status, answer, _ = send(runtime, WRITE, "# nothing\n\n")
    assert status == 400 and answer["error"] == "body has no lines"


def test_a_json_content_type_is_415(runtime):
    status, answer, _ = send(runtime, WRITE, "m v=1\n", content_type="application/json")
    assert status == 415 and "text/plain" in answer["error"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_only_post_writes(runtime, method):
    status, _, headers = send(runtime, WRITE, "m v=1\n", method=method)
    assert status == 405 and headers["Allow"] == "POST"


def test_a_retry_with_the_same_idempotency_key_stores_once(runtime, collection):
    key = {"Idempotency-Key": "telegraf-retry-1"}
    first = send(runtime, WRITE, "m v=1,w=2 1765000000\n", query_string={"precision": "s"}, headers=key)
    again = send(runtime, WRITE, "m v=1,w=2 1765000000\n", query_string={"precision": "s"}, headers=key)
    assert first[0] == again[0] == 201 and again[2]["Idempotent-Replayed"] == "true"
    assert stored(collection) == 2
    other_precision = send(runtime, WRITE, "m v=1,w=2 1765000000\n", query_string={"precision": "ms"}, headers=key)
    assert other_precision[0] == 409 and stored(collection) == 2
