"""http_json: a URL, a path into its JSON answer, labels, and headers whose secrets come from the environment."""

from __future__ import annotations

import pytest

from collectors.test_collector_runs import run
from metricwatch.collectors.http import _where
from metricwatch.collectors.http_json import check, follow, legacy_path
from metricwatch.errors import ConfigError, SourceUnavailable

DOC = {"data": {"items": [{"count": 3, "state": "open"}, {"count": "4.5", "state": "closed"}]}, "ok": True,
       "my-key": 7}


@pytest.mark.parametrize("path, value", [
    ("data.items[0].count", 3), ("data.items[-1].count", "4.5"), ("length(data.items)", 2), ("ok", True),
    ("length(data.items[?state=='open'])", 1), ('"my-key"', 7)])
def test_a_path_is_a_jmespath_expression(path, value):
    assert follow(DOC, path) == value


@pytest.mark.parametrize("old, new", [
    ("data.items.0.count", "data.items[0].count"), ("data.items.-1.count", "data.items[-1].count"),
    ("data.items.#", "length(data.items)"), ("my-key", '"my-key"')])
def test_the_old_dotted_form_is_read_as_its_jmespath_with_a_warning(old, new, caplog):
    assert legacy_path(old) == new
    assert follow(DOC, old, where=f"legacy {old}") == follow(DOC, new)
    assert repr(new) in caplog.text and "old dotted form" in caplog.text


def test_a_path_that_selects_nothing_is_the_sources_fault_naming_the_path():
    with pytest.raises(SourceUnavailable) as err:
        follow(DOC, "data.things[0]")
    assert "'data.things[0]'" in err.value.message


def test_a_path_that_does_not_fit_the_answers_shape_is_the_sources_fault():
    with pytest.raises(SourceUnavailable, match="does not apply"):
        follow(DOC, "length(ok)")


def test_a_path_that_is_not_jmespath_is_refused_when_the_declaration_loads():
    with pytest.raises(ConfigError, match="not a JMESPath expression"):
        check("collectors entry 0", {"url": "http://x/", "path": "data[?"})


def entry(url, **extra):
    return {"name": "api", "kind": "http_json", "metric": "queue_depth", "labels": {"queue": "orders"},
            "params": {"url": url, "path": "data.items[1].count"}, **extra}


def test_the_value_at_the_path_is_stored_with_the_entrys_labels(make_runtime, source, declare, collection):
    path = declare(entry(source.route("/stats", DOC)))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="api")
    assert status == 200
    doc = collection.find_one()
    assert doc["meta"]["name"] == "queue_depth" and doc["meta"]["labels"] == {"queue": "orders"}
    assert doc["value"] == 4.5


def test_header_secrets_are_resolved_from_the_environment_at_run_time(make_runtime, source, declare, monkeypatch):
    monkeypatch.setenv("STATS_TOKEN", "s3cret")
    path = declare(entry(source.route("/stats", DOC), headers={"Authorization": "Bearer ${STATS_TOKEN}",
                                                                "X-Optional": "${UNSET_OPTIONAL:-}"}))
    status, _ = run(make_runtime(COLLECTORS_PATH=path), name="api")
    headers = source.seen[0][1]
    assert status == 200 and headers["Authorization"] == "Bearer s3cret" and "X-Optional" not in headers


def test_an_unset_secret_is_a_500_naming_the_variable(make_runtime, source, declare, monkeypatch):
    monkeypatch.delenv("STATS_TOKEN", raising=False)
    path = declare(entry(source.route("/stats", DOC), headers={"Authorization": "Bearer ${STATS_TOKEN}"}))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="api")
    assert status == 500 and "STATS_TOKEN" in body["error"] and "'api'" in body["error"]
    assert source.seen == []


def test_an_answer_that_is_not_json_is_a_502(make_runtime, source, declare):
    path = declare(entry(source.route("/stats", "<html>", content_type="text/html")))
    status, body = run(make_runtime(COLLECTORS_PATH=path), name="api")
    assert status == 502 and "did not answer JSON" in body["error"]


def test_credentials_in_the_url_never_reach_the_answer_or_the_log(make_runtime, source, declare, caplog):
    url = source.route("/down", {"error": "boom"}, status=503).replace("http://", "http://reader:s3cret@")
    status, body = run(make_runtime(COLLECTORS_PATH=declare(entry(url + "?token=t0ken"))), name="api")
    assert status == 502 and body["error"] == f"{source.url}/down answered 503"
    assert "s3cret" not in caplog.text and "t0ken" not in caplog.text and "reader" not in caplog.text


@pytest.mark.parametrize("url, shown", [
    ("https://u:p@example.com/api?key=k#f", "https://example.com/api"),
    ("http://u@[::1]:8080/m", "http://[::1]:8080/m"),
    ("http://u:p@host:notaport/m", "http://host/m"),
])
def test_a_source_is_named_by_scheme_host_port_and_path_only(url, shown):
    assert _where(url) == shown
