# The two secrets a deployment needs. Terraform creates the secrets only; their values are
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

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}
