"""functions/grafana/main.py as `make run` serves it: its functions-framework app behind the local
dispatcher (which strips `/grafana`), settings read from the environment as a deployment reads them."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.test import Client

from conftest import ROOT
from metricwatch.points import Point
from metricwatch.store import StoredPoint


@pytest.fixture
def served(monkeypatch, tmp_path, watch_list):
    from metricwatch import runtime as runtime_module
    from metricwatch.local.apps import Dispatcher, load_apps

    env = {"MONGO_URL": "", "MONGO_DB_NAME": f"grafana_{uuid.uuid4().hex[:12]}", "PUSH_TOKENS": "t0k",
           "MODEL_STORE_URL": f"file://{tmp_path / 'models'}", "DETECTION_METRICS_PATH": str(watch_list),
           "METRICS_RETENTION_DAYS": "0", "MODEL_REFRESH_SECONDS": "0", "REQUIRE_PUSH_TOKENS": "false"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runtime_module.get_settings.cache_clear()
    runtime_module.get_runtime.cache_clear()
    yield Client(Dispatcher(load_apps(ROOT / "functions", ["grafana"]), base_url="")), runtime_module.get_runtime()
    runtime_module.get_settings.cache_clear()
    runtime_module.get_runtime.cache_clear()


def test_the_function_serves_the_connection_test_and_a_query_at_its_url_with_the_token(served):
    client, runtime = served
    now = datetime.now(timezone.utc).replace(microsecond=0)
    runtime.store.insert([StoredPoint(Point("cpu", 1.0 + i, now - timedelta(minutes=i), {"host": "a"})) for i in range(5)])
    auth = {"Authorization": "Bearer t0k"}
    assert client.get("/grafana").status_code == 401
    health = client.get("/grafana/", headers=auth)
    assert health.status_code == 200 and health.json["metrics"] == 1
    rng = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(minutes=1)).isoformat()}
    answer = client.post("/grafana/query", headers=auth, json={"range": rng, "maxDataPoints": 3, "targets": [
        {"target": "cpu", "refId": "A"}]})
    assert answer.status_code == 200 and answer.json[0]["target"] == 'cpu{host="a"}'
    assert 1 <= len(answer.json[0]["datapoints"]) <= 3
    assert client.post("/grafana/search", headers=auth, json={"target": ""}).json == ["cpu"]
