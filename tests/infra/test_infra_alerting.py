"""The notify function is deployed with what alerting needs: its schedule, and every receiver's secret."""

from __future__ import annotations

from conftest import ROOT
from metricwatch.alerting.rules import load_rules
from metricwatch.envref import REF
from metricwatch.ops.manifest import load_manifest
from metricwatch.schedule import load_schedule


def test_notify_runs_every_minute_from_the_shared_schedule():
    jobs = {j.function: j for j in load_schedule(ROOT / "resources" / "schedules.json", ROOT / "functions")}
    assert jobs["notify"].cron == "* * * * *"
    assert jobs["notify"].attempt_deadline_seconds >= load_manifest(ROOT / "functions" / "notify").timeout_seconds


def test_every_receiver_reference_of_alerting_json_reaches_notify_as_a_secret():
    rules = load_rules(ROOT / "resources" / "alerting.json")
    names = {"ALERT_WEBHOOK_URL"} | {m.group(1) for spec in rules.receivers.values() for m in REF.finditer(spec.url)}
    assert names <= set(load_manifest(ROOT / "functions" / "notify").secrets)


def test_the_alerts_api_is_public_and_notify_is_not():
    assert load_manifest(ROOT / "functions" / "alerts").public
    assert not load_manifest(ROOT / "functions" / "notify").public
