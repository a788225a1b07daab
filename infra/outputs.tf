# URLs a user needs after `make deploy`; each is null until its function's directory exists.

output "push_url" {
  description = "HTTPS endpoint of the push function (send Authorization: Bearer <a PUSH_TOKENS token>)."
  value       = try(google_cloudfunctions2_function.fn["push"].service_config[0].uri, null)
}

output "query_url" {
  description = "HTTPS endpoint of the query function (same bearer tokens as push)."
  value       = try(google_cloudfunctions2_function.fn["query"].service_config[0].uri, null)
}

output "dashboard_url" {
  description = "The dashboard page (it asks for a PUSH_TOKENS token and sends it as a bearer token)."
  value       = try(google_cloudfunctions2_function.fn["dashboard"].service_config[0].uri, null)
}

output "grafana_url" {
  description = "Base URL of the Grafana JSON data source (header Authorization: Bearer <a PUSH_TOKENS token>)."
  value       = try(google_cloudfunctions2_function.fn["grafana"].service_config[0].uri, null)
}

output "trainer_url" {
  description = "URL of the trainer; only the scheduler account may call it (use `make train-now`)."
  value       = try(google_cloudfunctions2_function.fn["train"].service_config[0].uri, null)
}

output "function_urls" {
  description = "Every deployed function's URL, by function name."
  value       = { for fn, f in google_cloudfunctions2_function.fn : fn => f.service_config[0].uri }
}

output "model_store_url" {
  description = "MODEL_STORE_URL the functions use."
  value       = local.setting_values["MODEL_STORE_URL"]
}

output "secrets" {
  description = "Secret ids to fill with `gcloud secrets versions add` (see docs/deploy.md): MONGO_URL, PUSH_TOKENS, and <fn>/<NAME> for each name of a manifest's secrets."
  value       = local.secret_ids
}

output "scheduler_jobs" {
  description = "Cloud Scheduler job names (for `make train-now` and `make drift`)."
  value       = keys(google_cloud_scheduler_job.job)
}

output "project_id" {
  description = "Project of this deployment (read by `make train-now` and `make drift`)."
  value       = var.project_id
}

output "region" {
  description = "Region of this deployment (read by `make train-now` and `make drift`)."
  value       = var.region
}
