"""Grafana tests: requests at a path, as Grafana sends them, and a store with a few series in it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from conftest import NOW
from metricwatch.api.grafana import grafana
from metricwatch.points import Point
from metricwatch.runtime import Runtime
from metricwatch.store import StoredPoint

BAND = {"model": "robust_zscore", "expected": 100.0, "lower": 90.0, "upper": 110.0}


def at(path: str, method: str = "POST", *, json_body: Any = None, data: bytes | str | None = None,
       content_type: str | None = None, headers: dict[str, str] | None = None) -> Request:
    builder = EnvironBuilder(path=path, method=method, json=json_body, data=data, content_type=content_type,
                             headers=headers)
    return Request(builder.get_environ())


def send(runtime: Runtime, path: str, body: Any = None, method: str = "POST", **kwargs: Any) -> tuple[int, Any]:
    """(status, decoded body) of the grafana function at `path` (`/query` or `/grafana/query`)."""
    if body is not None:
        kwargs["json_body"] = body
    text, status, headers = grafana(at(path, method, **kwargs), runtime=runtime)
    assert headers["Content-Type"] == "application/json"
    return status, json.loads(text)


def iso(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def window(start: float = 0, end: float = 60) -> dict[str, Any]:
    """A Grafana `range`: minutes from NOW, in the form Grafana sends them."""
    return {"from": iso(start), "to": iso(end), "raw": {"from": "now-1h", "to": "now"}}


def put(runtime: Runtime, minutes: float, value: float, name: str = "cpu", verdict: dict | None = None,
        **labels: str) -> None:
    point = Point(name, value, NOW + timedelta(minutes=minutes), labels)
    runtime.store.insert([StoredPoint(point, verdict)])


def scored(anomaly: int, score: float = 0.1) -> dict[str, Any]:
    return {"anomaly": anomaly, "anomaly_score": score, **BAND}


def ms(minutes: float) -> int:
    return int((NOW + timedelta(minutes=minutes) - datetime(1970, 1, 1, tzinfo=NOW.tzinfo)).total_seconds() * 1000)


@pytest.fixture
def filled(runtime: Runtime) -> Runtime:
    """cpu of hosts a and b in dc x (scored from minute 2; a spike of 500 on a at minute 10), a superset series
    {host: a, dc: x, core: 1}, host c in eu-west, and mem without labels; one point a minute for 30 minutes."""
    for m in range(30):
        verdict = None if m < 2 else scored(1)
        spike = m == 10
        put(runtime, m, 500 if spike else 100 + m, verdict=scored(-1, 0.97) if spike else verdict, host="a", dc="x")
        put(runtime, m, 200 + m, verdict=verdict, host="b", dc="x")
        put(runtime, m, 300 + m, host="a", dc="x", core="1")
        put(runtime, m, 400 + m, host="c", region="eu-west")
        put(runtime, m, 1.0 * m, name="mem")
    return runtime
