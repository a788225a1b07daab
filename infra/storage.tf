# Two private buckets: trained models (overwritten on each training, so versioned with a
# bounded history) and function source zips (content-addressed names).

resource "google_storage_bucket" "models" {
  #checkov:skip=CKV_GCP_62:Object access is recorded by Cloud Audit Logs (enable Data Access logs for storage.googleapis.com, docs/deploy.md); legacy usage-log buckets would add a third bucket that itself fails this check.
  name                        = local.model_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  # Keep the last few versions of a model for rollback, and none for ever.
  lifecycle_rule {
    condition {
      num_newer_versions = var.model_versions_kept
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs written by Terraform; its writes are in Cloud Audit Logs (Admin Activity), and a usage-log bucket would itself fail this check.
  name                        = local.source_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_buckets

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}
