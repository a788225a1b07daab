"""A deployed collector gets every `${VAR}` its entry of resources/collectors.json needs.

Terraform passes a function only the settings its function.json lists in `env` and the
secrets it lists in `secrets`; a required reference that is neither would answer 500
"environment variable ... is not set" on every scheduled run.
"""

from __future__ import annotations

import json

import pytest

from metricwatch.collectors.declared import parse_declared
from metricwatch.ops.manifest import load_manifest, parse_manifest
from metricwatch.ops.references import references, unsupplied
from tfmodel import ROOT

COLLECTORS = parse_declared(json.loads((ROOT / "resources" / "collectors.json").read_text()))
DEPLOYED = sorted(p.parent.name for p in (ROOT / "functions").glob("collect-*/main.py"))
DECLARED_AND_DEPLOYED = [fn for fn in DEPLOYED if fn.removeprefix("collect-") in COLLECTORS]


def test_some_declared_collector_is_deployed():
    assert DECLARED_AND_DEPLOYED, "no functions/collect-<name> for any entry of resources/collectors.json"


@pytest.mark.parametrize("function", DECLARED_AND_DEPLOYED)
def test_every_required_reference_is_a_listed_setting_or_secret(function: str):
    manifest = load_manifest(ROOT / "functions" / function)
    required, _ = unsupplied(COLLECTORS[function.removeprefix("collect-")], manifest)
    assert not required, (f"functions/{function}/function.json: add {required} to \"secrets\" "
                          "(or to \"env\" if it is a setting)")


def _entry(**headers: str):
    raw = {"name": "queue", "kind": "http_json", "metric": "queue_depth",
           "params": {"url": "https://${QUEUE_HOST}/stats", "path": "data.waiting"}, "headers": headers}
    return parse_declared([raw])["queue"]


def _manifest(secrets: list[str], env: list[str] = ()) -> object:
    return parse_manifest("collect-queue", {"description": "d", "public": False, "model_bucket": "read",
                                            "env": ["MONGO_URL", *env], "secrets": secrets, "memory": "1Gi",
                                            "timeout_seconds": 60, "max_instances": 1})


def test_references_are_read_from_params_and_headers_with_and_without_defaults():
    entry = _entry(Authorization="Bearer ${QUEUE_TOKEN}", **{"X-Trace": "${TRACE_ID:-none}"})
    assert references(entry) == {"QUEUE_HOST": True, "QUEUE_TOKEN": True, "TRACE_ID": False}


def test_a_required_reference_must_be_listed_an_optional_one_need_not():
    entry = _entry(Authorization="Bearer ${QUEUE_TOKEN}", **{"X-Trace": "${TRACE_ID:-}"})
    assert unsupplied(entry, _manifest([])) == (["QUEUE_HOST", "QUEUE_TOKEN"], ["TRACE_ID"])
    assert unsupplied(entry, _manifest(["QUEUE_HOST", "QUEUE_TOKEN"])) == ([], ["TRACE_ID"])
    assert unsupplied(entry, _manifest(["QUEUE_HOST", "QUEUE_TOKEN", "TRACE_ID"])) == ([], [])


def test_a_reference_to_a_setting_is_supplied_by_env():
    raw = {"name": "orders", "kind": "mongo_query", "metric": "orders",
           "params": {"url": "${MONGO_URL}", "database": "shop", "collection": "orders", "count": {}}}
    entry = parse_declared([raw])["orders"]
    assert unsupplied(entry, _manifest([])) == ([], [])


def test_a_name_used_with_and_without_a_default_is_required():
    entry = _entry(Authorization="${QUEUE_TOKEN:-}", **{"X-Token": "${QUEUE_TOKEN}"})
    assert references(entry)["QUEUE_TOKEN"] is True
