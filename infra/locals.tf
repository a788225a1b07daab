# What the repository declares, read once: the functions (discovered, never listed),
# their manifests, and the schedule. Tests in tests/infra/ resolve the same paths.

locals {
  functions_dir = "${path.module}/../functions"

  # A function is any directory of functions/ with a main.py; its name is the deployed name.
  functions = toset([for f in fileset(local.functions_dir, "*/main.py") : dirname(f)])

  # functions/<fn>/function.json: description, public, model_bucket, env, secrets, memory,
  # timeout_seconds, max_instances (shared/metricwatch/ops/manifest.py validates them).
  manifests = { for fn in local.functions : fn => jsondecode(file("${local.functions_dir}/${fn}/function.json")) }

  # The schedule declaration shared with `make run` (shared/metricwatch/schedule.py validates it).
  schedule            = jsondecode(file("${path.module}/../resources/schedules.json"))
  scheduled_jobs      = { for job in local.schedule : job.name => job }
  scheduled_functions = toset([for job in local.schedule : job.function])
  public_functions    = toset([for fn in local.functions : fn if local.manifests[fn].public])

  # The trainer: the one function that writes models (tests/infra checks there is one), which
  # fans a long run out over the training queue (tasks.tf).
  trainer = one([for fn in local.functions : fn if local.manifests[fn].model_bucket == "write"])

  # Every function is a functions_framework.http `handle` in main.py, run on the same
  # Python minor as the test suite.
  python_runtime = "python311"
  entry_point    = "handle"

  # The account a function runs as is decided by its manifest, never by its name: "write"
  # (the trainer) runs as the writer, object admin on the model bucket; a public function (push,
  # query) as the public account; everything else (the collectors) as the reader.
  function_account = { for fn in local.functions : fn => local.manifests[fn].model_bucket == "write" ? "writer" : (local.manifests[fn].public ? "public" : "reader") }

  account_members = {
    writer = google_service_account.writer.member
    public = google_service_account.public.member
    reader = google_service_account.reader.member
  }
  account_emails = {
    writer = google_service_account.writer.email
    public = google_service_account.public.email
    reader = google_service_account.reader.email
  }

  model_bucket  = var.model_bucket_name != "" ? var.model_bucket_name : "${var.project_id}-${var.name_prefix}-models"
  source_bucket = var.source_bucket_name != "" ? var.source_bucket_name : "${var.project_id}-${var.name_prefix}-sources"

  # What the build account may read (iam.tf): our zips, and Cloud Functions' own copy of them.
  build_source_buckets = [google_storage_bucket.sources.name, "gcf-v2-sources-${data.google_project.this.number}-${var.region}"]

  # Settings read from Secret Manager: name => secret id. Never plain variables, never in state.
  secret_settings = {
    MONGO_URL   = google_secret_manager_secret.mongo_url.secret_id
    PUSH_TOKENS = google_secret_manager_secret.push_tokens.secret_id
  }

  # Extra secrets of a manifest ("secrets": a collector's tokens, connection strings), by
  # "<fn>/<NAME>"; each is its own Secret Manager secret (secrets.tf), created without a value.
  extra_secrets = {
    for pair in flatten([for fn in local.functions : [for name in local.manifests[fn].secrets : { function = fn, name = name }]]) :
    "${pair.function}/${pair.name}" => pair
  }

  secret_ids = merge(local.secret_settings, { for key, secret in google_secret_manager_secret.extra : key => secret.secret_id })

  # What each function reads from Secret Manager: environment variable => key of secret_ids.
  function_secrets = {
    for fn in local.functions : fn => merge(
      { for name in local.manifests[fn].env : name => name if contains(keys(local.secret_settings), name) },
      { for name in local.manifests[fn].secrets : name => "${fn}/${name}" },
    )
  }

  # Accessor grants: an account reads a secret only if a function running as it reads that secret.
  secret_grants = {
    for pair in distinct(flatten([
      for fn, secrets in local.function_secrets : [for key in values(secrets) : { account = local.function_account[fn], secret = key }]
    ])) : "${pair.account} ${pair.secret}" => pair
  }

  # Plain settings the deployment decides; a function receives only those its manifest lists.
  # var.settings overrides these or gives a value to any other listed setting.
  setting_defaults = {
    MONGO_DB_NAME            = var.mongo_db_name
    MONGO_METRICS_COLLECTION = var.mongo_metrics_collection
    METRICS_RETENTION_DAYS   = tostring(var.metrics_retention_days)
    MODEL_STORE_URL          = "gs://${google_storage_bucket.models.name}/${var.model_prefix}"
    LOG_LEVEL                = var.log_level
    ALERT_EXTERNAL_URL       = var.alert_external_url
    # Training fanned out (tasks.tf). The URL is Cloud Run's deterministic one
    # (SERVICE-PROJECT_NUMBER.REGION.run.app), known before the function exists: the function's
    # own uri would make its environment depend on itself.
    TRAIN_DISPATCH              = "cloudtasks://${google_cloud_tasks_queue.train.id}"
    TRAIN_SHARD_URL             = "https://${local.trainer}-${data.google_project.this.number}.${var.region}.run.app"
    TRAIN_SHARD_SERVICE_ACCOUNT = google_service_account.tasks.email
  }
  setting_values = merge(local.setting_defaults, var.settings)

  # Shards of one run at once: the queue's concurrency, what the trainer plans with (the code's default).
  train_max_shards = tonumber(lookup(local.setting_values, "TRAIN_MAX_SHARDS", "100"))

  # Settings that end a run before its function's timeout does (the code's defaults, which
  # tests/infra checks against shared/metricwatch/config.py), each with the margin it needs:
  # functions.tf refuses a value in var.settings that would let the platform kill a run mid-work,
  # with nothing said. A collector is cut off at its deadline; the trainer only starts no new
  # series after it, so it needs room for the series under way; notify sends nothing new after it
  # (each send is bounded by the time left), then records what it did.
  run_deadlines = {
    COLLECT_DEADLINE_SECONDS = { default = "50", margin = 10 }
    TRAIN_DEADLINE_SECONDS   = { default = "1500", margin = 120 }
    NOTIFY_DEADLINE_SECONDS  = { default = "45", margin = 10 }
  }
}
