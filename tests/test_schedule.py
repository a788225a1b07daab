"""The schedule declaration: one file, read by Terraform and `make run`; every mistake named by its entry."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from croniter import croniter

from conftest import ROOT
from metricwatch.errors import ConfigError
from metricwatch.schedule import load_schedule, parse_schedule

RETRY = {"retry_count": 1, "min_backoff_seconds": 1, "max_backoff_seconds": 2, "max_doublings": 1,
         "max_retry_duration_seconds": 10}
JOB = {"name": "j", "function": "push", "cron": "*/5 * * * *", "time_zone": "Etc/UTC",
       "attempt_deadline_seconds": 60, "retry": RETRY}


@pytest.fixture(scope="module")
def jobs():
    return load_schedule(ROOT / "resources" / "schedules.json", ROOT / "functions")


def test_the_projects_schedule_is_valid_and_names_existing_functions(jobs):
    assert {j.function for j in jobs} <= {p.parent.name for p in ROOT.glob("functions/*/main.py")}


def test_every_collector_function_is_scheduled(jobs):
    collectors = {p.parent.name for p in ROOT.glob("functions/collect-*/main.py")}
    assert collectors <= {j.function for j in jobs}


def test_the_trainer_runs_daily(jobs):
    [train] = [j for j in jobs if j.function == "train"]
    fires = croniter(train.cron, datetime(2026, 11, 20, tzinfo=timezone.utc))
    first, second = fires.get_next(datetime), fires.get_next(datetime)
    assert (second - first).total_seconds() == 86400


def test_collectors_fire_on_the_original_apps_intervals(jobs):
    crons = {j.function: j.cron for j in jobs}
    assert crons["collect-random"] == "*/5 * * * *" and crons["collect-devto"] == "*/15 * * * *"


@pytest.mark.parametrize("change, says", [
    ({"cron": "every 5 minutes"}, "is not a 5-field unix-cron"),
    ({"cron": "*/5 * * * * *"}, "is not a 5-field unix-cron"),
    ({"function": "nosuch"}, "unknown function 'nosuch'"),
    ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
    ({"attempt_deadline_seconds": 5}, "attempt_deadline_seconds"),
    ({"retry": {"retry_count": 1}}, "'retry' must have exactly"),
    ({"colour": "red"}, "unknown: ['colour']"),
])
def test_an_invalid_entry_is_rejected_naming_it(change, says):
    with pytest.raises(ConfigError) as err:
        parse_schedule([JOB, {**JOB, "name": "broken", **change}], functions={"push", "train"})
    assert "schedule entry 1 ('broken')" in err.value.message and says in err.value.message


def test_duplicate_names_are_rejected_naming_the_entry():
    with pytest.raises(ConfigError, match="schedule entry 1: duplicate job name 'j'"):
        parse_schedule([JOB, JOB], functions={"push"})
