# One Cloud Scheduler job per entry of resources/schedules.json: the same declaration the
# local scheduler of `make run` fires. Defaults mirror shared/metricwatch/schedule.py.

resource "google_cloud_scheduler_job" "job" {
  for_each = local.scheduled_jobs

  name             = each.key
  region           = var.region
  description      = try(each.value.description, "")
  schedule         = each.value.cron
  time_zone        = try(each.value.time_zone, "Etc/UTC")
  attempt_deadline = "${try(each.value.attempt_deadline_seconds, 180)}s"

  retry_config {
    retry_count          = each.value.retry.retry_count
    min_backoff_duration = "${each.value.retry.min_backoff_seconds}s"
    max_backoff_duration = "${each.value.retry.max_backoff_seconds}s"
    max_doublings        = each.value.retry.max_doublings
    max_retry_duration   = "${each.value.retry.max_retry_duration_seconds}s"
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.fn[each.value.function].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = google_cloudfunctions2_function.fn[each.value.function].service_config[0].uri
    }
  }

  depends_on = [google_cloud_run_service_iam_member.scheduler_invoker]
}
