# Three service accounts, each with only what its job needs:
#   runtime   - what the functions run as: objects of the model bucket, the two secrets.
#   scheduler - what Cloud Scheduler signs its OIDC tokens as: invoke the scheduled functions.
#   build     - what Cloud Build runs as when it turns a source zip into a function image.

resource "google_service_account" "runtime" {
  account_id   = "${var.name_prefix}-runtime"
  display_name = "metricwatch functions runtime"
  description  = "Runs every metricwatch function: model bucket objects and the Mongo/push-token secrets only."
}

resource "google_service_account" "scheduler" {
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "metricwatch scheduler invoker"
  description  = "Identity of Cloud Scheduler's OIDC tokens: may invoke the scheduled functions only."
}

resource "google_service_account" "build" {
  account_id   = "${var.name_prefix}-build"
  display_name = "metricwatch function builds"
  description  = "Cloud Build identity for building the function images from the source bucket."
}

resource "google_storage_bucket_iam_member" "runtime_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.runtime.member
}

resource "google_secret_manager_secret_iam_member" "runtime_secrets" {
  for_each = {
    mongo_url   = google_secret_manager_secret.mongo_url.secret_id
    push_tokens = google_secret_manager_secret.push_tokens.secret_id
  }

  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.runtime.member
}

# Builds: write logs and images, read the uploaded sources. Narrower than the broad
# roles/cloudbuild.builds.builder, which can also act as other service accounts.
resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/artifactregistry.writer",
    "roles/logging.logWriter",
    "roles/storage.objectViewer",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

# Scheduled functions: invocable by the scheduler account, and by nobody else.
resource "google_cloud_run_service_iam_member" "scheduler_invoker" {
  for_each = local.scheduled_functions

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

# Public functions (push, query): reachable over HTTPS by var.http_invokers; the
# application's bearer token (PUSH_TOKENS) is what authorises a call.
resource "google_cloud_run_service_iam_member" "public_invoker" {
  for_each = { for pair in setproduct(local.public_functions, var.http_invokers) : "${pair[0]} ${pair[1]}" => pair }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.value[0]].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value[1]
}
