# Deployment targets (issue 4): package the functions, deploy with Terraform, operate the scheduler.
# PROJECT and REGION default to what the last `make deploy` applied (terraform outputs).
TERRAFORM ?= terraform
TF := $(TERRAFORM) -chdir=infra
PROJECT ?= $(shell $(TF) output -raw project_id 2>/dev/null)
REGION ?= $(shell $(TF) output -raw region 2>/dev/null)
OPS := PYTHONPATH=shared $(PY) -m metricwatch.ops

.PHONY: package lock deploy-secrets deploy destroy train-now drift

# checkov's own virtualenv, so `make test` can run the infra checks.
test: $(CHECKOV_VENV)/.installed

lock: venv  ## write each function's requirements from its imports, and hash every pin (PyPI's index; see ops/lock.py)
	$(OPS).lock . --index $(or $(INDEX),https://pypi.org/simple)

package: venv vendor  ## zip each function with its vendored package into build/functions/
	$(OPS).package functions build/functions

deploy-secrets:  ## create the secrets (empty): the two shared ones and each function.json "secrets" name; fill them with gcloud (docs/deploy.md)
	$(TF) init -input=false
	$(TF) apply -target=google_secret_manager_secret.mongo_url -target=google_secret_manager_secret.push_tokens \
	  -target=google_secret_manager_secret.extra

deploy: package  ## terraform init + apply (infra/terraform.tfvars or TF_VAR_project_id; see docs/deploy.md)
	$(TF) init -input=false
	$(TF) apply

destroy:  ## terraform destroy: removes every resource of the deployment
	$(TF) destroy

train-now: venv  ## ask Cloud Scheduler to run the trainer's job now (deployed setup)
	$(OPS).scheduler run-job --project "$(PROJECT)" --region "$(REGION)" --function train

drift: venv  ## compare deployed Cloud Scheduler jobs with resources/schedules.json
	$(OPS).scheduler drift --project "$(PROJECT)" --region "$(REGION)"
