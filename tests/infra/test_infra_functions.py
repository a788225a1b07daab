"""What Terraform deploys matches the code: one function per directory, the right
runtime and entry point, and exactly the environment each function's code reads.

Function directories and settings are discovered at test time (functions/*/main.py,
config.SETTINGS), so a new collector or setting is checked without editing this file.
"""

from __future__ import annotations

import ast
import re
import sys

import pytest

from metricwatch.config import SETTINGS
from metricwatch.ops.codescan import cloud_required, settings_read
from metricwatch.ops.manifest import NOT_DEPLOYED, load_manifest
from tfmodel import ROOT, block, load, resolve

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/main.py"))
PACKAGE = ROOT / "shared" / "metricwatch"
TF = load()
FN = TF.of_type("google_cloudfunctions2_function")["fn"]


def test_terraform_discovers_exactly_the_function_directories():
    pattern = re.search(r'fileset\(local\.functions_dir, "([^"]+)"\)', TF.locals["functions"]).group(1)
    functions_dir = resolve(TF.locals["functions_dir"], TF)
    assert functions_dir == ROOT / "functions"
    assert sorted(p.parent.name for p in functions_dir.glob(pattern)) == FUNCTIONS
    assert {"push", "train"} <= set(FUNCTIONS)


@pytest.mark.parametrize("kind, name", [("google_cloudfunctions2_function", "fn"),
                                        ("google_storage_bucket_object", "source")])
def test_every_function_directory_gets_a_function_and_a_source_object(kind: str, name: str):
    assert TF.of_type(kind)[name]["for_each"] == "${local.functions}"
    assert TF.data["archive_file"]["source"]["for_each"] == "${local.functions}"


def test_the_deployed_name_is_the_directory_name():
    assert FN["name"] == "${each.key}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_directory_name_is_a_valid_function_and_cloud_run_service_name(function: str):
    assert re.fullmatch(r"[a-z][a-z0-9-]{0,47}[a-z0-9]", function), \
        f"functions/{function}: use lowercase letters, digits and hyphens, at most 49 characters"


def test_a_changed_source_is_a_new_object_so_the_function_redeploys():
    name = TF.of_type("google_storage_bucket_object")["source"]["name"]
    assert "data.archive_file.source[each.key].output_md5" in name


def test_the_runtime_is_the_python_the_suite_runs_on():
    build = block(FN, "build_config")
    assert build["runtime"] == "${local.python_runtime}"
    runtime = TF.locals["python_runtime"]
    assert runtime == f"python{sys.version_info.major}{sys.version_info.minor}"
    assert runtime in {"python311", "python312", "python313"}, "Cloud Functions 2nd gen, Python 3.11 or newer"


def _decorator_names(func: ast.FunctionDef) -> set[str]:
    return {ast.unparse(d) for d in func.decorator_list}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_entry_point_is_an_http_handler_defined_in_main(function: str):
    assert block(FN, "build_config")["entry_point"] == "${local.entry_point}"
    entry = TF.locals["entry_point"]
    tree = ast.parse((ROOT / "functions" / function / "main.py").read_text())
    handlers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert entry in handlers, f"functions/{function}/main.py defines no {entry}()"
    assert "functions_framework.http" in _decorator_names(handlers[entry])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_directory_has_a_valid_manifest(function: str):
    manifest = load_manifest(ROOT / "functions" / function)
    assert manifest.function == function


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_gets_every_setting_its_code_reads_whose_default_only_works_locally(function: str):
    read = settings_read(ROOT / "functions" / function / "main.py", PACKAGE)
    env = set(load_manifest(ROOT / "functions" / function).env)
    assert read & cloud_required() <= env, f"functions/{function}/function.json env lacks {sorted(read & cloud_required() - env)}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_tunable_setting_the_code_reads_can_be_set_through_the_settings_variable(function: str):
    """Terraform passes var.settings only for names the manifest lists, so the manifest lists them all,
    but for those a deployment never sets (PORT, paths into the zip) and the public-only token guard."""
    manifest = load_manifest(ROOT / "functions" / function)
    read = settings_read(ROOT / "functions" / function / "main.py", PACKAGE) - NOT_DEPLOYED
    if not manifest.public:
        read.discard("REQUIRE_PUSH_TOKENS")
    assert read <= set(manifest.env), f"functions/{function}/function.json env lacks {sorted(read - set(manifest.env))}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_gets_only_settings_its_code_reads(function: str):
    read = settings_read(ROOT / "functions" / function / "main.py", PACKAGE)
    env = set(load_manifest(ROOT / "functions" / function).env)
    assert env <= read, f"functions/{function}/function.json sets {sorted(env - read)} that its code never reads"


def test_terraform_always_has_a_value_for_settings_whose_default_only_works_locally():
    always = set(TF.locals["setting_defaults"]) | set(TF.locals["secret_settings"])
    assert cloud_required() <= always, f"add {sorted(cloud_required() - always)} to infra/locals.tf"


def test_the_function_environment_is_built_from_its_manifest_only():
    env = block(FN, "service_config")["environment_variables"]
    assert env.startswith("${merge({for name in local.manifests[each.key].env : name => local.setting_values[name]")
    assert "contains(keys(local.setting_values), name)" in env, "an unvalued optional setting keeps its default"
    assert "!contains(keys(local.secret_settings), name)" in env, "secrets never become plain variables"
    assert TF.locals["setting_values"] == "${merge(local.setting_defaults, var.settings)}"


def test_mongo_url_and_push_tokens_come_from_secret_manager_only():
    secrets = TF.locals["secret_settings"]
    assert set(secrets) == {"MONGO_URL", "PUSH_TOKENS"} <= {s.env for s in SETTINGS}
    assert not set(secrets) & set(TF.locals["setting_defaults"])
    dynamic = block(FN, "service_config")["dynamic"][0]["secret_environment_variables"]
    assert dynamic["for_each"] == "${local.function_secrets[each.key]}"
    assert block(dynamic, "content") == {"key": "${secret_environment_variables.key}", "project_id": "${var.project_id}",
                                         "secret": "${local.secret_ids[secret_environment_variables.value]}",
                                         "version": "latest"}
    assert "google_secret_manager_secret_version" not in TF.resources, "a secret value would land in the state"
    assert not [v for v in TF.variables if "mongo_url" in v or "token" in v]
    assert '"MONGO_URL", "PUSH_TOKENS"' in TF.variables["settings"]["validation"][0]["condition"]


def test_a_manifests_secrets_are_secrets_of_their_own_created_without_a_value():
    extra = TF.of_type("google_secret_manager_secret")["extra"]
    assert extra["for_each"] == "${local.extra_secrets}"
    assert extra["secret_id"] == "${var.name_prefix}-${each.value.function}-${each.value.name}"
    assert TF.locals["extra_secrets"] == (
        "${{for pair in flatten([for fn in local.functions : [for name in local.manifests[fn].secrets : "
        '{function = fn, name = name}]]) : "${pair.function}/${pair.name}" => pair}}')
    assert TF.locals["secret_ids"] == (
        "${merge(local.secret_settings, {for key, secret in google_secret_manager_secret.extra : "
        "key => secret.secret_id})}")
    assert TF.outputs["secrets"]["value"] == "${local.secret_ids}", "the ids to fill are printed after apply"
    deploy_secrets = (ROOT / "mk" / "infra.mk").read_text().split("deploy-secrets:")[1].split("\n\n")[0]
    assert "-target=google_secret_manager_secret.extra" in deploy_secrets


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_public_function_is_guarded_by_the_application_token(function: str):
    manifest = load_manifest(ROOT / "functions" / function)
    if manifest.public:
        assert "PUSH_TOKENS" in manifest.env, f"{function} is public but reads no PUSH_TOKENS"


def test_terraform_sets_require_push_tokens_true_on_every_public_function_and_only_there():
    env = block(FN, "service_config")["environment_variables"]
    assert env.endswith(', {for name in ["REQUIRE_PUSH_TOKENS"] : name => "true" if local.manifests[each.key].public})}'), \
        "last in the merge, so nothing else can turn it off"
    condition = TF.variables["settings"]["validation"][0]["condition"]
    assert '"REQUIRE_PUSH_TOKENS"' in condition, "var.settings must not be able to set it"
    assert "REQUIRE_PUSH_TOKENS" not in TF.locals["setting_defaults"]


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if load_manifest(ROOT / "functions" / f).public])
def test_a_public_function_refuses_to_serve_with_a_blank_token_secret(function: str):
    """What Terraform deploys: REQUIRE_PUSH_TOKENS=true and a secret version holding only a newline."""
    from metricwatch.config import load_settings
    from metricwatch.errors import ConfigError

    assert {"PUSH_TOKENS", "REQUIRE_PUSH_TOKENS"} <= set(load_manifest(ROOT / "functions" / function).env)
    with pytest.raises(ConfigError) as raised:
        load_settings({"REQUIRE_PUSH_TOKENS": "true", "PUSH_TOKENS": "\n"}, dotenv=None)
    assert "PUSH_TOKENS" in str(raised.value) and "REQUIRE_PUSH_TOKENS" in str(raised.value)
    assert load_settings({"REQUIRE_PUSH_TOKENS": "true", "PUSH_TOKENS": "read:t1"}, dotenv=None).push_tokens


def test_ingress_is_open_only_for_public_functions():
    ingress = block(FN, "service_config")["ingress_settings"]
    assert ingress == '${local.manifests[each.key].public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"}'
    assert TF.locals["public_functions"] == "${toset([for fn in local.functions : fn if local.manifests[fn].public])}"
    public = TF.of_type("google_cloud_run_service_iam_member")["public_invoker"]
    assert "setproduct(local.public_functions, var.http_invokers)" in public["for_each"]


@pytest.mark.parametrize("function", ["dashboard", "grafana"])
def test_the_dashboard_and_the_grafana_data_source_are_deployed_with_the_same_auth_as_query(function: str):
    """Both serve what query serves: public HTTPS, the PUSH_TOKENS bearer token, the public account."""
    assert function in FUNCTIONS, f"functions/{function}/main.py is missing"
    query, manifest = (load_manifest(ROOT / "functions" / f) for f in ("query", function))
    assert manifest.public and query.public
    assert manifest.model_bucket == query.model_bucket
    assert {"PUSH_TOKENS", "REQUIRE_PUSH_TOKENS"} <= set(manifest.env)
    assert "bearer_token" in (PACKAGE / "api" / f"{function}.py").read_text()


COLLECTORS = [f for f in FUNCTIONS if f.startswith("collect-")]


@pytest.mark.parametrize("function", COLLECTORS)
def test_a_collector_runs_one_attempt_at_a_time(function: str):
    """De-duplication is check-then-insert: two attempts of one scheduled run at once could both store."""
    assert load_manifest(ROOT / "functions" / function).max_instances == 1, \
        f"functions/{function}/function.json: max_instances must stay 1"
    service = block(FN, "service_config")
    assert service["max_instance_count"] == "${local.manifests[each.key].max_instances}"
    assert service["max_instance_request_concurrency"] == 1


DEADLINES = {s.env: s.default for s in SETTINGS if s.env.endswith("_DEADLINE_SECONDS")}
# cut off / the series under way / the outbox writes after the last send
MARGINS = {"COLLECT_DEADLINE_SECONDS": 10, "TRAIN_DEADLINE_SECONDS": 120, "NOTIFY_DEADLINE_SECONDS": 10}


def test_terraform_knows_every_run_deadline_with_the_codes_default_and_its_margin():
    assert TF.locals["run_deadlines"] == {name: {"default": default, "margin": MARGINS[name]}
                                          for name, default in DEADLINES.items()}


def test_terraform_refuses_a_run_deadline_that_would_outlive_its_function():
    """A run the platform kills mid-work says nothing; one that stops at its deadline answers with what it did."""
    condition = block(FN, "lifecycle")["precondition"][0]["condition"]
    for piece in ("local.run_deadlines", "lookup(local.setting_values, name, deadline.default)",
                  "+ deadline.margin <= local.manifests[each.key].timeout_seconds",
                  "contains(local.manifests[each.key].env, name)"):
        assert piece in condition


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_default_deadlines_pass_that_check(function: str):
    """So the trainer answers 503 with what it did, rather than being killed mid-series and saying nothing."""
    manifest = load_manifest(ROOT / "functions" / function)
    for name, default in DEADLINES.items():
        if name in manifest.env:
            assert float(default) + MARGINS[name] <= manifest.timeout_seconds, (function, name)
