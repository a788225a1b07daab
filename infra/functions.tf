# One Cloud Function (2nd gen) per directory of functions/ with a main.py. Each directory,
# with the vendored shared package (`make vendor`), is zipped and uploaded under a name
# holding the zip's hash, so a changed source is a new object and the function redeploys.

data "archive_file" "source" {
  for_each = local.functions

  type        = "zip"
  source_dir  = "${local.functions_dir}/${each.key}"
  output_path = "${path.module}/../build/terraform/${each.key}.zip"
  excludes    = ["__pycache__", "**/__pycache__/**", "function.json"]
}

resource "google_storage_bucket_object" "source" {
  for_each = local.functions

  bucket = google_storage_bucket.sources.name
  name   = "${each.key}/${data.archive_file.source[each.key].output_md5}.zip"
  source = data.archive_file.source[each.key].output_path
}

resource "google_cloudfunctions2_function" "fn" {
  #checkov:skip=CKV_GCP_124:Ingress is per function: ALLOW_ALL only for manifests with "public": true (push, query, alerts, dashboard and grafana are reached from outside GCP and check the PUSH_TOKENS bearer token); every other function is ALLOW_INTERNAL_ONLY.
  for_each = local.functions

  name        = each.key
  location    = var.region
  description = local.manifests[each.key].description

  build_config {
    runtime         = local.python_runtime
    entry_point     = local.entry_point
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    available_memory               = local.manifests[each.key].memory
    timeout_seconds                = local.manifests[each.key].timeout_seconds
    max_instance_count             = local.manifests[each.key].max_instances

    # One request at a time per instance. A collector's de-duplication is check-then-insert
    # (find the points of this schedule time, store the missing ones), race-free only while a
    # single attempt runs: with max_instances 1 (its manifest, tests/infra) and this, a Cloud
    # Scheduler retry arriving while the first attempt still runs waits for the instance or is
    # refused with a 429 and retried later, and never checks before the first has inserted.
    # It is also the 2nd gen default, kept explicit so that raising it (for push, say) is a
    # decision, and one that needs available_cpu >= 1.
    max_instance_request_concurrency = 1

    service_account_email          = local.account_emails[local.function_account[each.key]]
    all_traffic_on_latest_revision = true
    # Public functions take calls from anywhere; the others only from Cloud Scheduler,
    # which Cloud Run counts as internal traffic of the project.
    ingress_settings = local.manifests[each.key].public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"

    # Only settings the function's manifest lists (tests/infra checks them against the code);
    # a listed setting with no value here or in var.settings keeps the code's default.
    # A public function also gets REQUIRE_PUSH_TOKENS=true, whatever var.settings says: a blank
    # PUSH_TOKENS secret then stops it with a ConfigError instead of letting every caller in.
    environment_variables = merge(
      {
        for name in local.manifests[each.key].env : name => local.setting_values[name]
        if contains(keys(local.setting_values), name) && !contains(keys(local.secret_settings), name)
      },
      { for name in ["REQUIRE_PUSH_TOKENS"] : name => "true" if local.manifests[each.key].public },
    )

    # Secret Manager values: MONGO_URL / PUSH_TOKENS if the manifest lists them, and its own "secrets".
    dynamic "secret_environment_variables" {
      for_each = local.function_secrets[each.key]
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = local.secret_ids[secret_environment_variables.value]
        version    = "latest"
      }
    }
  }

  lifecycle {
    precondition {
      condition = alltrue([
        for name, deadline in local.run_deadlines :
        tonumber(lookup(local.setting_values, name, deadline.default)) + deadline.margin <= local.manifests[each.key].timeout_seconds
        if contains(local.manifests[each.key].env, name)
      ])
      error_message = "A run deadline in var.settings must end before the function's timeout_seconds (its function.json): COLLECT_DEADLINE_SECONDS at least 10 s before, TRAIN_DEADLINE_SECONDS at least 120 s before (the series under way must finish)."
    }
  }

  depends_on = [
    google_project_service.apis,
    google_secret_manager_secret_iam_member.accessor,
    google_storage_bucket_iam_member.writer_models,
    google_storage_bucket_iam_member.public_models,
    google_storage_bucket_iam_member.reader_models,
    google_project_iam_member.build,
    google_project_iam_member.build_sources,
  ]
}
