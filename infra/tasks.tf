# Training fanned out (README, "Training fanned out across instances"): a run too long for one
# instance puts one Cloud Tasks task per shard on this queue, and each task is an authenticated
# POST to the trainer's /shard, so parallel instances train the shards.
#
#   tasks  - what the queue signs its OIDC tokens as: invoke the trainer, and nothing else.
#   writer - what the trainer runs as (iam.tf): put tasks on this queue only, naming the tasks
#            account only (Cloud Tasks checks that whoever enqueues may act as the account a task's
#            token is minted for).

resource "google_cloud_tasks_queue" "train" {
  name     = "${var.name_prefix}-train"
  location = var.region

  # At most one shard per train instance at once (TRAIN_MAX_SHARDS; the trainer's max_instances
  # leaves one more for the scheduled run itself), started at a pace the bucket and MongoDB take.
  rate_limits {
    max_concurrent_dispatches = local.train_max_shards
    max_dispatches_per_second = 10
  }

  # A shard answers 503 when its deadline passes (the retry continues where it stopped) and 500
  # when a series failed: retried with backoff for up to 6 hours, well before the next daily run.
  # Each attempt may take the trainer's whole timeout (the task's dispatch deadline, 1800 s).
  retry_config {
    max_attempts       = 10
    min_backoff        = "60s"
    max_backoff        = "600s"
    max_doublings      = 3
    max_retry_duration = "21600s"
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0
  }

  lifecycle {
    precondition {
      condition     = local.train_max_shards + 1 <= local.manifests[local.trainer].max_instances
      error_message = "TRAIN_MAX_SHARDS shards run at once beside the scheduled run: keep it below the trainer's max_instances (functions/train/function.json)."
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_service_account" "tasks" {
  account_id   = "${var.name_prefix}-tasks"
  display_name = "metricwatch training shards"
  description  = "Identity of the training queue's OIDC tokens: may invoke the trainer only."
}

resource "google_cloud_run_service_iam_member" "tasks_invoker" {
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[local.trainer].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.tasks.member
}

resource "google_cloud_tasks_queue_iam_member" "writer_enqueuer" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_tasks_queue.train.name
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.writer.member
}

resource "google_service_account_iam_member" "writer_acts_as_tasks" {
  service_account_id = google_service_account.tasks.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.writer.member
}
