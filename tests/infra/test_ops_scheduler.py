"""`make train-now` and `make drift`: what they send to Cloud Scheduler, with an injected client.

The fake client records calls and returns real `scheduler_v1` messages, so the
field types (timedelta durations, enum methods) are those the API client gives.
Nothing here reaches GCP; docs/deploy.md says what was not verified there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from google.cloud import scheduler_v1

from metricwatch.errors import ConfigError
from metricwatch.ops.drift import compare
from metricwatch.ops.scheduler import check_drift, jobs_for, main, run_jobs
from metricwatch.schedule import ScheduledJob
from tfmodel import ROOT

SCHEDULE = ROOT / "resources" / "schedules.json"

RETRY = {"retry_count": 3, "min_backoff_seconds": 10, "max_backoff_seconds": 120, "max_doublings": 3,
         "max_retry_duration_seconds": 600}
TRAIN = ScheduledJob(name="train-daily", function="train", cron="30 2 * * *", time_zone="Etc/UTC",
                     attempt_deadline_seconds=1800, retry=RETRY)
RANDOM = ScheduledJob(name="collect-random", function="collect-random", cron="*/5 * * * *",
                      time_zone="Etc/UTC", attempt_deadline_seconds=60, retry=RETRY)


def deployed(job: ScheduledJob, **changes: Any) -> scheduler_v1.Job:
    """The job as Terraform would have created it, with `changes` applied."""
    fields = dict(
        name=f"projects/p/locations/europe-west1/jobs/{job.name}", schedule=job.cron, time_zone=job.time_zone,
        attempt_deadline=timedelta(seconds=job.attempt_deadline_seconds), state=scheduler_v1.Job.State.ENABLED,
        retry_config=scheduler_v1.RetryConfig(
            retry_count=RETRY["retry_count"], min_backoff_duration=timedelta(seconds=10),
            max_backoff_duration=timedelta(seconds=120), max_doublings=3,
            max_retry_duration=timedelta(seconds=600)),
        http_target=scheduler_v1.HttpTarget(
            uri=f"https://{job.function}-abc123-ew.a.run.app", http_method=scheduler_v1.HttpMethod.POST,
            oidc_token=scheduler_v1.OidcToken(service_account_email="sched@p.iam.gserviceaccount.com")))
    fields.update(changes)
    return scheduler_v1.Job(**fields)


class FakeClient:
    def __init__(self, jobs: list[scheduler_v1.Job] = ()) -> None:
        self.jobs, self.calls = list(jobs), []

    def run_job(self, *, name: str) -> scheduler_v1.Job:
        self.calls.append(("run_job", name))
        return scheduler_v1.Job(name=name)

    def list_jobs(self, *, parent: str) -> list[scheduler_v1.Job]:
        self.calls.append(("list_jobs", parent))
        return self.jobs


def test_train_now_runs_the_trainers_declared_job_by_its_full_name():
    client = FakeClient()
    run_jobs(client, "p", "europe-west1", jobs_for([RANDOM, TRAIN], function="train"))
    assert client.calls == [("run_job", "projects/p/locations/europe-west1/jobs/train-daily")]


def test_an_undeclared_job_or_function_is_refused_before_any_call():
    with pytest.raises(ConfigError, match="declared: \\['collect-random', 'train-daily'\\]"):
        jobs_for([RANDOM, TRAIN], function="query")


def test_drift_lists_the_jobs_of_the_deployments_location():
    client = FakeClient([deployed(TRAIN)])
    assert check_drift(client, "p", "europe-west1", [TRAIN]).ok
    assert client.calls == [("list_jobs", "projects/p/locations/europe-west1")]


def test_jobs_deployed_as_declared_are_no_drift():
    drift = compare([TRAIN, RANDOM], [deployed(TRAIN), deployed(RANDOM)])
    assert drift.ok and not drift.missing and not drift.changed and not drift.unexpected


def test_a_declared_job_that_is_not_deployed_is_missing():
    drift = compare([TRAIN, RANDOM], [deployed(TRAIN)])
    assert not drift.ok and drift.missing == ["collect-random"]


@pytest.mark.parametrize("changes, expected", [
    ({"schedule": "0 3 * * *"}, "cron: declared '30 2 * * *', deployed '0 3 * * *'"),
    ({"time_zone": "Europe/Paris"}, "time_zone: declared 'Etc/UTC', deployed 'Europe/Paris'"),
    ({"attempt_deadline": timedelta(seconds=180)}, "attempt_deadline_seconds: declared 1800, deployed 180"),
    ({"state": scheduler_v1.Job.State.PAUSED}, "state: declared 'ENABLED', deployed 'PAUSED'"),
    ({"retry_config": scheduler_v1.RetryConfig(retry_count=0)}, "retry: declared"),
    ({"http_target": scheduler_v1.HttpTarget(uri="https://push-abc-ew.a.run.app",
                                             http_method=scheduler_v1.HttpMethod.POST)},
     "target: declared function 'train', deployed host 'push-abc-ew'"),
    ({"http_target": scheduler_v1.HttpTarget(uri="https://train-abc-ew.a.run.app",
                                             http_method=scheduler_v1.HttpMethod.GET)},
     "http_method: declared 'POST', deployed 'GET'"),
])
def test_every_field_terraform_sets_is_compared(changes, expected):
    drift = compare([TRAIN], [deployed(TRAIN, **changes)])
    assert not drift.ok and len(drift.changed["train-daily"]) == 1
    assert drift.changed["train-daily"][0].startswith(expected)


def test_another_applications_job_is_reported_but_is_not_drift():
    other = deployed(TRAIN, name="projects/p/locations/europe-west1/jobs/backup")
    drift = compare([TRAIN], [deployed(TRAIN), other])
    assert drift.ok and drift.unexpected == ["backup"]


def test_the_cli_exits_1_on_drift_and_0_on_none(capsys, tmp_path):
    schedule = tmp_path / "schedules.json"
    schedule.write_text('[{"name": "train-daily", "function": "train", "cron": "30 2 * * *", "time_zone": "Etc/UTC",'
                        ' "attempt_deadline_seconds": 1800, "retry": %s}]' % str(RETRY).replace("'", '"'))
    args = ["drift", "--project", "p", "--region", "europe-west1", "--schedule", str(schedule)]
    assert main(args, make_client=lambda: FakeClient([deployed(TRAIN)])) == 0
    assert "no drift" in capsys.readouterr().out
    assert main(args, make_client=lambda: FakeClient([])) == 1
    assert "missing: train-daily" in capsys.readouterr().out


def test_the_cli_refuses_an_empty_project_with_a_hint(capsys):
    assert main(["run-job", "--project", "", "--region", "r", "--function", "train"],
                make_client=lambda: pytest.fail("no client without a project")) == 2
    assert "PROJECT=" in capsys.readouterr().err


def test_the_cli_runs_the_trainers_job_from_the_real_declaration(capsys):
    client = FakeClient()
    args = ["run-job", "--project", "p", "--region", "r", "--function", "train", "--schedule", str(SCHEDULE)]
    assert main(args, make_client=lambda: client) == 0
    assert client.calls and all(call[1].startswith("projects/p/locations/r/jobs/") for call in client.calls)
    assert "started projects/p/locations/r/jobs/" in capsys.readouterr().out
