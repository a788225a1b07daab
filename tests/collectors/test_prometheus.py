"""prometheus: selected series of a text-exposition /metrics endpoint become points, labels kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from collectors.test_collector_runs import run
from metricwatch.collectors.prometheus import parse

EXPOSITION = '''# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="get",code="200"} 1027 1395066363000
http_requests_total{method="post",code="500"} 3
http_request_duration_seconds_sum 53.4
process_open_fds 12
up{path="C:\\\\dir\\"q\\"\\n"} 1
queue_size NaN
'''


def test_parse_reads_names_labels_values_and_escapes():
    samples = list(parse(EXPOSITION))
    assert ("http_requests_total", {"method": "get", "code": "200"}, 1027.0) in samples
    assert ("http_request_duration_seconds_sum", {}, 53.4) in samples
    assert ("up", {"path": 'C:\\dir"q"\n'}, 1.0) in samples
    assert len(samples) == 6


def entry(url, **params):
    return {"name": "scrape", "kind": "prometheus", "labels": {"job": "shop"},
            "params": {"url": url, "series": ["http_requests_total", "process_open_fds", "queue_size"], **params}}


def test_selected_series_are_stored_with_their_labels_and_the_entrys(make_runtime, source, declare, collection):
    path = declare(entry(source.route("/metrics", EXPOSITION, content_type="text/plain; version=0.0.4")))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert status == 200 and body["stored"] == 3  # NaN is skipped, unselected series are not kept
    stored = {(d["meta"]["name"], tuple(sorted(d["meta"]["labels"].items())), d["value"]) for d in collection.find()}
    assert stored == {
        ("http_requests_total", (("code", "200"), ("job", "shop"), ("method", "get")), 1027.0),
        ("http_requests_total", (("code", "500"), ("job", "shop"), ("method", "post")), 3.0),
        ("process_open_fds", (("job", "shop"),), 12.0),
    }


def test_match_keeps_only_samples_with_those_labels(make_runtime, source, declare, collection):
    path = declare(entry(source.route("/metrics", EXPOSITION, content_type="text/plain"), match={"code": "500"}))
    run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert [d["value"] for d in collection.find()] == [3.0]


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@given(labels=st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), st.text(max_size=20),
                              max_size=4),
       value=st.floats(allow_nan=False, allow_infinity=False))
def test_any_label_values_survive_the_exposition_escaping(labels, value):
    body = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
    [(name, parsed, number)] = list(parse(f"m{{{body}}} {value!r}\n"))
    assert (name, parsed, number) == ("m", labels, value)


def test_a_scraped_label_wins_over_the_entrys_so_series_stay_apart(make_runtime, source, declare, collection):
    text = 'process_open_fds{job="api"} 1\nprocess_open_fds{job="worker"} 2\nprocess_open_fds 3\n'
    path = declare(entry(source.route("/metrics", text, content_type="text/plain")))  # entry labels job=shop
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert status == 200 and body["stored"] == 3
    assert sorted((d["meta"]["labels"]["job"], d["value"]) for d in collection.find()) == [
        ("api", 1.0), ("shop", 3.0), ("worker", 2.0)]


def test_a_series_scraped_twice_is_a_500_naming_it_not_a_dropped_value(make_runtime, source, declare, collection):
    text = 'process_open_fds{fd="x"} 1\nprocess_open_fds{fd="x"} 2\n'
    path = declare(entry(source.route("/metrics", text, content_type="text/plain")))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert status == 500 and "two samples" in body["error"] and "process_open_fds" in body["error"]
    assert collection.count_documents({}) == 0


def test_a_page_that_is_not_an_exposition_is_a_502_that_says_what_it_got(make_runtime, source, declare, collection):
    """A login page or a wrong path must not be a run that succeeds every time and stores nothing."""
    path = declare(entry(source.route("/login", "<!doctype html><html>Sign in</html>", content_type="text/html")))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert status == 502 and "no Prometheus samples" in body["error"] and "Sign in" not in body["error"]
    assert collection.count_documents({}) == 0


def test_a_wanted_counter_declared_but_without_samples_yet_is_an_empty_run(make_runtime, source, declare):
    """A labelled counter has only its # HELP / # TYPE lines until its first event."""
    page = "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
    path = declare(entry(source.route("/metrics", page, content_type="text/plain")))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert status == 200 and body["stored"] == 0


def test_a_page_without_any_wanted_series_is_a_502_listing_what_it_has(make_runtime, source, declare):
    path = declare(entry(source.route("/metrics", "go_goroutines 12\nup 1\n", content_type="text/plain")))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="scrape")
    assert status == 502 and "none of the series" in body["error"] and "['go_goroutines', 'up']" in body["error"]
