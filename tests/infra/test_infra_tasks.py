"""The training queue Terraform deploys matches what the trainer's code sends it, with least privilege.

The trainer (running as the writer) may enqueue on this queue only and name only the tasks account
in a task's token; the tasks account may invoke the trainer only. The settings the code reads to
reach the queue are set by Terraform, in the form config.py parses.
"""

from __future__ import annotations

import re

from metricwatch.config import SETTINGS, load_settings
from metricwatch.detection.dispatch.cloudtasks import DISPATCH_DEADLINE_SECONDS
from metricwatch.ops.manifest import load_manifest
from tfmodel import ROOT, block, load

TF = load()
QUEUE = TF.of_type("google_cloud_tasks_queue")["train"]
TRAIN = load_manifest(ROOT / "functions" / "train")
WRITER, TASKS = "${google_service_account.writer.member}", "${google_service_account.tasks.member}"
DEFAULTS = {s.env: s.default for s in SETTINGS}


def test_the_trainer_is_the_function_that_writes_models():
    assert TF.locals["trainer"] == '${one([for fn in local.functions : fn if local.manifests[fn].model_bucket == "write"])}'
    assert TRAIN.model_bucket == "write"


def test_the_cloud_tasks_api_is_enabled_and_the_queue_waits_for_it():
    assert "cloudtasks.googleapis.com" in TF.of_type("google_project_service")["apis"]["for_each"]
    assert QUEUE["depends_on"] == ["${google_project_service.apis}"]
    assert QUEUE["location"] == "${var.region}" and QUEUE["name"] == "${var.name_prefix}-train"


def test_the_queue_runs_at_most_train_max_shards_at_once_and_the_trainer_has_an_instance_more():
    limits = block(QUEUE, "rate_limits")
    assert limits["max_concurrent_dispatches"] == "${local.train_max_shards}"
    assert 0 < limits["max_dispatches_per_second"] <= 500
    assert TF.locals["train_max_shards"] == (
        f'${{tonumber(lookup(local.setting_values, "TRAIN_MAX_SHARDS", "{DEFAULTS["TRAIN_MAX_SHARDS"]}"))}}')
    assert int(DEFAULTS["TRAIN_MAX_SHARDS"]) + 1 <= TRAIN.max_instances, "one more for the scheduled run itself"
    condition = block(QUEUE, "lifecycle")["precondition"][0]["condition"]
    assert condition == "${local.train_max_shards + 1 <= local.manifests[local.trainer].max_instances}"


def _seconds(duration: str) -> int:
    assert re.fullmatch(r"[0-9]+s", duration), duration
    return int(duration[:-1])


def test_a_failed_shard_is_retried_with_backoff_and_gives_up_before_the_next_daily_run():
    retry = block(QUEUE, "retry_config")
    assert retry["max_attempts"] >= 3
    assert _seconds(retry["min_backoff"]) >= 10 and _seconds(retry["max_backoff"]) >= _seconds(retry["min_backoff"])
    attempts_at_most = retry["max_attempts"] * DISPATCH_DEADLINE_SECONDS
    assert _seconds(retry["max_retry_duration"]) <= 24 * 3600 and attempts_at_most <= 24 * 3600
    assert DISPATCH_DEADLINE_SECONDS == TRAIN.timeout_seconds


def test_the_tasks_account_may_invoke_the_trainer_and_nothing_else():
    grants = {(kind, name): r for kind, named in TF.resources.items() if "iam" in kind
              for name, r in named.items() if r.get("member") == TASKS}
    assert set(grants) == {("google_cloud_run_service_iam_member", "tasks_invoker")}
    invoker = grants[("google_cloud_run_service_iam_member", "tasks_invoker")]
    assert invoker["role"] == "roles/run.invoker" and "for_each" not in invoker
    assert invoker["service"] == "${google_cloudfunctions2_function.fn[local.trainer].service_config[0].service}"


def test_the_trainer_may_enqueue_on_its_queue_only_and_mint_tokens_for_the_tasks_account_only():
    enqueuer = TF.of_type("google_cloud_tasks_queue_iam_member")
    assert enqueuer == {"writer_enqueuer": {"project": "${var.project_id}", "location": "${var.region}",
                                            "name": "${google_cloud_tasks_queue.train.name}",
                                            "role": "roles/cloudtasks.enqueuer", "member": WRITER}}
    acts_as = TF.of_type("google_service_account_iam_member")
    assert acts_as == {"writer_acts_as_tasks": {"service_account_id": "${google_service_account.tasks.name}",
                                                "role": "roles/iam.serviceAccountUser", "member": WRITER}}
    project_roles = {r["role"] for r in TF.of_type("google_project_iam_member").values()}
    assert not {r for r in project_roles if "cloudtasks" in r or "serviceAccount" in r}, "nothing project-wide"


def test_terraform_sets_the_settings_the_trainer_reads_to_reach_the_queue():
    values = TF.locals["setting_defaults"]
    assert values["TRAIN_DISPATCH"] == "cloudtasks://${google_cloud_tasks_queue.train.id}"
    assert values["TRAIN_SHARD_URL"] == "https://${local.trainer}-${data.google_project.this.number}.${var.region}.run.app"
    assert values["TRAIN_SHARD_SERVICE_ACCOUNT"] == "${google_service_account.tasks.email}"
    assert {"TRAIN_DISPATCH", "TRAIN_SHARD_URL", "TRAIN_SHARD_SERVICE_ACCOUNT", "TRAIN_MAX_SHARDS",
            "TRAIN_SERIES_SECONDS"} <= set(TRAIN.env)


def test_what_terraform_sets_is_what_config_parses():
    """The queue's id is projects/P/locations/L/queues/Q; the account's email and the URL as rendered."""
    settings = load_settings({"TRAIN_DISPATCH": "cloudtasks://projects/my-project/locations/europe-west1/queues/mw-train",
                              "TRAIN_SHARD_URL": "https://train-123456789012.europe-west1.run.app",
                              "TRAIN_SHARD_SERVICE_ACCOUNT": "mw-tasks@my-project.iam.gserviceaccount.com"}, dotenv=None)
    assert settings.train_dispatch.queue == "projects/my-project/locations/europe-west1/queues/mw-train"
    account = TF.of_type("google_service_account")["tasks"]["account_id"]
    assert account == "${var.name_prefix}-tasks"
