# What the repository declares, read once: the functions (discovered, never listed),
# their manifests, and the schedule. Tests in tests/infra/ resolve the same paths.

locals {
  functions_dir = "${path.module}/../functions"

  # A function is any directory of functions/ with a main.py; its name is the deployed name.
  functions = toset([for f in fileset(local.functions_dir, "*/main.py") : dirname(f)])

  # functions/<fn>/function.json: description, public, env, memory, timeout_seconds, max_instances.
  manifests = { for fn in local.functions : fn => jsondecode(file("${local.functions_dir}/${fn}/function.json")) }

  # The schedule declaration shared with `make run` (shared/metricwatch/schedule.py validates it).
  schedule            = jsondecode(file("${path.module}/../resources/schedules.json"))
  scheduled_jobs      = { for job in local.schedule : job.name => job }
  scheduled_functions = toset([for job in local.schedule : job.function])
  public_functions    = toset([for fn in local.functions : fn if local.manifests[fn].public])

  # Every function is a functions_framework.http `handle` in main.py, run on the same
  # Python minor as the test suite.
  python_runtime = "python311"
  entry_point    = "handle"

  model_bucket  = var.model_bucket_name != "" ? var.model_bucket_name : "${var.project_id}-${var.name_prefix}-models"
  source_bucket = var.source_bucket_name != "" ? var.source_bucket_name : "${var.project_id}-${var.name_prefix}-sources"

  # Settings read from Secret Manager: name => secret id. Never plain variables, never in state.
  secret_settings = {
    MONGO_URL   = google_secret_manager_secret.mongo_url.secret_id
    PUSH_TOKENS = google_secret_manager_secret.push_tokens.secret_id
  }

  # Plain settings the deployment decides; a function receives only those its manifest lists.
  # var.settings overrides these or gives a value to any other listed setting.
  setting_defaults = {
    MONGO_DB_NAME            = var.mongo_db_name
    MONGO_METRICS_COLLECTION = var.mongo_metrics_collection
    METRICS_RETENTION_DAYS   = tostring(var.metrics_retention_days)
    MODEL_STORE_URL          = "gs://${google_storage_bucket.models.name}/${var.model_prefix}"
    LOG_LEVEL                = var.log_level
  }
  setting_values = merge(local.setting_defaults, var.settings)
}
