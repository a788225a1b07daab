# The two secrets every deployment needs, and one per name in a manifest's "secrets". Terraform creates the secrets only; their values are
# added out of band (`gcloud secrets versions add`, see docs/deploy.md) so that neither the
# Atlas URL nor the push tokens ever appear in a variable, a plan or the state.

resource "google_secret_manager_secret" "mongo_url" {
  secret_id = "${var.name_prefix}-mongo-url"

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "push_tokens" {
  secret_id = "${var.name_prefix}-push-tokens"

  # What a version must hold (README, "Tokens and scopes"; checked by load_settings at start, a
  # bad entry stops the function). A plain list of tokens is still read, each with every scope,
  # and logged as deprecated.
  annotations = {
    format = "SCOPES:TOKEN entries, comma-separated; scopes write, read, admin, several joined with + (write:T1,read:T2,admin+read:T3)"
  }

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

# A function's own secrets (function.json "secrets", e.g. a collector's ${QUEUE_TOKEN}), one
# secret per function and name: "<prefix>-<function>-<NAME>" (NAME is the environment variable,
# upper case, so the id cannot collide with another function's). Created without a value like
# the two above; only the account that function runs as may read it (iam.tf).
resource "google_secret_manager_secret" "extra" {
  for_each = local.extra_secrets

  secret_id = "${var.name_prefix}-${each.value.function}-${each.value.name}"

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}
