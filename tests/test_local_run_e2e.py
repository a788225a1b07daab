"""`make run` end to end: the local system as a subprocess, started exactly as `make run` starts it.

With a fast schedule (collect-random every minute) and a watch list on the
robust_zscore model, it pushes history, trains over HTTP, pushes an outlier
and reads it back from /query with verdict -1, and sees the points of a
scheduled collector run. Then Ctrl-C (SIGINT) stops it cleanly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import ROOT, history
from metricwatch.config import SETTINGS

pytestmark = pytest.mark.slow
COMMAND = "PYTHONPATH=shared $(PY) -m metricwatch.local"  # the recipe of `make run` in mk/run.mk
RETRY = {"retry_count": 1, "min_backoff_seconds": 1, "max_backoff_seconds": 2, "max_doublings": 1,
         "max_retry_duration_seconds": 30}


def port_to_ask() -> str:
    """PORT=0 (the server binds a free port and names it in its banner) once PORT accepts 0; until
    then a port free right now, which another process may take before ours binds it (then we retry)."""
    [setting] = [s for s in SETTINGS if s.env == "PORT"]
    try:
        setting.parse("0")
        return "0"
    except ValueError:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return str(s.getsockname()[1])


def write_declarations(tmp: Path) -> dict[str, str]:
    schedule, watch = tmp / "schedules.json", tmp / "detection_metrics.json"
    schedule.write_text(json.dumps([
        {"name": "collect-random-fast", "function": "collect-random", "cron": "* * * * *", "time_zone": "Etc/UTC",
         "attempt_deadline_seconds": 30, "retry": RETRY},
        {"name": "train-daily", "function": "train", "cron": "30 2 * * *", "time_zone": "Europe/Bucharest",
         "attempt_deadline_seconds": 1800, "retry": RETRY}]))
    watch.write_text(json.dumps([{"name": name, "model": "robust_zscore", "train_params": {"z_threshold": 6}}
                                 for name in ("latency", "random")]))
    alerting = tmp / "alerting.json"  # the committed file, without the 30 s group_wait
    alerting.write_text(json.dumps({"route": {"group_by": ["alertname", "metric"], "group_wait": "0s"}}))
    return {"SCHEDULE_PATH": str(schedule), "DETECTION_METRICS_PATH": str(watch), "ALERTING_PATH": str(alerting),
            "MODEL_STORE_URL": f"file://{tmp / 'models'}", "MODEL_REFRESH_SECONDS": "0", "ALERT_WEBHOOK_URL": ""}


@pytest.fixture
def local_system(tmp_path):
    assert COMMAND in (ROOT / "mk" / "run.mk").read_text(), "make run no longer starts what this test starts"
    for attempt in range(3):
        proc, log = start(tmp_path, attempt)
        try:
            base = wait_for_banner(proc, log)
            if base:
                yield proc, base, log
                return
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    pytest.fail("the local system lost the race for a free port three times")


def start(tmp_path: Path, attempt: int, **env: str) -> tuple[subprocess.Popen, Any]:
    env = {**os.environ, **write_declarations(tmp_path), "PORT": port_to_ask(), "MONGO_URL": "", "PUSH_TOKENS": "",
           "PYTHONPATH": "shared", "LOG_LEVEL": "INFO", **env}
    log = (tmp_path / f"run-{attempt}.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "metricwatch.local"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, log


def output(log) -> str:
    log.flush()
    return Path(log.name).read_text()


def wait_for_banner(proc, log, timeout: float = 30) -> str | None:
    """The base URL the banner names, once the whole banner is out; None if the port was taken first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = output(log)
        if "Ctrl-C stops everything." in text:
            return re.search(r"(http://127\.0\.0\.1:\d+)/", text).group(1)
        if proc.poll() is not None:
            if "cannot serve" in text:  # the port we were given was taken before we bound it
                return None
            pytest.fail(f"the local system exited early:\n{text}")
        time.sleep(0.1)
    pytest.fail(f"no banner within {timeout}s:\n{output(log)}")


def push_history_train_and_catch_an_outlier(base: str) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    points = [{"name": "latency", "value": v, "labels": {"region": "eu"}, "timestamp": t.isoformat()}
              for t, v in history(now - timedelta(hours=5), 300, step=timedelta(minutes=1))]
    assert requests.post(base + "/push", json=points, timeout=30).status_code == 201
    trained = requests.post(base + "/train", timeout=60).json()
    assert [m["labels"] for m in trained["models"] if m["metric"] == "latency"] == [{"region": "eu"}]
    outlier = {"name": "latency", "value": 1000.0, "labels": {"region": "eu"}, "timestamp": now.isoformat()}
    pushed = requests.post(base + "/push", json=outlier, timeout=30).json()
    assert pushed["points"][0]["anomaly"] == -1 and pushed["incidents"]["opened"] == 1
    page = requests.get(base + "/query", params={"metric": "latency", "labels": "region=eu",
                                                 "start": now.isoformat()}, timeout=30).json()
    [back] = page["points"]
    assert back["value"] == 1000.0 and back["anomaly"] == -1 and back["model"] == "robust_zscore"
    everything = requests.get(base + "/query", params={"metric": "latency", "limit": "200"}, timeout=30).json()
    assert everything["count"] == 200 and everything["next"]


def wait_for_scheduled_points(base: str, timeout: float = 75) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        points = requests.get(base + "/query", params={"metric": "random"}, timeout=10).json()["points"]
        if points:
            return points
        time.sleep(0.5)
    pytest.fail(f"no scheduled collector run stored points within {timeout}s")


def test_the_whole_system_runs_locally(local_system):
    proc, base, log = local_system
    banner = output(log)
    assert "IN MEMORY ONLY" in banner and f"{base}/query" in banner and "collect-random-fast" in banner
    push_history_train_and_catch_an_outlier(base)
    notified = requests.post(base + "/notify", timeout=30)
    assert notified.status_code == 200 and notified.json()["sent"] == 1, notified.text
    assert "ALERT FIRING" in output(log) and "latency{region=eu} 1,000 is above its expected" in output(log)
    points = wait_for_scheduled_points(base)
    assert sorted(p["labels"]["user"] for p in points) == ["ion", "maria"]
    assert {datetime.fromisoformat(p["timestamp"]).second for p in points} == {0}  # stamped with the tick
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0
    text = output(log)
    assert "collect-random-fast" in text and "attempt 1: 200" in text and "stopped." in text


def test_an_unreachable_mongodb_is_one_line_and_a_non_zero_exit_not_a_traceback(tmp_path):
    proc, log = start(tmp_path, 0, MONGO_URL="mongodb://127.0.0.1:9", MONGO_TIMEOUT_MS="300")
    try:
        code = proc.wait(timeout=60)
    finally:
        log.close()
    text = Path(log.name).read_text()
    assert code != 0 and "Traceback" not in text
    assert text.strip().splitlines() == [
        "metricwatch: cannot start: MongoDB is unreachable: ServerSelectionTimeoutError"]


def test_ctrl_c_pressed_again_and_again_still_stops_it(local_system):
    """A signal handler that took a lock could deadlock on a second signal; ours only records it."""
    proc, _, log = local_system
    for i in range(3000):  # as many as we can send while it stops: a deadlock needs one at the wrong moment
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGINT if i % 2 else signal.SIGTERM)
    assert proc.wait(timeout=15) == 0 and "stopped." in output(log)


def test_a_collectors_file_that_does_not_exist_stops_it_naming_the_setting(tmp_path):
    proc, log = start(tmp_path, 0, COLLECTORS_PATH=str(tmp_path / "nope.json"))
    try:
        code = proc.wait(timeout=60)
    finally:
        log.close()
    text = Path(log.name).read_text()
    assert code == 2 and "Traceback" not in text and "COLLECTORS_PATH=" in text and "no such file" in text
