"""Who the functions run as: the manifest's `model_bucket` and `public` pick the account, never the name.

Models are pickles (loading one runs code), so only functions whose function.json says
"write" (the trainer) run as the writer account, the only holder of object admin on the
model bucket. The internet-facing functions (push, query) run as the public account and
every other function (the collectors) as the reader, both with object viewer. Secrets are
granted per account, only those its functions read, so a collector's token never reaches
code that answers the internet.
"""

from __future__ import annotations

import pytest

from metricwatch.ops.manifest import load_manifest
from tfmodel import ROOT, block, load

TF = load()
FN = TF.of_type("google_cloudfunctions2_function")["fn"]
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/main.py"))
MANIFESTS = {fn: load_manifest(ROOT / "functions" / fn) for fn in FUNCTIONS}
WRITER, READER = "${google_service_account.writer.member}", "${google_service_account.reader.member}"
PUBLIC = "${google_service_account.public.member}"


def _account(function: str) -> str:
    """What local.function_account gives (its expression is pinned below)."""
    manifest = MANIFESTS[function]
    return "writer" if manifest.model_bucket == "write" else ("public" if manifest.public else "reader")


def _grants(member: str) -> dict[tuple[str, str], dict]:
    return {(kind, name): r for kind, named in TF.resources.items() if "iam" in kind
            for name, r in named.items() if r.get("member") == member}


def test_the_account_a_function_runs_as_comes_from_its_manifest():
    assert TF.locals["function_account"] == (
        '${{for fn in local.functions : fn => local.manifests[fn].model_bucket == "write" ? "writer" : '
        '(local.manifests[fn].public ? "public" : "reader")}}')
    assert block(FN, "service_config")["service_account_email"] == \
        "${local.account_emails[local.function_account[each.key]]}"
    assert TF.locals["account_emails"] == {"writer": "${google_service_account.writer.email}",
                                           "public": "${google_service_account.public.email}",
                                           "reader": "${google_service_account.reader.email}"}
    assert TF.locals["account_members"] == {"writer": WRITER, "public": PUBLIC, "reader": READER}
    assert "runtime" not in TF.of_type("google_service_account"), "no account shared by readers and writers"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_only_functions_that_write_models_run_as_the_writer(function: str):
    manifest = MANIFESTS[function]
    assert (_account(function) == "writer") == (manifest.model_bucket == "write")
    if manifest.public:
        assert _account(function) == "public", f"{function} faces the internet and must not write pickles"


def test_the_trainer_is_the_one_writer():
    assert [fn for fn in FUNCTIONS if _account(fn) == "writer"] == ["train"]


def test_the_writer_is_the_only_object_admin_of_the_model_bucket():
    admins = [(name, r["member"]) for name, r in TF.of_type("google_storage_bucket_iam_member").items()
              if r["role"] == "roles/storage.objectAdmin"]
    assert admins == [("writer_models", WRITER)]
    assert TF.of_type("google_storage_bucket_iam_member")["writer_models"]["bucket"] == \
        "${google_storage_bucket.models.name}"
    project_roles = {r["role"] for r in TF.of_type("google_project_iam_member").values()}
    assert not {"roles/storage.objectAdmin", "roles/storage.admin"} & project_roles


@pytest.mark.parametrize("grant, member", [("public_models", PUBLIC), ("reader_models", READER)])
def test_the_public_and_reader_accounts_only_view_the_model_bucket(grant: str, member: str):
    assert TF.of_type("google_storage_bucket_iam_member")[grant] == {
        "bucket": "${google_storage_bucket.models.name}", "role": "roles/storage.objectViewer", "member": member}


@pytest.mark.parametrize("member, expected", [
    (WRITER, {("google_storage_bucket_iam_member", "writer_models"),  # and the training queue (test_infra_tasks.py)
              ("google_cloud_tasks_queue_iam_member", "writer_enqueuer"),
              ("google_service_account_iam_member", "writer_acts_as_tasks")}),
    (PUBLIC, {("google_storage_bucket_iam_member", "public_models")}),
    (READER, {("google_storage_bucket_iam_member", "reader_models")}),
])
def test_each_runtime_account_holds_the_model_bucket_and_nothing_else_by_name(member: str, expected: set):
    assert set(_grants(member)) == expected, "other grants go through local.account_members (secrets)"


def test_secret_access_is_granted_per_account_for_the_secrets_its_functions_read():
    accessor = TF.of_type("google_secret_manager_secret_iam_member")
    assert set(accessor) == {"accessor"}, "every secret grant goes through local.secret_grants"
    assert accessor["accessor"] == {"for_each": "${local.secret_grants}",
                                    "secret_id": "${local.secret_ids[each.value.secret]}",
                                    "role": "roles/secretmanager.secretAccessor",
                                    "member": "${local.account_members[each.value.account]}"}
    assert TF.locals["function_secrets"] == (
        "${{for fn in local.functions : fn => merge("
        "{for name in local.manifests[fn].env : name => name if contains(keys(local.secret_settings), name)}, "
        '{for name in local.manifests[fn].secrets : name => "${fn}/${name}"})}}')
    assert TF.locals["secret_grants"] == (
        "${{for pair in distinct(flatten([for fn, secrets in local.function_secrets : "
        "[for key in values(secrets) : {account = local.function_account[fn], secret = key}]])) : "
        '"${pair.account} ${pair.secret}" => pair}}')


def _secret_grants() -> dict[str, set[str]]:
    """local.secret_grants evaluated on the real manifests: account => secret keys."""
    grants: dict[str, set[str]] = {"writer": set(), "public": set(), "reader": set()}
    for fn, manifest in MANIFESTS.items():
        keys = {n for n in manifest.env if n in ("MONGO_URL", "PUSH_TOKENS")} | {f"{fn}/{n}" for n in manifest.secrets}
        grants[_account(fn)] |= keys
    return grants


def test_the_writer_reads_no_push_tokens_and_no_collector_secret():
    grants = _secret_grants()
    assert grants["writer"] == {"MONGO_URL"}
    assert grants["public"] == {"MONGO_URL", "PUSH_TOKENS"}
    assert "PUSH_TOKENS" not in grants["reader"], "collectors never see the push tokens"


def test_no_collector_secret_is_readable_by_an_internet_facing_function():
    collector_secrets = {f"{fn}/{n}" for fn, m in MANIFESTS.items() for n in m.secrets}
    assert not collector_secrets & _secret_grants()["public"]


def test_the_service_accounts_are_the_six_documented():
    assert set(TF.of_type("google_service_account")) == {"writer", "public", "reader", "scheduler", "build", "tasks"}


def test_the_build_account_reads_only_the_source_buckets():
    grants = TF.of_type("google_project_iam_member")
    storage = {name: r for name, r in grants.items() if "storage" in r["role"] or "storage" in str(r.get("for_each"))}
    assert set(storage) == {"build_sources"}, "no unconditioned storage role at project level"
    sources = storage["build_sources"]
    assert sources["role"] == "roles/storage.objectViewer"
    assert sources["member"] == "${google_service_account.build.member}"
    expression = block(sources, "condition")["expression"]
    assert "for b in local.build_source_buckets" in expression
    assert 'resource.name == \\"projects/_/buckets/${b}\\"' in expression, "exact bucket, not a name prefix"
    assert 'startsWith(\\"projects/_/buckets/${b}/objects/\\")' in expression
    assert TF.locals["build_source_buckets"] == [
        "${google_storage_bucket.sources.name}", "gcf-v2-sources-${data.google_project.this.number}-${var.region}"]
