# Inputs of a deployment. Everything has a safe default except the project.
# Names are validated here so a typo fails at plan time, not halfway through apply.

variable "project_id" {
  description = "GCP project that receives every resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 characters, lowercase letters, digits and hyphens."
  }
}

variable "region" {
  description = "Region of the functions, the buckets and the scheduler jobs (Cloud Scheduler must be available there)."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must look like europe-west1 or us-central1."
  }
}

variable "name_prefix" {
  description = "Prefix of service accounts, secrets and buckets, so two deployments can share a project."
  type        = string
  default     = "metricwatch"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,17}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-19 characters of lowercase letters, digits and hyphens (service account ids are at most 30)."
  }
}

variable "model_bucket_name" {
  description = "Name of the model bucket; empty means <project_id>-<name_prefix>-models."
  type        = string
  default     = ""

  validation {
    condition     = var.model_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.model_bucket_name))
    error_message = "model_bucket_name must be a valid bucket name (3-63 lowercase letters, digits, dots, hyphens, underscores)."
  }
}

variable "source_bucket_name" {
  description = "Name of the bucket holding function source zips; empty means <project_id>-<name_prefix>-sources."
  type        = string
  default     = ""

  validation {
    condition     = var.source_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.source_bucket_name))
    error_message = "source_bucket_name must be a valid bucket name (3-63 lowercase letters, digits, dots, hyphens, underscores)."
  }
}

variable "model_prefix" {
  description = "Object prefix of the models inside the model bucket (MODEL_STORE_URL is gs://<bucket>/<prefix>)."
  type        = string
  default     = "models"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9/_.-]*[A-Za-z0-9]$", var.model_prefix))
    error_message = "model_prefix must be a non-empty object prefix without leading or trailing slash."
  }
}

variable "model_versions_kept" {
  description = "Noncurrent versions of each model object kept (models are overwritten on every training)."
  type        = number
  default     = 5

  validation {
    condition     = var.model_versions_kept >= 1 && var.model_versions_kept <= 100 && floor(var.model_versions_kept) == var.model_versions_kept
    error_message = "model_versions_kept must be an integer from 1 to 100."
  }
}

variable "noncurrent_version_days" {
  description = "Days after which a noncurrent (overwritten) model or source object is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 3650 && floor(var.noncurrent_version_days) == var.noncurrent_version_days
    error_message = "noncurrent_version_days must be an integer from 1 to 3650."
  }
}

variable "mongo_db_name" {
  description = "MongoDB database holding the metrics (MONGO_DB_NAME)."
  type        = string
  default     = "metrics"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,63}$", var.mongo_db_name))
    error_message = "mongo_db_name must be 1-63 letters, digits, underscores or hyphens."
  }
}

variable "mongo_metrics_collection" {
  description = "Time-series collection holding every metric (MONGO_METRICS_COLLECTION)."
  type        = string
  default     = "metrics"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_.-]{0,119}$", var.mongo_metrics_collection)) && !startswith(var.mongo_metrics_collection, "system.")
    error_message = "mongo_metrics_collection must be a valid MongoDB collection name not starting with system."
  }
}

variable "metrics_retention_days" {
  description = "Points older than this are expired by MongoDB (METRICS_RETENTION_DAYS); 0 keeps them forever."
  type        = number
  default     = 400

  validation {
    condition     = var.metrics_retention_days >= 0 && var.metrics_retention_days <= 36500 && floor(var.metrics_retention_days) == var.metrics_retention_days
    error_message = "metrics_retention_days must be an integer from 0 to 36500."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "settings" {
  description = "Overrides of other settings (name => value, see .env.sample); applied only to functions whose function.json lists the name in env."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.settings) : can(regex("^[A-Z][A-Z0-9_]*$", name)) && !contains(["MONGO_URL", "PUSH_TOKENS", "REQUIRE_PUSH_TOKENS"], name)])
    error_message = "settings keys must be UPPER_CASE setting names; MONGO_URL and PUSH_TOKENS come from Secret Manager only, REQUIRE_PUSH_TOKENS is always true on public functions."
  }
}

variable "http_invokers" {
  description = "Who may invoke the public functions (function.json \"public\": true) at the IAM layer; [\"allUsers\"] leaves access control to the PUSH_TOKENS bearer token."
  type        = list(string)
  default     = ["allUsers"]

  validation {
    condition     = alltrue([for m in var.http_invokers : m == "allUsers" || can(regex("^(user|serviceAccount|group|domain|principal|principalSet):.+", m))])
    error_message = "http_invokers entries must be allUsers or IAM members such as serviceAccount:x@p.iam.gserviceaccount.com."
  }
}

variable "force_destroy_buckets" {
  description = "Let `make destroy` delete the buckets with their models and sources still in them."
  type        = bool
  default     = false
}

variable "alert_external_url" {
  description = "ALERT_EXTERNAL_URL: where people open metricwatch (the dashboard's base URL), used for the links in alerts. Empty: alerts carry no links."
  type        = string
  default     = ""

  validation {
    condition     = var.alert_external_url == "" || can(regex("^https://", var.alert_external_url))
    error_message = "alert_external_url must be empty or an https:// URL."
  }
}
