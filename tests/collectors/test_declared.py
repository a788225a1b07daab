"""The collectors file: every mistake is refused with a message naming the entry."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from metricwatch.collectors import REGISTRY, known
from metricwatch.collectors.declared import parse_declared
from metricwatch.config import load_settings
from metricwatch.errors import ConfigError

OK = {"name": "api", "kind": "http_json", "metric": "m", "params": {"url": "http://x/", "path": "v"}}


@pytest.mark.parametrize("change, says", [
    ({"kind": "ftp"}, "needs 'kind'"),
    ({"name": "Bad_Name"}, "lowercase"),
    ({"colour": "red"}, "unknown ['colour']"),
    ({"params": {"url": "http://x/"}}, "'url' and 'path'"),
    ({"params": {"url": "http://x/", "path": "v", "verb": "POST"}}, "unknown params ['verb']"),
    ({"metric": "9lives"}, "'metric' is required"),
    ({"labels": {"a.b": "c"}}, "label key"),
    ({"headers": {"Authorization": "Bearer abc123"}}, "looks secret"),
    ({"headers": {"X-Api-Key": "abc"}}, "looks secret"),
])
def test_a_bad_entry_is_refused_naming_it(change, says):
    with pytest.raises(ConfigError) as err:
        parse_declared([{**OK, **change}])
    assert "collectors entry 0" in err.value.message and says in err.value.message


def test_duplicate_names_are_refused():
    with pytest.raises(ConfigError, match="entry 1: duplicate collector name 'api'"):
        parse_declared([OK, OK])


@pytest.mark.parametrize("entry, says", [
    ({"name": "p", "kind": "prometheus", "metric": "m", "params": {"url": "u", "series": ["a"]}}, "params.series"),
    ({"name": "p", "kind": "prometheus", "params": {"url": "u", "series": []}}, "non-empty list"),
    ({"name": "q", "kind": "mongo_query", "metric": "m",
      "params": {"url": "u", "database": "d", "collection": "c"}}, "exactly one of 'count'"),
    ({"name": "q", "kind": "mongo_query", "metric": "m", "headers": {"A": "b"},
      "params": {"url": "u", "database": "d", "collection": "c", "count": {}}}, "HTTP kinds only"),
    ({"name": "q", "kind": "mongo_query", "metric": "m", "params": {
        "url": "u", "database": "d", "collection": "c", "count": {}, "time_field": "at", "window_minutes": "15"}},
     "'window_minutes' must be a positive number"),
    ({"name": "q", "kind": "mongo_query", "metric": "m", "params": {
        "url": "u", "database": "d", "collection": "c", "count": {}, "time_field": "at", "window_minutes": -5}},
     "'window_minutes' must be a positive number"),
    ({"name": "q", "kind": "mongo_query", "metric": "m", "params": {
        "url": "u", "database": "d", "collection": "c", "count": {}, "time_field": "at",
        "window_minutes": float("inf")}}, "'window_minutes' must be a positive number"),
    ({"name": "q", "kind": "mongo_query", "metric": "m", "params": {
        "url": "u", "database": "d", "collection": "c", "count": {}, "time_field": 3, "window_minutes": 5}},
     "'time_field' must be a field name"),
])
def test_each_kind_checks_its_params(entry, says):
    with pytest.raises(ConfigError, match="collectors entry 0") as err:
        parse_declared([entry])
    assert says in err.value.message


def test_a_secret_written_as_a_reference_is_accepted_and_resolved_only_at_run_time():
    [entry] = parse_declared([{**OK, "headers": {"Authorization": "Bearer ${API_TOKEN}"}}]).values()
    assert entry.headers == {"Authorization": "Bearer ${API_TOKEN}"}
    assert entry.resolved_headers({"API_TOKEN": "s3cret"}) == {"Authorization": "Bearer s3cret"}


def test_the_projects_collectors_file_is_valid_and_every_collector_function_names_a_known_collector():
    settings = load_settings({"COLLECTORS_PATH": str(ROOT / "resources" / "collectors.json")}, dotenv=None)
    names = known(settings)
    assert {"random", "devto"} <= set(REGISTRY) <= names
    for main in ROOT.glob("functions/collect-*/main.py"):
        name = main.parent.name.removeprefix("collect-")
        assert f'collect(request, "{name}")' in main.read_text(), main
        assert name in names, f"{main.parent.name} runs an unknown collector"


def test_a_name_both_in_code_and_in_the_file_is_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{**OK, "name": "random"}]))
    with pytest.raises(ConfigError, match="both written in code and declared"):
        known(load_settings({"COLLECTORS_PATH": str(path)}, dotenv=None))


def test_a_collectors_file_that_does_not_exist_is_an_error_naming_the_setting(tmp_path):
    from metricwatch.collectors.declared import load_declared

    with pytest.raises(ConfigError) as err:
        load_declared(str(tmp_path / "nope.json"))
    assert err.value.details == {"variable": "COLLECTORS_PATH"} and "no such file" in err.value.message
