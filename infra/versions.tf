# Provider pins: google 6.x is the first major with every cloudfunctions2 field used here
# (build_config.service_account, service_config.secret_environment_variables); archive 2.5
# is the first whose `excludes` take globs (`**/__pycache__/**`).
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.5"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
