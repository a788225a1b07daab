"""Cloud Scheduler jobs are the schedule declaration, entry for entry.

Terraform reads resources/schedules.json with jsondecode; these tests check it
reads the same file the code validates, carries every field to the job, and lets
only the scheduler account invoke only the scheduled functions.
"""

from __future__ import annotations

import re

import pytest

from metricwatch.ops.manifest import load_manifest
from metricwatch.schedule import RETRY_FIELDS, load_schedule, parse_schedule
from tfmodel import ROOT, block, load, resolve

TF = load()
JOB = TF.of_type("google_cloud_scheduler_job")["job"]
SCHEDULE_FILE = ROOT / "resources" / "schedules.json"
DECLARED = load_schedule(SCHEDULE_FILE, functions_dir=ROOT / "functions")


def test_terraform_reads_the_schedule_declaration_the_code_validates():
    path = re.fullmatch(r'\$\{jsondecode\(file\("(.+)"\)\)\}', TF.locals["schedule"]).group(1)
    assert resolve(path, TF) == SCHEDULE_FILE


def test_every_declared_job_is_one_scheduler_job_named_as_declared():
    assert TF.locals["scheduled_jobs"] == "${{for job in local.schedule : job.name => job}}"
    assert JOB["for_each"] == "${local.scheduled_jobs}"
    assert JOB["name"] == "${each.key}"
    assert DECLARED, "the declaration is empty"


@pytest.mark.parametrize("job", DECLARED, ids=lambda j: j.name)
def test_every_declared_job_targets_a_function_directory(job):
    assert (ROOT / "functions" / job.function / "main.py").is_file()
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", job.name), "Cloud Scheduler job names: letters, digits, - and _"


def test_cron_time_zone_and_deadline_reach_the_job_with_the_loaders_defaults():
    assert JOB["schedule"] == "${each.value.cron}"
    bare = parse_schedule([{"name": "x", "function": "train", "cron": "0 * * * *",
                            "retry": {k: 0 for k in RETRY_FIELDS}}])[0]
    assert JOB["time_zone"] == f'${{try(each.value.time_zone, "{bare.time_zone}")}}'
    assert JOB["attempt_deadline"] == f'${{try(each.value.attempt_deadline_seconds, {bare.attempt_deadline_seconds})}}s'


def test_every_retry_field_of_the_declaration_reaches_the_retry_config():
    retry = block(JOB, "retry_config")
    used = {m for value in retry.values() for m in re.findall(r"each\.value\.retry\.(\w+)", str(value))}
    assert used == RETRY_FIELDS
    assert set(retry) == {"retry_count", "min_backoff_duration", "max_backoff_duration", "max_doublings",
                          "max_retry_duration"}


def test_the_job_posts_to_its_function_with_an_oidc_token_of_the_scheduler_account():
    target = block(JOB, "http_target")
    url = "${google_cloudfunctions2_function.fn[each.value.function].service_config[0].uri}"
    assert target["http_method"] == "POST" and target["uri"] == url
    token = block(target, "oidc_token")
    assert token == {"service_account_email": "${google_service_account.scheduler.email}", "audience": url}


def test_only_the_scheduler_account_may_invoke_and_only_the_scheduled_functions():
    assert TF.locals["scheduled_functions"] == "${toset([for job in local.schedule : job.function])}"
    invoker = TF.of_type("google_cloud_run_service_iam_member")["scheduler_invoker"]
    assert invoker["for_each"] == "${local.scheduled_functions}"
    assert invoker["role"] == "roles/run.invoker"
    assert invoker["member"] == "${google_service_account.scheduler.member}"
    granted = [r for kind, named in TF.resources.items() if "iam" in kind for r in named.values()
               if r.get("member") == "${google_service_account.scheduler.member}"]
    assert granted == [invoker], "the scheduler account holds no other role"


@pytest.mark.parametrize("job", DECLARED, ids=lambda j: j.name)
def test_a_scheduled_run_cannot_outlive_its_attempt_deadline(job):
    """Otherwise Cloud Scheduler counts a still-running attempt as failed and retries it alongside."""
    timeout = load_manifest(ROOT / "functions" / job.function).timeout_seconds
    assert timeout <= job.attempt_deadline_seconds, f"{job.function}: timeout {timeout}s > deadline"


def test_the_model_bucket_is_private_versioned_and_prunes_old_versions():
    models = TF.of_type("google_storage_bucket")["models"]
    assert models["uniform_bucket_level_access"] is True
    assert models["public_access_prevention"] == "enforced"
    assert block(models, "versioning")["enabled"] is True
    conditions = [block(rule, "condition") for rule in models["lifecycle_rule"]]
    assert any("num_newer_versions" in c for c in conditions)
    assert any("days_since_noncurrent_time" in c for c in conditions)
