# Five service accounts here, each with only what its job needs (a sixth, tasks, is in tasks.tf):
#   writer    - what functions whose function.json says "model_bucket": "write" (the trainer) run as:
#               object admin on the model bucket, the secrets those functions read, and (tasks.tf)
#               enqueuing on the training queue as the tasks account.
#   public    - what the internet-facing functions ("public": true: push, query, alerts, dashboard, grafana) run as: object
#               viewer on the model bucket, and the secrets those functions read. Models are
#               pickles, so loading one runs code: nothing that faces the internet may write them.
#   reader    - what every other function runs as (the collectors): object viewer on the model
#               bucket, and the secrets those functions read, so a collector's API token is not
#               readable by code that answers the internet.
#   scheduler - what Cloud Scheduler signs its OIDC tokens as: invoke the scheduled functions.
#   build     - what Cloud Build runs as when it turns a source zip into a function image.

resource "google_service_account" "writer" {
  account_id   = "${var.name_prefix}-writer"
  display_name = "metricwatch model writer"
  description  = "Runs the functions that save models (model_bucket write, the trainer): model bucket object admin and their secrets."
}

resource "google_service_account" "public" {
  account_id   = "${var.name_prefix}-public"
  display_name = "metricwatch public functions"
  description  = "Runs the internet-facing functions (push, query, alerts, dashboard, grafana): model bucket object viewer and their secrets."
}

resource "google_service_account" "reader" {
  account_id   = "${var.name_prefix}-reader"
  display_name = "metricwatch internal functions"
  description  = "Runs the functions that only load models and do not face the internet (collectors): model bucket object viewer and their secrets."
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

resource "google_storage_bucket_iam_member" "writer_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.writer.member
}

resource "google_storage_bucket_iam_member" "public_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.public.member
}

resource "google_storage_bucket_iam_member" "reader_models" {
  bucket = google_storage_bucket.models.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.reader.member
}

# One accessor grant per (account, secret) that a function running as the account reads
# (local.secret_grants): the writer never sees PUSH_TOKENS, push and query never see a
# collector's secret, nobody sees an unused secret.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.secret_grants

  secret_id = local.secret_ids[each.value.secret]
  role      = "roles/secretmanager.secretAccessor"
  member    = local.account_members[each.value.account]
}

# Builds: write logs and images. Narrower than the broad roles/cloudbuild.builds.builder,
# which can also act as other service accounts.
resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/artifactregistry.writer",
    "roles/logging.logWriter",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

# Builds: read the sources, and no other bucket of the project. The build reads our source
# bucket and the one Cloud Functions copies a deployed source into
# (gcf-v2-sources-<project number>-<region>), which the service creates on the first deploy, so
# a google_storage_bucket_iam_member cannot name it. A project grant with a condition on the
# two bucket names covers both; models and every other bucket stay unreadable to builds.
resource "google_project_iam_member" "build_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build.member

  condition {
    title       = "function sources only"
    description = "Objects of the metricwatch source bucket and of the Cloud Functions source bucket of the region."
    expression  = join(" || ", [for b in local.build_source_buckets : "resource.name == \"projects/_/buckets/${b}\" || resource.name.startsWith(\"projects/_/buckets/${b}/objects/\")"])
  }
}

data "google_project" "this" {
  project_id = var.project_id
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

# Public functions (push, query, alerts, dashboard, grafana): reachable over HTTPS by var.http_invokers; the
# application's bearer token (PUSH_TOKENS) is what authorises a call.
resource "google_cloud_run_service_iam_member" "public_invoker" {
  for_each = { for pair in setproduct(local.public_functions, var.http_invokers) : "${pair[0]} ${pair[1]}" => pair }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.fn[each.value[0]].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value[1]
}
